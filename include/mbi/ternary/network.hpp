#pragma once
// A ternary network as integers: what training exports and what every ternary inference
// system (the associative processor, the crossbar baseline) runs and must agree with.
//
// Weights are -1, 0 or +1, so a layer's output is a sum of some inputs minus a sum of others.
// Activations are small unsigned levels (2^bits of them), and the step from a layer's integer
// sums to the next levels is a set of thresholds per output channel: level = #{k : sum >= t_k}
// (rising) or #{k : sum <= t_k} (falling). The scales of the ternary weights, the batch norm,
// the ReLU and the rounding of the activation are all folded into those thresholds, so the
// integer network needs no multiplication and no floating point anywhere.
//
// Pixels (0..255) enter through thresholds of their own (one set for every input channel).
// The last layer has no activation: its integer sums are the logits, and the prediction is
// the first largest one.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace mbi::ternary {

enum class LayerKind : std::uint8_t { conv = 1, dense = 2, max_pool = 3 };

struct Shape {
  int channels = 0, rows = 0, cols = 0;
  std::size_t size() const { return static_cast<std::size_t>(channels) * rows * cols; }
  bool operator==(const Shape&) const = default;
};

struct Layer {
  LayerKind kind = LayerKind::dense;
  // conv: square kernel `kernel`, stride 1, zero padding `padding`; dense: kernel 1, padding 0
  // over the flattened input (channel, row, column order). max_pool: `kernel` x `kernel`
  // windows with stride `kernel` (a partial window at the edge is dropped).
  int kernel = 1;
  int padding = 0;
  int out_channels = 0;  // conv, dense
  // conv: out x in x kernel x kernel; dense: out x inputs. Each -1, 0 or +1.
  std::vector<std::int8_t> weights{};
  // Activation after conv / dense (none on the last layer): out_channels x (levels - 1)
  // thresholds, rising or falling per channel as `rising` says.
  bool has_activation = false;
  std::vector<std::int64_t> thresholds{};
  std::vector<std::uint8_t> rising{};  // out_channels flags
};

struct Network {
  Shape input;                                // of the images (pixels)
  int activation_bits = 4;                    // levels = 2^bits of every activation
  std::vector<std::int64_t> input_thresholds; // levels - 1, rising, on the 8-bit pixel
  std::vector<Layer> layers;
  std::string name;                           // "mlp", "cnn", ... (informational)

  int levels() const { return 1 << activation_bits; }
  int classes() const;  // the last layer's outputs
  // The shape after each layer: shapes()[i] is the output of layers[i]. Throws mbi::Error
  // when the network does not fit together.
  std::vector<Shape> shapes() const;
  // Checks everything: weights ternary, threshold counts and order, shapes, a last layer
  // without activation, activations before every max pool. Throws mbi::Error saying what.
  void validate() const;
  // Non-zero weights per layer (what the additions of a ternary layer are made of).
  std::size_t nonzero_weights() const;
  // Bytes to store the network: 2 bits per weight, 4 bytes per threshold (as a device would).
  std::uint64_t weight_bytes() const;
  std::uint64_t threshold_bytes() const;
};

// The number of thresholds `value` reaches (the activation level), as the hardware computes it.
int level_of(std::int64_t value, const std::int64_t* thresholds, int count, bool rising);

}  // namespace mbi::ternary
