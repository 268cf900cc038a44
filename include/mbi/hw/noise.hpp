#pragma once
// Read noise and unreliable storage, and repeated reads to fight them.
//
// (a) distance read noise, as in the published noise study: a Gaussian of std
//     distance_sigma (distance units) added to each component's distance (phi, h, l of
//     paper eq. 1) before the components are weighted. Drawn per read.
// (b) a stored-key model for emerging memories whose reads fluctuate (Goh et al. 2021,
//     arXiv 2112.00324): on every read each stored key cell
//       - returns the wrong bit with probability bit_flip_probability, and
//       - has a fluctuating conductance: the voltage its discharge removes from the sum line
//         is scaled by (1 + conductance_sigma * N(0, 1)).
// (c) mitigation: the match is performed `reads` times and the per-component distances are
//     combined by their mean (averaging) or median (the multi-level form of a majority vote,
//     robust to the rare large errors bit flips cause). Costs `reads` times the energy.
#include <cstdint>

namespace mbi::hw {

enum class ReadCombine : std::uint8_t { mean, median };

struct NoiseOptions {
  double distance_sigma = 0.0;        // (a)
  double bit_flip_probability = 0.0;  // (b)
  double conductance_sigma = 0.0;     // (b)
  std::uint32_t reads = 1;            // (c)
  ReadCombine combine = ReadCombine::mean;

  // True when reads differ from each other.
  bool random() const { return distance_sigma > 0.0 || bit_flip_probability > 0.0 || conductance_sigma > 0.0; }
};

}  // namespace mbi::hw
