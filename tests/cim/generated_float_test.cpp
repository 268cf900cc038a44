// Generated networks on the analog crossbar: the float network their bases generate (batch
// norms folded) computes the generated network's own logits, what the crossbar cannot run is
// refused naming the op, and one PCM matrix reads back its weights exactly with ideal cells.
#include "mbi/cim/generated_float.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "../mlg/mlg_fixtures.hpp"
#include "mbi/cim/pcm_matrix.hpp"
#include "mbi/core/error.hpp"
#include "mbi/mlg/in_situ.hpp"

namespace mbi::cim {
namespace {

using mlg::OpKind;
namespace fx = mlg::test;

// LeNet's op sequence at a small size, every level combination and bit width drawn at random.
mlg::GeneratedNetwork small_lenet(std::uint64_t seed) {
  Random rng(seed, 5);
  mlg::GeneratedNetwork n;
  n.name = "lenet";
  n.method = "mlg";
  n.input = {1, 12, 12};
  auto& ops = n.ops;
  ops.push_back(fx::conv(1, 4, 3, 3, 1, 1, true, true, rng, false));  // 4 x 12 x 12
  ops.push_back(fx::batch_norm(4, rng));
  ops.push_back(fx::plain(OpKind::relu));
  ops.push_back(fx::max_pool(2));                                      // 4 x 6 x 6
  ops.push_back(fx::conv(4, 6, 3, 3, 1, 1, false, true, rng, true));   // 6 x 6 x 6
  ops.push_back(fx::batch_norm(6, rng));
  ops.push_back(fx::plain(OpKind::relu));
  ops.push_back(fx::max_pool(2));                                      // 6 x 3 x 3
  ops.push_back(fx::conv(6, 8, 3, 3, 1, 0, true, false, rng, false)); // dense over 6 x 3 x 3
  ops.push_back(fx::batch_norm(8, rng));
  ops.push_back(fx::plain(OpKind::relu));
  ops.push_back(fx::conv(8, 10, 1, 1, 1, 0, false, false, rng, true)); // dense: the logits
  return n;
}

TEST(GeneratedFloat, ComputesTheGeneratedNetworksLogits) {
  for (std::uint64_t seed = 1; seed <= 5; ++seed) {
    const mlg::GeneratedNetwork g = small_lenet(seed);
    ASSERT_NO_THROW(g.validate());
    const FloatNetwork f = float_network_from_generated(g);
    ASSERT_EQ(f.layers.size(), 6U);  // conv, pool, conv, pool, dense, dense: norms and ReLUs folded
    EXPECT_EQ(f.layers[4].kind, ternary::LayerKind::dense);
    EXPECT_TRUE(f.layers[4].relu);
    EXPECT_FALSE(f.layers.back().relu);
    for (std::uint64_t image = 0; image < 4; ++image) {
      const std::vector<std::uint8_t> pixels = fx::random_pixels(g.input.size(), seed * 7 + image);
      const std::vector<float> expected = mlg::reference_logits(g, pixels.data());
      const std::vector<float> got = float_logits(f, pixels.data());
      ASSERT_EQ(got.size(), expected.size());
      EXPECT_NE(*std::min_element(expected.begin(), expected.end()), *std::max_element(expected.begin(), expected.end()));
      for (std::size_t k = 0; k < got.size(); ++k)
        EXPECT_NEAR(got[k], expected[k], 1e-4F * std::max(1.0F, std::abs(expected[k]))) << "seed " << seed << " logit " << k;
    }
  }
}

TEST(GeneratedFloat, RefusesWhatTheCrossbarDoesNotRunNamingTheOp) {
  auto refused = [](const mlg::GeneratedNetwork& g, const std::string& part) {
    try {
      float_network_from_generated(g);
      ADD_FAILURE() << "accepted";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  };
  refused(fx::random_network(1), "op 3: residual blocks are not mapped");  // its first save
  mlg::GeneratedNetwork g = small_lenet(1);
  g.ops.insert(g.ops.begin() + 3, fx::plain(OpKind::relu));  // a ReLU after a ReLU
  refused(g, "op 3");
}

TEST(PcmMatrix, IdealCellsReadBackTheWeightsAndSlicesRoundThem) {
  const std::vector<float> w = {0.5F, -1.0F, 0.25F, 0.0F, 2.0F, -0.1F};  // 2 outputs x 3 inputs
  AnalogConfig config;
  AnalogCells cells;
  cells.ideal = true;
  const PcmMatrix plain = program_pcm_matrix(w.data(), 2, 3, config, cells, 0);
  EXPECT_EQ(plain.devices, 12U);  // a pair per weight
  for (std::size_t o = 0; o < 2; ++o)
    for (std::size_t j = 0; j < 3; ++j) EXPECT_NEAR(plain.weight(o, j), w[o * 3 + j], 1e-6F);
  config.slices = 2;  // 3 levels of each output's largest |w|
  const PcmMatrix sliced = program_pcm_matrix(w.data(), 2, 3, config, cells, 0);
  EXPECT_EQ(sliced.devices, 24U);
  const std::vector<float> rounded = {2.0F / 3, -1.0F, 1.0F / 3, 0.0F, 2.0F, 0.0F};
  for (std::size_t o = 0; o < 2; ++o)
    for (std::size_t j = 0; j < 3; ++j) EXPECT_NEAR(sliced.weight(o, j), rounded[o * 3 + j], 1e-6F) << o << " " << j;
  const std::vector<float> bad = {1.0F, NAN};
  EXPECT_THROW(program_pcm_matrix(bad.data(), 1, 2, config, cells, 0), Error);
}

}  // namespace
}  // namespace mbi::cim
