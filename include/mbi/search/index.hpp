#pragma once
// The search contract, in the spirit of FAISS's Index::search: a batch of packed queries
// in, the nearest row of each out with its distance and the work it took. Exhaustive
// search, k-means trees and forests (budgeted or bounded), and the hardware model's
// simulated arrays all implement it, so lookup inference, tuning and the experiments run
// on any of them unchanged.
//
// Keys are packed (key_layout.hpp), words() 64-bit words each, compared by the weighted
// Manhattan distance of distance.hpp with the index's own weights.
#include <cstddef>
#include <cstdint>
#include <span>

#include "mbi/core/error.hpp"
#include "mbi/search/distance.hpp"

namespace mbi {

// The answer of a search for one query.
struct SearchResult {
  std::uint32_t index = kNoIndex;        // row of the nearest key found; kNoIndex when there are no keys
  std::uint32_t distance = 0xFFFFFFFFU;  // its weighted distance to the query
  std::uint32_t comparisons = 0;         // distances computed (keys, plus centroids for a tree)
  std::uint32_t depth = 0;               // tree levels descended to the answer's leaf (0 without a tree)
  // Link-list entries a graph walk read to find its candidates (each list's count word and its
  // node ids, 32 bits each); 0 for trees and scans, whose candidates lie side by side.
  std::uint32_t links_read = 0;
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

// Largest epsilon a bounded search takes (a factor 101: past it, prefer a budget).
inline constexpr double kMaxSearchEpsilon = 100.0;

// What a user sets for a search. Every index reads the fields that apply to it; an
// exhaustive search reads none.
struct SearchParams {
  // Tree leaves to scan: the first by greedy descent, the rest best-first over the branches
  // skipped on the way (FLANN's probes).
  std::uint32_t probes = 1;
  // When > 0, replaces probes: keep scanning leaves best-first until this many distances
  // (centroids plus keys) have been computed. A budget in comparisons costs the same
  // whatever the leaf sizes, so accuracy/speed trade-offs compare across trees (FLANN's
  // "checks"). A forest splits it evenly between its trees.
  std::uint32_t max_comparisons = 0;
  // When >= 0, a bounded search instead: every answer is within a factor 1 + epsilon of the
  // nearest key the index can reach (node bounds prune the rest). probes is ignored;
  // max_comparisons, when > 0, still caps the work (and then voids the guarantee).
  double epsilon = -1;
};

class NearestIndex {
 public:
  virtual ~NearestIndex() = default;

  virtual std::uint32_t words() const = 0;  // 64-bit words per key
  virtual std::size_t rows() const = 0;

  // The nearest row to each of results.size() queries, stored back to back in `queries`
  // (words() words each). `group` is the queries' group (for lookups: their glimpse step),
  // or -1 for none: an index partitioned by group (a per-step tree) searches only that
  // group's rows, any other ignores it. Ties go to the lowest row. Safe to call from several
  // threads at once. Throws mbi::Error when the sizes do not fit.
  virtual void search(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
                      std::span<SearchResult> results) const = 0;

  // The k nearest rows to one query (words() words) among the candidates the search
  // visits, nearest first with ties to the lower row, in out[0..k); returns how many were
  // found (fewer than out.size() when fewer candidates were compared). out[0].comparisons
  // holds the search's comparisons. Used to vote over the k nearest values (LookupOptions::
  // vote). An index that keeps only its best candidate throws mbi::Error; the hardware
  // index ranks every candidate its arrays read.
  virtual std::size_t search_k(std::span<const std::uint64_t> /*query*/, int /*group*/,
                               const SearchParams& /*params*/, std::span<SearchResult> /*out*/) const {
    throw Error("this index keeps only its nearest row: voting over the k nearest needs the hardware index");
  }

  // One query.
  SearchResult search_one(std::span<const std::uint64_t> query, int group, const SearchParams& params) const {
    SearchResult result;
    search(query, group, params, {&result, 1});
    return result;
  }
};

}  // namespace mbi
