#pragma once
// A lookup table in memory, as distillation builds it and tuning re-weights it.
//
// One row per recorded glimpse step of the teacher: the key it was looked up by, and the
// value lookup inference reads back (next hidden state, next location, step index, class
// prediction). Optionally the k-means tree over the keys, in which case the rows are stored
// in tree order, and further trees over the same keys (a forest), each with its own order.
// A Table (table.hpp) searches it in place; write_table (table_file.hpp) stores it.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "mbi/search/forest.hpp"
#include "mbi/search/key_layout.hpp"
#include "mbi/search/kmeans_tree.hpp"
#include "mbi/lookup/table_view.hpp"

namespace mbi {

// A tree after the first. It was built with another seed over the same keys, so it splits
// them differently and orders them its own way: `rows` maps its positions back to the rows.
struct ForestTree {
  KMeansTree tree;
  std::vector<std::uint32_t> rows;  // rows[p]: the table row at position p of this tree's order
};

// Columns are row-major; all hold rows() rows.
struct TableData {
  KeyLayout key_layout;
  KeyLayout value_layout;                      // layout of next_hidden
  std::vector<std::uint32_t> segment_weights;  // one per key segment (BO weights a, b, c...)
  std::string metadata_json;                   // opaque to this library (teacher config, checksum)
  std::vector<std::uint64_t> keys;             // rows x key_layout.words()
  std::vector<std::uint64_t> next_hidden;      // rows x value_layout.words()
  std::vector<std::uint8_t> next_location;     // rows x 2: pixel x, y
  std::vector<std::uint8_t> step;              // rows: glimpse step the row was recorded at
  std::vector<std::uint8_t> prediction;        // rows: class predicted at that step
  std::optional<KMeansTree> tree;              // when set, rows are in its order
  std::vector<ForestTree> forest;              // further trees (only with `tree`)

  std::size_t rows() const { return step.size(); }
  // The columns and trees as views into this object (valid while it lives unchanged).
  TableView view() const;

  // Throws mbi::Error, prefixed by `where`, unless the columns, weights and trees agree.
  void check_consistent(const std::string& where) const;
  // Reorders every column: new row p is old row order[p]. Drops the trees, which no longer
  // match.
  void reorder_rows(std::span<const std::uint32_t> order);
  // Keeps only `rows` (strictly increasing row numbers), in their order, and drops the trees.
  // Throws mbi::Error for rows out of range or not strictly increasing.
  void keep_rows(std::span<const std::uint32_t> rows);
  // Builds the k-means tree over the keys with the table's weights, puts the rows in tree
  // order and keeps the tree. With `per_step`, the root is split by the step column (one
  // subtree per glimpse step; see build_kmeans_tree with root groups), so a lookup that knows
  // its step searches only the rows recorded at that step. With trees > 1, also builds
  // trees - 1 more with other seeds (derived from params.seed) into `forest`: a search then
  // splits its budget between the trees and keeps the best answer (ForestIndex), which finds
  // closer keys than one tree at the same number of comparisons, at the cost of one more copy
  // of the keys in memory per tree (not in the file). The last `global_trees` of those span
  // all steps even when per_step is set: a per-step tree never finds a closer key recorded at
  // another step, and for MNIST that is where the closest key lies for about 45 % of the
  // queries. Throws unless global_trees < trees <= kMaxTrees.
  void build_tree(const KMeansTreeParams& params = {}, bool per_step = false, std::size_t trees = 1,
                  std::size_t global_trees = 0);
};

}  // namespace mbi
