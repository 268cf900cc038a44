#include "mbi/experiment/device_studies.hpp"

#include <fmt/format.h>

#include <cmath>
#include <string>

#include "mbi/core/csv_table.hpp"
#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"

namespace mbi::experiment {

io::ResultFiles pcm_statistics(const device::PcmModel& model, const std::vector<double>& levels,
                               const std::vector<double>& seconds, std::size_t cells, std::uint64_t seed) {
  if (levels.empty() || seconds.empty() || cells == 0) throw Error("PCM statistics: no levels, times or cells");
  for (const double t : seconds)
    if (!(t >= 0 && std::isfinite(t))) throw Error("PCM statistics: times must be finite and >= 0");
  // Program every cell once (stream 0), then read all of them at each time (stream 1 + time).
  Random programming(seed, 0);
  std::vector<std::vector<device::PcmCell>> programmed(levels.size());
  std::vector<device::PcmCell> all;
  for (std::size_t l = 0; l < levels.size(); ++l)
    for (std::size_t c = 0; c < cells; ++c) {
      programmed[l].push_back(model.program(levels[l], programming));
      all.push_back(programmed[l].back());
    }
  io::ResultFiles out;
  struct Stat {
    double mean = 0, stddev = 0, compensated = 0;
  };
  std::vector<std::vector<Stat>> stats(levels.size(), std::vector<Stat>(seconds.size()));
  for (std::size_t k = 0; k < seconds.size(); ++k) {
    Random reads(seed, 1 + k);
    const double factor = model.drift_compensation(all, seconds[k], reads);
    for (std::size_t l = 0; l < levels.size(); ++l) {
      double sum = 0, sum2 = 0;
      for (const device::PcmCell& cell : programmed[l]) {
        const double g = model.read(cell, seconds[k], reads);
        sum += g;
        sum2 += g * g;
      }
      const double n = static_cast<double>(cells);
      const double mean = sum / n;
      stats[l][k] = {mean, std::sqrt(std::max(sum2 / n - mean * mean, 0.0)), mean * factor};
    }
    out.notes.push_back(fmt::format("{:g} s after programming: drift compensation factor {:.4f}", seconds[k], factor));
  }
  // Level by level, so that each level's points make one line of the plot.
  CsvTable t({"level_us", "seconds", "mean_us", "stddev_us", "compensated_mean_us", "programming_sigma_us"});
  nlohmann::json points = nlohmann::json::array();
  for (std::size_t l = 0; l < levels.size(); ++l)
    for (std::size_t k = 0; k < seconds.size(); ++k) {
      const Stat& s = stats[l][k];
      t.add({cell(levels[l]), cell(seconds[k]), cell(s.mean), cell(s.stddev), cell(s.compensated),
             cell(model.programming_sigma(levels[l]))});
      points.push_back({{"level_us", levels[l]}, {"seconds", seconds[k]}, {"mean_us", s.mean}, {"stddev_us", s.stddev},
                        {"compensated_mean_us", s.compensated}});
    }
  out.tables.emplace_back("pcm_statistics", t);
  std::string plot =
      "set datafile separator ','\nset title 'PCM conductance after programming (mean +- 1 std of one read per cell)'\n"
      "set logscale x\nset xrange [0.5:*]\nset xlabel 'seconds since programming'\nset ylabel 'conductance (uS)'\nset key outside right\nplot ";
  for (std::size_t l = 0; l < levels.size(); ++l)
    plot += fmt::format("{}'pcm_statistics.csv' every ::1 using ($1=={} ? $2 : 1/0):3:4 with yerrorlines title '{} uS'",
                        l ? ", " : "", cell(levels[l]), cell(levels[l]));
  out.plots.emplace_back("pcm_drift", plot + "\n");
  out.summary = {{"cells_per_level", cells}, {"seed", seed}, {"g_max_us", model.parameters().g_max}, {"points", points}};
  return out;
}

}  // namespace mbi::experiment
