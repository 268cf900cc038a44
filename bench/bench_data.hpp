#pragma once
// Synthetic keys for the benchmarks, shaped like the real table: the published RAM key
// layout (3 x 16 two-bit glimpse values, 64 hidden bits, two pixel coordinates: 5 words),
// clustered the way glimpses of similar images are.
#include <cstdint>
#include <random>
#include <span>
#include <vector>

#include "mbi/search/key_layout.hpp"

namespace mbi::bench {

// The real table's size (rows recorded from the MNIST training set).
inline constexpr std::size_t kTableRows = 270000;

inline KeyLayout ram_layout() { return KeyLayout({{"glimpse", 48, 4}, {"hidden", 64, 2}, {"location", 2, 29}}); }
// The same with the two location axes as separate segments: 6 words.
inline KeyLayout ram_layout_6() {
  return KeyLayout({{"glimpse", 48, 4}, {"hidden", 64, 2}, {"loc_x", 1, 29}, {"loc_y", 1, 29}});
}

inline std::vector<std::uint32_t> levels_of(const KeyLayout& layout) {
  std::vector<std::uint32_t> levels;
  for (const auto& s : layout.segments())
    for (std::uint32_t i = 0; i < s.values; ++i) levels.push_back(s.levels);
  return levels;
}

// Moves `moves` random values by +-1 (staying in range).
inline void jitter(std::vector<std::uint8_t>& values, const std::vector<std::uint32_t>& levels, std::size_t moves,
                   std::mt19937_64& rng) {
  for (std::size_t j = 0; j < moves; ++j) {
    const std::size_t v = rng() % values.size();
    const int moved = values[v] + ((rng() & 1U) ? 1 : -1);
    if (moved >= 0 && moved < static_cast<int>(levels[v])) values[v] = static_cast<std::uint8_t>(moved);
  }
}

// n keys around `centres` random centres, each key `noise` +-1 moves from its centre.
inline std::vector<std::uint64_t> clustered_keys(const KeyLayout& layout, std::size_t n, std::size_t centres,
                                                 std::size_t noise, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const auto levels = levels_of(layout);
  std::vector<std::vector<std::uint8_t>> centre_values(centres, std::vector<std::uint8_t>(levels.size()));
  for (auto& c : centre_values)
    for (std::size_t v = 0; v < c.size(); ++v) c[v] = static_cast<std::uint8_t>(rng() % levels[v]);
  std::vector<std::uint64_t> keys(n * layout.words());
  for (std::size_t k = 0; k < n; ++k) {
    std::vector<std::uint8_t> values = centre_values[rng() % centres];
    jitter(values, levels, noise, rng);
    layout.encode(values, {keys.data() + k * layout.words(), layout.words()});
  }
  return keys;
}

// Queries near stored keys: a stored key with `moves` values moved by one level.
inline std::vector<std::uint64_t> queries_near(const KeyLayout& layout, std::span<const std::uint64_t> keys,
                                               std::size_t count, std::size_t moves, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  const auto levels = levels_of(layout);
  const std::size_t words = layout.words();
  const std::size_t n = keys.size() / words;
  std::vector<std::uint64_t> queries(count * words);
  std::vector<std::uint8_t> values(levels.size());
  for (std::size_t q = 0; q < count; ++q) {
    layout.decode(keys.subspan((rng() % n) * words, words), values);
    jitter(values, levels, moves, rng);
    layout.encode(values, {queries.data() + q * words, words});
  }
  return queries;
}

}  // namespace mbi::bench
