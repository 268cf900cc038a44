#pragma once
// The lookup table file (format: docs/table-format.md).
//
// One row per recorded glimpse step of the teacher: the key it was looked up by, and the
// value lookup inference reads back (next hidden state, next location, step index, class
// prediction). Optionally the k-means tree over the keys, in which case the rows are stored
// in tree order, and further trees over the same keys (a forest), each with its own order.
//
// Writing builds the whole file in memory and replaces the target atomically. Reading maps
// the file read-only and hands out spans into the mapping: opening a table costs one pass
// for the checksum and no copies.
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "mbi/exhaustive_search.hpp"
#include "mbi/key_layout.hpp"
#include "mbi/kmeans_tree.hpp"

namespace mbi {

// Most trees a table holds: the first, whose order the rows are stored in, and up to seven
// more (a forest).
inline constexpr std::size_t kMaxTrees = 8;

// A tree after the first. It was built with another seed over the same keys, so it splits
// them differently and orders them its own way: `rows` maps its positions back to the rows.
struct ForestTree {
  KMeansTree tree;
  std::vector<std::uint32_t> rows;  // rows[p]: the table row at position p of this tree's order
};

// A table being built, in memory. Columns are row-major; all hold rows() rows.
struct TableData {
  KeyLayout key_layout;
  KeyLayout value_layout;                    // layout of next_hidden
  std::vector<std::uint32_t> segment_weights;  // one per key segment (BO weights a, b, c...)
  std::string metadata_json;                 // opaque to the runtime (teacher config, checksum)
  std::vector<std::uint64_t> keys;           // rows x key_layout.words()
  std::vector<std::uint64_t> next_hidden;    // rows x value_layout.words()
  std::vector<std::uint8_t> next_location;   // rows x 2: pixel x, y
  std::vector<std::uint8_t> step;            // rows: glimpse step the row was recorded at
  std::vector<std::uint8_t> prediction;      // rows: class predicted at that step
  std::optional<KMeansTree> tree;            // when set, rows are in its order
  std::vector<ForestTree> forest;            // further trees (only with `tree`)

  std::size_t rows() const { return step.size(); }

