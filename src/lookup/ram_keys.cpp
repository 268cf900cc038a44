#include "mbi/lookup/ram_keys.hpp"

#include <algorithm>
#include <cmath>

#include "mbi/core/error.hpp"

namespace mbi {

KeyLayout ram_key_layout(const RamConfig& c) {
  if (c.glimpse_bits == 0 || c.hidden_bits == 0)
    throw Error("lookup tables need a quantised teacher (glimpse and hidden-state bits > 0)");
  std::vector<SegmentSpec> segments;
  for (int k = 0; k < c.patches; ++k)
    segments.push_back({"glimpse" + std::to_string(k), static_cast<std::uint32_t>(c.patch * c.patch),
                        static_cast<std::uint32_t>(c.phi_levels())});
  segments.push_back({"hidden", static_cast<std::uint32_t>(c.hidden), static_cast<std::uint32_t>(c.hidden_levels())});
  segments.push_back({"loc_x", 1, static_cast<std::uint32_t>(c.loc_levels_x())});
  segments.push_back({"loc_y", 1, static_cast<std::uint32_t>(c.loc_levels_y())});
  return KeyLayout(std::move(segments));
}

KeyLayout ram_value_layout(const RamConfig& c) {
  return KeyLayout({{"hidden", static_cast<std::uint32_t>(c.hidden), static_cast<std::uint32_t>(c.hidden_levels())}});
}

std::vector<KeyComponent> ram_key_components(const RamConfig& c) {
  std::vector<KeyComponent> out(static_cast<std::size_t>(c.patches), KeyComponent::kGlimpse);
  out.push_back(KeyComponent::kHidden);
  out.push_back(KeyComponent::kLocation);
  out.push_back(KeyComponent::kLocation);
  return out;
}

std::vector<std::uint32_t> integer_weights(const std::vector<double>& w, std::uint32_t resolution) {
  double top = 0;
  for (const double x : w) {
    if (!(x >= 0) || !std::isfinite(x)) throw Error("distance weights must be finite and non-negative");
    top = std::max(top, x);
  }
  std::vector<std::uint32_t> out(w.size(), 1);
  if (top == 0) return out;
  for (std::size_t i = 0; i < w.size(); ++i) {
    const double scaled = std::round(w[i] / top * resolution);
    out[i] = static_cast<std::uint32_t>(w[i] > 0 ? std::max(1.0, scaled) : 0.0);
  }
  return out;
}

std::vector<std::uint32_t> eq1_segment_weights(const RamConfig& c, double a, double b, double cw,
                                               std::uint32_t resolution) {
  const auto components = ram_key_components(c);
  std::vector<double> w;
  for (const auto k : components) w.push_back(k == KeyComponent::kGlimpse ? a : k == KeyComponent::kHidden ? b : cw);
  // Equal weights stay 1: the unweighted distance keeps its natural units.
  if (a == b && b == cw) return std::vector<std::uint32_t>(w.size(), 1);
  return integer_weights(w, resolution);
}

double eq1_normalizer(const RamConfig& c, const std::vector<std::uint32_t>& segment_weights) {
  const auto components = ram_key_components(c);
  std::array<double, 3> sum{};
  std::array<int, 3> count{};
  for (std::size_t s = 0; s < components.size() && s < segment_weights.size(); ++s) {
    const auto k = static_cast<std::size_t>(components[s]);
    sum[k] += segment_weights[s];
    ++count[k];
  }
  double total = 0;
  for (std::size_t k = 0; k < 3; ++k)
    if (count[k] > 0) total += sum[k] / count[k];
  return total > 0 ? total : 1.0;
}

void ram_key_values(const RamConfig& c, const std::uint8_t* phi, const std::uint8_t* hidden, int loc_x, int loc_y,
                    std::uint8_t* out) {
  const auto n_phi = static_cast<std::size_t>(c.phi_size());
  const auto n_h = static_cast<std::size_t>(c.hidden);
  std::copy_n(phi, n_phi, out);
  std::copy_n(hidden, n_h, out + n_phi);
  out[n_phi + n_h] = static_cast<std::uint8_t>(loc_x);
  out[n_phi + n_h + 1] = static_cast<std::uint8_t>(loc_y);
}

}  // namespace mbi
