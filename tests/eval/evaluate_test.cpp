// The evaluation contract on a classifier whose answers and costs are known: what evaluate()
// reports must follow from them exactly.
#include "mbi/eval/report.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "mbi/core/error.hpp"

namespace mbi::eval {
namespace {

// Predicts label (i % 3), spends 7 "test.op" and 2 "test.read" per image, stores 100 bytes.
class Modulo final : public Classifier {
 public:
  std::string system() const override { return "modulo"; }
  Footprint footprint() const override {
    Footprint f;
    f.add("weights", 60);
    f.add("buffers", 40);
    return f;
  }
  void classify(const ImageSet& images, std::span<int> predictions, Ledger& ledger) override {
    for (std::size_t i = 0; i < images.count(); ++i) predictions[i] = static_cast<int>(i % 3);
    ledger.add("test.op", 7 * images.count());
    ledger.add("test.read", 2 * images.count());
    ++calls;
  }
  std::vector<std::pair<std::string, double>> metrics() const override { return {{"calls", calls}}; }
  int calls = 0;
};

ImageSet images(std::size_t n) {
  ImageSet s;
  s.rows = 2;
  s.cols = 3;
  s.classes = 3;
  s.pixels.assign(n * 6, 0);
  for (std::size_t i = 0; i < n; ++i) s.labels.push_back(static_cast<std::uint8_t>((i / 2) % 3));
  return s;
}

TEST(Evaluate, ReportsWhatTheClassifierDidAndPricesIt) {
  Modulo m;
  const ImageSet set = images(12);
  std::size_t correct = 0;
  for (std::size_t i = 0; i < 12; ++i) correct += (i % 3) == set.labels[i] ? 1 : 0;
  EnergyTable energy;
  energy.set("test.op", 2e-12, "a test");
  std::vector<int> predicted;
  Provenance from;
  from.command = "mbi eval";
  from.seed = 4;
  const Report r = evaluate(m, set, {"generated", "test"}, &energy, from, &predicted);
  EXPECT_EQ(r.system, "modulo");
  EXPECT_EQ(r.dataset, "generated");
  EXPECT_EQ(r.split, "test");
  EXPECT_EQ(r.images, 12U);
  EXPECT_EQ(r.correct, correct);
  EXPECT_DOUBLE_EQ(r.accuracy(), 100.0 * static_cast<double>(correct) / 12.0);
  EXPECT_EQ(r.footprint.total(), 100U);
  EXPECT_EQ(r.events.count("test.op"), 84U);
  EXPECT_EQ(r.events.count("test.read"), 24U);
  EXPECT_EQ(r.events.count("absent"), 0U);
  ASSERT_TRUE(r.energy.has_value());
  EXPECT_NEAR(r.energy->joules_per_image, 7 * 2e-12, 1e-24);
  ASSERT_EQ(r.energy->unpriced, std::vector<std::string>{"test.read"});  // unknown, not zero
  EXPECT_FALSE(r.energy->complete());
  EXPECT_EQ(r.metric("calls"), 1.0);
  EXPECT_FALSE(r.metric("absent").has_value());
  EXPECT_EQ(r.provenance.seed, 4U);
  ASSERT_EQ(predicted.size(), 12U);
  for (std::size_t i = 0; i < 12; ++i) EXPECT_EQ(predicted[i], static_cast<int>(i % 3));
  EXPECT_GE(r.seconds, 0.0);
}

TEST(Evaluate, NoEnergyTableNoEnergyAndNoImagesNoAccuracy) {
  Modulo m;
  const Report r = evaluate(m, images(0), {"none", "test"});
  EXPECT_FALSE(r.energy.has_value());
  EXPECT_EQ(r.accuracy(), 0.0);
  EXPECT_EQ(r.images_per_second(), 0.0);
}

TEST(Ledger, AddsAndMerges) {
  Ledger a;
  a.add("x", 3);
  a.add("y", 1);
  a.add("x", 4);
  Ledger b;
  b.add("y", 10);
  b.add("z", 2);
  a += b;
  EXPECT_EQ(a.count("x"), 7U);
  EXPECT_EQ(a.count("y"), 11U);
  EXPECT_EQ(a.count("z"), 2U);
  EXPECT_EQ(a.events().size(), 3U);
  EXPECT_EQ(a.events().begin()->first, "x");  // name order
}

TEST(Footprint, KeepsKindsInOrderAndSums) {
  Footprint f;
  f.add("b", 5);
  f.add("a", 1);
  f.add("b", 2);
  Footprint g;
  g.add("c", 10);
  f += g;
  ASSERT_EQ(f.bytes_by_kind.size(), 3U);
  EXPECT_EQ(f.bytes_by_kind[0], (std::pair<std::string, std::uint64_t>{"b", 7}));
  EXPECT_EQ(f.bytes_by_kind[2].first, "c");
  EXPECT_EQ(f.total(), 18U);
}

TEST(EnergyTable, RefusesBadCostsAndDisagreements) {
  EnergyTable t;
  EXPECT_THROW(t.set("e", -1, "s"), Error);
  EXPECT_THROW(t.set("e", std::nan(""), "s"), Error);
  EXPECT_THROW(t.set("e", std::numeric_limits<double>::infinity(), "s"), Error);
  EXPECT_THROW(t.set("e", 1e-12, ""), Error);  // a constant without its source
  EXPECT_THROW(t.set("", 1e-12, "s"), Error);
  t.set("e", 1e-12, "s");
  EXPECT_DOUBLE_EQ(t.joules("e", 2.5), 2.5e-12);
  EXPECT_THROW(t.joules("f", 1), Error);
  EnergyTable same;
  same.set("e", 1e-12, "another source");
  EXPECT_NO_THROW(t.merge(same));
  EnergyTable other;
  other.set("e", 2e-12, "s");
  EXPECT_THROW(t.merge(other), Error);
  EnergyTable more;
  more.set("g", 3e-12, "s");
  t.merge(more);
  EXPECT_NE(t.find("g"), nullptr);
  Ledger l;
  l.add("e", 10);
  l.add("g", 1);
  const EnergyEstimate e = t.price(l, 2);
  EXPECT_NEAR(e.joules_per_image, (10e-12 + 3e-12) / 2, 1e-24);
  EXPECT_TRUE(e.complete());
  ASSERT_EQ(e.joules_by_event.size(), 2U);
  EXPECT_FALSE(e.timed);  // no latencies in the table: no time reported
  EXPECT_TRUE(e.untimed.empty());
}

TEST(EnergyTable, AddsUpLatenciesWhereTheTableHasThem) {
  EnergyTable t;
  t.set("step", 0, "s", 2e-9);
  t.set("bit", 1e-15, "s");
  EXPECT_THROW(t.set("bad", 0, "s", -1e-9), Error);
  EXPECT_THROW(t.set("bad", 0, "s", std::nan("")), Error);
  EnergyTable slower;
  slower.set("step", 0, "s", 3e-9);
  EXPECT_THROW(t.merge(slower), Error);  // the same event at two latencies
  Ledger l;
  l.add("step", 100);
  l.add("bit", 4000);
  const EnergyEstimate e = t.price(l, 4);
  EXPECT_TRUE(e.timed);
  EXPECT_NEAR(e.seconds_per_image, 100 * 2e-9 / 4, 1e-18);
  ASSERT_EQ(e.untimed.size(), 1U);
  EXPECT_EQ(e.untimed[0], "bit");
  EXPECT_NEAR(e.joules_per_image, 4000 * 1e-15 / 4, 1e-24);
}

}  // namespace
}  // namespace mbi::eval
