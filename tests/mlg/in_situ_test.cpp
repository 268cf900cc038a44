// In-situ inference: weights generated tile by tile give the logits of the weights generated
// whole, both match forward passes written out loop by loop, and the counts of one inference
// follow their formulas.
#include "mbi/mlg/in_situ.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"
#include "mlg_fixtures.hpp"

namespace mbi::mlg {
namespace {

using test::hand_sized_network;
using test::random_network;
using test::random_pixels;

void expect_close(const std::vector<float>& got, const std::vector<float>& expected, const char* what) {
  ASSERT_EQ(got.size(), expected.size()) << what;
  for (std::size_t k = 0; k < got.size(); ++k)
    EXPECT_NEAR(got[k], expected[k], 1e-5F * std::max(1.0F, std::abs(expected[k]))) << what << " logit " << k;
}

TEST(InSitu, TiledGenerationGivesTheReferenceLogits) {
  for (std::uint64_t seed = 1; seed <= 6; ++seed)
    for (const bool dense_head : {false, true}) {
      const GeneratedNetwork n = random_network(seed, dense_head);
      ASSERT_NO_THROW(n.validate());
      for (std::uint64_t image = 0; image < 3; ++image) {
        const std::vector<std::uint8_t> pixels = random_pixels(n.input.size(), seed * 10 + image);
        const std::vector<float> reference = reference_logits(n, pixels.data());
        ASSERT_EQ(reference.size(), 10U);
        // The network is not degenerate: the logits differ.
        EXPECT_NE(*std::min_element(reference.begin(), reference.end()),
                  *std::max_element(reference.begin(), reference.end()));
        for (const int tile : {1, 3, 16}) {
          SCOPED_TRACE(::testing::Message() << "seed " << seed << " dense " << dense_head << " tile " << tile);
          expect_close(in_situ_logits(n, pixels.data(), {.tile = tile}), reference, "in situ");
        }
      }
    }
}

// Any network run by the definitions, one nested loop per op, with its own indexing: a check
// of the library's column layout and blocking on every op kind and kernel shape.
std::vector<float> naive_logits(const GeneratedNetwork& n, const std::uint8_t* pixels) {
  struct Tensor {
    Shape shape;
    std::vector<float> v;
    float& at(int c, int r, int q) { return v[(static_cast<std::size_t>(c) * shape.rows + r) * shape.cols + q]; }
  };
  Tensor a{n.input, std::vector<float>(n.input.size())};
  for (std::size_t k = 0; k < a.v.size(); ++k) a.v[k] = static_cast<float>(pixels[k]) * n.input_scale;
  std::vector<Tensor> saved;
  for (const Op& op : n.ops) {
    switch (op.kind) {
      case OpKind::conv: {
        const std::vector<float> w = op.weight.generate();
        const int rows = (a.shape.rows + 2 * op.padding - op.kernel_rows) / op.stride + 1;
        const int cols = (a.shape.cols + 2 * op.padding - op.kernel_cols) / op.stride + 1;
        Tensor y{{op.out_channels, rows, cols}, std::vector<float>(static_cast<std::size_t>(op.out_channels) * rows * cols)};
        for (int o = 0; o < op.out_channels; ++o)
          for (int r = 0; r < rows; ++r)
            for (int q = 0; q < cols; ++q) {
              float sum = op.bias.empty() ? 0.0F : op.bias[static_cast<std::size_t>(o)];
              for (int i = 0; i < a.shape.channels; ++i)
                for (int kr = 0; kr < op.kernel_rows; ++kr)
                  for (int kc = 0; kc < op.kernel_cols; ++kc) {
                    const int ir = r * op.stride - op.padding + kr, ic = q * op.stride - op.padding + kc;
                    if (ir < 0 || ir >= a.shape.rows || ic < 0 || ic >= a.shape.cols) continue;
                    sum += w[(static_cast<std::size_t>(o) * a.shape.channels + i) * op.weight.span + kr * op.kernel_cols + kc] *
                           a.at(i, ir, ic);
                  }
              y.at(o, r, q) = sum;
            }
        a = y;
        break;
      }
      case OpKind::batch_norm:
        for (int c = 0; c < a.shape.channels; ++c)
          for (int r = 0; r < a.shape.rows; ++r)
            for (int q = 0; q < a.shape.cols; ++q)
              a.at(c, r, q) = op.scale[static_cast<std::size_t>(c)] * a.at(c, r, q) + op.shift[static_cast<std::size_t>(c)];
        break;
      case OpKind::relu:
        for (float& v : a.v) v = v < 0 ? 0.0F : v;
        break;
      case OpKind::max_pool: {
        Tensor y{{a.shape.channels, a.shape.rows / op.pool, a.shape.cols / op.pool}, {}};
        y.v.resize(y.shape.size());
        for (int c = 0; c < y.shape.channels; ++c)
          for (int r = 0; r < y.shape.rows; ++r)
            for (int q = 0; q < y.shape.cols; ++q) {
              float best = -INFINITY;
              for (int dr = 0; dr < op.pool; ++dr)
                for (int dc = 0; dc < op.pool; ++dc) best = std::max(best, a.at(c, r * op.pool + dr, q * op.pool + dc));
              y.at(c, r, q) = best;
            }
        a = y;
        break;
      }
      case OpKind::global_avg_pool: {
        Tensor y{{a.shape.channels, 1, 1}, std::vector<float>(static_cast<std::size_t>(a.shape.channels))};
        for (int c = 0; c < a.shape.channels; ++c) {
          float sum = 0;
          for (int r = 0; r < a.shape.rows; ++r)
            for (int q = 0; q < a.shape.cols; ++q) sum += a.at(c, r, q);
          y.at(c, 0, 0) = sum / static_cast<float>(a.shape.rows * a.shape.cols);
        }
        a = y;
        break;
      }
      case OpKind::save:
        saved.push_back(a);
        break;
      case OpKind::add: {
        Tensor s = saved.back();
        saved.pop_back();
        const int step = s.shape.rows / a.shape.rows, pad = (a.shape.channels - s.shape.channels) / 2;
        for (int c = 0; c < s.shape.channels; ++c)
          for (int r = 0; r < a.shape.rows; ++r)
            for (int q = 0; q < a.shape.cols; ++q) a.at(c + pad, r, q) += s.at(c, r * step, q * step);
        break;
      }
    }
  }
  return a.v;
}

TEST(InSitu, LogitsEqualANaiveForwardPassOnRandomNetworks) {
  for (std::uint64_t seed = 1; seed <= 4; ++seed)
    for (const bool dense_head : {false, true}) {
      const GeneratedNetwork n = random_network(seed, dense_head);
      const std::vector<std::uint8_t> pixels = random_pixels(n.input.size(), seed + 50);
      const std::vector<float> expected = naive_logits(n, pixels.data());
      SCOPED_TRACE(::testing::Message() << "seed " << seed << " dense " << dense_head);
      expect_close(reference_logits(n, pixels.data()), expected, "reference");
      expect_close(in_situ_logits(n, pixels.data(), {.tile = 3}), expected, "in situ");
    }
}

TEST(InSitu, EveryBitWidthRunsAlike) {
  for (const int bits : {1, 2, 5, 8, 32}) {
    const GeneratedNetwork n = random_network(40 + static_cast<std::uint64_t>(bits), false, bits);
    const std::vector<std::uint8_t> pixels = random_pixels(n.input.size(), 3);
    expect_close(in_situ_logits(n, pixels.data(), {.tile = 3}), reference_logits(n, pixels.data()), "bits");
  }
}

TEST(InSitu, ATileBelowOneIsRefused) {
  const GeneratedNetwork n = random_network(1);
  const std::vector<std::uint8_t> pixels = random_pixels(n.input.size(), 1);
  EXPECT_THROW(in_situ_logits(n, pixels.data(), {.tile = 0}), Error);
  EXPECT_THROW(in_situ_counts(n, {.tile = -2}), Error);
  GeneratedNetwork broken = n;
  broken.ops[1].scale.clear();
  EXPECT_THROW(in_situ_logits(broken, pixels.data(), {}), Error);
  EXPECT_THROW(reference_logits(broken, pixels.data()), Error);
}

// Plain float32 weights (no levels) so that the forward pass below can index them directly.
Op float_conv(int in, int out, int kernel_rows, int kernel_cols, int stride, int padding, std::vector<float> weights,
              std::vector<float> bias) {
  Op op;
  op.kind = OpKind::conv;
  op.out_channels = out;
  op.kernel_rows = kernel_rows;
  op.kernel_cols = kernel_cols;
  op.stride = stride;
  op.padding = padding;
  op.weight.out = out;
  op.weight.in = in;
  op.weight.span = kernel_rows * kernel_cols;
  op.weight.basis_out = out;
  op.weight.coefficients.values = std::move(weights);
  op.bias = std::move(bias);
  return op;
}

std::vector<float> numbers(std::size_t n, std::uint64_t seed, double low = -1, double high = 1) {
  Random rng(seed, 3);
  std::vector<float> v(n);
  for (float& x : v) x = static_cast<float>(rng.uniform(low, high));
  return v;
}

// conv 1 -> 2 (3x3, padding 1) on 4x4, save, batch norm, ReLU, conv 2 -> 4 (3x3, stride 2,
// padding 1, its weight generated by both levels), add (option A: the saved 2x4x4 subsampled to
// 2x2x2 into channels 1 and 2), max pool 2, a 1x1 layer 4 -> 3.
TEST(InSitu, LogitsEqualAHandWrittenForwardPass) {
  const std::vector<float> w0 = numbers(18, 1), b0 = {0.1F, -0.2F};
  const std::vector<float> bn_scale = {1.5F, -0.5F}, bn_shift = {0.25F, 1.0F};
  const std::vector<float> w2 = numbers(12, 2), b2 = {0.5F, 0, -0.5F};
  GeneratedNetwork n;
  n.input = {1, 4, 4};
  n.input_scale = 0.5F;
  n.ops.push_back(float_conv(1, 2, 3, 3, 1, 1, w0, b0));
  n.ops.push_back(test::plain(OpKind::save));
  Op bn = test::plain(OpKind::batch_norm);
  bn.scale = bn_scale;
  bn.shift = bn_shift;
  n.ops.push_back(bn);
  n.ops.push_back(test::plain(OpKind::relu));
  Random rng(4);
  Op generated = test::conv(2, 4, 3, 3, 2, 1, true, true, rng, false);
  n.ops.push_back(generated);
  n.ops.push_back(test::plain(OpKind::add));
  n.ops.push_back(test::max_pool(2));
  n.ops.push_back(float_conv(4, 3, 1, 1, 1, 0, w2, b2));
  ASSERT_NO_THROW(n.validate());
  const std::vector<float> w1 = generated.weight.generate();  // 4 x 2 x 9
  std::vector<std::uint8_t> pixels(16);
  for (int k = 0; k < 16; ++k) pixels[static_cast<std::size_t>(k)] = static_cast<std::uint8_t>((k * 37) % 23);

  float x[4][4];
  for (int r = 0; r < 4; ++r)
    for (int c = 0; c < 4; ++c) x[r][c] = static_cast<float>(pixels[static_cast<std::size_t>(r * 4 + c)]) * 0.5F;
  // conv 0: input at (r - 1 + kr, c - 1 + kc).
  float a[2][4][4];
  for (int o = 0; o < 2; ++o)
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c) {
        float s = b0[static_cast<std::size_t>(o)];
        for (int kr = 0; kr < 3; ++kr)
          for (int kc = 0; kc < 3; ++kc) {
            const int ir = r - 1 + kr, ic = c - 1 + kc;
            if (ir >= 0 && ir < 4 && ic >= 0 && ic < 4) s += w0[static_cast<std::size_t>(o * 9 + kr * 3 + kc)] * x[ir][ic];
          }
        a[o][r][c] = s;
      }
  // batch norm and ReLU (the saved activation is a, before them).
  float h[2][4][4];
  for (int ch = 0; ch < 2; ++ch)
    for (int r = 0; r < 4; ++r)
      for (int c = 0; c < 4; ++c)
        h[ch][r][c] = std::max(0.0F, bn_scale[static_cast<std::size_t>(ch)] * a[ch][r][c] + bn_shift[static_cast<std::size_t>(ch)]);
  // conv 1, stride 2: output (r, c) reads input (2r - 1 + kr, 2c - 1 + kc); 2x2 output.
  float y[4][2][2];
  for (int o = 0; o < 4; ++o)
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 2; ++c) {
        float s = 0;
        for (int i = 0; i < 2; ++i)
          for (int kr = 0; kr < 3; ++kr)
            for (int kc = 0; kc < 3; ++kc) {
              const int ir = 2 * r - 1 + kr, ic = 2 * c - 1 + kc;
              if (ir >= 0 && ir < 4 && ic >= 0 && ic < 4)
                s += w1[static_cast<std::size_t>((o * 2 + i) * 9 + kr * 3 + kc)] * h[i][ir][ic];
            }
        y[o][r][c] = s;
      }
  // add: channels 0 and 3 are the zero padding; channels 1, 2 get a[c - 1][2r][2c].
  for (int ch = 1; ch < 3; ++ch)
    for (int r = 0; r < 2; ++r)
      for (int c = 0; c < 2; ++c) y[ch][r][c] += a[ch - 1][2 * r][2 * c];
  // max pool 2 -> 4 x 1 x 1, then the 1x1 layer.
  float p[4];
  for (int ch = 0; ch < 4; ++ch) p[ch] = std::max({y[ch][0][0], y[ch][0][1], y[ch][1][0], y[ch][1][1]});
  std::vector<float> expected(3);
  for (int k = 0; k < 3; ++k) {
    float s = b2[static_cast<std::size_t>(k)];
    for (int ch = 0; ch < 4; ++ch) s += w2[static_cast<std::size_t>(k * 4 + ch)] * p[ch];
    expected[static_cast<std::size_t>(k)] = s;
  }
  expect_close(reference_logits(n, pixels.data()), expected, "reference");
  for (const int tile : {1, 3, 16}) expect_close(in_situ_logits(n, pixels.data(), {.tile = tile}), expected, "in situ");
}

