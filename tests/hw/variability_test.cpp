#include "mbi/hw/variability.hpp"

#include <gtest/gtest.h>

#include "mbi/hw/sram_array.hpp"

namespace mbi::hw {
namespace {

TEST(SramArray, NominalSumLinesFollowEquations2) {
  // eq. 2a/2b with matched devices: each discharged column of precharge V lowers its sum
  // line by C V (1 - residual) / (n C + C_SL); readout = mean of the two sum lines.
  ArrayConfig config = without_mismatch(ArrayConfig{});
  config.device.sumline_cap_ff = 0.0;
  config.device.discharge_ns = 1000.0;  // complete discharge
  config.device.precharge_ns = 1000.0;  // complete precharge
  std::vector<double> precharge(32, 0.8);
  for (std::uint32_t c = 0; c < 32; c += 2) precharge[c] = 0.4;  // 2-bit ladder: LSB at V_P,max / 2
  const SramArray array(config, precharge, nullptr);
  EXPECT_NEAR(array.slp_top_v(), 0.6, 1e-9);
  std::vector<std::uint8_t> key(32, 0), query(32, 0);
  key[0] = 1;    // LSB column: k=1, q=0 -> BL discharges 0.4 V
  query[1] = 1;  // MSB column: k=0, q=1 -> BLB discharges 0.8 V
  key[3] = query[3] = 1;  // equal bits: nothing
  const SumLines lines = array.match(0, key, query);
  EXPECT_NEAR(lines.slp_v, 0.6 - 0.4 / 32, 1e-9);
  EXPECT_NEAR(lines.sln_v, 0.6 - 0.8 / 32, 1e-9);
  // Distance 1 + 2 = 3 LSB units, each (0.4 / 32) / 2 of readout.
  EXPECT_NEAR(0.6 - lines.readout_v(), 3 * 0.4 / 32 / 2, 1e-9);
}

TEST(Variability, NoMismatchGivesEvenlySpacedLevels) {
  ArrayConfig config = without_mismatch(ArrayConfig{});
  const VariabilityResult r = run_variability(config, 0.0, 20, 1);
  ASSERT_EQ(r.sum_line.size(), 33U);
  EXPECT_NEAR(r.sum_line_margin.worst_gap_mv, r.sum_line_margin.nominal_spacing_mv, 1e-6);
  EXPECT_NEAR(r.readout_margin.nominal_spacing_mv, 0.5 * r.sum_line_margin.nominal_spacing_mv, 1e-9);
  // About V_P,max / 32, a little less for the residual charge and the sum-line capacitance.
  EXPECT_NEAR(r.sum_line_margin.nominal_spacing_mv, 800.0 / 32, 1.0);
  EXPECT_EQ(r.sum_line_margin.levels_resolved, 33U);
  EXPECT_EQ(r.sum_line_margin.adc_bits_needed, 6U);
  EXPECT_NEAR(r.sum_line.front().mean_v - r.sum_line.back().mean_v, 32 * r.sum_line_margin.nominal_spacing_mv * 1e-3,
              1e-9);
}

TEST(Variability, MarginShrinksAsSigmaGrows) {
  const ArrayConfig config;
  double previous = 1e9;
  for (double sigma : {0.0, 40.0, 60.0, 90.0, 120.0}) {
    const VariabilityResult r = run_variability(config, sigma, 150, 3);
    EXPECT_LT(r.sum_line_margin.worst_gap_mv, previous) << sigma;
    previous = r.sum_line_margin.worst_gap_mv;
  }
  EXPECT_LT(previous, 0.0);  // at 120 mV neighbouring levels overlap
  const VariabilityResult wide = run_variability(config, 120.0, 150, 3);
  EXPECT_LT(wide.sum_line_margin.levels_resolved, 33U);
}

TEST(Variability, DefaultDesignResolvesAllLevelsAt60mV) {
  const VariabilityResult r = run_variability(ArrayConfig{}, 60.0, 300, 1);
  EXPECT_GT(r.sum_line_margin.worst_gap_mv, 0.0);
  EXPECT_GT(r.readout_margin.worst_gap_mv, 0.0);
  EXPECT_LT(r.sum_line_margin.worst_gap_mv, r.sum_line_margin.nominal_spacing_mv);
  EXPECT_EQ(r.sum_line_margin.levels_resolved, 33U);
}

TEST(Variability, MarginsFromHandMadeLevels) {
  const std::vector<LevelStats> levels = {{0, 1.0, 0.001, 0.995, 1.004}, {1, 0.9, 0.001, 0.897, 0.990}, {2, 0.85, 0.001, 0.84, 0.91}};
  const MarginStats m = margins(levels, 0.1);
  EXPECT_NEAR(m.worst_gap_mv, -13.0, 1e-9);  // 0.897 - 0.910
  EXPECT_EQ(m.worst_level, 1U);
  EXPECT_NEAR(m.min_mean_spacing_mv, 50.0, 1e-9);
  EXPECT_EQ(m.levels_resolved, 2U);
  EXPECT_EQ(m.adc_bits_needed, 1U);
}

TEST(Variability, HistogramCountsEverySample) {
  const std::vector<double> samples = {0.1001, 0.1002, 0.1011, 0.2};
  const auto h = histogram(samples, 0.001);
  ASSERT_EQ(h.size(), 3U);
  EXPECT_EQ(h[0].second, 2U);
  EXPECT_NEAR(h[0].first, 0.1005, 1e-12);
}

}  // namespace
}  // namespace mbi::hw
