#include "mbi/experiment/analog_noise.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <mutex>
#include <string>
#include <thread>

#include "mbi/core/csv_table.hpp"
#include "mbi/core/error.hpp"
#include "mbi/core/progress.hpp"
#include "mbi/core/spread.hpp"

namespace mbi::experiment {
namespace {

// A label inside a single-quoted gnuplot string, where a quote is written twice.
std::string gnuplot_quoted(const std::string& label) {
  std::string out;
  for (const char c : label) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out;
}

struct Run {
  double accuracy = 0;
  eval::EnergyEstimate energy;
  double clipped_percent = 0;
  double devices = 0;
};

Run evaluate(const cim::FloatNetwork& network, const cim::AnalogConfig& config, const cim::AnalogCells& cells,
             const ImageSet& images, const eval::EnergyTable& energy) {
  cim::AnalogCrossbarClassifier crossbar(network, config, cells);
  std::vector<int> predictions(images.count());
  eval::Ledger ledger;
  crossbar.classify(images, predictions, ledger);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < images.count(); ++i) correct += predictions[i] == images.labels[i] ? 1 : 0;
  Run r;
  r.accuracy = images.count() ? 100.0 * static_cast<double>(correct) / static_cast<double>(images.count()) : 0.0;
  r.energy = energy.price(ledger, static_cast<double>(images.count()));
  for (const auto& [name, value] : crossbar.metrics()) {
    if (name == "clipped_conversions_percent") r.clipped_percent = value;
    if (name == "devices") r.devices = value;
  }
  return r;
}

// Joules per image of the events whose name starts with `prefix`.
double joules_of(const eval::EnergyEstimate& e, const std::string& prefix) {
  double j = 0;
  for (const auto& [event, joules] : e.joules_by_event)
    if (event.rfind(prefix, 0) == 0) j += joules;
  return j;
}

}  // namespace