// A rectangular kernel (2 rows x 3 columns) with stride 2 and padding 1 on a 5x4 image, ReLU,
// the global average pool and a dense layer.
TEST(InSitu, RectangularStridedKernelAndAveragePoolEqualAHandWrittenPass) {
  const std::vector<float> w0 = numbers(12, 7), b0 = {0.3F, 0.1F};
  const std::vector<float> w1 = numbers(4, 8), b1 = {0, 1};
  GeneratedNetwork n;
  n.input = {1, 5, 4};
  n.input_scale = 1.0F / 255.0F;
  n.ops = {float_conv(1, 2, 2, 3, 2, 1, w0, b0), test::plain(OpKind::relu), test::plain(OpKind::global_avg_pool),
           float_conv(2, 2, 1, 1, 1, 0, w1, b1)};
  ASSERT_NO_THROW(n.validate());
  // (5 + 2 - 2) / 2 + 1 = 3 rows, (4 + 2 - 3) / 2 + 1 = 2 columns.
  EXPECT_EQ(n.shapes()[0], (Shape{2, 3, 2}));
  const std::vector<std::uint8_t> pixels = random_pixels(20, 9);
  float mean[2];
  for (int o = 0; o < 2; ++o) {
    float sum = 0;
    for (int r = 0; r < 3; ++r)
      for (int c = 0; c < 2; ++c) {
        float s = b0[static_cast<std::size_t>(o)];
        for (int kr = 0; kr < 2; ++kr)
          for (int kc = 0; kc < 3; ++kc) {
            const int ir = 2 * r - 1 + kr, ic = 2 * c - 1 + kc;
            if (ir >= 0 && ir < 5 && ic >= 0 && ic < 4)
              s += w0[static_cast<std::size_t>(o * 6 + kr * 3 + kc)] *
                   (static_cast<float>(pixels[static_cast<std::size_t>(ir * 4 + ic)]) / 255.0F);
          }
        sum += std::max(s, 0.0F);
      }
    mean[o] = sum / 6.0F;
  }
  const std::vector<float> expected = {b1[0] + w1[0] * mean[0] + w1[1] * mean[1],
                                       b1[1] + w1[2] * mean[0] + w1[3] * mean[1]};
  expect_close(reference_logits(n, pixels.data()), expected, "reference");
  expect_close(in_situ_logits(n, pixels.data(), {.tile = 1}), expected, "in situ");
}

