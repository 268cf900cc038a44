#pragma once
// The one seeded random source of mbi: Bayesian optimisation, the hardware model's
// fabrication and read noise, and every simulator that draws numbers use it.
//
// std::mt19937_64 is fully specified by the standard, but the std:: distributions are not,
// so uniform, normal, index and geometric draws are done here by hand: one seed gives the
// same numbers with any standard library, on any platform.
//
// Seeds: a user seed and a `stream` number (one per trial, per array, per query...) are
// mixed by SplitMix64 into the engine's seed, so nearby seeds (0, 1, 2...) and streams give
// unrelated sequences, and each sequence depends on (seed, stream) alone.
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <numbers>
#include <random>

namespace mbi {

// SplitMix64 finaliser: spreads nearby seeds far apart.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The engine seed of stream `stream` of user seed `seed`.
constexpr std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
  return mix64(mix64(seed) ^ mix64(stream + 0x632BE59BD9B4E019ULL));
}

class Random {
 public:
  explicit Random(std::uint64_t seed = 0, std::uint64_t stream = 0) : engine_(stream_seed(seed, stream)) {}

  // 64 random bits.
  std::uint64_t bits() { return engine_(); }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(engine_() >> 11) * 0x1.0p-53; }

  double uniform(double lower, double upper) { return lower + (upper - lower) * uniform(); }

  // Standard normal by Box-Muller. Each draw takes a fresh pair of uniforms and drops the
  // second value, so that a draw depends on the engine alone (no cached spare): a generator
  // copied or reseeded mid-stream goes on exactly as a fresh one would.
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

  // Failures before the first success of Bernoulli trials with success probability p,
  // given log1m_p = log(1 - p) < 0. Lets rare events (bit flips) be drawn in time
  // proportional to their number rather than to the number of cells.
  double geometric(double log1m_p) { return std::floor(std::log(1.0 - uniform()) / log1m_p); }

 private:
  std::mt19937_64 engine_;
};

}  // namespace mbi
