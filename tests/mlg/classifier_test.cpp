// The generated network as a classifier: its predictions are the reference logits' argmax on
// any number of threads, its ledger holds one inference's counts per image, its footprint the
// stored bytes by kind, and it refuses images it cannot take.
#include "mbi/mlg/classifier.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "mbi/core/error.hpp"
#include "mbi/core/image_set.hpp"
#include "mlg_fixtures.hpp"

namespace mbi::mlg {
namespace {

using test::random_network;

ImageSet random_images(std::size_t count, int rows, int cols, std::uint64_t seed) {
  ImageSet set;
  set.rows = rows;
  set.cols = cols;
  set.classes = 10;
  set.pixels = test::random_pixels(count * static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols), seed);
  set.labels.assign(count, 0);
  return set;
}

int argmax(const std::vector<float>& v) { return static_cast<int>(std::max_element(v.begin(), v.end()) - v.begin()); }

TEST(InSituClassifier, PredictsTheArgmaxOfTheReferenceLogits) {
  const GeneratedNetwork n = random_network(21);
  const ImageSet images = random_images(13, 12, 12, 4);
  InSituClassifier classifier(n, {.tile = 3}, 1);
  EXPECT_EQ(classifier.system(), "mlg");
  std::vector<int> predictions(images.count(), -7);
  eval::Ledger ledger;
  classifier.classify(images, predictions, ledger);
  for (std::size_t i = 0; i < images.count(); ++i)
    EXPECT_EQ(predictions[i], argmax(reference_logits(n, images.image(i)))) << i;
}

TEST(InSituClassifier, ThePredictionIsTheFirstLargestLogit) {
  // A 1x1 layer of zero weights with equal biases for classes 1 and 3: a tie, class 1 wins.
  GeneratedNetwork n;
  n.input = {1, 2, 2};
  Op dense;
  dense.kind = OpKind::conv;
  dense.out_channels = 4;
  dense.kernel_rows = dense.kernel_cols = 2;
  dense.weight.out = 4;
  dense.weight.in = 1;
  dense.weight.span = 4;
  dense.weight.basis_out = 4;
  dense.weight.coefficients.values.assign(16, 0.0F);
  dense.bias = {0.5F, 2.0F, -1.0F, 2.0F};
  n.ops = {dense};
  InSituClassifier classifier(n);
  const ImageSet images = random_images(3, 2, 2, 1);
  std::vector<int> predictions(3);
  eval::Ledger ledger;
  classifier.classify(images, predictions, ledger);
  EXPECT_EQ(predictions, (std::vector<int>{1, 1, 1}));
}

TEST(InSituClassifier, ThreadsGiveTheSamePredictions) {
  const GeneratedNetwork n = random_network(22, true);
  const ImageSet images = random_images(11, 12, 12, 5);
  std::vector<int> one(images.count()), two(images.count()), three(images.count()), all(images.count());
  eval::Ledger l1, l2, l3, l0;
  InSituClassifier(n, {}, 1).classify(images, one, l1);
  InSituClassifier(n, {}, 2).classify(images, two, l2);
  InSituClassifier(n, {}, 3).classify(images, three, l3);
  InSituClassifier(n, {}, 0).classify(images, all, l0);
  EXPECT_EQ(one, two);
  EXPECT_EQ(one, three);
  EXPECT_EQ(one, all);
  EXPECT_EQ(l1.events(), l2.events());
  // More threads than images, and no images at all.
  const ImageSet few = images.first(2);
  std::vector<int> p(2);
  InSituClassifier(n, {}, 8).classify(few, p, l3);
  EXPECT_EQ(p, (std::vector<int>{one[0], one[1]}));
  std::vector<int> none;
  eval::Ledger empty;
  InSituClassifier(n, {}, 2).classify(images.first(0), none, empty);
  EXPECT_EQ(empty.count("digital.mac"), 0U);
}

TEST(InSituClassifier, LedgerHoldsOneInferencesCountsPerImage) {
  const GeneratedNetwork n = random_network(23);
  const InSituOptions options{.tile = 3};
  const ImageSet images = random_images(7, 12, 12, 6);
  InSituClassifier classifier(n, options, 2);
  std::vector<int> predictions(images.count());
  eval::Ledger ledger;
  classifier.classify(images, predictions, ledger);
  const InSituCounts c = in_situ_counts(n, options);
  ASSERT_GT(c.level1_macs, 0U);
  ASSERT_GT(c.level2_macs, 0U);
  ASSERT_GT(c.buffer_bytes, 0U);
  EXPECT_EQ(ledger.count("dram.read_byte"), c.stored_bytes * 7);
  EXPECT_EQ(ledger.count("mlg.generation_mac"), (c.level1_macs + c.level2_macs) * 7);
  EXPECT_EQ(ledger.count("mlg.buffer_byte"), c.buffer_bytes * 7);
  EXPECT_EQ(ledger.count("digital.mac"), c.network_macs * 7);
  EXPECT_EQ(ledger.events().size(), 4U);
  // A second call adds as much again.
  classifier.classify(images, predictions, ledger);
  EXPECT_EQ(ledger.count("digital.mac"), c.network_macs * 14);
}

TEST(InSituClassifier, FootprintIsTheStoredBytesByKind) {
  const GeneratedNetwork n = test::hand_sized_network();
  const InSituClassifier classifier(n);
  const eval::Footprint f = classifier.footprint();
  std::map<std::string, std::uint64_t> by_kind(f.bytes_by_kind.begin(), f.bytes_by_kind.end());
  // The hand count of generated_network_test.cpp, each kind rounded up to bytes.
  EXPECT_EQ(by_kind["mlg.basis"], 25U);         // 194 bits
  EXPECT_EQ(by_kind["mlg.coefficients"], 17U);  // 130 bits
  EXPECT_EQ(by_kind["mlg.mixing"], 12U);        // 96 bits
  EXPECT_EQ(by_kind["mlg.float_weights"], 864U);
  EXPECT_EQ(by_kind["mlg.norms"], 32U);
  EXPECT_EQ(by_kind["mlg.biases"], 28U);
  EXPECT_EQ(by_kind.size(), 6U);
  // Per-kind rounding adds less than a byte per kind.
  const std::uint64_t stored = n.memory().total_bytes();
  EXPECT_GE(f.total(), stored);
  EXPECT_LE(f.total(), stored + 5);
  const GeneratedNetwork r = random_network(24);
  const eval::Footprint g = InSituClassifier(r).footprint();
  EXPECT_GE(g.total(), r.memory().total_bytes());
  EXPECT_LE(g.total(), r.memory().total_bytes() + 5);
}

TEST(InSituClassifier, MetricsDescribeTheNetwork) {
  const GeneratedNetwork n = test::hand_sized_network();
  const InSituClassifier classifier(n, {.tile = 3});
  std::map<std::string, double> m;
  for (const auto& [name, value] : classifier.metrics()) m[name] = value;
  EXPECT_DOUBLE_EQ(m.at("memory_ratio"), 7812.0 / 9120.0);
  EXPECT_EQ(m.at("stored_bytes"), 977.0);
  EXPECT_EQ(m.at("float_bytes"), 1140.0);
  EXPECT_EQ(m.at("generation_macs_per_image"), 54.0 + 72.0);
  EXPECT_EQ(m.at("network_macs_per_image"), 1530.0);
  EXPECT_EQ(m.size(), 5U);
}

TEST(InSituClassifier, RefusesImagesItCannotTake) {
  const GeneratedNetwork n = random_network(25);
  InSituClassifier classifier(n);
  eval::Ledger ledger;
  std::vector<int> p(3);
  EXPECT_THROW(classifier.classify(random_images(3, 12, 13, 1), p, ledger), Error);
  EXPECT_THROW(classifier.classify(random_images(3, 28, 28, 1), p, ledger), Error);
  std::vector<int> short_span(2);
  EXPECT_THROW(classifier.classify(random_images(3, 12, 12, 1), short_span, ledger), Error);
  EXPECT_TRUE(ledger.empty());
  // A network made for three-channel images cannot take the image sets' single channel.
  GeneratedNetwork colour = n;
  colour.input.channels = 3;
  Random rng(1);
  colour.ops[0] = test::conv(3, 4, 3, 3, 1, 1, true, false, rng, true);
  InSituClassifier colour_classifier(colour);
  EXPECT_THROW(colour_classifier.classify(random_images(3, 12, 12, 1), p, ledger), Error);
  // An invalid network or tile is refused when the classifier is made.
  GeneratedNetwork broken = n;
  broken.ops[0].bias.pop_back();
  EXPECT_THROW(InSituClassifier{broken}, Error);
  EXPECT_THROW(InSituClassifier(n, {.tile = 0}), Error);
}

}  // namespace
}  // namespace mbi::mlg
