// The figure sweeps as library calls, on a synthetic RAM table and fake teachers: no CLI,
// no LibTorch, no MNIST.
#include <gtest/gtest.h>

#include <cmath>

#include "mbi/core/error.hpp"
#include "mbi/experiment/fig4a.hpp"
#include "mbi/experiment/forest_curve.hpp"
#include "mbi/experiment/hw_studies.hpp"
#include "mbi/experiment/lookup_evaluation.hpp"
#include "mbi/experiment/mixed_threshold.hpp"
#include "mbi/experiment/speed.hpp"
#include "mbi/experiment/sram_pricing.hpp"
#include "mbi/experiment/tree_search.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "mbi/lookup/table_file.hpp"
#include "synthetic_ram.hpp"

namespace mbi::experiment {
namespace {

struct Fixture : test::SyntheticRam {
  Fixture() : SyntheticRam(100, 60, 5, true) {}
  const ImageSet& test = other;
};

// Answers the label the images were made with, but for every fourth image.
class NearlyRight final : public eval::Classifier {
 public:
  std::string system() const override { return "nearly"; }
  eval::Footprint footprint() const override { return {}; }
  void classify(const ImageSet& images, std::span<int> predictions, eval::Ledger&) override {
    for (std::size_t i = 0; i < images.count(); ++i)
      predictions[i] = i % 4 == 0 ? (images.labels[i] + 1) % 3 : images.labels[i];
  }
};

std::vector<int> nearly_right(const ImageSet& images) {
  NearlyRight n;
  std::vector<int> p(images.count());
  eval::Ledger l;
  n.classify(images, p, l);
  return p;
}

TEST(MixedThresholdSweep, EachRowIsThePolicyAppliedByHand) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  LookupOptions o;
  o.search.max_comparisons = 40;
  const LookupRun run = run_lookups(table, f.config, f.test, o, 1, false);
  const std::vector<int> teacher = nearly_right(f.test);
  const double norm = eq1_normalizer(f.config, f.data.segment_weights);
  const io::ResultFiles r = mixed_threshold_sweep(run, teacher, f.test, norm, {0.5, 0.5});
  const CsvTable& csv = r.table("mixed_threshold");
  ASSERT_GT(csv.rows().size(), 2U);
  double last_coverage = -1;
  for (const auto& row : csv.rows()) {
    const double threshold = std::stod(row[0]);
    std::size_t correct = 0, covered = 0;
    for (std::size_t i = 0; i < f.test.count(); ++i) {
      const bool lookup = run.max_distance[i] <= std::floor(threshold * norm);
      covered += lookup ? 1 : 0;
      correct += (lookup ? run.prediction[i] : teacher[i]) == f.test.labels[i] ? 1 : 0;
    }
    EXPECT_NEAR(std::stod(row[1]), 100.0 * correct / f.test.count(), 1e-6);
    EXPECT_NEAR(std::stod(row[2]), static_cast<double>(covered) / f.test.count(), 1e-9);
    EXPECT_GE(std::stod(row[2]), last_coverage);  // coverage grows with the threshold
    last_coverage = std::stod(row[2]);
  }
  EXPECT_DOUBLE_EQ(r.summary["teacher_accuracy"].get<double>(), 75.0);
  EXPECT_TRUE(r.summary.contains("largest_threshold_within_0.5_points_of_teacher"));
  EXPECT_EQ(last_coverage, 1.0);  // the last threshold covers every image
  EXPECT_THROW(mixed_threshold_sweep(run, {}, f.test, norm), Error);
}

// The threshold chosen for a tolerated loss is the largest of the curve within it, and
// choose_threshold_on gives the same choice as the curve built by hand from its two runs.
TEST(MixedThreshold, ChoosesTheLargestThresholdWithinTheLoss) {
  const std::vector<MixedPoint> curve = {{0, 80.0, 0.0, 100.0}, {1, 79.8, 0.5, 90.0}, {2, 79.0, 0.7, 85.0},
                                         {3, 79.6, 0.8, 84.0}, {4, 70.0, 1.0, 70.0}};
  EXPECT_EQ(choose_threshold(curve, 80.0, 0.5, 10).point.threshold, 3.0);  // 79.6 >= 79.5: past the dip at 2
  EXPECT_EQ(choose_threshold(curve, 80.0, 0.1, 10).point.threshold, 0.0);
  EXPECT_EQ(choose_threshold(curve, 80.0, 10.0, 10).point.threshold, 4.0);
  EXPECT_EQ(choose_threshold(curve, 90.0, 0.5, 10).point.threshold, 0.0);  // none within: exact matches only

  Fixture f;
  const Table table = Table::borrow(f.data);
  LookupOptions o;
  o.search.max_comparisons = 40;
  NearlyRight teacher;
  MixedThresholdOptions choice;
  choice.max_loss = 2.0;
  const ThresholdChoice c = choose_threshold_on(table, f.config, f.test, o, teacher, choice, 2);
  const LookupRun run = run_lookups(table, f.config, f.test, o, 1, false);
  const double norm = eq1_normalizer(f.config, f.data.segment_weights);
  const ThresholdChoice by_hand =
      choose_threshold(mixed_curve(run, nearly_right(f.test), f.test, norm, choice.step), 75.0, 2.0, f.test.count());
  EXPECT_EQ(c.point.threshold, by_hand.point.threshold);
  EXPECT_EQ(c.point.accuracy, by_hand.point.accuracy);
  EXPECT_EQ(c.teacher_accuracy, 75.0);
  EXPECT_TRUE(c.point.accuracy >= 73.0 || c.point.threshold == 0.0) << c.point.accuracy;
  EXPECT_EQ(c.images, f.test.count());
  ImageSet empty = f.test;
  empty.pixels.clear();
  empty.labels.clear();
  EXPECT_THROW(choose_threshold_on(table, f.config, empty, o, teacher, choice, 1), Error);
}

// issue 20: a per-step budget's record says what was asked and what the steps spent.
TEST(ComparisonBudget, SaysWhatWasAskedAndWhatWasSpent) {
  LookupRun run;
  run.step_comparisons = {400, 410, 380, 497, 400, 450, 390, 400, 401, 420};
  const nlohmann::json j = comparison_budget_json(run, 400);
  EXPECT_EQ(j["asked_per_step"].get<std::uint32_t>(), 400U);
  EXPECT_DOUBLE_EQ(j["spent_per_step"]["mean"].get<double>(), 4148.0 / 10);
  EXPECT_EQ(j["spent_per_step"]["max"].get<std::uint32_t>(), 497U);
  EXPECT_EQ(j["spent_per_step"]["p90"].get<std::uint32_t>(), 450U);  // sorted index round(0.9 x 9) = 8
  EXPECT_DOUBLE_EQ(j["steps_over_budget"].get<double>(), 0.5);   // 410, 497, 450, 401, 420
  EXPECT_TRUE(j.contains("note"));
  const nlohmann::json none = comparison_budget_json(run, 0);
  EXPECT_DOUBLE_EQ(none["steps_over_budget"].get<double>(), 0.0);
  EXPECT_TRUE(comparison_budget_json(LookupRun{}, 400)["spent_per_step"].is_null());
}

TEST(TreeSearchExperiment, BoundedSearchFindsEveryExhaustiveBest) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  TreeSearchStudy o;
  o.probes = {1, 1};
  o.max_comparisons = {0, 200};
  o.epsilons = {0.0};
  const io::ResultFiles r = tree_search_experiment(table, f.config, f.test, o);
  EXPECT_EQ(r.summary["queries"], f.test.count() * static_cast<std::size_t>(f.config.glimpses));
  const auto& by = r.summary["by_probes"];
  ASSERT_EQ(by.size(), 3U);
  EXPECT_LE(by[0]["recall_of_searched_rows_best"].get<double>(), by[1]["recall_of_searched_rows_best"].get<double>());
  EXPECT_DOUBLE_EQ(by[2]["recall_of_searched_rows_best"].get<double>(), 1.0);
  EXPECT_EQ(r.table("tree_vs_exhaustive").rows().size(), 3 * r.summary["queries"].get<std::size_t>());
  o.max_comparisons = {5};
  EXPECT_THROW(tree_search_experiment(table, f.config, f.test, o), Error);  // one budget per probes entry
}

