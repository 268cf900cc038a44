#pragma once
// Hierarchical k-means tree over packed keys (paper section III-C).
//
// Each internal node splits its keys into up to `branching` clusters by k-means with the
// weighted Manhattan distance. Keys are thermometer bits, so the L1-optimal centre of a
// cluster is the per-bit majority of its members: a valid packed key itself, and comparing a
// query with a centroid is the same popcount kernel as comparing it with a key. A query
// descends to the nearest child at each level and scans one leaf exhaustively; with probes
// > 1 it then scans the next most promising leaves (best-first over the branches it skipped,
// as FLANN does), trading comparisons for recall.
//
// The tree stores no keys. It reorders them instead: building returns a permutation, and
// the caller stores its rows in that order, so that every node covers a contiguous range of
// rows and a leaf scan is one block kernel call. Searches take the keys in tree order.
//
// The tree is a flat array of nodes plus one centroid per node. Its serialized form is those
// arrays behind a small header (below), so a tree inside a memory-mapped table file is
// searched in place, without copying.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mbi/search/index.hpp"

namespace mbi {

struct KMeansTreeBuild;

struct KMeansTreeParams {
  std::uint32_t branching = 4;        // children per split, 2..256
  std::uint32_t max_leaf_size = 32;   // larger nodes are split, unless all their keys are equal
  std::uint32_t restarts = 3;         // k-means runs per split; the lowest total distance wins
  std::uint32_t max_iterations = 20;  // Lloyd iterations per run (it usually converges sooner)
  std::uint64_t seed = 1;             // same seed and keys -> the same tree, bit for bit
  // Threads computing distances while building (0 = all cores). Not part of the tree: any
  // count gives the same tree bit for bit, so it is never stored with a table.
  std::uint32_t threads = 1;
};

// Per-row data that the caller reads once a search has found its row (a lookup's value:
// next hidden state, next location, prediction), given as `bytes_per_row` bytes per row in
// tree order from `base`.
struct RowData {
  const void* base = nullptr;
  std::uint32_t bytes_per_row = 0;
};

// Where a tree search starts and what it is told besides the user's SearchParams: the state
// a forest (forest.hpp) passes to each of its trees. Defaults: the whole tree, no bound.
struct TreeSearchContext {
  // Search only the subtree under this node (e.g. one group's child of a grouped root).
  std::uint32_t start_node = 0;
  // Required by a bounded search (SearchParams::epsilon >= 0): this tree's node bounds for
  // the same keys and weights (KMeansTree::bounds). Every node's covering radius r bounds
  // what its branch can hold: each of its keys k has D(q, k) >= D(q, centroid) - r, because
  // eq. 1 with non-negative weights is a metric on the packed bits. The search scans leaves
  // best-first and skips every branch whose bound is at least best / (1 + epsilon), until no
  // branch is left: the answer is then within a factor (1 + epsilon) of the nearest key under
  // start_node, for every query.
  const struct KMeansTreeBounds* bounds = nullptr;
  // A distance already reached elsewhere (another tree of a forest): a bounded search also
  // skips the branches that cannot beat it by the factor above, so the promise holds for the
  // better of the answer and this bound. The first leaf is always scanned: the answer is this
  // tree's own best key found, which may be farther than the bound.
  std::uint32_t bound = 0xFFFFFFFFU;
  // Asked for (prefetched) by search_batch as soon as a query's row is settled, while the
  // other queries are still searching (not by a bounded search): a row's value lies anywhere
  // in the table, and reading it only after the whole batch's search left its cache misses
  // to wait in a line.
  std::span<const RowData> row_data;
};

// 16 bytes; stored as is (little-endian) in the serialized tree.
struct KMeansTreeNode {
  std::uint32_t first_child;  // children are nodes [first_child, first_child + child_count)
  std::uint32_t child_count;  // 0 for a leaf
  std::uint32_t begin;        // the node's keys are rows [begin, end) in tree order
  std::uint32_t end;
};

class KMeansTree {
 public:
  KMeansTree() = default;  // an empty tree over zero keys
  KMeansTree(const KMeansTree& other);
  KMeansTree& operator=(const KMeansTree& other);
  KMeansTree(KMeansTree&&) noexcept = default;
  KMeansTree& operator=(KMeansTree&&) noexcept = default;

  // Parses a serialized tree and keeps its own copy.
  static KMeansTree from_bytes(std::span<const std::byte> bytes, const std::string& source);
  // Parses a serialized tree in place: `bytes` must be 8-byte aligned and outlive the tree.
  // Both throw mbi::Error naming `source` when the bytes are not a well-formed tree.
  static KMeansTree view_bytes(std::span<const std::byte> bytes, const std::string& source);
  std::string serialize() const;
  // A tree over the same arrays that owns nothing: valid while this tree (or the bytes it
  // views) lives. How a table lends its trees to a forest without copying them.
  KMeansTree view() const;

