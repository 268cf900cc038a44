// The AP studies on a small random ternary CNN: the compiler study's rows and savings, and an
// evaluation whose AP agrees with the integer reference on every image and is priced in
// energy and time.
#include "mbi/experiment/ap_studies.hpp"

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
