#pragma once
// Small random ternary networks and images for the tests of every library that runs them
// (ap, experiment): a CNN with padding, two max pools and two dense layers on 10x10 images.
#include <algorithm>
#include <cstdint>
#include <random>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/ternary/network.hpp"

namespace mbi::test {

using ternary::Layer;
using ternary::LayerKind;
using ternary::Network;

inline void fill(std::mt19937_64& rng, Layer& l, std::size_t fan_in, int levels, bool activation) {
  l.weights.resize(fan_in * static_cast<std::size_t>(l.out_channels));
  for (auto& w : l.weights) w = static_cast<std::int8_t>(static_cast<int>(rng() % 3) - 1);
  l.has_activation = activation;
  if (!activation) return;
  const int spread = static_cast<int>(fan_in) * (levels - 1) / 3 + 1;
  for (int c = 0; c < l.out_channels; ++c) {
    const bool rising = rng() % 4 != 0;
    std::vector<std::int64_t> t(static_cast<std::size_t>(levels - 1));
    for (auto& x : t) x = static_cast<std::int64_t>(rng() % static_cast<std::uint64_t>(2 * spread + 1)) - spread;
    if (c == 0) t.back() = std::int64_t{1} << 62;  // a threshold no sum reaches, as exports make
    std::sort(t.begin(), t.end());
    if (!rising) std::reverse(t.begin(), t.end());
    l.rising.push_back(rising ? 1 : 0);
    l.thresholds.insert(l.thresholds.end(), t.begin(), t.end());
  }
}

// conv 3x3 (pad 1) -> pool 2 -> conv 2x2 -> pool 2 -> dense -> dense, on 10x10 images.
inline Network small_cnn(std::uint64_t seed, int bits) {
  std::mt19937_64 rng(seed);
  Network n;
  n.input = {1, 10, 10};
  n.activation_bits = bits;
  const int levels = 1 << bits;
  for (int k = 1; k < levels; ++k) n.input_thresholds.push_back(k * 255 / levels + 1);
  Layer c1{.kind = LayerKind::conv, .kernel = 3, .padding = 1, .out_channels = 5};
  fill(rng, c1, 9, levels, true);
  Layer c2{.kind = LayerKind::conv, .kernel = 2, .padding = 0, .out_channels = 6};
  fill(rng, c2, 5 * 4, levels, true);
  Layer d1{.kind = LayerKind::dense, .out_channels = 7};
  fill(rng, d1, 6 * 2 * 2, levels, true);
  Layer d2{.kind = LayerKind::dense, .out_channels = 4};
  fill(rng, d2, 7, levels, false);
  n.layers = {c1, {.kind = LayerKind::max_pool, .kernel = 2}, c2, {.kind = LayerKind::max_pool, .kernel = 2}, d1, d2};
  n.validate();
  return n;
}

inline ImageSet random_images(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  ImageSet s;
  s.rows = 10;
  s.cols = 10;
  s.classes = 4;
  for (std::size_t i = 0; i < count * 100; ++i) s.pixels.push_back(static_cast<std::uint8_t>(rng() % 3 == 0 ? 0 : rng() % 256));
  s.labels.assign(count, 0);
  return s;
}

}  // namespace mbi::test
