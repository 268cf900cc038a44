#include "mbi/hw/variability.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"
#include "mbi/hw/sram_array.hpp"

namespace mbi::hw {

VariabilityResult run_variability(const ArrayConfig& base, double sigma_vth_mv, std::size_t trials,
                                  std::uint64_t seed) {
  if (trials == 0) throw Error("variability needs at least one trial");
  ArrayConfig config = base;
  config.device.sigma_vth_mv = sigma_vth_mv;
  const std::uint32_t cols = config.cols;
  const std::vector<double> precharge(cols, config.v_precharge_max_v);

  VariabilityResult result;
  result.sigma_vth_mv = sigma_vth_mv;
  result.trials = trials;
  result.sum_line_v.assign(cols + 1, {});
  result.readout_v.assign(cols + 1, {});
  std::vector<std::uint32_t> columns(cols);
  for (std::size_t t = 0; t < trials; ++t) {
    Random mismatch(seed, 2 * t);
    Random pattern(seed, 2 * t + 1);
    const SramArray array(config, precharge, &mismatch);
    for (std::uint32_t m = 0; m <= cols; ++m) {
      const std::uint32_t row = pattern.index(config.rows);
      // m distinct random columns: the first m of a partial Fisher-Yates shuffle.
      std::iota(columns.begin(), columns.end(), 0U);
      for (std::uint32_t i = 0; i < m; ++i) std::swap(columns[i], columns[i + pattern.index(cols - i)]);
      double slp = array.slp_top_v();
      double readout_slp = array.slp_top_v(), readout_sln = array.sln_top_v();
      for (std::uint32_t i = 0; i < m; ++i) {
        const std::uint32_t c = columns[i];
        slp -= array.bl_drop_v(row, c);
        if (pattern.uniform() < 0.5)
          readout_slp -= array.bl_drop_v(row, c);
        else
          readout_sln -= array.blb_drop_v(row, c);
      }
      result.sum_line_v[m].push_back(slp);
      result.readout_v[m].push_back(0.5 * (readout_slp + readout_sln));
    }
  }
  result.sum_line = level_stats(result.sum_line_v);
  result.readout = level_stats(result.readout_v);

  const SramArray nominal(config, precharge, nullptr);
  const double sum_line_step = nominal.bl_drop_v(0, 0);
  result.sum_line_margin = margins(result.sum_line, sum_line_step);
  result.readout_margin = margins(result.readout, 0.5 * sum_line_step);
  return result;
}

std::vector<LevelStats> level_stats(const std::vector<std::vector<double>>& samples) {
  std::vector<LevelStats> stats;
  for (std::size_t m = 0; m < samples.size(); ++m) {
    const auto& s = samples[m];
    const double n = static_cast<double>(s.size());
    const double mean = std::accumulate(s.begin(), s.end(), 0.0) / n;
    double var = 0.0;
    for (double v : s) var += (v - mean) * (v - mean);
    const auto [lo, hi] = std::minmax_element(s.begin(), s.end());
    stats.push_back(LevelStats{static_cast<std::uint32_t>(m), mean, s.size() > 1 ? std::sqrt(var / (n - 1)) : 0.0,
                               *lo, *hi});
  }
  return stats;
}

MarginStats margins(const std::vector<LevelStats>& levels, double nominal_spacing_v) {
  MarginStats m;
  m.nominal_spacing_mv = nominal_spacing_v * 1e3;
  m.min_mean_spacing_mv = m.worst_gap_mv = m.three_sigma_gap_mv = 1e300;
  m.levels_resolved = levels.empty() ? 0 : 1;
  // Levels fall as the distance grows: level m sits above level m+1.
  for (std::size_t i = 0; i + 1 < levels.size(); ++i) {
    const LevelStats& upper = levels[i];
    const LevelStats& lower = levels[i + 1];
    const double gap = (upper.min_v - lower.max_v) * 1e3;
    m.min_mean_spacing_mv = std::min(m.min_mean_spacing_mv, (upper.mean_v - lower.mean_v) * 1e3);
    m.three_sigma_gap_mv =
        std::min(m.three_sigma_gap_mv, ((upper.mean_v - 3 * upper.std_v) - (lower.mean_v + 3 * lower.std_v)) * 1e3);
    if (gap < m.worst_gap_mv) {
      m.worst_gap_mv = gap;
      m.worst_level = upper.level;
    }
    if (gap > 0) ++m.levels_resolved;
  }
  if (levels.size() < 2) m.min_mean_spacing_mv = m.worst_gap_mv = m.three_sigma_gap_mv = 0.0;
  m.adc_bits_needed =
      m.levels_resolved <= 1 ? 0 : static_cast<std::uint32_t>(std::ceil(std::log2(static_cast<double>(m.levels_resolved))));
  return m;
}

std::vector<std::pair<double, std::size_t>> histogram(const std::vector<double>& samples, double bin_v) {
  std::map<long long, std::size_t> bins;
  for (double v : samples) ++bins[static_cast<long long>(std::floor(v / bin_v))];
  std::vector<std::pair<double, std::size_t>> out;
  for (const auto& [bin, count] : bins) out.emplace_back((static_cast<double>(bin) + 0.5) * bin_v, count);
  return out;
}

}  // namespace mbi::hw
