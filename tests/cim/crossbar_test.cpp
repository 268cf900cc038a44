// The crossbar baseline: with ADCs wide enough its logits equal the integer reference's for
// every array size and DAC width; with narrow ADCs they equal an independent model that clips
// each column count; its events per image match a hand count; bad configurations are refused.
#include "mbi/cim/crossbar.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <vector>

#include "mbi/core/error.hpp"
#include "mbi/ternary/reference.hpp"
#include "ternary_fixtures.hpp"

namespace mbi::cim {
namespace {

using test::random_images;
using test::small_cnn;
using ternary::Layer;
using ternary::LayerKind;
using ternary::Network;
using ternary::Shape;

std::vector<std::vector<std::int64_t>> classify(const Network& n, const CrossbarConfig& c, const ImageSet& images,
                                                double* clipped_percent = nullptr) {
  CrossbarClassifier crossbar(n, c);
  std::vector<int> predictions(images.count());
  eval::Ledger ledger;
  crossbar.classify(images, predictions, ledger);
  for (std::size_t i = 0; i < images.count(); ++i) {
    const auto& y = crossbar.last_logits()[i];
    EXPECT_EQ(predictions[i], std::max_element(y.begin(), y.end()) - y.begin());
  }
  if (clipped_percent)
    for (const auto& [name, value] : crossbar.metrics())
      if (name == "clipped_conversions_percent") *clipped_percent = value;
  return crossbar.last_logits();
}

TEST(Crossbar, BitIdenticalToTheReferenceWhenTheAdcCoversAnArray) {
  const ImageSet images = random_images(12, 5);
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Network n = small_cnn(seed, seed == 2 ? 2 : 4);
    struct Case {
      int rows, columns, dac;
    };
    for (const Case k : {Case{128, 128, 1}, Case{4, 2, 1}, Case{7, 6, 2}, Case{64, 8, 3}, Case{5, 4, 4}}) {
      CrossbarConfig c{.rows = k.rows, .columns = k.columns, .dac_bits = k.dac};
      // Wide enough: a column of `rows` cells each seeing at most 2^dac - 1.
      c.adc_bits = std::bit_width(static_cast<unsigned>(k.rows * ((1 << k.dac) - 1)));
      double clipped = -1;
      const auto logits = classify(n, c, images, &clipped);
      EXPECT_EQ(clipped, 0.0);
      for (std::size_t i = 0; i < images.count(); ++i)
        ASSERT_EQ(logits[i], ternary::logits(n, images.image(i))) << "seed " << seed << " rows " << k.rows << " image " << i;
    }
  }
}

// An independent model of a clipping crossbar: for every output and polarity, every row tile
// and every DAC slice, count the inputs' slice values on the column's cells, clip, weigh.
std::vector<std::int64_t> clipped_forward(const Network& n, const CrossbarConfig& c, const std::uint8_t* pixels) {
  const int tpc = n.levels() - 1;
  const std::int64_t adc_max = (std::int64_t{1} << c.adc_bits) - 1;
  std::vector<std::int64_t> a;
  for (std::size_t i = 0; i < n.input.size(); ++i) a.push_back(ternary::level_of(pixels[i], n.input_thresholds.data(), tpc, true));
  Shape in = n.input;
  const std::vector<Shape> shapes = n.shapes();
  for (std::size_t li = 0; li < n.layers.size(); ++li) {
    const Layer& l = n.layers[li];
    const Shape s = shapes[li];
    std::vector<std::int64_t> y(s.size(), 0);
    if (l.kind == LayerKind::max_pool) {
      for (int ch = 0; ch < s.channels; ++ch)
        for (int r = 0; r < s.rows * l.kernel; ++r)
          for (int col = 0; col < s.cols * l.kernel; ++col) {
            auto& m = y[(static_cast<std::size_t>(ch) * s.rows + r / l.kernel) * s.cols + col / l.kernel];
            m = std::max(m, a[(static_cast<std::size_t>(ch) * in.rows + r) * in.cols + col]);
          }
    } else {
      const bool conv = l.kind == LayerKind::conv;
      const int k = conv ? l.kernel : 1;
      for (int r = 0; r < s.rows; ++r)
        for (int col = 0; col < s.cols; ++col) {
          std::vector<std::int64_t> field;
          if (conv) {
            for (int i = 0; i < in.channels; ++i)
              for (int kr = 0; kr < k; ++kr)
                for (int kc = 0; kc < k; ++kc) {
                  const int ir = r + kr - l.padding, ic = col + kc - l.padding;
                  field.push_back(ir < 0 || ic < 0 || ir >= in.rows || ic >= in.cols
                                      ? 0
                                      : a[(static_cast<std::size_t>(i) * in.rows + ir) * in.cols + ic]);
                }
          } else {
            field = a;
          }
          for (int o = 0; o < l.out_channels; ++o) {
            std::int64_t total = 0;
            for (int sign : {1, -1})
              for (std::size_t start = 0; start < field.size(); start += static_cast<std::size_t>(c.rows))
                for (int first = 0; first < n.activation_bits; first += c.dac_bits) {
                  std::int64_t count = 0;
                  for (std::size_t j = start; j < std::min(field.size(), start + static_cast<std::size_t>(c.rows)); ++j)
                    if (l.weights[static_cast<std::size_t>(o) * field.size() + j] == sign)
                      count += (field[j] >> first) & ((1 << c.dac_bits) - 1);
                  total += sign * (std::min(count, adc_max) << first);
                }
            y[(static_cast<std::size_t>(o) * s.rows + r) * s.cols + col] = total;
          }
        }
      if (l.has_activation)
        for (int o = 0; o < l.out_channels; ++o)
          for (int p = 0; p < s.rows * s.cols; ++p) {
            auto& v = y[static_cast<std::size_t>(o) * s.rows * s.cols + p];
            v = ternary::level_of(v, l.thresholds.data() + static_cast<std::size_t>(o) * tpc, tpc, l.rising[o] != 0);
          }
    }
    a = y;
    in = s;
  }
  return a;
}

TEST(Crossbar, NarrowAdcsClipEachColumnCountAsAnIndependentModelDoes) {
  const ImageSet images = random_images(10, 8);
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Network n = small_cnn(seed, 3);
    for (const CrossbarConfig c : {CrossbarConfig{.rows = 16, .columns = 8, .adc_bits = 2, .dac_bits = 1},
                                   CrossbarConfig{.rows = 9, .columns = 4, .adc_bits = 3, .dac_bits = 2},
                                   CrossbarConfig{.rows = 128, .columns = 128, .adc_bits = 4, .dac_bits = 3}}) {
      double clipped = -1;
      const auto logits = classify(n, c, images, &clipped);
      EXPECT_GT(clipped, 0.0) << "the case should clip";
      for (std::size_t i = 0; i < images.count(); ++i)
        ASSERT_EQ(logits[i], clipped_forward(n, c, images.image(i))) << "seed " << seed << " image " << i;
    }
  }
}

