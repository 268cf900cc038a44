#pragma once
// Seeded random numbers for the optimizers. std::mt19937_64 is fully specified by the
// standard, but the std:: distributions are not, so uniform and normal draws are done
// here by hand: the same seed gives the same suggestions with any standard library.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <random>

namespace mbi::bo {

class Random {
 public:
  // `stream` separates independent sequences drawn from one user seed (for example one
  // per trial), so that each sequence depends only on (seed, stream).
  explicit Random(std::uint64_t seed, std::uint64_t stream = 0)
      : engine_(mix(mix(seed) ^ mix(stream + 0x632BE59BD9B4E019ULL))) {}

  std::uint64_t bits() { return engine_(); }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  double uniform(double lower, double upper) { return lower + (upper - lower) * uniform(); }

  // Standard normal by Box-Muller; the second value of each pair is discarded to keep
  // the generator stateless beyond the engine.
  double normal() {
    const double u = 1.0 - uniform();  // in (0, 1], so log(u) is finite
    const double v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * std::numbers::pi * v);
  }

  // Uniform in [0, n), without modulo bias. n must be positive.
  std::size_t index(std::size_t n) {
    const std::uint64_t range = n;
    const std::uint64_t limit = UINT64_MAX - UINT64_MAX % range;
    std::uint64_t draw = engine_();
    while (draw >= limit) draw = engine_();
    return static_cast<std::size_t>(draw % range);
  }

 private:
  // SplitMix64 finaliser: spreads nearby seeds (0, 1, 2...) far apart.
  static std::uint64_t mix(std::uint64_t z) {
    z += 0x9E3779B97F4A7C15ULL;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

  std::mt19937_64 engine_;
};

}  // namespace mbi::bo
