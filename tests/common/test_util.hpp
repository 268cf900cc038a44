#pragma once
// Plain reference implementations and data generators shared by the tests. The
// references are written for obviousness, not speed, and share no code with the library.
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "mbi/search/key_layout.hpp"

namespace mbi::test {

// Bit count by shifting: independent of std::popcount and of every kernel.
inline std::uint32_t count_bits(std::uint64_t x) {
  std::uint32_t n = 0;
  for (; x != 0; x >>= 1) n += static_cast<std::uint32_t>(x & 1U);
  return n;
}

inline std::uint32_t reference_distance(const std::uint64_t* a, const std::uint64_t* b,
                                        const std::uint32_t* weights, std::size_t words) {
  std::uint32_t d = 0;
  for (std::size_t i = 0; i < words; ++i) d += weights[i] * count_bits(a[i] ^ b[i]);
  return d;
}

// The key layout of the published RAM: three 4x4 patches of 2-bit values, a 1-bit 64-wide
// hidden state, pixel locations 0..28. Five words per key.
inline KeyLayout ram_layout() {
  return KeyLayout({{"glimpse", 48, 4}, {"hidden", 64, 2}, {"location", 2, 29}});
}

inline std::vector<std::uint64_t> random_words(std::size_t count, std::mt19937_64& rng) {
  std::vector<std::uint64_t> words(count);
  for (auto& w : words) w = rng();
  return words;
}

// Moves `moves` random values of a packed key by +-1 (staying in range): a query near a key.
inline std::vector<std::uint64_t> perturbed(const KeyLayout& layout, std::span<const std::uint64_t> key,
                                            std::size_t moves, std::mt19937_64& rng) {
  std::vector<std::uint32_t> levels;
  for (const auto& s : layout.segments())
    for (std::uint32_t i = 0; i < s.values; ++i) levels.push_back(s.levels);
  std::vector<std::uint8_t> values(layout.total_values());
  layout.decode(key, values);
  for (std::size_t j = 0; j < moves; ++j) {
    const std::size_t v = rng() % values.size();
    const int moved = values[v] + ((rng() & 1U) ? 1 : -1);
    if (moved >= 0 && moved < static_cast<int>(levels[v])) values[v] = static_cast<std::uint8_t>(moved);
  }
  std::vector<std::uint64_t> out(layout.words());
  layout.encode(values, out);
  return out;
}

// n keys around `centres` cluster centres: each key copies a centre's values and moves
// `noise` of them by +-1, the way nearby glimpses of similar images differ.
inline std::vector<std::uint64_t> clustered_keys(const KeyLayout& layout, std::size_t n, std::size_t centres,
                                                 std::size_t noise, std::mt19937_64& rng) {
  std::vector<std::vector<std::uint8_t>> centre_values(centres, std::vector<std::uint8_t>(layout.total_values()));
  std::vector<std::uint32_t> levels;
  for (const auto& s : layout.segments())
    for (std::uint32_t i = 0; i < s.values; ++i) levels.push_back(s.levels);
  for (auto& c : centre_values)
    for (std::size_t v = 0; v < c.size(); ++v) c[v] = static_cast<std::uint8_t>(rng() % levels[v]);
  std::vector<std::uint64_t> keys(n * layout.words());
  std::vector<std::uint8_t> values;
  for (std::size_t k = 0; k < n; ++k) {
    values = centre_values[rng() % centres];
    for (std::size_t j = 0; j < noise; ++j) {
      const std::size_t v = rng() % values.size();
      const int delta = (rng() & 1U) ? 1 : -1;
      const int moved = values[v] + delta;
      if (moved >= 0 && moved < static_cast<int>(levels[v])) values[v] = static_cast<std::uint8_t>(moved);
    }
    layout.encode(values, {keys.data() + k * layout.words(), layout.words()});
  }
  return keys;
}

}  // namespace mbi::test
