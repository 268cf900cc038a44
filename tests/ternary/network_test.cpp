// The ternary network's integer reference against an independent formulation (im2col: every
// output is the dot product of its receptive field with the weights), hand-computed cases,
// and the file format's refusals.
#include "mbi/ternary/network.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>
#include <string>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/ternary/network_file.hpp"
#include "mbi/ternary/reference.hpp"

namespace mbi::ternary {
namespace {

namespace fs = std::filesystem;

std::vector<std::int64_t> sorted_thresholds(std::mt19937_64& rng, int count, int spread, bool rising) {
  std::vector<std::int64_t> t(static_cast<std::size_t>(count));
  for (auto& x : t) x = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * spread + 1)) - spread;
  std::sort(t.begin(), t.end());
  if (!rising) std::reverse(t.begin(), t.end());
  return t;
}

void fill_layer(std::mt19937_64& rng, Layer& l, std::size_t fan_in, int tpc, bool activation) {
  l.weights.resize(fan_in * static_cast<std::size_t>(l.out_channels));
  for (auto& w : l.weights) w = static_cast<std::int8_t>(static_cast<int>(rng() % 3) - 1);
  l.has_activation = activation;
  if (!activation) return;
  for (int c = 0; c < l.out_channels; ++c) {
    const bool rising = rng() % 4 != 0;
    l.rising.push_back(rising ? 1 : 0);
    const auto t = sorted_thresholds(rng, tpc, static_cast<int>(fan_in) * 2, rising);
    l.thresholds.insert(l.thresholds.end(), t.begin(), t.end());
  }
}

// conv(pad 1) -> pool 2 -> conv(no pad) -> dense -> dense (logits), on 9x7 images.
Network random_network(std::uint64_t seed, int bits = 3) {
  std::mt19937_64 rng(seed);
  Network n;
  n.name = "test";
  n.input = {1, 9, 7};
  n.activation_bits = bits;
  const int tpc = n.levels() - 1;
  n.input_thresholds = sorted_thresholds(rng, tpc, 128, true);
  for (auto& t : n.input_thresholds) t += 128;
  Layer c1{.kind = LayerKind::conv, .kernel = 3, .padding = 1, .out_channels = 4};
  fill_layer(rng, c1, 1 * 9, tpc, true);
  Layer p{.kind = LayerKind::max_pool, .kernel = 2};
  Layer c2{.kind = LayerKind::conv, .kernel = 2, .padding = 0, .out_channels = 3};
  fill_layer(rng, c2, 4 * 4, tpc, true);
  Layer d1{.kind = LayerKind::dense, .out_channels = 5};
  fill_layer(rng, d1, 3 * 3 * 2, tpc, true);
  Layer d2{.kind = LayerKind::dense, .out_channels = 4};
  fill_layer(rng, d2, 5, tpc, false);
  n.layers = {c1, p, c2, d1, d2};
  return n;
}

