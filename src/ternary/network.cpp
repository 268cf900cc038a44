#include "mbi/ternary/network.hpp"

#include <string>

#include "mbi/core/error.hpp"

namespace mbi::ternary {
namespace {

std::string where(std::size_t i) { return "ternary network: layer " + std::to_string(i + 1) + ": "; }

void check_thresholds(const std::string& what, const std::int64_t* t, int count, bool rising) {
  for (int k = 1; k < count; ++k)
    if (rising ? t[k] < t[k - 1] : t[k] > t[k - 1])
      throw Error(what + "thresholds must be " + (rising ? "non-decreasing" : "non-increasing"));
}

}  // namespace

int Network::classes() const { return layers.empty() ? 0 : layers.back().out_channels; }

std::vector<Shape> Network::shapes() const {
  if (input.channels < 1 || input.rows < 1 || input.cols < 1)
    throw Error("ternary network: an input of " + std::to_string(input.channels) + " x " + std::to_string(input.rows) +
                " x " + std::to_string(input.cols));
  // Bounds that keep every size product far from overflowing (2^16 per axis and channel).
  constexpr int kMaxAxis = 1 << 16;
  if (input.channels > kMaxAxis || input.rows > kMaxAxis || input.cols > kMaxAxis)
    throw Error("ternary network: an input axis beyond " + std::to_string(kMaxAxis));
  std::vector<Shape> out;
  Shape s = input;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    if (l.kernel > 1024 || l.out_channels > kMaxAxis)
      throw Error(where(i) + "a kernel beyond 1024 or more than " + std::to_string(kMaxAxis) + " output channels");
    switch (l.kind) {
      case LayerKind::conv: {
        if (l.kernel < 1 || l.padding < 0 || l.padding >= l.kernel || l.out_channels < 1)
          throw Error(where(i) + "a convolution needs kernel >= 1, 0 <= padding < kernel and output channels");
        const int rows = s.rows + 2 * l.padding - l.kernel + 1, cols = s.cols + 2 * l.padding - l.kernel + 1;
        if (rows < 1 || cols < 1) throw Error(where(i) + "the kernel is larger than its padded input");
        s = {l.out_channels, rows, cols};
        break;
      }
      case LayerKind::dense:
        if (l.kernel != 1 || l.padding != 0 || l.out_channels < 1)
          throw Error(where(i) + "a dense layer has kernel 1, no padding and output channels");
        s = {l.out_channels, 1, 1};
        break;
      case LayerKind::max_pool:
        if (l.kernel < 2 || s.rows < l.kernel || s.cols < l.kernel)
          throw Error(where(i) + "a max pool needs a window of 2 or more that fits its input");
        s = {s.channels, s.rows / l.kernel, s.cols / l.kernel};
        break;
      default:
        throw Error(where(i) + "unknown layer kind " + std::to_string(static_cast<int>(l.kind)));
    }
    out.push_back(s);
  }
  return out;
}

void Network::validate() const {
  if (activation_bits < 1 || activation_bits > 8)
    throw Error("ternary network: activation bits must be 1 to 8, not " + std::to_string(activation_bits));
  if (layers.empty()) throw Error("ternary network: no layers");
  const int thresholds_per_channel = levels() - 1;
  if (static_cast<int>(input_thresholds.size()) != thresholds_per_channel)
    throw Error("ternary network: " + std::to_string(input_thresholds.size()) + " input thresholds for " +
                std::to_string(levels()) + " levels");
  check_thresholds("ternary network: input ", input_thresholds.data(), thresholds_per_channel, true);
  const std::vector<Shape> out = shapes();
  Shape in = input;
  bool levels_in = true;  // the layer's input is activation levels (not logits)
  for (std::size_t i = 0; i < layers.size(); ++i) {
    const Layer& l = layers[i];
    const bool last = i + 1 == layers.size();
    if (!levels_in) throw Error(where(i) + "follows a layer without activation");
    if (l.kind == LayerKind::max_pool) {
      if (last) throw Error(where(i) + "the last layer must be a convolution or dense layer");
      if (l.has_activation || !l.weights.empty() || !l.thresholds.empty() || !l.rising.empty() || l.padding != 0 ||
          l.out_channels != 0)
        throw Error(where(i) + "a max pool has a window and nothing else (no weights, activation or padding)");
    } else {
      const std::size_t fan_in = l.kind == LayerKind::conv
                                     ? static_cast<std::size_t>(in.channels) * l.kernel * l.kernel
                                     : in.size();
      if (l.weights.size() != fan_in * static_cast<std::size_t>(l.out_channels))
        throw Error(where(i) + std::to_string(l.weights.size()) + " weights for " + std::to_string(l.out_channels) +
                    " outputs of " + std::to_string(fan_in) + " inputs");
      for (const std::int8_t w : l.weights)
        if (w < -1 || w > 1) throw Error(where(i) + "weight " + std::to_string(w) + " is not -1, 0 or +1");
      if (last && l.has_activation) throw Error(where(i) + "the last layer gives logits: no activation");
      if (!last && !l.has_activation) throw Error(where(i) + "every layer but the last needs an activation");
      if (l.has_activation) {
        if (l.thresholds.size() != static_cast<std::size_t>(l.out_channels) * thresholds_per_channel ||
            l.rising.size() != static_cast<std::size_t>(l.out_channels))
          throw Error(where(i) + "needs " + std::to_string(thresholds_per_channel) +
                      " thresholds and a direction per output channel");
        for (int c = 0; c < l.out_channels; ++c)
          check_thresholds(where(i) + "channel " + std::to_string(c) + ": ",
                           l.thresholds.data() + static_cast<std::size_t>(c) * thresholds_per_channel,
                           thresholds_per_channel, l.rising[c] != 0);
      } else if (!l.thresholds.empty() || !l.rising.empty()) {
        throw Error(where(i) + "thresholds on a layer without activation");
      }
      levels_in = l.has_activation;
    }
    in = out[i];
  }
}

std::size_t Network::nonzero_weights() const {
  std::size_t n = 0;
  for (const Layer& l : layers)
    for (const std::int8_t w : l.weights) n += w != 0 ? 1 : 0;
  return n;
}

std::uint64_t Network::weight_bytes() const {
  std::uint64_t weights = 0;
  for (const Layer& l : layers) weights += l.weights.size();
  return (2 * weights + 7) / 8;
}

std::uint64_t Network::threshold_bytes() const {
  std::uint64_t n = input_thresholds.size();
  for (const Layer& l : layers) n += l.thresholds.size();
  return 4 * n;
}

int level_of(std::int64_t value, const std::int64_t* thresholds, int count, bool rising) {
  int level = 0;
  for (int k = 0; k < count; ++k) level += (rising ? value >= thresholds[k] : value <= thresholds[k]) ? 1 : 0;
  return level;
}

}  // namespace mbi::ternary
