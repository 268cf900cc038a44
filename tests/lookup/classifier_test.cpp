// Lookups and mixed mode behind the evaluation contract, on a synthetic RAM table.
#include "mbi/lookup/classifier.hpp"

#include <gtest/gtest.h>

#include "mbi/core/error.hpp"
#include "mbi/eval/report.hpp"
#include "mbi/lookup/mixed.hpp"
#include "synthetic_ram.hpp"

namespace mbi {
namespace {

// A fallback that answers 2 for every image it is given and counts them.
class Fallback final : public eval::Classifier {
 public:
  std::string system() const override { return "fallback"; }
  eval::Footprint footprint() const override {
    eval::Footprint f;
    f.add("model.weights", 1000);
    return f;
  }
  void classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) override {
    for (int& p : predictions) p = 2;
    ledger.add("fallback.image", images.count());
    seen += images.count();
  }
  std::size_t seen = 0;
};

struct Fixture : test::SyntheticRam {
  Fixture() : SyntheticRam(120, 80, 3, true) {}
};

TEST(LookupClassifier, ReportsPredictionsComparisonsAndBytes) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  LookupOptions o;
  o.search.max_comparisons = 50;
  LookupClassifier lookups(table, f.config, o, 2);
  lookups.count_per_comparison("sram.array_match", 3);
  const LookupRun direct = run_lookups(table, f.config, f.other, o, 1, false);
  std::vector<int> predicted;
  const eval::Report r = eval::evaluate(lookups, f.other, {"synthetic", "test"}, nullptr, {}, &predicted);
  EXPECT_EQ(r.system, "mbi");
  EXPECT_EQ(predicted, direct.prediction);
  EXPECT_EQ(r.events.count("lookup.key_comparison"), direct.comparisons);
  EXPECT_EQ(r.events.count("sram.array_match"), 3 * direct.comparisons);
  EXPECT_EQ(r.footprint.total(), table.resident_bytes());
  EXPECT_EQ(r.metric("coverage"), 1.0);
  EXPECT_DOUBLE_EQ(*r.metric("comparisons_per_image"),
                   static_cast<double>(direct.comparisons) / static_cast<double>(f.other.count()));
  ImageSet wrong = f.other;
  wrong.cols += 1;
  std::vector<int> out(wrong.count());
  eval::Ledger ledger;
  EXPECT_THROW(lookups.classify(wrong, out, ledger), Error);
}

// Mixed mode hands exactly the images whose worst step exceeds the threshold to the
// fallback, and keeps the lookups' answers for the others: the same rule the threshold
// sweep replays on finished lookups.
TEST(MixedClassifier, FallsBackExactlyWhereThePolicySays) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  const double norm = eq1_normalizer(f.config, f.data.segment_weights);
  LookupOptions full;
  full.search.max_comparisons = 50;
  const LookupRun finished = run_lookups(table, f.config, f.other, full, 1, false);
  std::vector<std::uint32_t> worst = finished.max_distance;
  std::nth_element(worst.begin(), worst.begin() + 40, worst.end());
  const double threshold = static_cast<double>(worst[40]) / norm;
  const MixedPolicy policy(threshold, norm);

  LookupOptions stopping = full;
  stopping.stop_above = policy.stop_above();
  LookupClassifier lookups(table, f.config, stopping);
  Fallback fallback;
  MixedClassifier mixed(lookups, fallback);
  std::vector<int> predicted;
  const eval::Report r = eval::evaluate(mixed, f.other, {"synthetic", "test"}, nullptr, {}, &predicted);
  std::size_t expect_fallback = 0;
  for (std::size_t i = 0; i < f.other.count(); ++i) {
    const bool lookups_answer = policy.lookups_answer(finished.max_distance[i]);
    expect_fallback += lookups_answer ? 0 : 1;
    EXPECT_EQ(predicted[i], lookups_answer ? finished.prediction[i] : 2) << "image " << i;
  }
  EXPECT_GT(expect_fallback, 0U);
  EXPECT_LT(expect_fallback, f.other.count());
  EXPECT_EQ(mixed.fallback_images().size(), expect_fallback);
  EXPECT_EQ(fallback.seen, expect_fallback);
  EXPECT_EQ(r.events.count("fallback.image"), expect_fallback);
  EXPECT_EQ(r.system, "mixed");
  EXPECT_EQ(r.footprint.total(), table.resident_bytes() + 1000);
  EXPECT_DOUBLE_EQ(*r.metric("fallback_images"), static_cast<double>(expect_fallback));
  // Early stops spend fewer comparisons than finishing every image.
  EXPECT_LT(r.events.count("lookup.key_comparison"), finished.comparisons);
}

TEST(MixedPolicy, ThresholdsAreFlooredRawDistances) {
  const MixedPolicy p(2.5, 10.0);  // raw 25
  EXPECT_TRUE(p.lookups_answer(25));
  EXPECT_FALSE(p.lookups_answer(26));
  EXPECT_EQ(p.stop_above(), 25U);
  EXPECT_EQ(MixedPolicy(0.0, 10.0).stop_above(), 0U);
  EXPECT_EQ(MixedPolicy(1e12, 10.0).stop_above(), 4000000000U);
}

}  // namespace
}  // namespace mbi
