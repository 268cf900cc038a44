// The AP studies on a small random ternary CNN: the compiler study's rows and savings, and an
// evaluation whose AP agrees with the integer reference on every image and is priced in
// energy and time.
#include "mbi/experiment/ap_studies.hpp"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace mbi::experiment
