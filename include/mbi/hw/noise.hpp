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
// (d) keys stored in PCM (aihwkit's model, device/pcm.hpp) instead of SRAM, read
//     `pcm->seconds` after programming: each cell is a 2T2R pair, one device programmed to
//     g_max (SET) and one to 0 uS (RESET). A mismatching cell discharges through its SET
//     device, a matching one leaks through its RESET device; either way the cell's drop is
//     its nominal drop times the conducting device's read conductance over g_max, times the
//     global drift compensation factor when it is on. Programming noise and the drift
//     exponent are fixed per device (drawn from the model's seed and the device's place:
//     tile, row, array, column, side); the 1/f read noise is drawn per read.
#include <cstdint>
#include <optional>

#include "mbi/device/pcm.hpp"

namespace mbi::hw {

enum class ReadCombine : std::uint8_t { mean, median };

struct PcmKeys {
  device::PcmParameters parameters;
  double seconds = 86400;         // since programming
  bool drift_compensation = true;  // aihwkit's global compensation, measured on the SET devices
};

struct NoiseOptions {
  double distance_sigma = 0.0;        // (a)
  double bit_flip_probability = 0.0;  // (b)
  double conductance_sigma = 0.0;     // (b)
  std::optional<PcmKeys> pcm;         // (d)
  std::uint32_t reads = 1;            // (c)
  ReadCombine combine = ReadCombine::mean;

  // True when reads differ from each other.
  bool random() const {
    return distance_sigma > 0.0 || bit_flip_probability > 0.0 || conductance_sigma > 0.0 || pcm.has_value();
  }
};

}  // namespace mbi::hw
