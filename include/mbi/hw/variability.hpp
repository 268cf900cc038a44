#pragma once
// Monte Carlo of the sum-line voltages under process variability (paper Fig. 6(b)).
//
// Each trial fabricates one rows x cols array with every column precharged to V_P,max (the
// 1-bit / thermometer case, where each discharged column is one distance unit), then, for
// every level m = 0..cols, picks a random row and m random columns and discharges them:
//   sum line  m BLs discharge: V_SLP at level m (what Fig. 6(b) plots);
//   readout   m columns each discharge BL or BLB at random: (V_SLP + V_SLN) / 2 at
//             distance m (what the ADC sees; half the sum line's swing).
// The same seed with a different sigma reuses the same underlying normal draws, so sweeps
// over sigma compare like with like.
//
// Margins (per quantity):
//   nominal spacing     drop per level with nominal devices;
//   min mean spacing    smallest difference of neighbouring levels' means (the reading of
//                       the paper's "minimum sum line voltage difference, dSL");
//   worst gap           smallest (lowest sample of level m) - (highest sample of level m+1):
//                       the room a decision threshold has; negative = levels overlap;
//   3-sigma gap         the same with mean -/+ 3 std in place of the extremes.
// Levels resolved: levels whose neighbours' worst gap is positive count separately,
// overlapping neighbours merge. ADC bits needed = ceil(log2(levels resolved)): 33 levels
// (0..32 discharged columns) need 6 bits for a code each; a 5-bit ADC (the paper's) gives
// levels 0..31 their own codes and saturates the single all-mismatch level.
#include <cstdint>
#include <vector>

#include "mbi/hw/array_config.hpp"

namespace mbi::hw {

struct LevelStats {
  std::uint32_t level;
  double mean_v, std_v, min_v, max_v;
};

struct MarginStats {
  double nominal_spacing_mv = 0.0;
  double min_mean_spacing_mv = 0.0;
  double worst_gap_mv = 0.0;
  double three_sigma_gap_mv = 0.0;
  std::uint32_t worst_level = 0;     // the gap is between this level and the next
  std::uint32_t levels_resolved = 0;
  std::uint32_t adc_bits_needed = 0;
};

struct VariabilityResult {
  double sigma_vth_mv = 0.0;
  std::size_t trials = 0;
  std::vector<LevelStats> sum_line, readout;                 // one per level 0..cols
  std::vector<std::vector<double>> sum_line_v, readout_v;    // samples per level
  MarginStats sum_line_margin, readout_margin;
};

VariabilityResult run_variability(const ArrayConfig& config, double sigma_vth_mv, std::size_t trials,
                                  std::uint64_t seed);

// Levels' statistics and margins from samples (exposed for tests and other experiments).
std::vector<LevelStats> level_stats(const std::vector<std::vector<double>>& samples);
MarginStats margins(const std::vector<LevelStats>& levels, double nominal_spacing_v);

// Histogram of one level's samples on a fixed grid: (bin centre in volts, count), nonzero bins.
std::vector<std::pair<double, std::size_t>> histogram(const std::vector<double>& samples, double bin_v);

}  // namespace mbi::hw