// The same network computed another way: im2col rows times the weight matrix.
std::vector<std::vector<std::int64_t>> im2col_forward(const Network& n, const std::uint8_t* pixels) {
  const int tpc = n.levels() - 1;
  std::vector<std::vector<std::int64_t>> out;
  std::vector<std::int64_t> a;
  for (std::size_t i = 0; i < n.input.size(); ++i) {
    int level = 0;
    while (level < tpc && pixels[i] >= n.input_thresholds[static_cast<std::size_t>(level)]) ++level;  // sorted
    a.push_back(level);
  }
  out.push_back(a);
  Shape in = n.input;
  for (const Layer& l : n.layers) {
    std::vector<std::int64_t> y;
    Shape s;
    if (l.kind == LayerKind::max_pool) {
      s = {in.channels, in.rows / l.kernel, in.cols / l.kernel};
      y.assign(s.size(), std::numeric_limits<std::int64_t>::min());
      for (int ch = 0; ch < in.channels; ++ch)
        for (int r = 0; r < s.rows * l.kernel; ++r)
          for (int c = 0; c < s.cols * l.kernel; ++c) {
            auto& m = y[(static_cast<std::size_t>(ch) * s.rows + r / l.kernel) * s.cols + c / l.kernel];
            m = std::max(m, a[(static_cast<std::size_t>(ch) * in.rows + r) * in.cols + c]);
          }
    } else {
      const bool conv = l.kind == LayerKind::conv;
      const int k = conv ? l.kernel : 1;
      s = conv ? Shape{l.out_channels, in.rows + 2 * l.padding - k + 1, in.cols + 2 * l.padding - k + 1}
               : Shape{l.out_channels, 1, 1};
      y.assign(s.size(), 0);
      for (int r = 0; r < s.rows; ++r)
        for (int c = 0; c < s.cols; ++c) {
          // The receptive field, zeros where the padding is.
          std::vector<std::int64_t> field;
          if (conv) {
            for (int i = 0; i < in.channels; ++i)
              for (int kr = 0; kr < k; ++kr)
                for (int kc = 0; kc < k; ++kc) {
                  const int ir = r + kr - l.padding, ic = c + kc - l.padding;
                  field.push_back(ir < 0 || ic < 0 || ir >= in.rows || ic >= in.cols
                                      ? 0
                                      : a[(static_cast<std::size_t>(i) * in.rows + ir) * in.cols + ic]);
                }
          } else {
            field = a;
          }
          for (int o = 0; o < l.out_channels; ++o) {
            std::int64_t dot = 0;
            for (std::size_t j = 0; j < field.size(); ++j) dot += l.weights[o * field.size() + j] * field[j];
            y[(static_cast<std::size_t>(o) * s.rows + r) * s.cols + c] = dot;
          }
        }
      if (l.has_activation)
        for (int o = 0; o < l.out_channels; ++o)
          for (int p = 0; p < s.rows * s.cols; ++p) {
            auto& v = y[static_cast<std::size_t>(o) * s.rows * s.cols + p];
            v = level_of(v, l.thresholds.data() + o * tpc, tpc, l.rising[o] != 0);
          }
    }
    out.push_back(y);
    a = y;
    in = s;
  }
  return out;
}

TEST(TernaryReference, MatchesAnIm2colFormulationOnRandomNetworks) {
  std::mt19937_64 rng(5);
  for (std::uint64_t seed = 1; seed <= 20; ++seed) {
    const Network n = random_network(seed, 1 + static_cast<int>(seed % 4));
    ASSERT_NO_THROW(n.validate());
    const std::vector<Shape> shapes = n.shapes();
    EXPECT_EQ(shapes[0], (Shape{4, 9, 7}));
    EXPECT_EQ(shapes[1], (Shape{4, 4, 3}));
    EXPECT_EQ(shapes[2], (Shape{3, 3, 2}));
    for (int image = 0; image < 20; ++image) {
      std::vector<std::uint8_t> pixels(n.input.size());
      for (auto& p : pixels) p = static_cast<std::uint8_t>(rng() % 4 == 0 ? 0 : rng() % 256);
      const auto mine = forward_all(n, pixels.data());
      const auto other = im2col_forward(n, pixels.data());
      ASSERT_EQ(mine, other) << "seed " << seed << " image " << image;
      const auto& y = mine.back();
      EXPECT_EQ(predict(n, pixels.data()), std::max_element(y.begin(), y.end()) - y.begin());
    }
  }
}

TEST(TernaryReference, HandComputedDenseLayer) {
  // Two pixels in, 2-bit levels (thresholds 64, 128, 192), one hidden unit y = x0 - x1 with
  // falling thresholds (level = how many of 1, 0, -1 it is at most), two logits.
  Network n;
  n.input = {1, 1, 2};
  n.activation_bits = 2;
  n.input_thresholds = {64, 128, 192};
  n.layers.push_back({.kind = LayerKind::dense, .out_channels = 1, .weights = {1, -1}, .has_activation = true,
                      .thresholds = {1, 0, -1}, .rising = {0}});
  n.layers.push_back({.kind = LayerKind::dense, .out_channels = 2, .weights = {1, -1}});
  const std::uint8_t a[2] = {200, 10};  // levels 3, 0: y = 3 -> level 0 -> logits (0, 0) -> class 0
  EXPECT_EQ(logits(n, a), (std::vector<std::int64_t>{0, 0}));
  const std::uint8_t b[2] = {10, 130};  // levels 0, 2: y = -2 -> level 3 -> logits (3, -3)
  EXPECT_EQ(logits(n, b), (std::vector<std::int64_t>{3, -3}));
  const std::uint8_t c[2] = {64, 130};  // levels 1, 2: y = -1 -> level 3
  EXPECT_EQ(forward_all(n, c)[1], (std::vector<std::int64_t>{3}));
  EXPECT_EQ(n.nonzero_weights(), 4U);
  EXPECT_EQ(n.weight_bytes(), 1U);  // 4 weights x 2 bits
}