TEST(ForestCurve, OneRowPerForestAndBudget) {
  Fixture f;
  tune::TableSearch tree;
  tree.tree_params.max_leaf_size = 16;
  ForestCurveOptions o;
  o.forests = {{1, 0}, {2, 1}};
  o.budgets = {20, 80};
  const io::ResultFiles r = forest_curve(f.data, f.config, tree, f.test, o);
  const auto& rows = r.summary["by_forest"];
  ASSERT_EQ(rows.size(), 4U);
  TableData two = f.data;
  two.build_tree(tree.tree_params, true, 2, 1);
  EXPECT_EQ(rows[2]["table_bytes"].get<std::size_t>(), table_file_bytes(two));
  EXPECT_GT(rows[2]["resident_bytes"].get<std::size_t>(), rows[2]["table_bytes"].get<std::size_t>());
  EXPECT_EQ(parse_forest("4:1").global_trees, 1U);
  EXPECT_THROW(parse_forest("2:2"), Error);
  EXPECT_THROW(parse_forest("x"), Error);
}

TEST(Fig4a, DistilsEachFractionAndTunesOnValidationOnly) {
  Fixture f;
  const ImageSet val = test::blob_images(f.config, 40, 6);
  std::vector<double> fractions_seen;
  Fig4aTeacher teacher;
  teacher.distill = [&](const ImageSet& images, double fraction) {
    fractions_seen.push_back(fraction);
    const ImageSet share = images.first(static_cast<std::size_t>(std::llround(fraction * images.count())));
    TableData t = test::distill_synthetic(f.config, share);
    return t;
  };
  Fig4aOptions o;
  o.fractions = {0.5, 1.0};
  o.budget = 3;
  o.search.max_comparisons = 40;
  const io::ResultFiles r = fig4a_experiment(teacher, f.config, {f.train, val, f.test}, o);
  EXPECT_EQ(fractions_seen, o.fractions);
  const auto& rows = r.summary["fractions"];
  ASSERT_EQ(rows.size(), 2U);
  EXPECT_LT(rows[0]["rows"].get<std::size_t>(), rows[1]["rows"].get<std::size_t>());
  EXPECT_TRUE(rows[1]["tuned"].contains("eq1"));
  EXPECT_EQ(rows[1]["published"]["bo"], 89.19);
  EXPECT_EQ(r.table("fig4a").rows().size(), 2U);
}

