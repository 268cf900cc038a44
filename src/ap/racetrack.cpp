#include "mbi/ap/racetrack.hpp"

#include <cstdlib>
#include <string>

#include "mbi/core/error.hpp"

namespace mbi::ap {

RacetrackTracks::RacetrackTracks(std::uint32_t columns, RacetrackGeometry geometry) : geometry_(geometry) {
  if (!enabled()) return;
  const std::uint32_t d = geometry.domains_per_track, p = geometry.ports_per_track;
  if (p == 0 || p > d || d % p != 0)
    throw Error("racetrack: " + std::to_string(p) + " ports cannot be spaced evenly on tracks of " + std::to_string(d) +
                " domains");
  offset_.assign((columns + d - 1) / d, 0);
}

std::uint64_t RacetrackTracks::align(std::uint32_t column) {
  if (!enabled()) return 0;
  const std::int64_t d = geometry_.domains_per_track;
  const std::int64_t spacing = d / geometry_.ports_per_track;
  std::int64_t& offset = offset_[column / d];
  const std::int64_t domain = column % d;
  // Port k reads domain k * spacing + offset: move to the port needing the fewest shifts
  // (ports are few, so trying each is cheapest to get right).
  std::int64_t best_shift = domain - offset;
  for (std::int64_t k = 1; k < geometry_.ports_per_track; ++k) {
    const std::int64_t shift = domain - k * spacing - offset;
    if (std::llabs(shift) < std::llabs(best_shift)) best_shift = shift;
  }
  offset += best_shift;
  return static_cast<std::uint64_t>(std::llabs(best_shift));
}

}  // namespace mbi::ap
