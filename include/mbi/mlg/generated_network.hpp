#pragma once
// Networks stored as small quantized bases whose weights are generated on the fly (issue 16;
// Gu et al., "Towards Memory-Efficient Neural Networks via Multi-Level in situ Generation",
// ICCV 2021): the plain numbers LibTorch training exports and the in-situ inference
// (in_situ.hpp) runs. Standard library only.
//
// A convolution's weight W (out x in x span, span = kernel rows x kernel cols) is stored in up
// to two levels of generation:
//   level 1 (inside a kernel):  W1 = U B per group g < bo: W1[g][i][s] = sum_j U[g][i][j] B[g][j][s]
//                               with a basis B (bo x bi x span) and coefficients U (bo x in x bi);
//                               without level 1, U holds W1 itself (bo x in x span) and B is empty;
//   level 2 (across kernels):   W[o] = sum_g V[o][g] W1[g] with V (out x bo);
//                               without level 2, bo = out, V is empty and W = W1.
// Neither level: U is W (out x in x span), the form of a plain float or k-bit layer. Level 2
// alone is a low-rank factorization of the out x (in span) matrix.
//
// Each stored tensor is float32 or k-bit codes (k = 1..8) of a symmetric uniform quantizer
// with DoReFa's symmetric levels: value = scale * (2 code / (2^k - 1) - 1), code 0 .. 2^k - 1,
// evaluated in float in exactly this order (so LibTorch's forward pass and this library agree
// on every generated input value bit for bit). A tensor's scale is one float32.
//
// A dense layer is a convolution whose kernel covers its whole input (padding 0, stride 1,
// output 1 x 1), so its weight is out x channels x (rows cols) and level 1 generates along
// the input's positions, as for a kernel.
#include <cstdint>
#include <string>
#include <vector>

namespace mbi::mlg {

struct Shape {
  int channels = 0, rows = 0, cols = 0;
  std::size_t size() const { return static_cast<std::size_t>(channels) * rows * cols; }
  bool operator==(const Shape&) const = default;
};

struct StoredTensor {
  int bits = 32;                     // 32: float32 values; 1 .. 8: codes
  float scale = 0;                   // codes only
  std::vector<float> values{};       // bits == 32
  std::vector<std::uint8_t> codes{}; // bits < 32, one per element, each < 2^bits

  std::size_t size() const { return bits == 32 ? values.size() : codes.size(); }
  bool empty() const { return size() == 0; }
  // Element i's value (for codes, the formula above).
  float value(std::size_t i) const;
  // Bits to store it: size x bits, plus 32 for the scale of a coded tensor; 0 when empty.
  std::uint64_t stored_bits() const;
};

struct GeneratedWeight {
  int out = 0, in = 0, span = 0;
  bool level1 = false, level2 = false;
  int basis_in = 0;   // bi: basis kernels per group (level 1 only)
  int basis_out = 0;  // bo: groups (= out without level 2)
  StoredTensor basis;         // B: bo x bi x span (level 1), else empty
  StoredTensor coefficients;  // U: bo x in x bi (level 1), else bo x in x span
  StoredTensor mixing;        // V: out x bo (level 2), else empty

  // W1 (bo x in x span): level 1's output, or U's values.
  std::vector<float> level1_output() const;
  // Rows first .. first + count - 1 of W (each in x span values) into `rows`, from W1: one
  // tile of output channels, generated as the in-situ hardware does.
  void generate_rows(const std::vector<float>& w1, int first, int count, float* rows) const;
  // The whole W (out x in x span).
  std::vector<float> generate() const;
  // Multiply-accumulates spent generating W once: level 1 (bo in bi span when on) and level 2
  // (out bo in span when on).
  std::uint64_t level1_macs() const;
  std::uint64_t level2_macs() const;
  std::uint64_t stored_bits() const;  // B + U + V
  std::uint64_t weight_count() const { return static_cast<std::uint64_t>(out) * in * span; }
  // Sizes, levels and codes consistent. Throws mbi::Error saying what is wrong.
  void validate() const;
};

enum class OpKind : std::uint8_t {
  conv = 1,             // weight, stride, padding, optional bias
  batch_norm = 2,       // y = scale[c] x + shift[c] (folded from gamma, beta, mean, variance)
  relu = 3,
  max_pool = 4,         // pool x pool windows, stride pool (a partial window at the edge dropped)
  global_avg_pool = 5,  // mean over each channel's positions: channels x 1 x 1
  save = 6,             // pushes the activation (a residual block's input)
  add = 7,              // pops the saved activation and adds it (option-A shortcut, below)
};

// add: when the saved activation s is larger than the current one a (a block that halves the
// size and widens the channels), s is subsampled by the ratio of the sizes (s[c][r k][q k])
// and padded with zero channels on both sides ((a.channels - s.channels) / 2 before), as in
// the CIFAR ResNets' parameter-free shortcut (He et al., 2016, option A).
struct Op {
  OpKind kind = OpKind::relu;
  // conv
  int out_channels = 0, kernel_rows = 0, kernel_cols = 0, stride = 1, padding = 0;
  GeneratedWeight weight{};
  std::vector<float> bias{};  // out_channels, or empty
  // batch_norm
  std::vector<float> scale{}, shift{};
  // max_pool
  int pool = 0;
};

struct GeneratedNetwork {
  std::string name;        // "lenet", "resnet20", ... (informational)
  std::string method;      // "full", "quant", "lowrank", "mlg" (informational)
  Shape input;             // of the images
  float input_scale = 1.0F / 255.0F;  // pixel p enters as p * input_scale
  std::vector<Op> ops;     // the last op's output is the logits (classes x 1 x 1)

  // The shape after each op. Throws mbi::Error when the ops do not fit together (a save
  // without add, a shortcut that cannot be aligned, a kernel larger than its padded input).
  std::vector<Shape> shapes() const;
  int classes() const;
  // Shapes, every weight, batch-norm and bias size, finite numbers. Throws mbi::Error.
  void validate() const;
  // Bits stored, by kind: generation bases (B), coefficients (U), mixing (V), float weights of
  // layers stored whole (U of a 32-bit layer without levels counts here), batch norms and
  // biases (32 bits per value).
  struct Memory {
    std::uint64_t basis_bits = 0, coefficient_bits = 0, mixing_bits = 0, full_weight_bits = 0, norm_bits = 0,
                  bias_bits = 0;
    std::uint64_t total_bits() const;
    std::uint64_t total_bytes() const { return (total_bits() + 7) / 8; }
  };
  Memory memory() const;
  // Bits of the same network with every weight float32 (batch norms and biases as stored):
  // the denominator of the memory ratio.
  std::uint64_t float_bits() const;
  double memory_ratio() const;
  // Weights of all convolutions (generated or not) and the network's own multiply-
  // accumulates per image (convolutions only).
  std::uint64_t weight_count() const;
  std::uint64_t network_macs() const;
};

}  // namespace mbi::mlg