TEST(InSitu, CountsFollowTheirFormulas) {
  // hand_sized_network(): one layer with both levels (out 4, in 1, span 9, bo 2, bi 3).
  const GeneratedNetwork n = hand_sized_network();
  for (const auto& [tile, buffer] : {std::pair{1, 2 * 18 * (1 + 4)}, std::pair{3, 2 * 18 * (1 + 2)},
                                     std::pair{4, 2 * 18 * (1 + 1)}, std::pair{16, 2 * 18 * (1 + 1)}}) {
    const InSituCounts c = in_situ_counts(n, {.tile = tile});
    EXPECT_EQ(c.stored_bytes, 977U) << tile;
    EXPECT_EQ(c.level1_macs, 2U * 1 * 3 * 9) << tile;
    EXPECT_EQ(c.level2_macs, 4U * 2 * 1 * 9) << tile;
    EXPECT_EQ(c.buffer_bytes, static_cast<std::uint64_t>(buffer)) << tile;
    EXPECT_EQ(c.network_macs, 36U * 36 + 216 + 18) << tile;
  }
  // The random network: each convolution's terms summed independently of the library.
  const GeneratedNetwork r = random_network(3);
  const std::vector<Shape> shapes = r.shapes();
  InSituCounts expected;
  for (std::size_t k = 0; k < r.ops.size(); ++k) {
    const Op& op = r.ops[k];
    if (op.kind != OpKind::conv) continue;
    const GeneratedWeight& w = op.weight;
    const std::uint64_t out = static_cast<std::uint64_t>(w.out), in = static_cast<std::uint64_t>(w.in),
                        span = static_cast<std::uint64_t>(w.span), bo = static_cast<std::uint64_t>(w.basis_out),
                        bi = static_cast<std::uint64_t>(w.basis_in);
    if (w.level1) expected.level1_macs += bo * in * bi * span;
    if (w.level2) {
      expected.level2_macs += out * bo * in * span;
      expected.buffer_bytes += 2 * bo * in * span * (1 + (out + 2) / 3);
    }
    expected.network_macs += out * in * span * static_cast<std::uint64_t>(shapes[k].rows * shapes[k].cols);
  }
  const InSituCounts c = in_situ_counts(r, {.tile = 3});
  EXPECT_EQ(c.stored_bytes, r.memory().total_bytes());
  EXPECT_EQ(c.level1_macs, expected.level1_macs);
  EXPECT_EQ(c.level2_macs, expected.level2_macs);
  EXPECT_EQ(c.buffer_bytes, expected.buffer_bytes);
  EXPECT_EQ(c.network_macs, expected.network_macs);
  EXPECT_EQ(c.network_macs, r.network_macs());
  EXPECT_GT(c.buffer_bytes, 0U);
}

TEST(InSitu, CountsAddUp) {
  InSituCounts a{.stored_bytes = 1, .level1_macs = 2, .level2_macs = 3, .buffer_bytes = 4, .network_macs = 5};
  const InSituCounts b{.stored_bytes = 10, .level1_macs = 20, .level2_macs = 30, .buffer_bytes = 40, .network_macs = 50};
  a += b;
  EXPECT_EQ(a.stored_bytes, 11U);
  EXPECT_EQ(a.level1_macs, 22U);
  EXPECT_EQ(a.level2_macs, 33U);
  EXPECT_EQ(a.buffer_bytes, 44U);
  EXPECT_EQ(a.network_macs, 55U);
}

}  // namespace
}  // namespace mbi::mlg
