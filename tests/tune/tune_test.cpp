// Tuning the lookup distance on a synthetic RAM table: trials run in memory and score what
// the written table scores.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "mbi/core/error.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "mbi/lookup/table_file.hpp"
#include "mbi/tune/trial_evaluator.hpp"
#include "mbi/tune/weight_search.hpp"
#include "mbi/tune/weight_space.hpp"
#include "synthetic_ram.hpp"

namespace mbi::tune {
namespace {

struct Fixture : test::SyntheticRam {
  Fixture() : SyntheticRam(100, 60, 4, false) {}
  const ImageSet& val = other;
};

TEST(TrialEvaluator, ScoresWhatTheWrittenTableScores) {
  Fixture f;
  TableSearch search;
  search.tree_params.max_leaf_size = 16;
  search.trees = 2;
  search.global_trees = 1;
  search.max_comparisons = 60;
  TrialEvaluator evaluator(f.data, f.config, search, 1);
  const auto path = std::filesystem::temp_directory_path() / ("mbi_tune_" + std::to_string(::getpid()) + ".tbl");
  for (const auto& weights : {eq1_segment_weights(f.config, 1, 1, 1), eq1_segment_weights(f.config, 30, 5, 60)}) {
    const double in_memory = evaluator.accuracy(weights, f.val);
    write_table(path, evaluator.weighted(weights, true));
    const Table written = Table::open(path);
    LookupOptions o;
    o.search.max_comparisons = search.max_comparisons;
    EXPECT_DOUBLE_EQ(in_memory, run_lookups(written, f.config, f.val, o, 1, false).accuracy(f.val));
    EXPECT_EQ(&evaluator.prepare(weights), &evaluator.prepare(weights));  // kept, not rebuilt
  }
  std::filesystem::remove(path);
}

TEST(WeightSpace, MapsPointsToSegmentWeights) {
  const RamConfig c = test::small_ram_config();
  const WeightSpace eq1 = make_weight_space("eq1", c);
  EXPECT_EQ(eq1.box.size(), 3U);
  EXPECT_EQ(eq1.segment_weights(c, {1, 1, 1}), eq1_segment_weights(c, 1, 1, 1));
  const WeightSpace scales = make_weight_space("scales", c);
  EXPECT_EQ(scales.box.size(), static_cast<std::size_t>(c.patches) + 2);
  const auto w = scales.segment_weights(c, {10, 20, 40, 80});
  ASSERT_EQ(w.size(), ram_key_layout(c).segments().size());
  EXPECT_EQ(w.back(), 1000U);  // the largest weight becomes the resolution
  EXPECT_EQ(scales.format({10, 20, 40, 80}), "glimpse0=10.00 glimpse1=20.00 hidden=40.00 location=80.00");
  EXPECT_THROW(scales.segment_weights(c, {1, 2}), Error);
  try {
    make_weight_space("nope", c, "--spaces");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--spaces"), std::string::npos);
  }
}

TEST(WeightSearch, SameSeedSameTrials) {
  Fixture f;
  TableSearch search;
  search.max_comparisons = 40;
  TrialEvaluator evaluator(f.data, f.config, search, 1);
  const WeightSpace space = make_weight_space("eq1", f.config);
  const auto run = [&](std::uint64_t seed) {
    TrialReporter quiet(6, false, false);
    return run_search(evaluator, f.val, space, "bo", 6, seed, quiet);
  };
  const SearchRun a = run(3), b = run(3);
  ASSERT_EQ(a.trials.size(), 6U);
  for (std::size_t i = 0; i < a.trials.size(); ++i) {
    EXPECT_EQ(a.trials[i].x, b.trials[i].x);
    EXPECT_EQ(a.trials[i].accuracy, b.trials[i].accuracy);
  }
  EXPECT_EQ(a.best_accuracy, std::max_element(a.trials.begin(), a.trials.end(), [](const auto& x, const auto& y) {
                               return x.accuracy < y.accuracy;
                             })->accuracy);
}

}  // namespace
}  // namespace mbi::tune