// 6 pixels, 2-bit activations, dense 6 -> 3 -> 2 on arrays of 4 x 4.
Network tiny_dense() {
  Network n;
  n.input = {1, 2, 3};
  n.activation_bits = 2;
  n.input_thresholds = {64, 128, 192};
  Layer d1{.kind = LayerKind::dense, .out_channels = 3};
  d1.weights = {1, -1, 0, 1, 1, 0, 0, 0, 1, -1, 1, 1, -1, -1, -1, 0, 0, 1};
  d1.has_activation = true;
  d1.thresholds = {0, 2, 4, 0, 2, 4, 4, 2, 0};
  d1.rising = {1, 1, 0};
  Layer d2{.kind = LayerKind::dense, .out_channels = 2};
  d2.weights = {1, 0, -1, -1, 1, 1};
  n.layers = {d1, d2};
  n.validate();
  return n;
}

TEST(Crossbar, EventsPerImageMatchAHandCount) {
  const Network n = tiny_dense();
  const CrossbarConfig c{.rows = 4, .columns = 4, .adc_bits = 8, .dac_bits = 1};
  const std::vector<LayerMapping> m = map_network(n, c);
  ASSERT_EQ(m.size(), 2U);
  // Layer 1: 6 inputs on 2 row tiles, 3 outputs = 6 columns on 2 column tiles, 2 one-bit slices.
  EXPECT_EQ(m[0].row_tiles, 2U);
  EXPECT_EQ(m[0].column_tiles, 2U);
  EXPECT_EQ(m[0].arrays, 4U);
  EXPECT_EQ(m[0].cells, 36U);
  EXPECT_EQ(m[0].slices, 2);
  EXPECT_EQ(m[1].arrays, 1U);
  const eval::Ledger e = crossbar_events_per_image(n, c);
  EXPECT_EQ(e.count("xbar.read_cycle"), 4U);         // 2 slices x 2 layers
  EXPECT_EQ(e.count("xbar.array_read"), 10U);        // 2 x 4 + 2 x 1
  EXPECT_EQ(e.count("xbar.dac_drive"), 30U);         // 2 slices x 6 rows x 2 column tiles + 2 x 3 x 1
  EXPECT_EQ(e.count("xbar.adc_conversion_8bit"), 32U);  // 2 x 2 row tiles x 6 columns + 2 x 1 x 4
  EXPECT_EQ(e.count("xbar.sample_hold"), 32U);
  EXPECT_EQ(e.count("xbar.shift_add"), 37U);         // 32 + one subtraction per output (3 + 2)
  EXPECT_EQ(e.count("xbar.buffer_read_bit"), 66U);   // 6 pixels x 8 + 6 x 2 + 3 x 2
  EXPECT_EQ(e.count("xbar.buffer_write_bit"), 82U);  // 6 levels x 2 + 3 x 2 + 2 logits x 32
  EXPECT_EQ(e.count("xbar.digital_op"), 18U);        // 2 compares per level: 6 pixels + 3 outputs
  // The classifier adds them once per image, and its footprint counts the cells.
  CrossbarClassifier crossbar(n, c);
  ImageSet images;
  images.rows = 2;
  images.cols = 3;
  images.classes = 2;
  images.pixels = {0, 70, 130, 200, 255, 10, 255, 255, 0, 0, 128, 64};
  images.labels = {0, 1};
  std::vector<int> predictions(2);
  eval::Ledger ledger;
  crossbar.classify(images, predictions, ledger);
  EXPECT_EQ(ledger.count("xbar.array_read"), 20U);
  EXPECT_EQ(crossbar.last_logits()[0], ternary::logits(n, images.image(0)));
  EXPECT_EQ(crossbar.last_logits()[1], ternary::logits(n, images.image(1)));
  EXPECT_EQ(crossbar.footprint().total(), (36U + 12U + 7U) / 8 + n.threshold_bytes());
}

