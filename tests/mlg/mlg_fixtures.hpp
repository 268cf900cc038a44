#pragma once
// Small hand-built generated networks for the mlg tests: random stored tensors and weights of
// any level combination, and a residual network that uses every op kind.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mbi/core/random.hpp"
#include "mbi/mlg/generated_network.hpp"

namespace mbi::mlg::test {

// n values: float32 in [-scale, scale] for bits == 32, else random codes of `bits` bits.
inline StoredTensor random_tensor(std::size_t n, int bits, Random& rng, float scale = 0.6F) {
  StoredTensor t;
  t.bits = bits;
  if (bits == 32) {
    for (std::size_t i = 0; i < n; ++i) t.values.push_back(static_cast<float>(rng.uniform(-scale, scale)));
  } else {
    t.scale = scale;
    for (std::size_t i = 0; i < n; ++i) t.codes.push_back(static_cast<std::uint8_t>(rng.index(std::size_t{1} << bits)));
  }
  return t;
}

// A bit width drawn from 1 .. 8 and 32.
inline int random_bits(Random& rng) {
  const int b = static_cast<int>(rng.index(9)) + 1;
  return b == 9 ? 32 : b;
}

// A weight out x in x span with the given levels (bi basis kernels, bo groups where they
// apply); bits < 0 draws each tensor's width at random.
inline GeneratedWeight random_weight(int out, int in, int span, bool level1, bool level2, Random& rng, int bits = -1,
                                     int basis_in = 2, int basis_out = 3) {
  GeneratedWeight w;
  w.out = out;
  w.in = in;
  w.span = span;
  w.level1 = level1;
  w.level2 = level2;
  w.basis_in = level1 ? basis_in : 0;
  w.basis_out = level2 ? basis_out : out;
  auto width = [&] { return bits < 0 ? random_bits(rng) : bits; };
  const auto bo = static_cast<std::size_t>(w.basis_out), bi = static_cast<std::size_t>(w.basis_in);
  const auto n_in = static_cast<std::size_t>(in), n_span = static_cast<std::size_t>(span);
  if (level1) w.basis = random_tensor(bo * bi * n_span, width(), rng, 0.7F);
  w.coefficients = random_tensor(level1 ? bo * n_in * bi : bo * n_in * n_span, width(), rng, level1 ? 0.5F : 0.3F);
  if (level2) w.mixing = random_tensor(static_cast<std::size_t>(out) * bo, width(), rng, 0.6F);
  return w;
}

inline Op conv(int in, int out, int kernel_rows, int kernel_cols, int stride, int padding, bool level1, bool level2,
               Random& rng, bool bias, int bits = -1) {
  Op op;
  op.kind = OpKind::conv;
  op.out_channels = out;
  op.kernel_rows = kernel_rows;
  op.kernel_cols = kernel_cols;
  op.stride = stride;
  op.padding = padding;
  op.weight = random_weight(out, in, kernel_rows * kernel_cols, level1, level2, rng, bits);
  if (bias)
    for (int o = 0; o < out; ++o) op.bias.push_back(static_cast<float>(rng.uniform(-0.2, 0.2)));
  return op;
}

inline Op batch_norm(int channels, Random& rng) {
  Op op;
  op.kind = OpKind::batch_norm;
  for (int c = 0; c < channels; ++c) {
    op.scale.push_back(static_cast<float>(rng.uniform(0.5, 1.5)));
    op.shift.push_back(static_cast<float>(rng.uniform(-0.1, 0.3)));
  }
  return op;
}

inline Op plain(OpKind kind) {
  Op op;
  op.kind = kind;
  return op;
}

inline Op max_pool(int pool) {
  Op op = plain(OpKind::max_pool);
  op.pool = pool;
  return op;
}

// 1 x 12 x 12 images through every op kind: a residual block whose stride-2 convolution halves
// the size and doubles the channels (option-A shortcut), a same-shape block, a max pool,
// rectangular kernels with stride and padding, every level combination, and either a global
// average pool then a 1 x 1 layer or a dense layer covering its input (`dense_head`).
// bits < 0 draws each tensor's width; otherwise every tensor has `bits` bits.
inline GeneratedNetwork random_network(std::uint64_t seed, bool dense_head = false, int bits = -1) {
  Random rng(seed, 17);
  GeneratedNetwork n;
  n.name = "test";
  n.method = "mlg";
  n.input = {1, 12, 12};
  n.input_scale = 1.0F / 255.0F;
  auto& ops = n.ops;
  ops.push_back(conv(1, 4, 3, 3, 1, 1, true, false, rng, true, bits));  // 4 x 12 x 12
  ops.push_back(batch_norm(4, rng));
  ops.push_back(plain(OpKind::relu));
  ops.push_back(plain(OpKind::save));
  ops.push_back(conv(4, 8, 3, 3, 2, 1, true, true, rng, false, bits));  // 8 x 6 x 6
  ops.push_back(batch_norm(8, rng));
  ops.push_back(plain(OpKind::relu));
  ops.push_back(conv(8, 8, 3, 3, 1, 1, false, true, rng, true, bits));
  ops.push_back(batch_norm(8, rng));
  ops.push_back(plain(OpKind::add));  // 4 x 12 x 12 subsampled by 2, two zero channels each side
  ops.push_back(plain(OpKind::relu));
  ops.push_back(plain(OpKind::save));
  ops.push_back(conv(8, 8, 3, 3, 1, 1, false, false, rng, true, bits));
  ops.push_back(plain(OpKind::relu));
  ops.push_back(conv(8, 8, 1, 1, 1, 0, false, false, rng, false, bits));
  ops.push_back(plain(OpKind::add));  // same shape
  ops.push_back(max_pool(2));  // 8 x 3 x 3
  ops.push_back(conv(8, 6, 2, 3, 1, 1, true, false, rng, true, bits));  // 6 x 4 x 3
  ops.push_back(plain(OpKind::relu));
  ops.push_back(conv(6, 5, 3, 2, 2, 1, false, true, rng, false, bits));  // 5 x 2 x 2
  if (dense_head) {
    ops.push_back(conv(5, 10, 2, 2, 1, 0, true, true, rng, true, bits));  // covers 5 x 2 x 2
  } else {
    ops.push_back(plain(OpKind::global_avg_pool));  // 5 x 1 x 1
    ops.push_back(conv(5, 10, 1, 1, 1, 0, true, true, rng, true, bits));
  }
  return n;
}

// A network counted by hand:
//   conv 1 -> 4, 3x3 (padding 1) on 6x6, both levels, bo 2, bi 3, bias:
//     B 2x3x9 = 54 codes of 3 bits + scale = 194; U 2x1x3 = 6 of 5 bits + 32 = 62;
//     V 4x2 = 8 of 8 bits + 32 = 96; bias 4 x 32 = 128
//   batch norm of 4: 8 x 32 = 256
//   max pool 2: 4 x 3 x 3
//   conv 4 -> 6, 3x3, float32 without levels: 216 x 32 = 6912 (stored whole)
//   conv 6 -> 3, 1x1, 2-bit without levels: 18 x 2 + 32 = 68 (coefficients), bias 3 x 32 = 96
inline GeneratedNetwork hand_sized_network() {
  Random rng(11);
  GeneratedNetwork n;
  n.input = {1, 6, 6};
  Op first = conv(1, 4, 3, 3, 1, 1, false, false, rng, true);
  first.weight.level1 = first.weight.level2 = true;
  first.weight.basis_in = 3;
  first.weight.basis_out = 2;
  first.weight.basis = random_tensor(54, 3, rng);
  first.weight.coefficients = random_tensor(6, 5, rng);
  first.weight.mixing = random_tensor(8, 8, rng);
  n.ops.push_back(first);
  n.ops.push_back(batch_norm(4, rng));
  n.ops.push_back(max_pool(2));
  n.ops.push_back(conv(4, 6, 3, 3, 1, 0, false, false, rng, false, 32));
  n.ops.push_back(conv(6, 3, 1, 1, 1, 0, false, false, rng, true, 2));
  return n;
}

inline std::vector<std::uint8_t> random_pixels(std::size_t n, std::uint64_t seed) {
  Random rng(seed, 29);
  std::vector<std::uint8_t> p(n);
  for (auto& v : p) v = static_cast<std::uint8_t>(rng.index(256));
  return p;
}

}  // namespace mbi::mlg::test
