// The AP studies on a small random ternary CNN: the compiler study's rows and savings, and an
// evaluation whose AP agrees with the integer reference on every image and is priced in
// energy and time.
#include "mbi/experiment/ap_studies.hpp"
#include "mbi/experiment/crossbar_study.hpp"

#include <gtest/gtest.h>

#include "mbi/core/error.hpp"
#include "ternary_fixtures.hpp"

namespace mbi::experiment {
namespace {

TEST(ApStudies, CompilerStudyReportsEveryConfiguration) {
  const ternary::Network n = test::small_cnn(7, 4);
  const io::ResultFiles r = ap_compiler_study(n, {.domains_per_track = 8, .ports_per_track = 2});
  const CsvTable& t = r.table("ap_passes");
  ASSERT_EQ(t.rows().size(), 5U);
  EXPECT_EQ(t.rows()[0][0], "none");
  EXPECT_GT(r.summary["folding_saves_passes_percent"].get<double>(), 0);
  EXPECT_GT(r.summary["cse_saves_add_subtract_passes_percent"].get<double>(), 0);
  EXPECT_GT(r.summary["rtm_layout_saves_shifts_percent"].get<double>(), 0);
}

TEST(ApStudies, EvaluationAgreesWithTheReferenceAndIsPriced) {
  const ternary::Network n = test::small_cnn(8, 3);
  ImageSet images = test::random_images(30, 8);
  for (std::size_t i = 0; i < images.count(); ++i) images.labels[i] = static_cast<std::uint8_t>(i % 4);
  eval::EnergyTable energy;
  energy.set("ap.compare", 0, "test", 1e-9);
  energy.set("ap.compare_row_bit", 1e-15, "test");
  const ApEvaluation e = ap_evaluate(n, images, {}, {.batch = 7, .racetrack = {8, 2}}, energy, {"random", "test"}, {});
  EXPECT_EQ(e.logit_mismatches, 0U);
  EXPECT_EQ(e.prediction_mismatches, 0U);
  EXPECT_DOUBLE_EQ(e.ap.accuracy(), e.reference.accuracy());
  ASSERT_TRUE(e.ap.energy.has_value());
  EXPECT_TRUE(e.ap.energy->timed);
  EXPECT_FALSE(e.ap.energy->complete());  // writes, shifts... are not in this table: unpriced, not free
  // One compare step per pass, for each of the 5 batches.
  EXPECT_EQ(e.ap.events.count("ap.compare"), e.program_passes * 5);
  const io::ResultFiles f = ap_evaluation_files(e);
  EXPECT_EQ(f.summary["logit_mismatches"], 0);
  EXPECT_EQ(f.table("reports").rows().size(), 2U);
}

TEST(ApStudies, CrossbarBaselineRunsBesideTheApWithItsEnergyRatio) {
  const ternary::Network n = test::small_cnn(9, 4);
  const ImageSet images = test::random_images(20, 9);
  eval::EnergyTable energy;
  energy.set("ap.compare_row_bit", 1e-15, "test");
  CrossbarBaseline baseline;
  baseline.config = {.rows = 16, .columns = 8};
  baseline.energy.set("xbar.read_cycle", 0, "test", 100e-9);
  baseline.energy.set("xbar.array_read", 30e-12, "test", 0.0);
  const ApEvaluation e = ap_evaluate(n, images, {}, {.batch = 8, .racetrack = {8, 2}}, energy, {"random", "test"}, {}, &baseline);
  ASSERT_TRUE(e.crossbar.has_value());
  EXPECT_EQ(e.crossbar_logit_mismatches, 0U);  // 8-bit ADCs cover 16 rows
  EXPECT_DOUBLE_EQ(e.crossbar->accuracy(), e.reference.accuracy());
  // Every array of every product is read 4 times (4-bit activations through 1-bit DACs).
  const eval::Ledger per_image = cim::crossbar_events_per_image(n, baseline.config);
  EXPECT_EQ(e.crossbar->events.count("xbar.array_read"), per_image.count("xbar.array_read") * 20);
  EXPECT_DOUBLE_EQ(e.crossbar->energy->seconds_per_image, per_image.count("xbar.read_cycle") * 100e-9);
  const io::ResultFiles f = ap_evaluation_files(e);
  EXPECT_EQ(f.table("systems").rows().size(), 2U);
  EXPECT_EQ(f.table("reports").rows().size(), 3U);
  EXPECT_EQ(f.summary["crossbar_logit_mismatches"], 0);
  // Both tables leave events unpriced here, so no ratio is claimed.
  EXPECT_FALSE(f.summary.contains("ap_over_crossbar_energy"));
  // Priced completely (1 pJ per event of each), the ratio is the two energies' quotient.
  eval::EnergyTable ap_all;
  for (const auto& [event, count] : e.ap.events.events()) ap_all.set(event, 1e-12, "test");
  CrossbarBaseline priced = baseline;
  priced.energy = {};
  for (const auto& [event, count] : e.crossbar->events.events()) priced.energy.set(event, 1e-12, "test");
  const ApEvaluation p = ap_evaluate(n, images, {}, {.batch = 8, .racetrack = {8, 2}}, ap_all, {"random", "test"}, {}, &priced);
  const io::ResultFiles g = ap_evaluation_files(p);
  ASSERT_TRUE(g.summary.contains("ap_over_crossbar_energy"));
  EXPECT_DOUBLE_EQ(g.summary["ap_over_crossbar_energy"].get<double>(),
                   p.ap.energy->joules_per_image / p.crossbar->energy->joules_per_image);
}

TEST(ApStudies, CrossbarAdcStudyLosesAccuracyOnlyWhenItClips) {
  const ternary::Network n = test::small_cnn(10, 4);
  ImageSet images = test::random_images(25, 10);
  for (std::size_t i = 0; i < images.count(); ++i) images.labels[i] = static_cast<std::uint8_t>(i % 4);
  eval::EnergyTable energy;
  energy.set("xbar.adc_conversion_8bit", 1.6e-12, "test");
  const io::ResultFiles r = crossbar_adc_study(n, images, {.rows = 64, .columns = 8}, {1, 8}, energy, {"random", "test"}, {});
  const nlohmann::json& points = r.summary["points"];
  ASSERT_EQ(points.size(), 2U);
  EXPECT_GT(points[0]["clipped_conversions_percent"].get<double>(), 0);   // 1 bit: counts above 1 clip
  EXPECT_GT(points[0]["logit_mismatches"].get<std::size_t>(), 0U);
  EXPECT_EQ(points[1]["clipped_conversions_percent"].get<double>(), 0);   // 8 bits cover 64 rows
  EXPECT_EQ(points[1]["logit_mismatches"].get<std::size_t>(), 0U);
  EXPECT_FALSE(points[0]["energy_complete"].get<bool>());  // no price for a 1-bit ADC here: unpriced
  EXPECT_EQ(r.table("crossbar_adc").rows().size(), 2U);
  EXPECT_THROW(crossbar_adc_study(n, images, {}, {}, energy, {"random", "test"}, {}), Error);
}

TEST(ApStudies, RecordsReportGroupsByDataAndArchitecture) {
  const auto record = [](const char* data, const char* kind, const char* weights, int bits, double test) {
    return nlohmann::json{{"data", data},
                          {"architecture", {{"kind", kind}, {"weights", weights}, {"activation_bits", bits}}},
                          {"val_accuracy", test + 0.5},
                          {"test_accuracy", test},
                          {"integer_test_accuracy", test}};
  };
  const std::vector<nlohmann::json> records = {record("../shared/data/mnist", "cnn", "ternary", 4, 99.2),
                                               record("../shared/data/mnist/", "cnn", "ternary", 2, 98.1),
                                               record("../shared/data/mnist", "cnn", "float", 32, 99.3),
                                               record("data/fashion-mnist", "mlp", "ternary", 4, 88.9)};
  const io::ResultFiles r = ap_records_report(records, {"a", "b", "c", "d"});
  EXPECT_EQ(r.table("ap_records").rows().size(), 4U);
  const CsvTable& mnist = r.table("ap_bits_mnist_cnn");
  ASSERT_EQ(mnist.rows().size(), 2U);  // the float baseline is a line, not a point
  EXPECT_EQ(mnist.rows()[0][0], "2");  // sorted by bits
  EXPECT_EQ(r.table("ap_bits_fashion-mnist_mlp").rows().size(), 1U);
  EXPECT_EQ(r.summary["series"][1]["float_test_accuracy"], 99.3);
  ASSERT_EQ(r.plots.size(), 1U);
  EXPECT_NE(r.plots[0].second.find("99.3 with lines"), std::string::npos);
  nlohmann::json broken = records[0];
  broken.erase("test_accuracy");
  EXPECT_THROW(ap_records_report({broken}, {"broken.json"}), Error);
}

}  // namespace
}  // namespace mbi::experiment
