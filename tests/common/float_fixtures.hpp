#pragma once
// Small random float networks for the tests of the analog crossbar and float network files:
// conv 3x3 (pad 1, ReLU) -> pool 2 -> dense (ReLU) -> dense, on the 10x10 images of
// ternary_fixtures.hpp.
#include <cmath>
#include <cstdint>
#include <random>
#include <string>

#include "mbi/cim/float_network.hpp"

namespace mbi::test {

inline cim::FloatNetwork random_float_cnn(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.0F, 1.0F);
  const auto fill = [&](cim::FloatLayer& l, std::size_t fan_in) {
    for (std::size_t i = 0; i < fan_in * static_cast<std::size_t>(l.out_channels); ++i)
      l.weights.push_back(normal(rng) / static_cast<float>(std::sqrt(fan_in)));
    for (int o = 0; o < l.out_channels; ++o) l.bias.push_back(0.1F * normal(rng));
  };
  cim::FloatNetwork n;
  n.name = "random-" + std::to_string(seed);
  n.input = {1, 10, 10};
  cim::FloatLayer conv{.kind = ternary::LayerKind::conv, .kernel = 3, .padding = 1, .out_channels = 6, .relu = true};
  fill(conv, 9);
  cim::FloatLayer hidden{.kind = ternary::LayerKind::dense, .out_channels = 12, .relu = true};
  fill(hidden, 6 * 5 * 5);
  cim::FloatLayer last{.kind = ternary::LayerKind::dense, .out_channels = 4};
  fill(last, 12);
  n.layers = {conv, {.kind = ternary::LayerKind::max_pool, .kernel = 2}, hidden, last};
  n.validate();
  return n;
}

}  // namespace mbi::test