io::ResultFiles analog_pcm_study(const std::vector<AnalogNetwork>& networks, const ImageSet& images,
                                 const AnalogNoiseOptions& o) {
  if (networks.empty() || o.devices.empty() || o.slices.empty() || o.reads.empty() || o.seconds.empty() || o.seeds < 1)
    throw Error("analog PCM study: no networks, points or devices");
  for (const double t : o.seconds)
    if (!(t >= 0 && std::isfinite(t))) throw Error("analog PCM study: times must be finite and >= 0");
  for (const AnalogNetwork& n : networks)
    if (n.network.input.rows != images.rows || n.network.input.cols != images.cols)
      throw Error("analog PCM study: network '" + n.label + "' is made for " + std::to_string(n.network.input.rows) + "x" +
                  std::to_string(n.network.input.cols) + " images, given " + std::to_string(images.rows) + "x" +
                  std::to_string(images.cols));
  std::vector<bool> compensations = {true};
  if (o.uncompensated) compensations.push_back(false);
  const std::size_t points =
      networks.size() * o.devices.size() * o.slices.size() * o.reads.size() * o.seconds.size() * compensations.size();
  ProgressBar bar("PCM crossbars", points * static_cast<std::size_t>(o.seeds), o.progress);
  std::size_t done = 0;
  std::mutex progress;
  io::ResultFiles out;
  CsvTable t({"network", "devices_per_weight", "slices", "reads", "seconds", "compensation", "mean_accuracy",
              "stddev_accuracy", "min_accuracy", "max_accuracy", "clean_accuracy", "ideal_accuracy", "energy_nj",
              "read_charge_nj", "adc_nj", "other_nj", "devices", "clipped_percent", "seeds"});
  nlohmann::json rows = nlohmann::json::array();
  std::vector<std::string> time_series;
  for (const AnalogNetwork& net : networks) {
    const double clean = cim::float_accuracy(net.network, images);
    for (const int devices : o.devices)
      for (const int slices : o.slices)
        for (const int reads : o.reads) {
          // One line of the time plot per configuration (and compensation).
          for (const bool compensation : compensations)
            time_series.push_back(fmt::format(
                "'' every ::1 using (stringcolumn(1) eq '{0}' && $2=={1} && $3=={2} && $4=={3} && $6=={4} ? $5 : 1/0):7:8 "
                "with yerrorlines title '{0} k{1} s{2} r{3}{5}'",
                gnuplot_quoted(net.label), devices, slices, reads, compensation ? 1 : 0,
                compensation ? "" : " uncompensated"));
          cim::AnalogConfig config = o.crossbar;
          config.devices = devices;
          config.slices = slices;
          config.reads = reads;
          config.validate();
          const double ideal =
              evaluate(net.network, config, {.pcm = o.pcm, .ideal = true, .seed = o.seed}, images, o.energy).accuracy;
          for (const bool compensation : compensations)  // a configuration's times in consecutive rows: lines
            for (const double seconds : o.seconds) {
              std::vector<Run> runs(static_cast<std::size_t>(o.seeds));
              std::atomic<int> next{0};
              const auto work = [&] {
                for (int d = next++; d < o.seeds; d = next++) {
                  runs[static_cast<std::size_t>(d)] =
                      evaluate(net.network, config,
                               {.pcm = o.pcm, .seconds = seconds, .drift_compensation = compensation,
                                .seed = o.seed + static_cast<std::uint64_t>(d)},
                               images, o.energy);
                  const std::lock_guard lock(progress);
                  bar.update(++done);
                }
              };
              std::vector<std::thread> pool;
              for (int k = 1; k < std::min(o.threads, o.seeds); ++k) pool.emplace_back(work);
              work();
              for (std::thread& th : pool) th.join();
              std::vector<double> accuracies;
              double energy = 0, charge = 0, adc = 0, clipped = 0;
              for (const Run& r : runs) {
                accuracies.push_back(r.accuracy);
                energy += r.energy.joules_per_image;
                charge += joules_of(r.energy, "pcm.read");
                adc += joules_of(r.energy, "xbar.adc_conversion");
                clipped += r.clipped_percent;
              }
              const auto n = static_cast<double>(runs.size());
              const Spread spread = spread_of(accuracies);
              const double mean = spread.mean, stddev = spread.stddev;
              energy /= n, charge /= n, adc /= n, clipped /= n;
              const bool complete = runs.front().energy.complete();
              t.add({net.label, cell(static_cast<double>(devices)), cell(static_cast<double>(slices)),
                     cell(static_cast<double>(reads)), cell(seconds), compensation ? "1" : "0", cell(mean), cell(stddev),
                     cell(spread.min), cell(spread.max), cell(clean), cell(ideal), complete ? cell(energy * 1e9) : "",
                     cell(charge * 1e9), cell(adc * 1e9), complete ? cell((energy - charge - adc) * 1e9) : "",
                     cell(runs.front().devices), cell(clipped), cell(static_cast<double>(o.seeds))});
              nlohmann::json row = {{"network", net.label},
                                    {"devices_per_weight", devices},
                                    {"slices", slices},
                                    {"reads", reads},
                                    {"seconds", seconds},
                                    {"compensation", compensation},
                                    {"mean_accuracy", mean},
                                    {"stddev_accuracy", stddev},
                                    {"min_accuracy", spread.min},
                                    {"max_accuracy", spread.max},
                                    {"clean_accuracy", clean},
                                    {"ideal_accuracy", ideal},
                                    {"read_charge_nj", charge * 1e9},
                                    {"adc_nj", adc * 1e9},
                                    {"devices", runs.front().devices},
                                    {"clipped_percent", clipped},
                                    {"accuracies", accuracies}};
              if (complete) row["energy_nj"] = energy * 1e9;
              else row["unpriced_events"] = runs.front().energy.unpriced;
              rows.push_back(row);
              out.notes.push_back(fmt::format(
                  "{}: {} device(s) per weight, {} slices, {} read(s), {:g} s, {}: {:.2f} +- {:.2f} % over {} devices "
                  "(clean {:.2f} %, ideal crossbar {:.2f} %), {} per image",
                  net.label, devices, slices, reads, seconds, compensation ? "compensated" : "uncompensated", mean, stddev,
                  o.seeds, clean, ideal, complete ? fmt::format("{:.2f} nJ", energy * 1e9) : std::string("energy unpriced")));
            }
        }
  }
  bar.finish();
  out.tables.emplace_back("analog_pcm", t);
  out.plots.emplace_back(
      "analog_pcm_energy",
      "set datafile separator ','\nset title 'Float networks on PCM crossbars: accuracy against energy per image'\n"
      "set logscale x\nset xlabel 'energy per image (nJ)'\nset ylabel 'test accuracy (%)'\nset key below\n"
      "plot 'analog_pcm.csv' every ::1 using ($6==1 ? $13 : 1/0):7:8 with yerrorbars title 'compensated (mean, sd over devices)', "
      "'' every ::1 using ($6==1 ? $13 : 1/0):7:(sprintf('%s k%d s%d r%d', stringcolumn(1), $2, $3, $4)) "
      "with labels offset 0,1 font ',7' notitle, "
      "'' every ::1 using 13:11 with points pt 6 title 'clean (digital float)'\n");
  if (o.seconds.size() > 1) {
    std::string plot =
        "set datafile separator ','\nset title 'Float networks on PCM crossbars: accuracy against time since programming'\n"
        "set logscale x\nset xrange [0.5:*]\nset xlabel 'seconds since programming'\nset ylabel 'test accuracy (%)'\n"
        "set key below\nplot 'analog_pcm.csv'";
    for (std::size_t i = 0; i < time_series.size(); ++i) plot += i == 0 ? " " + time_series[i].substr(3) : ", " + time_series[i];
    out.plots.emplace_back("analog_pcm_time", plot + "\n");
  }
  out.summary = {{"images", images.count()},
                 {"devices", o.seeds},
                 {"seed", o.seed},
                 {"rows", o.crossbar.rows},
                 {"dac_bits", o.crossbar.dac_bits},
                 {"adc_bits", o.crossbar.adc_bits},
                 {"adc_range", o.crossbar.adc_range},
                 {"points", rows}};
  return out;
}

}  // namespace mbi::experiment
