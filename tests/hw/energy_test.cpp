#include "mbi/hw/energy.hpp"

#include <gtest/gtest.h>

#include "mbi/hw/hw_config.hpp"
#include "mbi/hw/table1.hpp"

namespace mbi::hw {
namespace {

TEST(Energy, BreakdownSumsToTotalAndMatchesPublishedMatch) {
  const MatchEnergy e = match_energy(ArrayConfig{}, EnergyParams{});
  EXPECT_DOUBLE_EQ(e.total_pj(), e.adc_pj + e.peripherals_pj + e.precharge_pj + e.logic_pj);
  EXPECT_NEAR(e.total_pj(), 4.7, 1e-9);
  EXPECT_GT(e.adc_pj, 0);
  EXPECT_GT(e.precharge_pj, 0);
  EXPECT_GT(e.logic_pj, 0);
}

TEST(Energy, ComponentsFollowTheirPhysics) {
  ArrayConfig config;
  const EnergyParams p;
  const MatchEnergy base = match_energy(config, p);
  // SAR ADC: bits * E_comparator + 2^bits * E_dac.
  EXPECT_NEAR(base.adc_pj, 5 * 0.12 + 32 * 0.05, 1e-12);
  config.adc_bits = 6;
  EXPECT_NEAR(match_energy(config, p).adc_pj, 6 * 0.12 + 64 * 0.05, 1e-12);
  // Precharge: 64 lines x 1/4 x 8 fF x 0.8 V x 0.8 V.
  EXPECT_NEAR(base.precharge_pj, 64 * 0.25 * 8e-3 * 0.8 * 0.8, 1e-12);
  config = ArrayConfig{};
  config.device.bitline_cap_ff *= 2;
  EXPECT_NEAR(match_energy(config, p).precharge_pj, 2 * base.precharge_pj, 1e-12);
}

TEST(Energy, PaperInferenceEnergy) {
  // 5 glimpses x 3.5 levels x 32 keys x 5 splits x 4.7 pJ = 13.16 nJ.
  const SearchWorkload w;
  EXPECT_DOUBLE_EQ(w.comparisons_per_image(), 560.0);
  EXPECT_NEAR(inference_energy_nj(w.comparisons_per_image(), w.key_splits, 4.7), 13.16, 1e-9);
  const MatchEnergy e = match_energy(ArrayConfig{}, EnergyParams{});
  EXPECT_NEAR(inference_energy_nj(w.comparisons_per_image(), w.key_splits, e.total_pj()), 13.16, 1e-6);
  EXPECT_NEAR(inference_energy_nj(1000, 9, 4.7), 42.3, 1e-9);
}

TEST(Energy, ProjectionToSixteenNanometres) {
  EXPECT_NEAR(project_energy(100.9, 28), 32.95, 0.01);   // paper: 32.94 nJ
  EXPECT_NEAR(project_energy(12510, 55), 1058.7, 0.1);   // paper: 1.05 uJ
  EXPECT_NEAR(project_energy(20.4, 65), 1.236, 0.001);   // paper: 1.24 nJ
  EXPECT_DOUBLE_EQ(project_energy(13.16, 16), 13.16);
}

TEST(Table1, RegeneratesPaperRowsAndTakesMeasuredInputs) {
  MbiEntry mbi;
  Table1 t = build_table1(mbi, paper_baselines());
  ASSERT_EQ(t.csv.rows().size(), 4U);
  EXPECT_NEAR(t.json["mbi"]["energy_nj"].get<double>(), 13.16, 1e-9);
  EXPECT_NEAR(t.json["baselines"][0]["energy_16nm_nj"].get<double>(), 32.95, 0.01);
  EXPECT_NEAR(t.json["baselines"][0]["ratio_to_mbi"].get<double>(), 32.947 / 13.16, 0.001);
  EXPECT_NE(t.markdown.find("| Energy/Inference | 13.16 nJ | 100.9 nJ | 12.51 uJ | 20.4 nJ |"), std::string::npos)
      << t.markdown;
  EXPECT_NE(t.markdown.find("| Accuracy (%) | 93.04 | 99.15 | 99.52 | 98.00 |"), std::string::npos) << t.markdown;

  mbi.comparisons_per_image = 1000;
  mbi.accuracy_pct = 91.5;
  t = build_table1(mbi, paper_baselines());
  EXPECT_NEAR(t.json["mbi"]["energy_nj"].get<double>(), 1000 * 5 * 4.7e-3, 1e-9);
  EXPECT_NE(t.markdown.find("| 91.50 |"), std::string::npos);
  EXPECT_TRUE(t.json["comparable_accuracy"].get<bool>());
  EXPECT_NE(t.markdown.find("| Data | MNIST | MNIST | MNIST | MNIST |"), std::string::npos) << t.markdown;
}

TEST(Table1, SaysWhenMbiIsMeasuredOnAnotherDataSet) {
  MbiEntry mbi;
  mbi.data = "mnist";  // the folder's spelling: the same data set
  EXPECT_TRUE(build_table1(mbi, paper_baselines()).json["comparable_accuracy"].get<bool>());
  mbi.data = "fashion-mnist";
  const Table1 t = build_table1(mbi, paper_baselines());
  EXPECT_FALSE(t.json["comparable_accuracy"].get<bool>());
  EXPECT_EQ(t.json["mbi"]["data"].get<std::string>(), "fashion-mnist");
  EXPECT_EQ(t.json["baselines"][0]["data"].get<std::string>(), "MNIST");
  EXPECT_NE(t.markdown.find("MBI's accuracy is on fashion-mnist, the CIM designs' on MNIST"), std::string::npos)
      << t.markdown;
  EXPECT_EQ(t.csv.rows()[0][9], "fashion-mnist");
}

}  // namespace
}  // namespace mbi::hw