TEST(Crossbar, RefusesBadConfigurationsAndOtherImageSizes) {
  const Network n = small_cnn(1, 4);
  EXPECT_THROW(CrossbarClassifier(n, {.rows = 0}), Error);
  EXPECT_THROW(CrossbarClassifier(n, {.columns = 3}), Error);
  EXPECT_THROW(CrossbarClassifier(n, {.adc_bits = 0}), Error);
  EXPECT_THROW(CrossbarClassifier(n, {.dac_bits = 9}), Error);
  CrossbarClassifier crossbar(n, {});
  ImageSet other;
  other.rows = 9;
  other.cols = 10;
  other.classes = 4;
  other.pixels.assign(90, 0);
  other.labels = {0};
  std::vector<int> predictions(1);
  eval::Ledger ledger;
  EXPECT_THROW(crossbar.classify(other, predictions, ledger), Error);
}

// PCM parameters without any noise or drift: every cell reads exactly its target.
device::PcmParameters noiseless() {
  device::PcmParameters p;
  p.programming_c0 = p.programming_c1 = p.programming_c2 = 0;
  p.drift_mu_slope = p.drift_mu_offset = p.drift_mu_min = p.drift_mu_max = 0;
  p.drift_sigma_slope = p.drift_sigma_offset = p.drift_sigma_min = p.drift_sigma_max = 0;
  p.read_q_scale = 0;
  return p;
}

