#pragma once
// A standard normal that depends on (seed, counter) alone: for simulators with more random
// devices than they can keep (every cell of a 900,000-row table stored in PCM), which redraw
// a device's fixed draw from its place whenever they read it. Box-Muller on two SplitMix64
// outputs of the counter's stream seed (random.hpp), so it is as platform-independent as
// mbi::Random.
#include <cmath>
#include <cstdint>
#include <numbers>

#include "mbi/core/random.hpp"

namespace mbi {

inline double counter_normal(std::uint64_t seed, std::uint64_t counter) {
  const std::uint64_t a = stream_seed(seed, counter);
  const double u = 1.0 - static_cast<double>(mix64(a) >> 11) * 0x1.0p-53;  // (0, 1]: log(u) is finite
  const double v = static_cast<double>(mix64(a ^ 0xD1B54A32D192ED03ULL) >> 11) * 0x1.0p-53;
  return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
}

}  // namespace mbi
