#pragma once
// Seeded random numbers for the hardware model. The std:: distributions are not specified
// bit for bit, so uniform, normal and geometric draws are done here by hand: one seed gives
// the same fabricated arrays and the same noisy reads with any standard library.
// xoshiro256** is used because the noisy lookup loop draws many numbers per key.
#include <cmath>
#include <cstdint>
#include <numbers>

namespace mbi::hw {

// SplitMix64 finaliser: spreads nearby seeds (0, 1, 2...) far apart.
constexpr std::uint64_t mix64(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// One independent stream per (seed, stream) pair, e.g. one per Monte Carlo trial.
constexpr std::uint64_t stream_seed(std::uint64_t seed, std::uint64_t stream) {
  return mix64(mix64(seed) ^ mix64(stream + 0x632BE59BD9B4E019ULL));
}

class Rng {
 public:
  explicit Rng(std::uint64_t seed = 0) {
    std::uint64_t z = seed;
    for (auto& word : state_) word = mix64(z++);
  }

  std::uint64_t next() {
    const std::uint64_t result = rotl(state_[1] * 5, 7) * 9;
    const std::uint64_t t = state_[1] << 17;
    state_[2] ^= state_[0];
    state_[3] ^= state_[1];
    state_[1] ^= state_[2];
    state_[0] ^= state_[3];
    state_[2] ^= t;
    state_[3] = rotl(state_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

  // Uniform in [0, n); the modulo bias is below 2^-40 for the small n used here.
  std::uint32_t index(std::uint32_t n) { return static_cast<std::uint32_t>((next() >> 11) % n); }

  // Standard normal by Box-Muller, both values of each pair used.
  double normal() {
    if (has_spare_) {
      has_spare_ = false;
      return spare_;
    }
    const double u = 1.0 - uniform();  // in (0, 1], so log(u) is finite
    const double v = uniform();
    const double r = std::sqrt(-2.0 * std::log(u));
    spare_ = r * std::sin(2.0 * std::numbers::pi * v);
    has_spare_ = true;
    return r * std::cos(2.0 * std::numbers::pi * v);
  }

  // Failures before the first success of Bernoulli trials with success probability p,
  // given log1m_p = log(1 - p) < 0. Lets rare events (bit flips) be drawn in time
  // proportional to their number rather than to the number of cells.
  double geometric(double log1m_p) { return std::floor(std::log(1.0 - uniform()) / log1m_p); }

 private:
  static constexpr std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

  std::uint64_t state_[4];
  double spare_ = 0.0;
  bool has_spare_ = false;
};

}  // namespace mbi::hw
