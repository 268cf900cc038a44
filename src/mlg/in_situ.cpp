#include "mbi/mlg/in_situ.hpp"

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mbi/core/error.hpp"

namespace mbi::mlg {
namespace {

std::size_t dim(int v) { return v < 0 ? 0 : static_cast<std::size_t>(v); }

// A convolution is computed as a product: every output position's receptive field is laid
// out as one column (gather_columns), and output channel o at position p is
//   bias[o] + sum over k = (i, kr, kc) ascending of W[o][k] columns[k][p],
// the terms added one by one in that order, with zeros where the kernel reaches into the
// padding: exactly the header's definition, so the reference and the in-situ path (which
// share this code) agree to the bit whatever the tile.

// columns[k][p] for k = (i kernel_rows + kr) kernel_cols + kc and p = r out.cols + c: the input
// at (r stride - padding + kr, c stride - padding + kc), zero outside. Gathered once per layer
// and image, then shared by every tile of output channels.
void gather_columns(const Op& op, const Shape& in, const float* x, const Shape& out, std::vector<float>& columns) {
  // Input positions in 64 bits: a forged file's huge padding or stride must not overflow.
  const long long stride = op.stride, pad = op.padding, in_rows = in.rows, in_cols = in.cols;
  const std::size_t positions = dim(out.rows) * dim(out.cols);
  columns.resize(dim(in.channels) * dim(op.kernel_rows) * dim(op.kernel_cols) * positions);
  float* column = columns.data();
  for (int i = 0; i < in.channels; ++i) {
    const float* channel = x + dim(i) * dim(in.rows) * dim(in.cols);
    for (int kr = 0; kr < op.kernel_rows; ++kr)
      for (int kc = 0; kc < op.kernel_cols; ++kc, column += positions) {
        // Output columns c_lo .. c_hi - 1 read inside the input: 0 <= c stride + offset < cols.
        const long long offset = kc - pad;
        const long long c_lo = std::min<long long>(out.cols, offset >= 0 ? 0 : (-offset + stride - 1) / stride);
        const long long c_hi =
            in_cols - 1 - offset < 0 ? c_lo : std::max(c_lo, std::min<long long>(out.cols, (in_cols - 1 - offset) / stride + 1));
        for (int r = 0; r < out.rows; ++r) {
          float* target = column + dim(r) * dim(out.cols);
          const long long ir = r * stride + kr - pad;
          if (ir < 0 || ir >= in_rows) {
            std::fill_n(target, dim(out.cols), 0.0F);
            continue;
          }
          const float* source = channel + static_cast<std::size_t>(ir) * dim(in.cols);
          std::fill_n(target, static_cast<std::size_t>(c_lo), 0.0F);
          for (long long c = c_lo; c < c_hi; ++c) target[c] = source[c * stride + offset];
          std::fill_n(target + c_hi, static_cast<std::size_t>(out.cols - c_hi), 0.0F);
        }
      }
  }
}

// y[first + t][p] = bias + sum over k of weights[t n + k] columns[k positions + p] for t < count,
// k ascending. Four output channels at a time over a chunk of up to 64 positions: their running
// sums stay in small local arrays (in L1) while k runs, each column value loaded serves the
// four channels, and the innermost loop runs over contiguous positions, so it vectorizes.
void multiply(const float* weights, std::size_t n, const float* columns, std::size_t positions, const std::vector<float>& bias,
              int first, int count, float* y) {
  constexpr int kChannels = 4;
  constexpr std::size_t kPositions = 64, kFewPositions = 8;
  auto bias_of = [&](int t) { return bias.empty() ? 0.0F : bias[dim(first + t)]; };
  int t = 0;
  for (; t + kChannels <= count; t += kChannels) {
    const float* w0 = weights + dim(t) * n;
    const float *w1 = w0 + n, *w2 = w1 + n, *w3 = w2 + n;
    float b[kChannels];
    for (int j = 0; j < kChannels; ++j) b[j] = bias_of(t + j);
    // Chunks, unless there are too few positions to vectorize (a dense layer has one): those
    // go to the loop below.
    std::size_t p = 0;
    for (; positions >= kFewPositions && p < positions; p += kPositions) {
      const std::size_t length = std::min(kPositions, positions - p);
      float s0[kPositions], s1[kPositions], s2[kPositions], s3[kPositions];
      std::fill_n(s0, length, b[0]);
      std::fill_n(s1, length, b[1]);
      std::fill_n(s2, length, b[2]);
      std::fill_n(s3, length, b[3]);
      for (std::size_t k = 0; k < n; ++k) {
        const float* column = columns + k * positions + p;
        const float a0 = w0[k], a1 = w1[k], a2 = w2[k], a3 = w3[k];
        for (std::size_t q = 0; q < length; ++q) {
          const float v = column[q];
          s0[q] += a0 * v;
          s1[q] += a1 * v;
          s2[q] += a2 * v;
          s3[q] += a3 * v;
        }
      }
      std::copy_n(s0, length, y + dim(first + t) * positions + p);
      std::copy_n(s1, length, y + dim(first + t + 1) * positions + p);
      std::copy_n(s2, length, y + dim(first + t + 2) * positions + p);
      std::copy_n(s3, length, y + dim(first + t + 3) * positions + p);
    }
    const float* w[kChannels] = {w0, w1, w2, w3};
    // Few positions one at a time, the four channels' sums side by side (independent chains).
    for (; p < positions; ++p) {
      float sum[kChannels];
      for (int j = 0; j < kChannels; ++j) sum[j] = b[j];
      for (std::size_t k = 0; k < n; ++k) {
        const float value = columns[k * positions + p];
        for (int j = 0; j < kChannels; ++j) sum[j] += w[j][k] * value;
      }
      for (int j = 0; j < kChannels; ++j) y[dim(first + t + j) * positions + p] = sum[j];
    }
  }
  // The last channels (fewer than 4) one at a time, all positions at once.
  for (; t < count; ++t) {
    float* target = y + dim(first + t) * positions;
    std::fill_n(target, positions, bias_of(t));
    const float* w = weights + dim(t) * n;
    for (std::size_t k = 0; k < n; ++k) {
      const float weight = w[k];
      const float* column = columns + k * positions;
      for (std::size_t q = 0; q < positions; ++q) target[q] += weight * column[q];
    }
  }
}

void max_pool(int pool, const Shape& in, const float* x, const Shape& out, float* y) {
  for (int ch = 0; ch < out.channels; ++ch)
    for (int r = 0; r < out.rows; ++r)
      for (int c = 0; c < out.cols; ++c) {
        const float* window = x + (dim(ch) * dim(in.rows) + dim(r * pool)) * dim(in.cols) + dim(c * pool);
        float best = window[0];
        for (int dr = 0; dr < pool; ++dr)
          for (int dc = 0; dc < pool; ++dc) best = std::max(best, window[dim(dr) * dim(in.cols) + dim(dc)]);
        y[(dim(ch) * dim(out.rows) + dim(r)) * dim(out.cols) + dim(c)] = best;
      }
}

// a += the option-A shortcut of the saved activation s (subsampled, zero channels padded
// equally on both sides); with equal shapes it is a plain element-wise sum.
void add_shortcut(const Shape& saved_shape, const float* s, const Shape& shape, float* a) {
  const int row_step = saved_shape.rows / shape.rows, col_step = saved_shape.cols / shape.cols;
  const int channel_pad = (shape.channels - saved_shape.channels) / 2;
  for (int c = 0; c < saved_shape.channels; ++c)
    for (int r = 0; r < shape.rows; ++r) {
      float* target = a + (dim(c + channel_pad) * dim(shape.rows) + dim(r)) * dim(shape.cols);
      const float* source = s + (dim(c) * dim(saved_shape.rows) + dim(r * row_step)) * dim(saved_shape.cols);
      for (int q = 0; q < shape.cols; ++q) target[q] += source[dim(q * col_step)];
    }
}

// One image through the network. tile == 0: every weight generated whole first (the
// reference); tile >= 1: W1 once per layer, then W a tile of `tile` output channels at a time.
std::vector<float> run(const GeneratedNetwork& network, const std::uint8_t* pixels, int tile) {
  network.validate();
  const std::vector<Shape> shapes = network.shapes();
  std::vector<float> a(network.input.size()), next;
  for (std::size_t k = 0; k < a.size(); ++k) a[k] = static_cast<float>(pixels[k]) * network.input_scale;
  std::vector<std::pair<Shape, std::vector<float>>> saved;
  std::vector<float> tile_weights, columns;  // reused by every layer
  Shape in = network.input;
  for (std::size_t k = 0; k < network.ops.size(); ++k) {
    const Op& op = network.ops[k];
    const Shape& out = shapes[k];
    switch (op.kind) {
      case OpKind::conv: {
        next.resize(out.size());
        // A kernel covering its whole unpadded input (a dense layer) has one position whose
        // column is the input itself: no gathering.
        const bool dense = op.padding == 0 && op.kernel_rows == in.rows && op.kernel_cols == in.cols;
        if (!dense) gather_columns(op, in, a.data(), out, columns);
        const float* field = dense ? a.data() : columns.data();
        const std::size_t n = dim(op.weight.in) * dim(op.weight.span), positions = dim(out.rows) * dim(out.cols);
        if (tile == 0) {
          const std::vector<float> w = op.weight.generate();
          multiply(w.data(), n, field, positions, op.bias, 0, out.channels, next.data());
        } else {
          // Level 1 once per layer; level 2 for each tile, right before the tile is used.
          const std::vector<float> w1 = op.weight.level1_output();
          const int per_tile = std::min(tile, out.channels);
          tile_weights.resize(dim(per_tile) * n);
          for (int first = 0; first < out.channels; first += per_tile) {
            const int count = std::min(per_tile, out.channels - first);
            op.weight.generate_rows(w1, first, count, tile_weights.data());
            multiply(tile_weights.data(), n, field, positions, op.bias, first, count, next.data());
          }
        }
        std::swap(a, next);
        break;
      }
      case OpKind::batch_norm: {
        const std::size_t plane = dim(in.rows) * dim(in.cols);
        for (int c = 0; c < in.channels; ++c) {
          const float scale = op.scale[dim(c)], shift = op.shift[dim(c)];
          float* v = a.data() + dim(c) * plane;
          for (std::size_t p = 0; p < plane; ++p) v[p] = scale * v[p] + shift;
        }
        break;
      }
      case OpKind::relu:
        for (float& v : a) v = std::max(v, 0.0F);
        break;
      case OpKind::max_pool:
        next.resize(out.size());
        max_pool(op.pool, in, a.data(), out, next.data());
        std::swap(a, next);
        break;
      case OpKind::global_avg_pool: {
        const std::size_t plane = dim(in.rows) * dim(in.cols);
        next.resize(out.size());
        for (int c = 0; c < in.channels; ++c) {
          float sum = 0;
          const float* v = a.data() + dim(c) * plane;
          for (std::size_t p = 0; p < plane; ++p) sum += v[p];
          next[dim(c)] = sum / static_cast<float>(plane);
        }
        std::swap(a, next);
        break;
      }
      case OpKind::save:
        saved.emplace_back(in, a);
        break;
      case OpKind::add: {
        add_shortcut(saved.back().first, saved.back().second.data(), in, a.data());
        saved.pop_back();
        break;
      }
    }
    in = out;
  }
  return a;
}

}  // namespace

InSituCounts& InSituCounts::operator+=(const InSituCounts& other) {
  stored_bytes += other.stored_bytes;
  level1_macs += other.level1_macs;
  level2_macs += other.level2_macs;
  buffer_bytes += other.buffer_bytes;
  network_macs += other.network_macs;
  return *this;
}

InSituCounts in_situ_counts(const GeneratedNetwork& network, const InSituOptions& options) {
  if (options.tile < 1) throw Error("in-situ generation: tile " + std::to_string(options.tile) + " (must be >= 1)");
  InSituCounts counts;
  counts.stored_bytes = network.memory().total_bytes();
  const std::uint64_t tile = static_cast<std::uint64_t>(options.tile);
  for (const Op& op : network.ops) {
    if (op.kind != OpKind::conv) continue;
    const GeneratedWeight& w = op.weight;
    counts.level1_macs += w.level1_macs();
    counts.level2_macs += w.level2_macs();
    if (w.level2) {
      // W1 (2 bytes a value) written once, then read back once for each tile of outputs.
      const std::uint64_t w1_values = dim(w.basis_out) * dim(w.in) * dim(w.span);
      const std::uint64_t tiles = (dim(w.out) + tile - 1) / tile;
      counts.buffer_bytes += 2 * w1_values * (1 + tiles);
    }
  }
  counts.network_macs = network.network_macs();
  return counts;
}

std::vector<float> in_situ_logits(const GeneratedNetwork& network, const std::uint8_t* pixels, const InSituOptions& options) {
  if (options.tile < 1) throw Error("in-situ generation: tile " + std::to_string(options.tile) + " (must be >= 1)");
  return run(network, pixels, options.tile);
}

std::vector<float> reference_logits(const GeneratedNetwork& network, const std::uint8_t* pixels) {
  return run(network, pixels, 0);
}

}  // namespace mbi::mlg
