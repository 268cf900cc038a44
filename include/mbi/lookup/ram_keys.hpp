#pragma once
// The RAM's lookup key and value layouts (paper section II-B):
//   key   = glimpse levels (one segment per patch scale), h_{t-1} levels, location x, y
//   value = h_t levels (+ next location, step and prediction as plain bytes)
// and the grouping of key segments into the three components of eq. 1 (phi, h, l).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include "mbi/search/key_layout.hpp"
#include "mbi/lookup/ram_config.hpp"

namespace mbi {

enum class KeyComponent : std::uint8_t { kGlimpse = 0, kHidden = 1, kLocation = 2 };

KeyLayout ram_key_layout(const RamConfig& config);
KeyLayout ram_value_layout(const RamConfig& config);

// Component of each key segment, in segment order.
std::vector<KeyComponent> ram_key_components(const RamConfig& config);

// Integer segment weights for eq. 1 weights (a, b, c): each segment gets its component's
// weight. Real weights are scaled so that the largest becomes `resolution`, keeping their
// ratios (eq. 1 is invariant to a common factor).
std::vector<std::uint32_t> eq1_segment_weights(const RamConfig& config, double a, double b, double c,
                                               std::uint32_t resolution = 1000);
// Scales any real per-segment weights to integers the same way.
std::vector<std::uint32_t> integer_weights(const std::vector<double>& weights, std::uint32_t resolution = 1000);

// Denominator of eq. 1 for integer segment weights: a + b + c, where a component's weight
// is the mean of its segments' weights. raw_distance / eq1_normalizer is eq. 1's D.
double eq1_normalizer(const RamConfig& config, const std::vector<std::uint32_t>& segment_weights);

// Key values of one glimpse step, in segment order, ready for KeyLayout::encode.
void ram_key_values(const RamConfig& config, const std::uint8_t* phi_levels, const std::uint8_t* hidden_levels,
                    int loc_x, int loc_y, std::uint8_t* out);

}  // namespace mbi
