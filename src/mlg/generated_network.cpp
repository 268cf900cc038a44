#include "mbi/mlg/generated_network.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>

#include "mbi/core/error.hpp"

namespace mbi::mlg {
namespace {

// a x b x c in 64 bits, saturating: a forged file's dimensions can overflow any product, and
// a saturated size never equals the size of a tensor that fits in memory.
std::uint64_t product(std::uint64_t a, std::uint64_t b, std::uint64_t c = 1) {
  constexpr std::uint64_t kMax = std::numeric_limits<std::uint64_t>::max();
  if (a != 0 && b > kMax / a) return kMax;
  const std::uint64_t ab = a * b;
  if (ab != 0 && c > kMax / ab) return kMax;
  return ab * c;
}

std::uint64_t dim(int v) { return v < 0 ? 0 : static_cast<std::uint64_t>(v); }

// The most values one activation may hold (1 GiB of floats): far beyond any network this
// library runs, and small enough that Shape::size() cannot wrap around for a forged file's
// huge padding.
constexpr std::uint64_t kMaxActivation = std::uint64_t{1} << 28;

const char* kind_name(OpKind kind) {
  switch (kind) {
    case OpKind::conv: return "conv";
    case OpKind::batch_norm: return "batch_norm";
    case OpKind::relu: return "relu";
    case OpKind::max_pool: return "max_pool";
    case OpKind::global_avg_pool: return "global_avg_pool";
    case OpKind::save: return "save";
    case OpKind::add: return "add";
  }
  return "unknown";
}

// Bits, codes and numbers of one stored tensor; `what` names it in the message.
void check_tensor(const StoredTensor& t, std::uint64_t expected_size, const std::string& what) {
  if (t.bits != 32 && (t.bits < 1 || t.bits > 8))
    throw Error(what + " has " + std::to_string(t.bits) + " bits (1 .. 8 or 32 allowed)");
  if (t.bits == 32 && !t.codes.empty()) throw Error(what + " is float32 but holds codes");
  if (t.bits != 32 && !t.values.empty()) throw Error(what + " is coded but holds float values");
  if (t.size() != expected_size)
    throw Error(what + " holds " + std::to_string(t.size()) + " values, expected " + std::to_string(expected_size));
  if (t.bits == 32) {
    for (const float v : t.values)
      if (!std::isfinite(v)) throw Error(what + " holds a value that is not finite");
  } else {
    if (!std::isfinite(t.scale)) throw Error(what + "'s scale is not finite");
    const unsigned limit = 1U << t.bits;
    for (const std::uint8_t c : t.codes)
      if (c >= limit)
        throw Error(what + " holds code " + std::to_string(c) + ", not below 2^" + std::to_string(t.bits));
  }
}

void check_finite(const std::vector<float>& v, const std::string& what) {
  for (const float x : v)
    if (!std::isfinite(x)) throw Error(what + " holds a value that is not finite");
}

}  // namespace

// ---- StoredTensor ----------------------------------------------------------------------------

float StoredTensor::value(std::size_t i) const {
  if (bits == 32) return values[i];
  // The header's formula in exactly its order of operations: the trainer's forward pass
  // computes the same float ops, so both sides see identical generated inputs.
  return scale * (2.0F * static_cast<float>(codes[i]) / static_cast<float>((1 << bits) - 1) - 1.0F);
}

std::uint64_t StoredTensor::stored_bits() const {
  if (empty()) return 0;
  const std::uint64_t n = size();
  return bits == 32 ? 32 * n : n * static_cast<std::uint64_t>(bits) + 32;
}

// ---- GeneratedWeight -------------------------------------------------------------------------

namespace {

// Every value of a tensor as floats. Coded tensors go through a table of their 2^bits levels,
// each computed by StoredTensor::value's formula, so the result is bit-identical to value(i).
std::vector<float> decode(const StoredTensor& t) {
  if (t.bits == 32) return t.values;
  if (t.bits < 1 || t.bits > 8) throw Error("generated weight: a tensor of " + std::to_string(t.bits) + " bits");
  StoredTensor level{.bits = t.bits, .scale = t.scale};
  level.codes.resize(static_cast<std::size_t>(1) << t.bits);
  for (std::size_t c = 0; c < level.codes.size(); ++c) level.codes[c] = static_cast<std::uint8_t>(c);
  float table[256] = {};
  for (std::size_t c = 0; c < level.codes.size(); ++c) table[c] = level.value(c);
  std::vector<float> out(t.codes.size());
  for (std::size_t i = 0; i < out.size(); ++i) out[i] = table[t.codes[i]];
  return out;
}

}  // namespace

std::vector<float> GeneratedWeight::level1_output() const {
  if (!level1) return decode(coefficients);
  const std::size_t bo = dim(basis_out), bi = dim(basis_in), n_in = dim(in), n_span = dim(span);
  const std::vector<float> b = decode(basis);
  const std::vector<float> u = decode(coefficients);
  if (b.size() != bo * bi * n_span || u.size() != bo * n_in * bi)
    throw Error("generated weight: level 1 tensors do not match their sizes");
  std::vector<float> w1(bo * n_in * n_span, 0.0F);
  for (std::size_t g = 0; g < bo; ++g)
    for (std::size_t i = 0; i < n_in; ++i) {
      float* row = &w1[(g * n_in + i) * n_span];
      // j ascending, each product added to the running float sum, as the header specifies.
      for (std::size_t j = 0; j < bi; ++j) {
        const float coefficient = u[(g * n_in + i) * bi + j];
        const float* kernel = &b[(g * bi + j) * n_span];
        for (std::size_t s = 0; s < n_span; ++s) row[s] += coefficient * kernel[s];
      }
    }
  return w1;
}

void GeneratedWeight::generate_rows(const std::vector<float>& w1, int first, int count, float* rows) const {
  const std::size_t n = dim(in) * dim(span);  // values per output channel
  const long long end = static_cast<long long>(first) + count;  // no int overflow
  if (first < 0 || count < 0 || end > out)
    throw Error("generated weight: rows " + std::to_string(first) + " .. " + std::to_string(end - 1) + " of " +
                std::to_string(out));
  if (w1.size() != dim(basis_out) * n) throw Error("generated weight: level 1 output of the wrong size");
  // Cheap guards for a weight that was never validated: no read outside W1 or V.
  if (level2 ? mixing.size() != dim(out) * dim(basis_out) : basis_out != out)
    throw Error("generated weight: the mixing V does not fit out x bo");
  if (!level2) {
    // W = W1: the tile is a slice of the level-1 output.
    std::copy_n(w1.begin() + static_cast<std::ptrdiff_t>(dim(first) * n), dim(count) * n, rows);
    return;
  }
  const std::size_t bo = dim(basis_out);
  for (int t = 0; t < count; ++t) {
    const std::size_t o = dim(first + t);
    float* row = rows + dim(t) * n;
    std::fill_n(row, n, 0.0F);
    // g ascending; the innermost loop runs over one contiguous W1 group (vectorizable).
    for (std::size_t g = 0; g < bo; ++g) {
      const float v = mixing.value(o * bo + g);
      const float* group = &w1[g * n];
      for (std::size_t k = 0; k < n; ++k) row[k] += v * group[k];
    }
  }
}

std::vector<float> GeneratedWeight::generate() const {
  const std::vector<float> w1 = level1_output();
  std::vector<float> w(dim(out) * dim(in) * dim(span));
  generate_rows(w1, 0, out, w.data());
  return w;
}

std::uint64_t GeneratedWeight::level1_macs() const {
  return level1 ? product(dim(basis_out), dim(in), product(dim(basis_in), dim(span))) : 0;
}

std::uint64_t GeneratedWeight::level2_macs() const {
  return level2 ? product(dim(out), dim(basis_out), product(dim(in), dim(span))) : 0;
}

std::uint64_t GeneratedWeight::stored_bits() const {
  return basis.stored_bits() + coefficients.stored_bits() + mixing.stored_bits();
}

void GeneratedWeight::validate() const {
  if (out < 1 || in < 1 || span < 1)
    throw Error("generated weight: sizes " + std::to_string(out) + " x " + std::to_string(in) + " x " +
                std::to_string(span) + " must be positive");
  if (basis_out < 1) throw Error("generated weight: " + std::to_string(basis_out) + " groups (basis_out)");
  if (basis_in < 0 || (level1 && basis_in < 1))
    throw Error("generated weight: " + std::to_string(basis_in) + " basis kernels per group (basis_in)");
  if (!level2 && basis_out != out)
    throw Error("generated weight: without level 2 basis_out (" + std::to_string(basis_out) + ") must equal out (" +
                std::to_string(out) + ")");
  const std::uint64_t bo = dim(basis_out), bi = dim(basis_in);
  check_tensor(basis, level1 ? product(bo, bi, dim(span)) : 0, "generated weight: basis B");
  check_tensor(coefficients, level1 ? product(bo, dim(in), bi) : product(bo, dim(in), dim(span)),
               "generated weight: coefficients U");
  check_tensor(mixing, level2 ? product(dim(out), bo) : 0, "generated weight: mixing V");
}

// ---- GeneratedNetwork ------------------------------------------------------------------------

std::vector<Shape> GeneratedNetwork::shapes() const {
  if (input.channels < 1 || input.rows < 1 || input.cols < 1)
    throw Error("generated network: input shape " + std::to_string(input.channels) + "x" + std::to_string(input.rows) +
                "x" + std::to_string(input.cols) + " is empty");
  if (product(dim(input.channels), dim(input.rows), dim(input.cols)) > kMaxActivation)
    throw Error("generated network: the input shape is too large");
  std::vector<Shape> out;
  out.reserve(ops.size());
  std::vector<Shape> saved;  // the save/add stack
  Shape s = input;
  for (std::size_t k = 0; k < ops.size(); ++k) {
    const Op& op = ops[k];
    const std::string where = "generated network op " + std::to_string(k) + " (" + kind_name(op.kind) + "): ";
    switch (op.kind) {
      case OpKind::conv: {
        if (op.kernel_rows < 1 || op.kernel_cols < 1 || op.stride < 1 || op.padding < 0 || op.out_channels < 1)
          throw Error(where + "kernel " + std::to_string(op.kernel_rows) + "x" + std::to_string(op.kernel_cols) +
                      ", stride " + std::to_string(op.stride) + ", padding " + std::to_string(op.padding) + ", " +
                      std::to_string(op.out_channels) + " outputs");
        // 64-bit sums: forged sizes must not overflow before they are refused.
        const long long padded_rows = static_cast<long long>(s.rows) + 2LL * op.padding;
        const long long padded_cols = static_cast<long long>(s.cols) + 2LL * op.padding;
        if (padded_rows < op.kernel_rows || padded_cols < op.kernel_cols)
          throw Error(where + "kernel " + std::to_string(op.kernel_rows) + "x" + std::to_string(op.kernel_cols) +
                      " larger than its padded input " + std::to_string(padded_rows) + "x" + std::to_string(padded_cols));
        const long long rows = (padded_rows - op.kernel_rows) / op.stride + 1;
        const long long cols = (padded_cols - op.kernel_cols) / op.stride + 1;
        if (rows > std::numeric_limits<int>::max() || cols > std::numeric_limits<int>::max())
          throw Error(where + "output too large");
        s = {op.out_channels, static_cast<int>(rows), static_cast<int>(cols)};
        break;
      }
      case OpKind::batch_norm:
      case OpKind::relu:
        break;
      case OpKind::max_pool:
        if (op.pool < 1) throw Error(where + "pool " + std::to_string(op.pool));
        if (s.rows / op.pool < 1 || s.cols / op.pool < 1)
          throw Error(where + "pool " + std::to_string(op.pool) + " larger than its input " + std::to_string(s.rows) +
                      "x" + std::to_string(s.cols));
        s = {s.channels, s.rows / op.pool, s.cols / op.pool};
        break;
      case OpKind::global_avg_pool:
        s = {s.channels, 1, 1};
        break;
      case OpKind::save:
        saved.push_back(s);
        break;
      case OpKind::add: {
        if (saved.empty()) throw Error(where + "add without a save");
        const Shape from = saved.back();
        saved.pop_back();
        // Option A: the saved activation subsampled by an integer ratio and padded with zero
        // channels equally on both sides.
        const bool alignable = from.rows >= s.rows && from.cols >= s.cols && from.rows % s.rows == 0 &&
                               from.cols % s.cols == 0 && from.channels <= s.channels &&
                               (s.channels - from.channels) % 2 == 0;
        if (!alignable)
          throw Error(where + "the saved " + std::to_string(from.channels) + "x" + std::to_string(from.rows) + "x" +
                      std::to_string(from.cols) + " activation cannot be aligned with " + std::to_string(s.channels) +
                      "x" + std::to_string(s.rows) + "x" + std::to_string(s.cols));
        break;
      }
      default:
        throw Error(where + "unknown kind " + std::to_string(static_cast<int>(op.kind)));
    }
    if (product(dim(s.channels), dim(s.rows), dim(s.cols)) > kMaxActivation)
      throw Error(where + "an activation of " + std::to_string(s.channels) + "x" + std::to_string(s.rows) + "x" +
                  std::to_string(s.cols) + " values is too large");
    out.push_back(s);
  }
  if (!saved.empty()) throw Error("generated network: " + std::to_string(saved.size()) + " save(s) without add");
  return out;
}

int GeneratedNetwork::classes() const {
  const std::vector<Shape> s = shapes();
  return s.empty() ? 0 : s.back().channels;
}

void GeneratedNetwork::validate() const {
  if (ops.empty()) throw Error("generated network: no ops");
  if (!(std::isfinite(input_scale) && input_scale > 0))
    throw Error("generated network: input scale must be finite and > 0");
  const std::vector<Shape> s = shapes();
  Shape in = input;
  for (std::size_t k = 0; k < ops.size(); ++k) {
    const Op& op = ops[k];
    const std::string where = "generated network op " + std::to_string(k) + " (" + kind_name(op.kind) + "): ";
    const GeneratedWeight& w = op.weight;
    if (op.kind == OpKind::conv) {
      const long long span = static_cast<long long>(op.kernel_rows) * op.kernel_cols;  // no int overflow
      if (w.out != op.out_channels || w.in != in.channels || w.span != span)
        throw Error(where + "weight is " + std::to_string(w.out) + " x " + std::to_string(w.in) + " x " +
                    std::to_string(w.span) + ", expected " + std::to_string(op.out_channels) + " x " +
                    std::to_string(in.channels) + " x " + std::to_string(span));
      try {
        w.validate();
      } catch (const Error& e) {
        throw Error(where + e.what());
      }
      if (!op.bias.empty() && op.bias.size() != dim(op.out_channels))
        throw Error(where + std::to_string(op.bias.size()) + " biases for " + std::to_string(op.out_channels) +
                    " outputs");
      check_finite(op.bias, where + "bias");
    } else if (!w.basis.empty() || !w.coefficients.empty() || !w.mixing.empty() || !op.bias.empty()) {
      // Numbers on an op that does not use them would be stored and counted for nothing.
      throw Error(where + "holds a weight or bias but is not a convolution");
    }
    if (op.kind == OpKind::batch_norm) {
      if (op.scale.size() != dim(in.channels) || op.shift.size() != dim(in.channels))
        throw Error(where + std::to_string(op.scale.size()) + " scales and " + std::to_string(op.shift.size()) +
                    " shifts for " + std::to_string(in.channels) + " channels");
      check_finite(op.scale, where + "scale");
      check_finite(op.shift, where + "shift");
    } else if (!op.scale.empty() || !op.shift.empty()) {
      throw Error(where + "holds batch-norm scales or shifts but is not a batch norm");
    }
    in = s[k];
  }
  if (s.back().rows != 1 || s.back().cols != 1)
    throw Error("generated network: the last op gives " + std::to_string(s.back().channels) + "x" +
                std::to_string(s.back().rows) + "x" + std::to_string(s.back().cols) + ", not logits (classes x 1 x 1)");
}

std::uint64_t GeneratedNetwork::Memory::total_bits() const {
  return basis_bits + coefficient_bits + mixing_bits + full_weight_bits + norm_bits + bias_bits;
}

GeneratedNetwork::Memory GeneratedNetwork::memory() const {
  Memory m;
  for (const Op& op : ops) {
    if (op.kind == OpKind::conv) {
      const GeneratedWeight& w = op.weight;
      m.basis_bits += w.basis.stored_bits();
      m.mixing_bits += w.mixing.stored_bits();
      // A plain float32 layer is stored whole; anything quantized or generated is coefficients.
      if (w.coefficients.bits < 32 || w.level1 || w.level2)
        m.coefficient_bits += w.coefficients.stored_bits();
      else
        m.full_weight_bits += w.coefficients.stored_bits();
      m.bias_bits += 32 * static_cast<std::uint64_t>(op.bias.size());
    } else if (op.kind == OpKind::batch_norm) {
      m.norm_bits += 32 * static_cast<std::uint64_t>(op.scale.size() + op.shift.size());
    }
  }
  return m;
}

std::uint64_t GeneratedNetwork::float_bits() const {
  const Memory m = memory();
  return 32 * weight_count() + m.norm_bits + m.bias_bits;
}

double GeneratedNetwork::memory_ratio() const {
  const std::uint64_t denominator = float_bits();
  // An empty network stores nothing: report 0 rather than divide by zero.
  return denominator == 0 ? 0.0 : static_cast<double>(memory().total_bits()) / static_cast<double>(denominator);
}

std::uint64_t GeneratedNetwork::weight_count() const {
  std::uint64_t n = 0;
  for (const Op& op : ops)
    if (op.kind == OpKind::conv) n += op.weight.weight_count();
  return n;
}

std::uint64_t GeneratedNetwork::network_macs() const {
  const std::vector<Shape> s = shapes();
  std::uint64_t macs = 0;
  for (std::size_t k = 0; k < ops.size(); ++k) {
    const Op& op = ops[k];
    if (op.kind != OpKind::conv) continue;
    macs += op.weight.weight_count() * dim(s[k].rows) * dim(s[k].cols);
  }
  return macs;
}

}  // namespace mbi::mlg