TEST(TernaryNetwork, ValidationNamesWhatIsWrong) {
  const Network good = random_network(3);
  const auto refused = [&](auto change) {
    Network n = good;
    change(n);
    EXPECT_THROW(n.validate(), Error);
  };
  refused([](Network& n) { n.layers[0].weights[0] = 2; });
  refused([](Network& n) { n.layers[0].weights.pop_back(); });
  refused([](Network& n) { n.layers[0].thresholds.pop_back(); });
  refused([](Network& n) {
    auto& t = n.layers[0].thresholds;
    n.layers[0].rising[0] = 1;
    t[0] = 100, t[1] = -100;  // rising but decreasing
  });
  refused([](Network& n) { n.layers.back().has_activation = true; });
  refused([](Network& n) { n.layers.push_back({.kind = LayerKind::max_pool, .kernel = 2}); });
  refused([](Network& n) { n.layers[1].kernel = 9; });  // a pool window larger than its input
  refused([](Network& n) { n.layers[0].kernel = 11; });
  refused([](Network& n) { n.activation_bits = 9; });
  refused([](Network& n) { n.input_thresholds.pop_back(); });
  refused([](Network& n) { n.layers[0].kind = static_cast<LayerKind>(7); });
  // Found by the tnet fuzz target: a max pool carrying an activation (and no thresholds).
  refused([](Network& n) { n.layers[1].has_activation = true; });
  refused([](Network& n) { n.layers[1].weights = {1}; });
}

class NetworkFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mbi_tnet_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(NetworkFileTest, RoundTripsAndRefusesDamage) {
  const Network n = random_network(9);
  const fs::path file = dir_ / "n.tnet";
  save_network(file, n);
  const Network back = load_network(file);
  EXPECT_EQ(back.name, n.name);
  ASSERT_EQ(back.layers.size(), n.layers.size());
  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    EXPECT_EQ(back.layers[i].weights, n.layers[i].weights);
    EXPECT_EQ(back.layers[i].thresholds, n.layers[i].thresholds);
    EXPECT_EQ(back.layers[i].rising, n.layers[i].rising);
  }
  const std::string bytes = read_file(file);
  save_network(dir_ / "again.tnet", back);
  EXPECT_EQ(read_file(dir_ / "again.tnet"), bytes);  // same network, same bytes

  const auto message = [&](const std::string& damaged) {
    const fs::path bad = dir_ / "bad.tnet";
    write_file_atomic(bad, damaged);
    try {
      load_network(bad);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("loaded");
  };
  std::string flipped = bytes;
  flipped[40] ^= 1;
  EXPECT_NE(message(flipped).find("checksum"), std::string::npos);
  EXPECT_NE(message(bytes.substr(0, bytes.size() / 2)).find("bad.tnet"), std::string::npos);
  EXPECT_NE(message("MBITNET1").find("bad magic"), std::string::npos);
  EXPECT_NE(message("").find("bad.tnet"), std::string::npos);
  EXPECT_NE(message(std::string(100, 'x')).find("bad magic"), std::string::npos);
  EXPECT_THROW(load_network(dir_ / "missing.tnet"), Error);
  // An invalid network is not written.
  Network invalid = n;
  invalid.layers[0].weights[0] = 3;
  EXPECT_THROW(save_network(dir_ / "invalid.tnet", invalid), Error);
  EXPECT_FALSE(fs::exists(dir_ / "invalid.tnet"));
}

TEST(TernaryReference, ClassifierCountsAddsAndRefusesOtherSizes) {
  const Network n = random_network(2);
  ImageSet images;
  images.rows = 9;
  images.cols = 7;
  images.classes = 4;
  images.pixels.assign(9 * 7 * 3, 100);
  images.labels = {0, 1, 2};
  ReferenceClassifier classifier(n);
  std::vector<int> predictions(3);
  eval::Ledger ledger;
  classifier.classify(images, predictions, ledger);
  EXPECT_EQ(predictions[0], predict(n, images.image(0)));
  EXPECT_GT(ledger.count("ternary.add"), 0U);
  EXPECT_EQ(classifier.footprint().total(), n.weight_bytes() + n.threshold_bytes());
  images.cols = 8;
  images.pixels.assign(9 * 8 * 3, 0);
  EXPECT_THROW(classifier.classify(images, predictions, ledger), Error);
}

}  // namespace
}  // namespace mbi::ternary
