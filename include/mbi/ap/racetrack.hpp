#pragma once
// Racetrack memory (RTM) under a CAM: the bits of a row are domains on tracks that must be
// shifted until the domain wanted sits under an access port. Column c of the array is domain
// c % D of track c / D; every row's copy of a track shifts in lockstep, so one position per
// track is enough to count the shifts an access sequence costs.
#include <cstdint>
#include <vector>

namespace mbi::ap {

struct RacetrackGeometry {
  std::uint32_t domains_per_track = 0;  // D; 0 means a plain CAM, no shifts at all
  std::uint32_t ports_per_track = 1;    // P, evenly spaced: port k reads domain k * D / P at rest
};

class RacetrackTracks {
 public:
  // `columns` bit columns laid on tracks of `geometry` (D a multiple of P, 1 <= P <= D).
  RacetrackTracks(std::uint32_t columns, RacetrackGeometry geometry);

  // Brings `column` under the nearest port; returns the shifts (one domain each) it took.
  std::uint64_t align(std::uint32_t column);
  bool enabled() const { return geometry_.domains_per_track != 0; }
  const RacetrackGeometry& geometry() const { return geometry_; }

 private:
  RacetrackGeometry geometry_;
  std::vector<std::int64_t> offset_;  // per track: how far it is shifted from rest
};

}  // namespace mbi::ap
