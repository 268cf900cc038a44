// KMeansTree: serialized form, validation, and search. Building is in kmeans_tree_build.cpp.
//
// Serialized form (little-endian), also the TREE section of a table file:
//   offset 0   char[4]  "MBKT"
//          4   u32      version (1)
//          8   u32      words per key
//         12   u32      node count N
//         16   u32      rows (keys covered)
//         20   u32[3]   zero
//         32   N x 16 bytes   nodes (KMeansTreeNode), root first, children after parents
//   32 + 16N   N x words x u64  centroids, node i's at word i * words
#include "mbi/search/kmeans_tree.hpp"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <functional>
#include <type_traits>

#include "mbi/core/error.hpp"

namespace mbi {
namespace {

static_assert(std::endian::native == std::endian::little, "the serialized tree is little-endian");
static_assert(sizeof(KMeansTreeNode) == 16);

constexpr char kMagic[4] = {'M', 'B', 'K', 'T'};
constexpr std::uint32_t kVersion = 1;
constexpr std::size_t kHeaderBytes = 32;
// A node has at most this many children; the search keeps their distances on the stack.
constexpr std::uint32_t kMaxBranching = 256;

std::uint32_t read_u32(const std::byte* p) {
  std::uint32_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

void write_u32(std::string& out, std::size_t at, std::uint32_t v) { std::memcpy(out.data() + at, &v, sizeof v); }

// A batched search's next turn at a node reads all its keys (or child centroids), so the whole
// node is asked for ahead of that turn (capped at 16 KB). Into L2, not L1: a batch of 64
// leaves of up to 256 keys is far more than L1 holds, while L2 keeps it until its turn.
constexpr std::size_t kPrefetchMaxLines = 256;

void prefetch(const void* p, std::size_t bytes) {
  if (bytes == 0) return;
  // Every line the bytes touch: keys are not line-aligned, so a node's last line may start
  // past p + 64 * ((bytes + 63) / 64).
  const auto start = reinterpret_cast<std::uintptr_t>(p);
  const std::uintptr_t first = start & ~std::uintptr_t{63};
  const std::size_t lines = std::min<std::size_t>(kPrefetchMaxLines, (start + bytes - 1 - first) / 64 + 1);
  for (std::size_t i = 0; i < lines; ++i) __builtin_prefetch(reinterpret_cast<const char*>(first + 64 * i), 0, 2);
}

// A branch the best-first search skipped, ordered nearest first (then lowest node).
struct Pending {
  std::uint32_t distance;
  std::uint32_t node;
  std::uint32_t depth;
  bool operator>(const Pending& o) const {
    return distance > o.distance || (distance == o.distance && node > o.node);
  }
};

}  // namespace

KMeansTree::KMeansTree(const KMeansTree& other)
    : storage_(other.storage_),
      nodes_(other.nodes_),
      centroids_(other.centroids_),
      words_(other.words_),
      rows_(other.rows_),
      max_depth_(other.max_depth_) {
  if (storage_.empty()) return;  // a view: share the same bytes
  // An owning tree: point the spans at our copy, at the same offsets.
  const auto* old_base = reinterpret_cast<const std::byte*>(other.storage_.data());
  const auto* new_base = reinterpret_cast<const std::byte*>(storage_.data());
  const auto rebase = [&](const auto* p) {
    using T = std::remove_cv_t<std::remove_pointer_t<decltype(p)>>;
    return reinterpret_cast<const T*>(new_base + (reinterpret_cast<const std::byte*>(p) - old_base));
  };
  nodes_ = {rebase(other.nodes_.data()), other.nodes_.size()};
  centroids_ = {rebase(other.centroids_.data()), other.centroids_.size()};
}

KMeansTree& KMeansTree::operator=(const KMeansTree& other) {
  if (this != &other) *this = KMeansTree(other);
  return *this;
}

std::string KMeansTree::serialize(std::span<const KMeansTreeNode> nodes, std::span<const std::uint64_t> centroids,
                                  std::uint32_t words, std::uint32_t rows) {
  const std::size_t node_bytes = nodes.size() * sizeof(KMeansTreeNode);
  std::string out(kHeaderBytes + node_bytes + centroids.size_bytes(), '\0');
  std::memcpy(out.data(), kMagic, sizeof kMagic);
  write_u32(out, 4, kVersion);
  write_u32(out, 8, words);
  write_u32(out, 12, static_cast<std::uint32_t>(nodes.size()));
  write_u32(out, 16, rows);
  if (!nodes.empty()) std::memcpy(out.data() + kHeaderBytes, nodes.data(), node_bytes);
  if (!centroids.empty()) std::memcpy(out.data() + kHeaderBytes + node_bytes, centroids.data(), centroids.size_bytes());
  return out;
}

std::string KMeansTree::serialize() const { return serialize(nodes_, centroids_, words_, rows_); }

KMeansTree KMeansTree::view() const {
  KMeansTree tree;
  tree.nodes_ = nodes_;
  tree.centroids_ = centroids_;
  tree.words_ = words_;
  tree.rows_ = rows_;
  tree.max_depth_ = max_depth_;
  return tree;
}

KMeansTree KMeansTree::from_bytes(std::span<const std::byte> bytes, const std::string& source) {
  std::vector<std::uint64_t> storage((bytes.size() + 7) / 8);
  if (!bytes.empty()) std::memcpy(storage.data(), bytes.data(), bytes.size());
  KMeansTree tree = parse({reinterpret_cast<const std::byte*>(storage.data()), bytes.size()}, source);
  tree.storage_ = std::move(storage);  // moving a vector keeps its buffer, so the spans stay valid
  return tree;
}

KMeansTree KMeansTree::view_bytes(std::span<const std::byte> bytes, const std::string& source) {
  return parse(bytes, source);
}

KMeansTree KMeansTree::parse(std::span<const std::byte> bytes, const std::string& source) {
  const auto fail = [&](const std::string& why) { return Error(source + ": k-means tree: " + why); };
  if (reinterpret_cast<std::uintptr_t>(bytes.data()) % 8 != 0) throw fail("data is not 8-byte aligned");
  if (bytes.size() < kHeaderBytes) throw fail("truncated header");
  if (std::memcmp(bytes.data(), kMagic, sizeof kMagic) != 0) throw fail("bad magic");
  const std::uint32_t version = read_u32(bytes.data() + 4);
  if (version != kVersion) throw fail("unsupported version " + std::to_string(version));
  KMeansTree tree;
  tree.words_ = read_u32(bytes.data() + 8);
  const std::uint32_t node_count = read_u32(bytes.data() + 12);
  tree.rows_ = read_u32(bytes.data() + 16);
  const std::uint64_t expected = kHeaderBytes + std::uint64_t{node_count} * sizeof(KMeansTreeNode) +
                                 std::uint64_t{node_count} * tree.words_ * 8;
  if (bytes.size() != expected)
    throw fail(std::to_string(bytes.size()) + " bytes where " + std::to_string(node_count) + " nodes of " +
               std::to_string(tree.words_) + " words need " + std::to_string(expected));
  if (tree.rows_ > 0 && (node_count == 0 || tree.words_ == 0)) throw fail("keys but no nodes");
  tree.nodes_ = {reinterpret_cast<const KMeansTreeNode*>(bytes.data() + kHeaderBytes), node_count};
  tree.centroids_ = {reinterpret_cast<const std::uint64_t*>(bytes.data() + kHeaderBytes + node_count * 16ULL),
                     std::size_t{node_count} * tree.words_};

  // Structure: the root covers every row; children come after their parent, have one
  // parent, and split its rows into contiguous non-empty ranges. That is what makes every
  // search terminate and stay inside `keys`, whatever the file holds.
  if (node_count == 0) return tree;
  const KMeansTreeNode& root = tree.nodes_[0];
  if (root.begin != 0 || root.end != tree.rows_) throw fail("root does not cover all rows");
  std::vector<std::uint32_t> depth(node_count, 0);
  std::vector<bool> has_parent(node_count, false);
  for (std::uint32_t i = 0; i < node_count; ++i) {
    const KMeansTreeNode& node = tree.nodes_[i];
    if (i > 0 && !has_parent[i]) throw fail("node " + std::to_string(i) + " has no parent");
    if (node.begin > node.end || node.end > tree.rows_) throw fail("node " + std::to_string(i) + " has bad rows");
    if (node.child_count == 0) continue;
    if (node.child_count > kMaxBranching || node.first_child <= i ||
        std::uint64_t{node.first_child} + node.child_count > node_count)
      throw fail("node " + std::to_string(i) + " has bad children");
    std::uint32_t next = node.begin;
    for (std::uint32_t c = node.first_child; c < node.first_child + node.child_count; ++c) {
      const KMeansTreeNode& child = tree.nodes_[c];
      if (has_parent[c]) throw fail("node " + std::to_string(c) + " has two parents");
      if (child.begin != next || child.end <= child.begin)
        throw fail("children of node " + std::to_string(i) + " do not split its rows");
      has_parent[c] = true;
      depth[c] = depth[i] + 1;
      tree.max_depth_ = std::max(tree.max_depth_, depth[c]);
      next = child.end;
    }
    if (next != node.end) throw fail("children of node " + std::to_string(i) + " do not split its rows");
  }
  return tree;
}

SearchResult KMeansTree::search(std::span<const std::uint64_t> query, std::span<const std::uint64_t> keys,
                                std::span<const std::uint32_t> word_weights, const SearchParams& params,
                                const TreeSearchContext& context) const {
  // One search is a batch of one: a single code path for the descent and the leaf scans.
  SearchResult best;
  search_batch(query, keys, word_weights, params, context, {&best, 1});
  return best;
}

namespace {

// One query's place in a batched search: the node it visits on its next turn, the leaves
// it has scanned, and its min-heap of skipped branches (nearest first).
struct Cursor {
  std::uint32_t node = 0;
  std::uint32_t depth = 0;
  std::uint32_t scanned = 0;  // leaves scanned so far
  bool done = false;
  // Skipped branches. Only a heap once the search first takes one: most searches end at their
  // first leaf when the budget is spent there, and then ordering them would be wasted work.
  // Pending's order is total (ties by node), so when they are ordered does not change which is taken.
  bool heap = false;
  std::vector<Pending> pending;
};

}  // namespace

// Inline: a one-leaf search calls it once per query and tree level.
inline KMeansTree::Block KMeansTree::block_of(std::uint32_t node, std::span<const std::uint64_t> keys) const {
  const KMeansTreeNode& n = nodes_[node];
  if (n.child_count > 0) return {centroids_.data() + std::size_t{n.first_child} * words_, n.child_count};
  return {keys.data() + std::size_t{n.begin} * words_, n.end - n.begin};
}

void KMeansTree::search_batch(std::span<const std::uint64_t> queries, std::span<const std::uint64_t> keys,
                              std::span<const std::uint32_t> word_weights, const SearchParams& params,
                              const TreeSearchContext& context, std::span<SearchResult> results) const {
  const std::size_t words = words_;
  const std::size_t count = results.size();
  if (queries.size() != count * words || word_weights.size() != words || keys.size() < std::size_t{rows_} * words)
    throw Error("k-means tree batch search: " + std::to_string(queries.size()) + " query words for " +
                std::to_string(count) + " results, " + std::to_string(word_weights.size()) + " weights and " +
                std::to_string(keys.size()) + " key words do not fit a tree of " + std::to_string(rows_) +
                " keys of " + std::to_string(words) + " words");
  std::fill(results.begin(), results.end(), SearchResult{});
  if (count == 0 || rows_ == 0 || nodes_.empty()) return;
  if (context.start_node >= nodes_.size())
    throw Error("k-means tree search: start node " + std::to_string(context.start_node) + " of a tree of " +
                std::to_string(nodes_.size()) + " nodes");
  const std::uint32_t* w = word_weights.data();
  if (params.epsilon >= 0) {
    if (!(params.epsilon <= kMaxSearchEpsilon))
      throw Error("k-means tree search: epsilon " + std::to_string(params.epsilon) + " is above " +
                  std::to_string(kMaxSearchEpsilon));
    const KMeansTreeBounds* bounds = context.bounds;
    if (bounds == nullptr || bounds->radius.size() != nodes_.size() || bounds->all_set.size() != nodes_.size() * words ||
        bounds->any_set.size() != nodes_.size() * words)
      throw Error("k-means tree search: a bounded search needs the bounds of this tree's " +
                  std::to_string(nodes_.size()) + " nodes");
    // Bounded searches go one query at a time: they are long (thousands of comparisons), so
    // interleaving to hide a descent's cache misses would gain little.
    for (std::size_t i = 0; i < count; ++i)
      results[i] = search_bounded(queries.data() + i * words, keys, w, params, context);
    return;
  }
  const std::uint32_t budget = params.max_comparisons;
  const bool more = budget > 0 || params.probes > 1;
  // Reads the keys or child centroids the next turn at `node` will compare against.
  const auto prefetch_node = [&](std::uint32_t node) {
    const Block b = block_of(node, keys);
    prefetch(b.words, std::size_t{b.count} * words * 8);
  };

  if (!more) {
    search_one_leaf_batch(queries, keys, w, context.start_node, context.row_data, results);
    return;
  }

  // Kept per thread and reused, heaps included: a search runs for a few microseconds, and
  // allocating its heap each time was a visible share of that.
  thread_local std::vector<Cursor> cursors;
  if (cursors.size() < count) cursors.resize(count);
  for (std::size_t i = 0; i < count; ++i) {
    Cursor& c = cursors[i];
    c.node = context.start_node;
    c.depth = 0;
    c.scanned = 0;
    c.done = false;
    c.heap = false;
    c.pending.clear();
  }
  prefetch_node(context.start_node);
  std::uint32_t distances[kMaxBranching];
  std::size_t active = count;
  // Each turn visits one node of one query: at an inner node it steps to the nearest child
  // (keeping the others for later when more than one leaf may be scanned), at a leaf it scans
  // the keys and takes the nearest skipped branch next, until the probes or the budget run
  // out. Queries share nothing, so the order of turns does not change any result.
  while (active > 0) {
    for (std::size_t i = 0; i < count; ++i) {
      Cursor& c = cursors[i];
      if (c.done) continue;
      SearchResult& best = results[i];
      const std::uint64_t* q = queries.data() + i * words;
      const KMeansTreeNode& n = nodes_[c.node];
      if (n.child_count > 0) {
        const std::uint64_t* children = centroids_.data() + std::size_t{n.first_child} * words;
        std::uint32_t chosen;
        if (!more) {
          chosen = weighted_argmin(q, children, n.child_count, w, words).index;
        } else {
          weighted_distances(q, children, n.child_count, w, words, distances);
          chosen = static_cast<std::uint32_t>(std::min_element(distances, distances + n.child_count) - distances);
          for (std::uint32_t k = 0; k < n.child_count; ++k) {
            if (k == chosen) continue;
            c.pending.push_back({distances[k], n.first_child + k, c.depth + 1});
            if (c.heap) std::push_heap(c.pending.begin(), c.pending.end(), std::greater<>{});
          }
        }
        best.comparisons += n.child_count;
        c.node = n.first_child + chosen;
        ++c.depth;
        prefetch_node(c.node);
        continue;
      }
      const std::uint32_t size = n.end - n.begin;
      const BlockNearest hit = weighted_argmin(q, keys.data() + std::size_t{n.begin} * words, size, w, words);
      best.comparisons += size;
      keep_closer(best, n.begin + hit.index, hit.distance, c.depth);
      ++c.scanned;
      const bool go_on = budget > 0 ? best.comparisons < budget : c.scanned < params.probes;
      if (go_on && !c.pending.empty()) {
        if (!c.heap) {
          std::make_heap(c.pending.begin(), c.pending.end(), std::greater<>{});
          c.heap = true;
        }
        std::pop_heap(c.pending.begin(), c.pending.end(), std::greater<>{});
        c.node = c.pending.back().node;
        c.depth = c.pending.back().depth;
        c.pending.pop_back();
        prefetch_node(c.node);
      } else {
        c.done = true;
        --active;
        for (const RowData& d : context.row_data)
          __builtin_prefetch(static_cast<const char*>(d.base) + std::size_t{best.index} * d.bytes_per_row);
      }
    }
  }
}

void KMeansTree::search_one_leaf_batch(std::span<const std::uint64_t> queries, std::span<const std::uint64_t> keys,
                                       const std::uint32_t* w, std::uint32_t start_node,
                                       std::span<const RowData> row_data, std::span<SearchResult> results) const {
  const std::size_t words = words_;
  const std::size_t count = results.size();
  // One leaf per query, the common lookup: every round takes each query one node down,
  // all of them in one weighted_argmin_pairs call (a call per node was a visible share of
  // a descent), and asks for the nodes of the next round at once. Same answers as
  // search_batch's turns with a budget of one comparison (tested).
  thread_local std::vector<std::uint32_t> query_of_v, node_of_v, counts_v;
  thread_local std::vector<const std::uint64_t*> query_words_v, blocks_v;
  thread_local std::vector<BlockNearest> nearest_v;
  query_of_v.resize(count);
  node_of_v.resize(count);
  counts_v.resize(count);
  query_words_v.resize(count);
  blocks_v.resize(count);
  nearest_v.resize(count);
  // Plain pointers from here: the vectors are thread_local, and through them every store
  // made the compiler reload their data pointers, a visible share of a round.
  std::uint32_t* const query_of = query_of_v.data();
  std::uint32_t* const node_of = node_of_v.data();
  std::uint32_t* const counts = counts_v.data();
  const std::uint64_t** const query_words = query_words_v.data();
  const std::uint64_t** const blocks = blocks_v.data();
  BlockNearest* const nearest = nearest_v.data();
  const KMeansTreeNode* const nodes = nodes_.data();
  SearchResult* const found = results.data();
  // Points slot a at `node`: the block its next turn compares against, asked for now, and
  // the children's records, which the next round reads to find its block.
  const auto visit = [&](std::size_t a, std::uint32_t node) {
    const Block b = block_of(node, keys);
    node_of[a] = node;
    blocks[a] = b.words;
    counts[a] = b.count;
    prefetch(b.words, std::size_t{b.count} * words * 8);
    const KMeansTreeNode& n = nodes[node];
    if (n.child_count > 0) prefetch(nodes + n.first_child, std::size_t{n.child_count} * sizeof(KMeansTreeNode));
  };
  for (std::size_t i = 0; i < count; ++i) {
    query_of[i] = static_cast<std::uint32_t>(i);
    query_words[i] = queries.data() + i * words;
    visit(i, start_node);
  }
  std::size_t descending = count;
  // Every query goes one level down per round, so the round is the depth.
  for (std::uint32_t depth = 0; descending > 0; ++depth) {
    weighted_argmin_pairs(query_words, blocks, counts, descending, w, words, nearest);
    std::size_t still = 0;
    for (std::size_t a = 0; a < descending; ++a) {
      SearchResult& best = found[query_of[a]];
      const KMeansTreeNode& n = nodes[node_of[a]];
      best.comparisons += counts[a];
      if (n.child_count == 0) {
        keep_closer(best, n.begin + nearest[a].index, nearest[a].distance, depth);
        for (const RowData& d : row_data)
          __builtin_prefetch(static_cast<const char*>(d.base) + std::size_t{best.index} * d.bytes_per_row);
        continue;
      }
      query_of[still] = query_of[a];
      query_words[still] = query_words[a];
      visit(still, n.first_child + nearest[a].index);
      ++still;
    }
    descending = still;
  }
}

KMeansTreeBounds KMeansTree::bounds(std::span<const std::uint64_t> keys,
                                    std::span<const std::uint32_t> word_weights) const {
  const std::size_t words = words_;
  if (word_weights.size() != words || keys.size() < std::size_t{rows_} * words)
    throw Error("k-means tree bounds: " + std::to_string(word_weights.size()) + " weights and " +
                std::to_string(keys.size()) + " key words do not fit a tree of " + std::to_string(rows_) +
                " keys of " + std::to_string(words) + " words");
  KMeansTreeBounds b;
  b.radius.assign(nodes_.size(), 0);
  b.all_set.assign(nodes_.size() * words, ~std::uint64_t{0});
  b.any_set.assign(nodes_.size() * words, 0);
  constexpr std::size_t kChunk = 1024;
  std::uint32_t distances[kChunk];
  for (std::size_t i = 0; i < nodes_.size(); ++i) {
    const std::uint64_t* centroid = centroids_.data() + i * words;
    std::uint64_t* all = b.all_set.data() + i * words;
    std::uint64_t* any = b.any_set.data() + i * words;
    for (std::size_t row = nodes_[i].begin; row < nodes_[i].end; row += kChunk) {
      const std::size_t n = std::min<std::size_t>(kChunk, nodes_[i].end - row);
      weighted_distances(centroid, keys.data() + row * words, n, word_weights.data(), words, distances);
      b.radius[i] = std::max(b.radius[i], *std::max_element(distances, distances + n));
      for (std::size_t k = 0; k < n; ++k)
        for (std::size_t wd = 0; wd < words; ++wd) {
          all[wd] &= keys[(row + k) * words + wd];
          any[wd] |= keys[(row + k) * words + wd];
        }
    }
  }
  return b;
}

namespace {

// A branch the bounded search skipped: visited nearest centroid first (then lowest node),
// and dropped when its lower bound says it cannot hold a key close enough.
struct BoundedBranch {
  std::uint32_t distance;  // from the query to the branch's centroid
  std::uint32_t lower;     // no key under the branch is closer to the query than this
  std::uint32_t node;
  std::uint32_t depth;
  bool operator>(const BoundedBranch& o) const {
    return distance > o.distance || (distance == o.distance && node > o.node);
  }
};

// Fixed-point scale of 1 + epsilon, so that the pruning test is exact integer arithmetic.
constexpr std::uint64_t kEpsilonScale = 1ULL << 20;

}  // namespace

SearchResult KMeansTree::search_bounded(const std::uint64_t* q, std::span<const std::uint64_t> keys,
                                        const std::uint32_t* w, const SearchParams& params,
                                        const TreeSearchContext& context) const {
  const std::size_t words = words_;
  const std::uint32_t* radii = context.bounds->radius.data();
  const std::uint64_t* all_set = context.bounds->all_set.data();
  const std::uint64_t* any_set = context.bounds->any_set.data();
  const auto factor = kEpsilonScale + static_cast<std::uint64_t>(params.epsilon * kEpsilonScale + 0.5);
  SearchResult best;
  // A branch whose keys are all at least `lower` away cannot improve on the best distance
  // known (here or in another tree) by more than the factor 1 + epsilon: skip it.
  const auto hopeless = [&](std::uint32_t lower) {
    const std::uint64_t known = std::min(best.distance, context.bound);
    return known * kEpsilonScale <= std::uint64_t{lower} * factor;
  };
  // The lower bound of a child: the larger of its two (KMeansTreeBounds) and its parent's.
  const auto child_lower = [&](std::uint32_t parent_lower, std::uint32_t distance, std::uint32_t child) {
    const std::uint32_t metric = distance > radii[child] ? distance - radii[child] : 0;
    std::uint32_t box = 0;
    const std::uint64_t* all = all_set + std::size_t{child} * words;
    const std::uint64_t* any = any_set + std::size_t{child} * words;
    for (std::size_t i = 0; i < words; ++i)
      box += w[i] * static_cast<std::uint32_t>(std::popcount((q[i] & ~any[i]) | (~q[i] & all[i])));
    return std::max({parent_lower, metric, box});
  };
  thread_local std::vector<BoundedBranch> heap;
  heap.clear();
  std::uint32_t distances[kMaxBranching];
  std::uint32_t node = context.start_node;
  std::uint32_t depth = 0;
  std::uint32_t lower = 0;
  const std::uint32_t budget = params.max_comparisons;
  for (;;) {
    // Dive: the nearest child at each level, keeping the other children for later.
    bool reached_leaf = true;
    while (nodes_[node].child_count > 0) {
      const KMeansTreeNode& n = nodes_[node];
      weighted_distances(q, centroids_.data() + std::size_t{n.first_child} * words, n.child_count, w, words,
                         distances);
      // Per child a centroid distance and a bit-box bound, each about the cost of one key distance.
      best.comparisons += 2 * n.child_count;
      const auto chosen = static_cast<std::uint32_t>(std::min_element(distances, distances + n.child_count) - distances);
      for (std::uint32_t k = 0; k < n.child_count; ++k) {
        if (k == chosen) continue;
        const std::uint32_t child = n.first_child + k;
        const std::uint32_t child_bound = child_lower(lower, distances[k], child);
        if (hopeless(child_bound)) continue;
        heap.push_back({distances[k], child_bound, child, depth + 1});
        std::push_heap(heap.begin(), heap.end(), std::greater<>{});
      }
      lower = child_lower(lower, distances[chosen], n.first_child + chosen);
      node = n.first_child + chosen;
      ++depth;
      // The first dive always ends in a leaf, so that there is an answer.
      if (best.index != kNoIndex && hopeless(lower)) {
        reached_leaf = false;
        break;
      }
    }
    if (reached_leaf) {
      const KMeansTreeNode& n = nodes_[node];
      const BlockNearest hit = weighted_argmin(q, keys.data() + std::size_t{n.begin} * words, n.end - n.begin, w, words);
      best.comparisons += n.end - n.begin;
      keep_closer(best, n.begin + hit.index, hit.distance, depth);
    }
    if (budget > 0 && best.comparisons >= budget) break;
    // The nearest skipped branch that may still hold a close enough key.
    bool next = false;
    while (!heap.empty() && !next) {
      std::pop_heap(heap.begin(), heap.end(), std::greater<>{});
      const BoundedBranch b = heap.back();
      heap.pop_back();
      if (hopeless(b.lower)) continue;
      node = b.node;
      depth = b.depth;
      lower = b.lower;
      next = true;
    }
    if (!next) break;
  }
  return best;
}

}  // namespace mbi