  // Nearest key to `query` among `keys` (rows() keys in tree order, words() words each),
  // as far as `params` says (probes, budget or bound; SearchParams). `comparisons` counts
  // centroids and keys compared; `depth` is the level of the leaf that held the answer (0
  // when the root is a leaf). Ties go to the lowest row. Throws mbi::Error when
  // context.start_node is not a node, or a bounded search lacks its bounds.
  SearchResult search(std::span<const std::uint64_t> query, std::span<const std::uint64_t> keys,
                      std::span<const std::uint32_t> word_weights, const SearchParams& params,
                      const TreeSearchContext& context = {}) const;
  // The same, scanning `probes` leaves from the root.
  SearchResult search(std::span<const std::uint64_t> query, std::span<const std::uint64_t> keys,
                      std::span<const std::uint32_t> word_weights, std::uint32_t probes = 1) const {
    SearchParams params;
    params.probes = probes;
    return search(query, keys, word_weights, params);
  }

  // The same search for `results.size()` queries (back to back in `queries`), each result
  // equal to what search() returns for that query alone. The searches take turns, one tree
  // node each, and each turn prefetches the node that search visits next: a descent is a
  // chain of dependent cache misses, and interleaving many chains overlaps their latency
  // (on a table larger than the cache, most of a lone search's time is spent waiting).
  void search_batch(std::span<const std::uint64_t> queries, std::span<const std::uint64_t> keys,
                    std::span<const std::uint32_t> word_weights, const SearchParams& params,
                    const TreeSearchContext& context, std::span<SearchResult> results) const;

  // What a bounded search (SearchParams::epsilon) needs to know of every node, for these
  // keys (rows() keys in tree order) and weights. Costs one distance per key and tree level.
  KMeansTreeBounds bounds(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> word_weights) const;

  std::uint32_t words() const { return words_; }
  std::uint32_t rows() const { return rows_; }
  std::uint32_t max_depth() const { return max_depth_; }
  std::span<const KMeansTreeNode> nodes() const { return nodes_; }
  // Node i's centroid is words() words at centroids()[i * words()].
  std::span<const std::uint64_t> centroids() const { return centroids_; }

 private:
  friend KMeansTreeBuild build_kmeans_tree(std::span<const std::uint64_t>, std::span<const std::uint32_t>,
                                           const KMeansTreeParams&, std::span<const std::uint8_t>);
  static KMeansTree parse(std::span<const std::byte> bytes, const std::string& source);
  SearchResult search_bounded(const std::uint64_t* query, std::span<const std::uint64_t> keys,
                              const std::uint32_t* word_weights, const SearchParams& params,
                              const TreeSearchContext& context) const;
  // What a search's turn at `node` compares the query against: its children's centroids, or
  // a leaf's keys (`keys` in tree order).
  struct Block {
    const std::uint64_t* words;
    std::uint32_t count;  // keys (or centroids) of words() words each
  };
  Block block_of(std::uint32_t node, std::span<const std::uint64_t> keys) const;
  // search_batch with one leaf per query and no budget (results already reset).
  void search_one_leaf_batch(std::span<const std::uint64_t> queries, std::span<const std::uint64_t> keys,
                             const std::uint32_t* word_weights, std::uint32_t start_node,
                             std::span<const RowData> row_data, std::span<SearchResult> results) const;
  static std::string serialize(std::span<const KMeansTreeNode> nodes, std::span<const std::uint64_t> centroids,
                               std::uint32_t words, std::uint32_t rows);

  std::vector<std::uint64_t> storage_;  // the serialized form, when the tree owns it
  std::span<const KMeansTreeNode> nodes_;
  std::span<const std::uint64_t> centroids_;
  std::uint32_t words_ = 0;
  std::uint32_t rows_ = 0;
  std::uint32_t max_depth_ = 0;
};

// Two lower bounds on the distance from a query to any key under a node; a bounded search
// (TreeSearchContext::bounds) takes the larger.
//  - Covering radius r: the largest distance from the node's centroid to one of its keys.
//    Eq. 1 with non-negative weights is a metric on the packed bits, so by the triangle
//    inequality every key k under the node has D(q, k) >= D(q, centroid) - r.
//  - Bit box: the bits set in every key of the node (all_set) and in at least one (any_set).
//    A query bit that disagrees with every key costs its word's weight whichever key is
//    taken, so D(q, k) >= sum over words of weight * popcount((q & ~any_set) | (~q & all_set)).
//    It is tight where a node's keys agree on many bits (deep nodes, small leaves).
struct KMeansTreeBounds {
  std::vector<std::uint32_t> radius;   // per node
  std::vector<std::uint64_t> all_set;  // per node, words() words
  std::vector<std::uint64_t> any_set;  // per node, words() words
};

struct KMeansTreeBuild {
  KMeansTree tree;
  std::vector<std::uint32_t> order;  // row p in tree order is input key order[p]
};

// Builds the tree over keys (n keys of word_weights.size() words, back to back).
// Single-threaded and deterministic. Throws mbi::Error on bad parameters or sizes.
KMeansTreeBuild build_kmeans_tree(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> word_weights,
                                  const KMeansTreeParams& params = {});

// The same, but the root is split by `root_groups` (one value per key) instead of k-means:
// its children, in increasing group order, each hold exactly one group's keys, and each is
// an ordinary k-means subtree. A query that knows its group (the RAM: the glimpse step)
// searches from that child alone. Empty root_groups: an ordinary tree.
KMeansTreeBuild build_kmeans_tree(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> word_weights,
                                  const KMeansTreeParams& params, std::span<const std::uint8_t> root_groups);

}  // namespace mbi
