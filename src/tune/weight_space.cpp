#include "mbi/tune/weight_space.hpp"

#include <fmt/format.h>

#include "mbi/core/error.hpp"
#include "mbi/lookup/ram_keys.hpp"

namespace mbi::tune {
namespace {

// Builds a space from named dimensions and the dimension of each key segment.
WeightSpace space_of(const std::string& name, const std::vector<std::string>& dims, std::vector<std::size_t> of) {
  std::vector<bo::Dimension> box;
  for (const auto& d : dims) box.push_back({d, kWeightLower, kWeightUpper});
  return {name, bo::Space(std::move(box)), std::move(of)};
}

WeightSpace eq1_space(const RamConfig& config) {
  std::vector<std::size_t> of;
  for (const KeyComponent k : ram_key_components(config)) of.push_back(static_cast<std::size_t>(k));
  return space_of("eq1", {"a", "b", "c"}, std::move(of));
}

// Glimpse scales apart; hidden; both location axes together.
WeightSpace scales_space(const RamConfig& config) {
  std::vector<std::string> dims;
  std::vector<std::size_t> of;
  for (int k = 0; k < config.patches; ++k) {
    of.push_back(dims.size());
    dims.push_back("glimpse" + std::to_string(k));
  }
  of.push_back(dims.size());
  dims.emplace_back("hidden");
  of.push_back(dims.size());
  of.push_back(dims.size());
  dims.emplace_back("location");
  return space_of("scales", dims, std::move(of));
}

// All glimpse scales together; hidden; location axes apart.
WeightSpace axes_space(const RamConfig& config) {
  std::vector<std::size_t> of(static_cast<std::size_t>(config.patches), 0);
  of.insert(of.end(), {1, 2, 3});
  return space_of("axes", {"glimpse", "hidden", "loc_x", "loc_y"}, std::move(of));
}

WeightSpace full_space(const RamConfig& config) {
  std::vector<std::string> dims;
  std::vector<std::size_t> of;
  const KeyLayout layout = ram_key_layout(config);  // the loop must not outlive it
  for (const auto& segment : layout.segments()) {
    of.push_back(dims.size());
    dims.push_back(segment.name);
  }
  return space_of("full", dims, std::move(of));
}

}  // namespace

std::vector<std::uint32_t> WeightSpace::segment_weights(const RamConfig& config, const std::vector<double>& x) const {
  if (x.size() != box.size()) throw Error("weights: expected " + std::to_string(box.size()) + " values for space " + name);
  // eq. 1 goes through the library's own mapping, so that (1, 1, 1) is the unweighted
  // table exactly as `mbi distill` writes it.
  if (name == "eq1") return eq1_segment_weights(config, x[0], x[1], x[2]);
  std::vector<double> per_segment;
  for (const std::size_t d : dimension) per_segment.push_back(x[d]);
  return integer_weights(per_segment);
}

nlohmann::json WeightSpace::values(const std::vector<double>& x) const {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t d = 0; d < box.size() && d < x.size(); ++d) out[box[d].name] = x[d];
  return out;
}

std::string WeightSpace::format(const std::vector<double>& x) const {
  std::string out;
  for (std::size_t d = 0; d < box.size() && d < x.size(); ++d)
    out += fmt::format("{}{}={:.2f}", d ? " " : "", box[d].name, x[d]);
  return out;
}

const std::vector<std::string>& weight_space_names() {
  static const std::vector<std::string> names = {"eq1", "scales", "axes", "full"};
  return names;
}

WeightSpace make_weight_space(const std::string& name, const RamConfig& config, const std::string& flag) {
  if (name == "eq1") return eq1_space(config);
  if (name == "scales") return scales_space(config);
  if (name == "axes") return axes_space(config);
  if (name == "full") return full_space(config);
  throw Error(flag + ": unknown weight space '" + name + "' (eq1, scales, axes or full)");
}

}  // namespace mbi::tune
