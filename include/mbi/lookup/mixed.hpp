#pragma once
// Mixed mode (paper Fig. 5): lookups answer an image only when every glimpse step found a
// key within `threshold` of its query (eq. 1 units); any other image goes to the teacher.
// One rule, used alike when the engine stops early (mbi eval --mode mixed) and when a sweep
// replays finished lookups at many thresholds (mbi experiment mixed).
#include <cmath>
#include <cstdint>

namespace mbi {

class MixedPolicy {
 public:
  // `threshold` in eq. 1 units (>= 0); `eq1_normalizer` the table's (ram_keys.hpp): raw
  // distances are eq. 1 distances times it.
  MixedPolicy(double threshold, double eq1_normalizer) : raw_(std::floor(threshold * eq1_normalizer)) {}

  // Whether lookups keep an image whose worst step's best match was `max_distance` (raw).
  bool lookups_answer(std::uint32_t max_distance) const { return max_distance <= raw_; }
  // The raw bound a lookup stops above (LookupOptions::stop_above): the same decision, taken
  // at the first step that fails it.
  std::uint32_t stop_above() const { return static_cast<std::uint32_t>(std::fmin(4e9, raw_)); }

 private:
  double raw_;
};

}  // namespace mbi
