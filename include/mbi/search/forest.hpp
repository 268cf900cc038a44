#pragma once
// A forest of k-means trees over one set of keys, behind the search contract (index.hpp).
//
// The first tree orders the keys themselves: its rows are the keys as stored. Each further
// tree was built with another seed over the same keys, so it splits them differently and
// orders them its own way; it keeps a copy of the keys in its order and a map back to the
// rows. One tree is a forest of one.
//
// Search policy, in one place:
//  - a budget (SearchParams::max_comparisons) is split evenly between the trees, each tree
//    searches its share, and the closest answer wins (ties to the lowest row): more trees
//    find closer keys at the same number of comparisons, because their errors differ;
//  - a bounded search (SearchParams::epsilon) runs the trees one after another, each pruned
//    by the best distance the trees before it found, so a forest costs little more than its
//    best tree and the guarantee holds for every row any tree reaches;
//  - groups: a tree whose root has one child per group value, each holding exactly that
//    group's rows (built with root groups, as the per-step tree of lookups), searches a
//    query of group g from that child alone; a tree over all rows searches from its root.
//    Which trees are grouped is read from their structure, not from a flag.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "mbi/search/index.hpp"
#include "mbi/search/kmeans_tree.hpp"

namespace mbi {

// Most trees a forest holds.
inline constexpr std::size_t kMaxTrees = 8;

class ForestIndex final : public NearestIndex {
 public:
  // A tree after the first, with rows[p] the row at position p of its order.
  struct ExtraTree {
    KMeansTree tree;
    std::span<const std::uint32_t> rows;
  };

  ForestIndex() = default;
  // `keys` (in the first tree's order), `word_weights`, `groups` (one value per row, or empty
  // when no tree is grouped) and `row_data` (values asked for when a search settles a row,
  // in row order) are borrowed and must outlive the index; the trees may be views
  // (KMeansTree::view). Further trees' keys are copied into their order here. Throws
  // mbi::Error naming `name` when a tree does not cover the keys, a row map is not a
  // permutation, or there are more than kMaxTrees trees.
  ForestIndex(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> word_weights,
              std::span<const std::uint8_t> groups, KMeansTree first, std::vector<ExtraTree> more,
              std::vector<RowData> row_data, std::string name);
  ForestIndex(ForestIndex&&) noexcept = default;
  ForestIndex& operator=(ForestIndex&&) noexcept = default;

  std::uint32_t words() const override { return static_cast<std::uint32_t>(word_weights_.size()); }
  std::size_t rows() const override { return rows_; }
  void search(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
              std::span<SearchResult> results) const override;

  std::size_t tree_count() const { return trees_.size(); }
  // Tree i searches tree_keys(i), whose position p holds row tree_rows(i)[p] (tree 0: the
  // rows in their stored order, tree_rows(0) empty).
  const KMeansTree& tree(std::size_t i) const { return trees_.at(i).tree; }
  std::span<const std::uint32_t> tree_rows(std::size_t i) const { return trees_.at(i).rows; }
  std::span<const std::uint64_t> tree_keys(std::size_t i) const { return trees_.at(i).keys; }
  // Whether tree i's root splits the rows by group, one child per group value.
  bool tree_grouped(std::size_t i) const { return !trees_.at(i).group_node.empty(); }
  // True when every tree is grouped, so a search of group g reaches only g's rows.
  bool every_tree_grouped() const;
  // The node of tree i under which `group`'s rows lie (0, the root, for a tree over all
  // rows, a group without rows, or group -1): where a search of that group starts.
  std::uint32_t group_root(std::size_t i, int group) const;
  // Node bounds of tree i under the forest's weights, what a bounded search needs. Computed
  // for every tree on first use (one distance per key and tree level: tens of milliseconds
  // for a million rows); thread-safe.
  const KMeansTreeBounds& bounds(std::size_t i) const;
  // Bytes the forest holds of its own: the further trees' copies of the keys.
  std::size_t copied_bytes() const;

 private:
  struct Tree {
    KMeansTree tree;
    std::span<const std::uint32_t> rows;   // empty for the first tree
    std::span<const std::uint64_t> keys;   // the borrowed keys, or `own_keys`
    std::vector<std::uint64_t> own_keys;   // further trees: the keys in their order
    std::vector<std::uint32_t> group_node;  // root child per group value (kNoIndex: none); empty: not grouped
  };
  struct BoundsCache {
    std::once_flag once;
    std::vector<KMeansTreeBounds> bounds;  // per tree
  };

  void search_bounded(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
                      std::span<SearchResult> results) const;

  std::span<const std::uint32_t> word_weights_;
  std::size_t rows_ = 0;
  std::vector<Tree> trees_;
  std::vector<RowData> row_data_;
  std::string name_;
  std::unique_ptr<BoundsCache> bounds_ = std::make_unique<BoundsCache>();
};

}  // namespace mbi