TEST(HwStudies, IdealArraysReproduceTheDigitalLookup) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  const hw::HwConfig config = hw::default_hw_config();
  HwLookups lookups{table, f.config, f.test};
  HwAccuracyOptions o;
  o.coding = "thermometer";
  const io::ResultFiles r = hw_accuracy_study(lookups, config, o);
  const auto& ideal = r.summary["variants"][0];
  EXPECT_DOUBLE_EQ(ideal["agreement_with_digital"].get<double>(), 100.0);
  EXPECT_DOUBLE_EQ(ideal["accuracy"].get<double>(), r.summary["digital"]["accuracy"].get<double>());
  const MeasuredWorkload m = measure_workload(lookups, config, "thermometer", 1);
  EXPECT_GT(m.comparisons_per_image, 0.0);
  EXPECT_EQ(m.arrays_per_key, static_cast<double>(sram_arrays_per_key(f.config, config, hw::Coding::thermometer)));
}

TEST(HwStudies, NoiseStudyRefusesBadLevelsAndReportsThePublishedCurve) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  HwLookups lookups{table, f.config, f.test};
  HwNoiseOptions o;
  o.sigmas = {0, 3};
  o.mitigations = {"reads:2"};
  o.emerging = false;
  const io::ResultFiles r = hw_noise_study(lookups, hw::default_hw_config(), o);
  EXPECT_EQ(r.summary["published"]["accuracy"][3], 78.09);
  EXPECT_EQ(r.table("noise_distance").rows().size(), 2U);
  o.sigmas = {-1};
  EXPECT_THROW(hw_noise_study(lookups, hw::default_hw_config(), o), Error);
}

TEST(Speed, TimesEveryPathAndReportsRatios) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  NearlyRight b1, b256;
  int epochs = 0;
  SpeedPeers peers{b1, b256, [&] {
                     ++epochs;
                     return 1.5;
                   }};
  SpeedOptions o;
  o.budgets = {0, 40};
  o.repeats = 2;
  o.batch1_images = 10;
  o.exhaustive_images = 5;
  const io::ResultFiles r = speed_experiment(peers, &table, f.config, f.test, o);
  EXPECT_EQ(epochs, 1);
  EXPECT_EQ(r.summary["train_seconds_per_epoch"], 1.5);
  EXPECT_EQ(r.summary["lookup_tree_by_budget"].size(), 2U);
  EXPECT_GT(r.summary["tree_vs_teacher_batch256"].get<double>(), 0.0);
  const io::ResultFiles teacher_only = speed_experiment({b1, b256, nullptr}, nullptr, f.config, f.test, o);
  EXPECT_FALSE(teacher_only.summary.contains("lookup_tree_by_budget"));
  EXPECT_FALSE(r.summary.contains("mixed"));
}

TEST(Speed, TimesMixedModeAsLookupsWithTheTeacherBehind) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  NearlyRight b1, b256;
  SpeedOptions o;
  o.budgets = {0};
  o.repeats = 2;
  o.batch1_images = 10;
  o.exhaustive_images = 5;
  // A threshold past every distance: lookups answer every image, as one leaf alone does.
  o.mixed_threshold = 1e9;
  const nlohmann::json all = speed_experiment({b1, b256, nullptr}, &table, f.config, f.test, o).summary;
  EXPECT_EQ(all["mixed"]["coverage"], 1.0);
  EXPECT_EQ(all["mixed"]["teacher_images"], 0U);
  EXPECT_EQ(all["mixed"]["accuracy"], all["lookup_tree_accuracy"]);
  EXPECT_GT(all["mixed"]["vs_teacher_batch256"].get<double>(), 0.0);
  // Threshold 0: only exact matches all the way stay with the lookups; the teacher takes the rest.
  o.mixed_threshold = 0;
  const nlohmann::json exact = speed_experiment({b1, b256, nullptr}, &table, f.config, f.test, o).summary;
  const auto n = static_cast<double>(f.test.count());
  EXPECT_LT(exact["mixed"]["coverage"].get<double>(), 1.0);
  EXPECT_DOUBLE_EQ(exact["mixed"]["coverage"].get<double>(), 1.0 - exact["mixed"]["teacher_images"].get<double>() / n);
  EXPECT_THROW(speed_experiment({b1, b256, nullptr}, nullptr, f.config, f.test, o), Error);
}

}  // namespace
}  // namespace mbi::experiment