double metric(const CrossbarClassifier& c, const std::string& name) {
  for (const auto& [key, value] : c.metrics())
    if (key == name) return value;
  return -1;
}

TEST(Crossbar, NoiselessPcmCellsAreTheIdealCrossbar) {
  const ImageSet images = random_images(10, 11);
  const Network n = small_cnn(4, 4);
  for (const CrossbarConfig c : {CrossbarConfig{}, CrossbarConfig{.rows = 7, .columns = 4, .adc_bits = 3, .dac_bits = 2}}) {
    CrossbarClassifier ideal(n, c), pcm(n, c, PcmCells{.pcm = noiseless(), .seconds = 86400});
    std::vector<int> p1(images.count()), p2(images.count());
    eval::Ledger l1, l2;
    ideal.classify(images, p1, l1);
    pcm.classify(images, p2, l2);
    EXPECT_EQ(pcm.last_logits(), ideal.last_logits());  // clipping included
    EXPECT_EQ(l1.events(), l2.events());
    EXPECT_EQ(metric(pcm, "compensation_0"), 1.0);
  }
}

// 10x10 pixels straight into one dense layer of 6 logits: every count shows in the logits.
Network dense_logits(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  Network n;
  n.input = {1, 10, 10};
  n.activation_bits = 4;
  for (int k = 1; k < 16; ++k) n.input_thresholds.push_back(k * 16);
  Layer d{.kind = LayerKind::dense, .out_channels = 6};
  for (int i = 0; i < 600; ++i) d.weights.push_back(static_cast<std::int8_t>(static_cast<int>(rng() % 3) - 1));
  n.layers = {d};
  n.validate();
  return n;
}

TEST(Crossbar, PcmCellsDriftAndCompensationRescalesThem) {
  const ImageSet images = random_images(20, 12);
  const Network n = dense_logits(5);
  const CrossbarConfig c{.rows = 32, .columns = 16, .adc_bits = 12};
  auto run = [&](const PcmCells& cells) {
    CrossbarClassifier crossbar(n, c, cells);
    std::vector<int> predictions(images.count());
    eval::Ledger ledger;
    crossbar.classify(images, predictions, ledger);
    return std::make_pair(crossbar.last_logits(), metric(crossbar, "compensation_0"));
  };
  const auto [day, factor] = run({.pcm = {}, .seconds = 86400, .seed = 3});
  EXPECT_GT(factor, 1.3);  // a day of drift: about two thirds of the conductance left
  EXPECT_LT(factor, 1.8);
  EXPECT_EQ(run({.pcm = {}, .seconds = 86400, .seed = 3}).first, day);  // one seed, one device
  EXPECT_NE(run({.pcm = {}, .seconds = 86400, .seed = 4}).first, day);
  // Uncompensated, a year of drift shrinks the first layer's counts; its activations and so
  // the logits differ from the compensated ones on most images.
  const auto [uncompensated, one] = run({.pcm = {}, .seconds = 31536000, .drift_compensation = false, .seed = 3});
  EXPECT_EQ(one, 1.0);
  const auto [compensated, many] = run({.pcm = {}, .seconds = 31536000, .drift_compensation = true, .seed = 3});
  EXPECT_GT(many, 1.5);
  std::size_t differ = 0;
  for (std::size_t i = 0; i < images.count(); ++i) differ += uncompensated[i] != compensated[i] ? 1 : 0;
  EXPECT_GT(differ, images.count() / 2);
  EXPECT_THROW(CrossbarClassifier(n, c, PcmCells{.pcm = {}, .seconds = -1}), Error);
}

}  // namespace
}  // namespace mbi::cim
