#pragma once
// Exhaustive nearest-key search: every key is compared with the query. It is the reference
// the tree search is measured against, and the right choice for small tables.
//
// Keys are stored back to back, words() 64-bit words each (see key_layout.hpp); the key
// size is taken from the query, and weights hold one weight per word
// (KeyLayout::word_weights). Sizes that do not agree throw mbi::Error.
#include <cstdint>
#include <span>
#include <vector>

#include "mbi/distance.hpp"

namespace mbi {

// The answer of any nearest-key search (exhaustive here, tree in kmeans_tree.hpp).
struct SearchResult {
  std::uint32_t index = kNoIndex;          // row of the nearest key; kNoIndex when there are no keys
  std::uint32_t distance = 0xFFFFFFFFU;    // its weighted distance to the query
  std::uint32_t comparisons = 0;           // distances computed (keys, plus centroids for a tree)
  std::uint32_t depth = 0;                 // tree levels descended to the answer's leaf (0 here)
};

// Makes (row, distance, depth) the answer when it is closer than best's, or as close with a
// lower row: the one tie rule of every search (leaf scans, forests), so that merging answers
// in any order gives the same result. Leaves best.comparisons alone.
inline void keep_closer(SearchResult& best, std::uint32_t row, std::uint32_t distance, std::uint32_t depth) {
  if (best.index == kNoIndex || distance < best.distance || (distance == best.distance && row < best.index)) {
    best.index = row;
    best.distance = distance;
    best.depth = depth;
  }
}

struct Neighbor {
  std::uint32_t index;
  std::uint32_t distance;
  bool operator==(const Neighbor&) const = default;
};

// The nearest key; ties go to the lowest index.
SearchResult exhaustive_nearest(std::span<const std::uint64_t> query, std::span<const std::uint64_t> keys,
                                std::span<const std::uint32_t> word_weights);

// The k nearest keys (all of them when there are fewer), sorted by (distance, index).
std::vector<Neighbor> exhaustive_k_nearest(std::span<const std::uint64_t> query,
                                           std::span<const std::uint64_t> keys,
                                           std::span<const std::uint32_t> word_weights, std::size_t k);

}  // namespace mbi