  // Reorders every column: new row p is old row order[p]. Drops the trees, which no longer
  // match.
  void reorder_rows(std::span<const std::uint32_t> order);
  // Builds the k-means tree over the keys with the table's weights, puts the rows in tree
  // order and keeps the tree. With `per_step`, the root is split by the step column (one
  // subtree per glimpse step; see build_kmeans_tree with root groups), so a lookup that knows
  // its step searches only the rows recorded at that step (MappedTable::nearest_at_step).
  // With trees > 1, also builds trees - 1 more with other seeds (derived from params.seed)
  // into `forest`: a search then splits its budget between the trees and keeps the best
  // answer, which finds closer keys than one tree at the same number of comparisons, at
  // the cost of one more copy of the keys in memory per tree (not in the file). The last
  // `global_trees` of those span all steps even when per_step is set: a per-step tree
  // never finds a closer key recorded at another step, and for MNIST that is where the
  // closest key lies for about 45 % of the queries. Throws unless global_trees < trees.
  void build_tree(const KMeansTreeParams& params = {}, bool per_step = false, std::size_t trees = 1,
                  std::size_t global_trees = 0);
};

// Writes `table` to `path` atomically. Throws mbi::Error naming the path when the columns
// disagree in size or the file cannot be written.
void write_table(const std::filesystem::path& path, const TableData& table);

// A table file mapped read-only. Spans stay valid while the object lives; moving it keeps
// them valid.
class MappedTable {
 public:
  // Maps and checks the file. Throws mbi::Error naming it on any problem: not a table, an
  // unsupported version, truncation, checksum mismatch, inconsistent sizes.
  explicit MappedTable(const std::filesystem::path& path);
  ~MappedTable();
  MappedTable(MappedTable&& other) noexcept;
  MappedTable& operator=(MappedTable&& other) noexcept;
  MappedTable(const MappedTable&) = delete;
  MappedTable& operator=(const MappedTable&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::size_t rows() const { return rows_; }
  const KeyLayout& key_layout() const { return key_layout_; }
  const KeyLayout& value_layout() const { return value_layout_; }
  std::span<const std::uint32_t> segment_weights() const { return segment_weights_; }
  std::span<const std::uint32_t> word_weights() const { return word_weights_; }  // expanded per key word
  std::string_view metadata_json() const { return metadata_json_; }

  std::span<const std::uint64_t> keys() const { return keys_; }
  std::span<const std::uint64_t> key(std::size_t row) const;
  std::span<const std::uint64_t> next_hidden() const { return next_hidden_; }
  std::span<const std::uint64_t> next_hidden(std::size_t row) const;
  std::span<const std::uint8_t> next_location() const { return next_location_; }
  std::span<const std::uint8_t> step() const { return step_; }
  std::span<const std::uint8_t> prediction() const { return prediction_; }
  const KMeansTree* tree() const { return tree_ ? &*tree_ : nullptr; }  // nullptr when absent
  // Trees in the table: 0, 1, or more for a forest. Tree 0 is tree(); tree i > 0 is
  // forest_tree(i), over the keys in its own order, forest_keys(i), whose position p holds
  // row forest_rows(i)[p]. The reordered keys are copied out of the file on load (the file
  // stores each extra tree's row map only), so a forest of n trees holds n copies of the
  // keys in memory.
  std::size_t tree_count() const { return tree_ ? 1 + forest_.size() : 0; }
  const KMeansTree& forest_tree(std::size_t i) const { return forest_.at(i - 1).tree; }
  std::span<const std::uint32_t> forest_rows(std::size_t i) const { return forest_.at(i - 1).rows; }
  std::span<const std::uint64_t> forest_keys(std::size_t i) const { return forest_.at(i - 1).keys; }
  // Node bounds of tree i (0: tree()) under the table's weights, what a bounded search
  // (TreeSearchOptions::epsilon) needs. Computed for every tree on first use (one distance
  // per key and tree level: tens of milliseconds for a million rows); thread-safe.
  const KMeansTreeBounds& tree_bounds(std::size_t i) const;
  // Bytes the table keeps in memory: the mapped file plus the forest's reordered keys.
  std::size_t resident_bytes() const;

  // Nearest row to `query` with the table's weights: through the tree (or forest) when there
  // is one (probes as in KMeansTree::search, per tree), exhaustively otherwise.
  SearchResult nearest(std::span<const std::uint64_t> query, std::uint32_t probes = 1) const;

  // True when the tree's root has one child per recorded step, each holding exactly that
  // step's rows in increasing step order (a tree built with per_step). Found on load.
  bool tree_per_step() const { return !step_node_.empty(); }
  // True when every tree of the forest is per step, so that a search at a step reaches only
  // that step's rows; false when some tree spans all steps (or there is no tree).
  bool every_tree_per_step() const;
  // The tree node under which `step`'s rows lie (0, the root, for a global tree or a step
  // without rows): where a search for a query of that step starts.
  std::uint32_t step_root(int step) const {
    if (step < 0 || static_cast<std::size_t>(step) >= step_node_.size()) return 0;
    const std::uint32_t node = step_node_[static_cast<std::size_t>(step)];
    return node == kNoIndex ? 0 : node;
  }
  // Nearest row to a query made at glimpse step `step`. In a per-step tree only that step's
  // subtree is searched (with `options`, whose start_node is ignored); in any other tree the
  // whole tree; without a tree every row, exhaustively. A step with no rows searches all.
  SearchResult nearest_at_step(std::span<const std::uint64_t> query, int step,
                               const TreeSearchOptions& options) const;
  // nearest_at_step for results.size() queries of the same step (back to back in `queries`),
  // interleaved through KMeansTree::search_batch; the results are the same.
  void nearest_batch_at_step(std::span<const std::uint64_t> queries, int step, const TreeSearchOptions& options,
                             std::span<SearchResult> results) const;

 private:
  // A tree after the first, as mapped: its row map is a view into the file, its keys a copy.
  struct Forest {
    KMeansTree tree;
    std::span<const std::uint32_t> rows;
    std::vector<std::uint64_t> keys;
    std::vector<std::uint32_t> step_node;  // as step_node_, for this tree
  };

  void unmap() noexcept;
  // Searches every tree from its node for `step` (-1: from the root) and merges the answers.
  void search_trees(std::span<const std::uint64_t> queries, int step, const TreeSearchOptions& options,
                    std::span<SearchResult> results) const;

  std::filesystem::path path_;
  void* mapping_ = nullptr;
  std::size_t mapping_bytes_ = 0;
  std::size_t rows_ = 0;
  KeyLayout key_layout_;
  KeyLayout value_layout_;
  std::vector<std::uint32_t> word_weights_;
  std::span<const std::uint32_t> segment_weights_;
  std::string_view metadata_json_;
  std::span<const std::uint64_t> keys_;
  std::span<const std::uint64_t> next_hidden_;
  std::span<const std::uint8_t> next_location_;
  std::span<const std::uint8_t> step_;
  std::span<const std::uint8_t> prediction_;
  std::optional<KMeansTree> tree_;  // a view into the mapping
  std::vector<Forest> forest_;
  // Per-step tree: root child of each step value (kNoIndex: no rows); empty otherwise.
  std::vector<std::uint32_t> step_node_;
  struct BoundsCache {
    std::once_flag once;
    std::vector<KMeansTreeBounds> bounds;  // per tree
  };
  std::unique_ptr<BoundsCache> bounds_ = std::make_unique<BoundsCache>();
};

}  // namespace mbi
