#pragma once
// Which weights of the lookup distance (paper eq. 1 and the richer weightings the key layout
// allows) a tuning run searches, and the box it searches them in:
//   eq1     a (all glimpse scales), b (hidden), c (both location axes): the paper's eq. 1
//   scales  one weight per glimpse scale, hidden, location
//   axes    glimpse, hidden, loc_x, loc_y
//   full    one weight per key segment
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mbi/bo/space.hpp"
#include "mbi/lookup/ram_config.hpp"

namespace mbi::tune {

// Published search box of eq. 1's weights (author's code: bounds [1, 100] for a, b, c).
inline constexpr double kWeightLower = 1.0;
inline constexpr double kWeightUpper = 100.0;

struct WeightSpace {
  std::string name;
  bo::Space box;                       // one dimension per tuned weight
  std::vector<std::size_t> dimension;  // per key segment: the dimension that sets its weight

  // Integer segment weights (the table's WGHT section) for a point of the box.
  std::vector<std::uint32_t> segment_weights(const RamConfig& config, const std::vector<double>& x) const;
  // {"a": 29.98, ...}: the point with its dimensions named.
  nlohmann::json values(const std::vector<double>& x) const;
  // "a=29.98 b=16.08 c=9.93", for logs and CSV cells.
  std::string format(const std::vector<double>& x) const;
};

const std::vector<std::string>& weight_space_names();
// Throws mbi::Error naming the flag `flag` for an unknown space.
WeightSpace make_weight_space(const std::string& name, const RamConfig& config, const std::string& flag = "--space");

}  // namespace mbi::tune
