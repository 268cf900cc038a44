#include "mbi/search/exhaustive.hpp"

#include <algorithm>
#include <array>
#include <string>

#include "mbi/core/error.hpp"

namespace mbi {
namespace {

// Returns the number of keys; throws when the spans do not describe whole keys.
std::size_t key_count(std::span<const std::uint64_t> query, std::span<const std::uint64_t> keys,
                      std::span<const std::uint32_t> word_weights) {
  const std::size_t words = query.size();
  if (words == 0 || word_weights.size() != words || keys.size() % words != 0)
    throw Error("exhaustive search: query of " + std::to_string(words) + " words, " +
                std::to_string(word_weights.size()) + " weights and " + std::to_string(keys.size()) +
                " key words do not agree");
  const std::size_t n = keys.size() / words;
  if (n >= kNoIndex) throw Error("exhaustive search: more than 2^32-1 keys");
  return n;
}

bool closer(const Neighbor& a, const Neighbor& b) {
  return a.distance < b.distance || (a.distance == b.distance && a.index < b.index);
}

}  // namespace

SearchResult exhaustive_nearest(std::span<const std::uint64_t> query, std::span<const std::uint64_t> keys,
                                std::span<const std::uint32_t> word_weights) {
  const std::size_t n = key_count(query, keys, word_weights);
  const BlockNearest best = weighted_argmin(query.data(), keys.data(), n, word_weights.data(), query.size());
  SearchResult result;
  result.index = best.index;
  result.distance = best.distance;
  result.comparisons = static_cast<std::uint32_t>(n);
  return result;
}

std::vector<Neighbor> exhaustive_k_nearest(std::span<const std::uint64_t> query,
                                           std::span<const std::uint64_t> keys,
                                           std::span<const std::uint32_t> word_weights, std::size_t k) {
  const std::size_t n = key_count(query, keys, word_weights);
  const std::size_t words = query.size();
  k = std::min(k, n);
  std::vector<Neighbor> heap;  // max-heap by closer(): front is the worst of the k kept
  if (k == 0) return heap;
  heap.reserve(k + 1);
  // Distances are computed a block at a time with the vector kernel; the heap sees only keys
  // that beat its current worst, which after the first few blocks is rare.
  constexpr std::size_t kBlock = 1024;
  std::array<std::uint32_t, kBlock> distances;
  for (std::size_t start = 0; start < n; start += kBlock) {
    const std::size_t count = std::min(kBlock, n - start);
    weighted_distances(query.data(), keys.data() + start * words, count, word_weights.data(), words,
                       distances.data());
    for (std::size_t i = 0; i < count; ++i) {
      const Neighbor candidate{static_cast<std::uint32_t>(start + i), distances[i]};
      if (heap.size() < k) {
        heap.push_back(candidate);
        std::push_heap(heap.begin(), heap.end(), closer);
      } else if (closer(candidate, heap.front())) {
        std::pop_heap(heap.begin(), heap.end(), closer);
        heap.back() = candidate;
        std::push_heap(heap.begin(), heap.end(), closer);
      }
    }
  }
  std::sort_heap(heap.begin(), heap.end(), closer);
  return heap;
}

}  // namespace mbi

namespace mbi {

ExhaustiveIndex::ExhaustiveIndex(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> word_weights)
    : keys_(keys), word_weights_(word_weights) {
  if (word_weights.empty() || keys.size() % word_weights.size() != 0)
    throw Error("exhaustive search: " + std::to_string(keys.size()) + " key words are not whole keys of " +
                std::to_string(word_weights.size()) + " words");
}

void ExhaustiveIndex::search(std::span<const std::uint64_t> queries, int, const SearchParams&,
                             std::span<SearchResult> results) const {
  const std::size_t words = word_weights_.size();
  if (queries.size() != results.size() * words)
    throw Error("exhaustive search: " + std::to_string(queries.size()) + " query words for " +
                std::to_string(results.size()) + " queries of " + std::to_string(words) + " words");
  for (std::size_t i = 0; i < results.size(); ++i)
    results[i] = exhaustive_nearest(queries.subspan(i * words, words), keys_, word_weights_);
}

}  // namespace mbi
