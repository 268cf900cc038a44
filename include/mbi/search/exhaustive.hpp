#pragma once
// Exhaustive nearest-key search: every key is compared with the query. It is the reference
// the tree search is measured against, and the right choice for small tables.
//
// Keys are stored back to back, words() 64-bit words each (see key_layout.hpp); weights hold
// one weight per word (KeyLayout::word_weights). Sizes that do not agree throw mbi::Error.
#include <cstdint>
#include <span>
#include <vector>

#include "mbi/search/index.hpp"

namespace mbi {

struct Neighbor {
  std::uint32_t index;
  std::uint32_t distance;
  bool operator==(const Neighbor&) const = default;
};

// The nearest key; ties go to the lowest index. The key size is taken from the query.
SearchResult exhaustive_nearest(std::span<const std::uint64_t> query, std::span<const std::uint64_t> keys,
                                std::span<const std::uint32_t> word_weights);

// The k nearest keys (all of them when there are fewer), sorted by (distance, index).
std::vector<Neighbor> exhaustive_k_nearest(std::span<const std::uint64_t> query,
                                           std::span<const std::uint64_t> keys,
                                           std::span<const std::uint32_t> word_weights, std::size_t k);

// exhaustive_nearest behind the search contract, over keys and weights it does not own (they
// must outlive it). It ignores the group and every search parameter.
class ExhaustiveIndex final : public NearestIndex {
 public:
  ExhaustiveIndex() = default;
  // Throws mbi::Error unless keys hold whole keys of word_weights.size() words.
  ExhaustiveIndex(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> word_weights);

  std::uint32_t words() const override { return static_cast<std::uint32_t>(word_weights_.size()); }
  std::size_t rows() const override { return word_weights_.empty() ? 0 : keys_.size() / word_weights_.size(); }
  void search(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
              std::span<SearchResult> results) const override;

 private:
  std::span<const std::uint64_t> keys_;
  std::span<const std::uint32_t> word_weights_;
};

}  // namespace mbi
