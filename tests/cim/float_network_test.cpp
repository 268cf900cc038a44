// Float networks (what `mbi ap train --float` exports): the logits against a direct
// implementation written out loop by loop, the mapped-conductance mean against its
// definition, and the .fnet file: a bit-exact round trip and a one-line refusal of every
// damaged file.
#include "mbi/cim/float_network.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include "mbi/cim/float_network_file.hpp"
#include "mbi/core/error.hpp"
#include "float_fixtures.hpp"

namespace mbi::cim {
namespace {

using test::random_float_cnn;
using ternary::LayerKind;

// conv 2x2 (pad 1) with ReLU on a 3x3 image, 2 channels -> max pool 2 -> dense 2x2x2 -> 3,
// computed by hand-written loops with its own indexing.
TEST(FloatNetwork, LogitsEqualAHandWrittenForwardPass) {
  FloatNetwork n;
  n.input = {1, 3, 3};
  n.input_scale = 0.5F;
  FloatLayer conv{.kind = LayerKind::conv, .kernel = 2, .padding = 1, .out_channels = 2};
  conv.weights = {1, -2, 0.5F, 3, -1, 0.25F, 2, -0.5F};  // [out][kr][kc]
  conv.bias = {0.1F, -4};
  conv.relu = true;
  FloatLayer last{.kind = LayerKind::dense, .out_channels = 3};
  for (int i = 0; i < 3 * 8; ++i) last.weights.push_back(static_cast<float>((i * 7) % 5) - 2.0F);
  last.bias = {1, 0, -1};
  n.layers = {conv, {.kind = LayerKind::max_pool, .kernel = 2}, last};
  n.validate();
  const std::vector<std::uint8_t> pixels = {0, 2, 4, 6, 8, 10, 12, 14, 16};

  // conv: 4x4 output, input at (r - 1 + kr, c - 1 + kc).
  float c[2][4][4];
  for (int o = 0; o < 2; ++o)
    for (int r = 0; r < 4; ++r)
      for (int col = 0; col < 4; ++col) {
        float s = conv.bias[o];
        for (int kr = 0; kr < 2; ++kr)
          for (int kc = 0; kc < 2; ++kc) {
            const int ir = r - 1 + kr, ic = col - 1 + kc;
            if (ir >= 0 && ir < 3 && ic >= 0 && ic < 3) s += conv.weights[o * 4 + kr * 2 + kc] * pixels[ir * 3 + ic] * 0.5F;
          }
        c[o][r][col] = std::max(s, 0.0F);
      }
  float p[8];
  for (int o = 0; o < 2; ++o)
    for (int r = 0; r < 2; ++r)
      for (int col = 0; col < 2; ++col)
        p[o * 4 + r * 2 + col] = std::max({c[o][2 * r][2 * col], c[o][2 * r][2 * col + 1], c[o][2 * r + 1][2 * col],
                                           c[o][2 * r + 1][2 * col + 1]});
  const std::vector<float> got = float_logits(n, pixels.data());
  ASSERT_EQ(got.size(), 3U);
  for (int k = 0; k < 3; ++k) {
    float s = last.bias[k];
    for (int j = 0; j < 8; ++j) s += last.weights[k * 8 + j] * p[j];
    EXPECT_NEAR(got[k], s, 1e-4F * (1 + std::abs(s))) << k;
  }
}

TEST(FloatNetwork, MeanMappedConductanceIsTheMeanOfEachWeightOverItsColumnsLargest) {
  FloatNetwork n;
  n.input = {1, 1, 2};
  FloatLayer d{.kind = LayerKind::dense, .out_channels = 2};
  d.weights = {2, -1, 0, 0.5F};  // output 0: 1, 0.5; output 1: 0, 1
  n.layers = {d};
  EXPECT_DOUBLE_EQ(mean_mapped_conductance(n), (1 + 0.5 + 0 + 1) / 4.0);
}

TEST(FloatNetwork, InvalidNetworksAreRefused) {
  FloatNetwork n = random_float_cnn(1);
  n.layers[0].weights.pop_back();
  EXPECT_THROW(n.validate(), Error);
  n = random_float_cnn(1);
  n.layers.back().relu = true;
  EXPECT_THROW(n.validate(), Error);
  n = random_float_cnn(1);
  n.layers[0].weights[3] = NAN;
  EXPECT_THROW(n.validate(), Error);
  n = random_float_cnn(1);
  n.layers[0].kernel = 40;  // larger than the padded image
  EXPECT_THROW(n.validate(), Error);
}

class FloatNetworkFile : public ::testing::Test {
 protected:
  std::filesystem::path dir = std::filesystem::temp_directory_path() / ("mbi_fnet_" + std::to_string(::getpid()));
  void SetUp() override { std::filesystem::create_directories(dir); }
  void TearDown() override { std::filesystem::remove_all(dir); }
  std::string bytes_of(const std::filesystem::path& p) {
    std::ifstream in(p, std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  void write(const std::filesystem::path& p, const std::string& b) { std::ofstream(p, std::ios::binary) << b; }
  // The refusal names the file.
  void expect_refused(const std::filesystem::path& p) {
    try {
      load_float_network(p);
      ADD_FAILURE() << "loaded a damaged file";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(p.string()), std::string::npos) << e.what();
      EXPECT_EQ(std::string(e.what()).find('\n'), std::string::npos) << e.what();
    }
  }
};

TEST_F(FloatNetworkFile, RoundTripIsBitExact) {
  const FloatNetwork n = random_float_cnn(7);
  const auto path = dir / "a.fnet";
  save_float_network(path, n);
  const FloatNetwork m = load_float_network(path);
  EXPECT_EQ(m.name, n.name);
  EXPECT_EQ(m.input.rows, n.input.rows);
  EXPECT_EQ(m.input_scale, n.input_scale);
  ASSERT_EQ(m.layers.size(), n.layers.size());
  for (std::size_t i = 0; i < n.layers.size(); ++i) {
    EXPECT_EQ(m.layers[i].kind, n.layers[i].kind);
    EXPECT_EQ(m.layers[i].kernel, n.layers[i].kernel);
    EXPECT_EQ(m.layers[i].padding, n.layers[i].padding);
    EXPECT_EQ(m.layers[i].weights, n.layers[i].weights);
    EXPECT_EQ(m.layers[i].bias, n.layers[i].bias);
    EXPECT_EQ(m.layers[i].relu, n.layers[i].relu);
  }
  // Saving again gives the same bytes.
  save_float_network(dir / "b.fnet", m);
  EXPECT_EQ(bytes_of(path), bytes_of(dir / "b.fnet"));
}

TEST_F(FloatNetworkFile, DamagedFilesAreRefusedNamingTheFile) {
  const auto path = dir / "a.fnet";
  save_float_network(path, random_float_cnn(3));
  const std::string good = bytes_of(path);
  const auto bad = dir / "bad.fnet";
  write(bad, good.substr(0, good.size() / 2));  // truncated
  expect_refused(bad);
  write(bad, "");  // empty
  expect_refused(bad);
  std::string flipped = good;
  flipped[good.size() / 2] = static_cast<char>(flipped[good.size() / 2] ^ 0x10);  // checksum no longer matches
  write(bad, flipped);
  expect_refused(bad);
  std::string other = good;
  other[7] = '2';  // another magic
  write(bad, other);
  expect_refused(bad);
  expect_refused(dir / "missing.fnet");
}

}  // namespace
}  // namespace mbi::cim
