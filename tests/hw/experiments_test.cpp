#include "mbi/hw/experiments.hpp"
#include "mbi/hw/energy.hpp"
#include "mbi/hw/array_map.hpp"
#include "mbi/hw/coding.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

namespace mbi::hw {
namespace {

TEST(Experiments, ArraySummaryAndTables) {
  ArrayExperimentOptions options;
  options.queries = 40;
  const io::ResultFiles out = array_experiment(default_hw_config(), options);
  const auto& s = out.summary;
  EXPECT_EQ(s["coding_error"]["thermometer"]["key"]["mean_abs_error"].get<double>(), 0.0);
  EXPECT_GT(s["coding_error"]["binary"]["key"]["mean_abs_error"].get<double>(), 0.0);
  EXPECT_EQ(s["hardware_error"]["thermometer"]["matched"]["arrays_per_key"].get<int>(), 9);
  EXPECT_EQ(s["hardware_error"]["binary"]["matched"]["arrays_per_key"].get<int>(), 6);
  ASSERT_EQ(out.tables.size(), 3U);
  EXPECT_EQ(out.tables[0].first, "array_transfer");
  EXPECT_EQ(out.tables[0].second.rows().size(), 33U + 49U);  // thermometer 0..32, binary 0..48
}

TEST(Experiments, VariabilityReportsMarginAndBits) {
  VariabilityExperimentOptions options;
  options.trials = 60;
  options.sweep = false;
  const io::ResultFiles out = variability_experiment(default_hw_config(), options);
  const auto& s = out.summary;
  EXPECT_EQ(s["sigma_vth_mv"].get<double>(), 60.0);
  EXPECT_GT(s["sum_line"]["worst_gap_mv"].get<double>(), 0.0);
  EXPECT_EQ(s["sum_line"]["adc_bits_needed"].get<int>(), 6);
  EXPECT_EQ(s["published"]["min_sum_line_difference_mv"].get<double>(), 28.0);
}

TEST(Experiments, EnergyUsesMeasuredInputs) {
  EnergyExperimentOptions options;
  io::ResultFiles out = energy_experiment(default_hw_config(), options);
  EXPECT_NEAR(out.summary["match_pj"]["total"].get<double>(), 4.7, 1e-9);
  EXPECT_NEAR(out.summary["inference"]["energy_nj"].get<double>(), 13.16, 1e-6);
  // The published figure is one ledger event times its price: 5 x 3.5 x 32 comparisons x 5
  // arrays = 2,800 array matches per image at the energy table's 4.70 pJ.
  EXPECT_EQ(out.summary["inference"]["events_per_image"]["sram.array_match"].get<double>(), 2800.0);
  EXPECT_NEAR(out.summary["energy_table"]["sram.array_match"]["pj"].get<double>(), 4.7, 1e-9);
  const eval::EnergyTable table = sram_energy_table(default_hw_config().array, default_hw_config().energy, "test");
  EXPECT_NEAR(table.joules(kArrayMatchEvent, 2800) * 1e9, 13.16, 1e-6);
  options.comparisons_per_image = 200;
  options.arrays_per_key = 9;
  options.accuracy_pct = 90.0;
  out = energy_experiment(default_hw_config(), options);
  EXPECT_NEAR(out.summary["inference"]["energy_nj"].get<double>(), 200 * 9 * 4.7e-3, 1e-9);
  EXPECT_EQ(out.summary["table1"]["mbi"]["accuracy_pct"].get<double>(), 90.0);
  // A graph walk's link reads are priced beside its matches, in the inference and Table I.
  options.links_read_per_image = 1000;
  out = energy_experiment(default_hw_config(), options);
  const double with_links = 200 * 9 * 4.7e-3 + 1000 * default_hw_config().energy.link_read_pj * 1e-3;
  EXPECT_NEAR(out.summary["inference"]["link_energy_nj"].get<double>(), 1.4, 1e-9);
  EXPECT_NEAR(out.summary["inference"]["energy_nj"].get<double>(), with_links, 1e-9);
  EXPECT_NEAR(out.summary["table1"]["mbi"]["energy_nj"].get<double>(), with_links, 1e-9);
  options.links_read_per_image.reset();

  // By default the mapping prices the paper's MNIST key; a measured table passes its own key
  // (here a 16x16 image's: locations 0..16, two scales), and the mapping follows it.
  const auto paper = out.summary["inference"]["by_mapping"];
  EXPECT_EQ(paper["binary"]["arrays_per_key"].get<double>(),
            static_cast<double>(ArrayMap(paper_key().segments, paper_key().components, 32, Coding::binary).arrays_per_key()));
  KeySpec small;
  small.segments = {{"glimpse0", 16, 4}, {"glimpse1", 16, 4}, {"hidden", 32, 2}, {"loc_x", 1, 17}, {"loc_y", 1, 17}};
  small.components = {0, 0, 1, 2, 2};
  options.key = small;
  const io::ResultFiles mapped = energy_experiment(default_hw_config(), options);
  for (Coding coding : {Coding::binary, Coding::thermometer}) {
    const double expected = static_cast<double>(ArrayMap(small.segments, small.components, 32, coding).arrays_per_key());
    EXPECT_EQ(mapped.summary["inference"]["by_mapping"][std::string(coding_name(coding))]["arrays_per_key"].get<double>(),
              expected);
  }
  EXPECT_NE(mapped.summary["inference"]["by_mapping"]["thermometer"]["arrays_per_key"],
            paper["thermometer"]["arrays_per_key"]);
  EXPECT_EQ(mapped.summary["inference"]["by_mapping"]["segments"][3]["levels"].get<std::uint32_t>(), 17U);

  const auto dir = std::filesystem::temp_directory_path() / ("mbi_hw_test_energy_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  const auto written = out.write(dir);
  EXPECT_EQ(written.size(), 5U);
  for (const auto& p : written) EXPECT_TRUE(std::filesystem::exists(p)) << p;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mbi::hw
