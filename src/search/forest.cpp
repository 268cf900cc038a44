#include "mbi/search/forest.hpp"

#include <algorithm>
#include <utility>

#include "mbi/core/error.hpp"

namespace mbi {
namespace {

// Recognises a grouped tree from its structure rather than a flag, so that a tree built by
// anyone routes a group's queries to exactly that group's rows: the root's children must each
// hold a single group, in strictly increasing group order. Returns the root child of each
// group value (kNoIndex: no rows), or an empty vector when the tree is not grouped. `groups`
// is the group of each position in the tree's order. One pass over it.
std::vector<std::uint32_t> find_group_nodes(const KMeansTree& tree, std::span<const std::uint8_t> groups) {
  if (groups.empty() || tree.nodes().empty()) return {};
  const KMeansTreeNode& root = tree.nodes()[0];
  if (root.child_count == 0) return {};
  std::vector<std::uint32_t> found(256, kNoIndex);
  int previous = -1;
  for (std::uint32_t c = root.first_child; c < root.first_child + root.child_count; ++c) {
    const KMeansTreeNode& child = tree.nodes()[c];
    const std::uint8_t g = groups[child.begin];
    if (static_cast<int>(g) <= previous) return {};
    for (std::uint32_t p = child.begin; p < child.end; ++p)
      if (groups[p] != g) return {};
    found[g] = c;
    previous = g;
  }
  return found;
}

// Throws unless `rows` holds each of 0..rows.size()-1 once.
void check_permutation(std::span<const std::uint32_t> rows, const std::string& what) {
  std::vector<bool> seen(rows.size(), false);
  for (const std::uint32_t r : rows) {
    if (r >= rows.size() || seen[r]) throw Error(what + " is not a permutation of the rows");
    seen[r] = true;
  }
}

}  // namespace

ForestIndex::ForestIndex(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> word_weights,
                         std::span<const std::uint8_t> groups, KMeansTree first, std::vector<ExtraTree> more,
                         std::vector<RowData> row_data, std::string name)
    : word_weights_(word_weights), row_data_(std::move(row_data)), name_(std::move(name)) {
  const std::size_t words = word_weights.size();
  if (words == 0 || keys.size() % words != 0)
    throw Error(name_ + ": " + std::to_string(keys.size()) + " key words are not whole keys of " +
                std::to_string(words) + " words");
  rows_ = keys.size() / words;
  if (!groups.empty() && groups.size() != rows_)
    throw Error(name_ + ": " + std::to_string(groups.size()) + " group values for " + std::to_string(rows_) + " rows");
  if (1 + more.size() > kMaxTrees)
    throw Error(name_ + ": " + std::to_string(1 + more.size()) + " trees, at most " + std::to_string(kMaxTrees));
  const auto check_tree = [&](const KMeansTree& tree, const std::string& which) {
    if (tree.rows() != rows_ || tree.words() != words)
      throw Error(name_ + ": inconsistent sizes: " + which + " covers " + std::to_string(tree.rows()) + " keys of " +
                  std::to_string(tree.words()) + " words, the table has " + std::to_string(rows_) + " of " +
                  std::to_string(words));
  };
  check_tree(first, "the tree");
  trees_.reserve(1 + more.size());
  Tree t0;
  t0.group_node = find_group_nodes(first, groups);
  t0.tree = std::move(first);
  t0.keys = keys;
  trees_.push_back(std::move(t0));
  for (std::size_t i = 0; i < more.size(); ++i) {
    ExtraTree& extra = more[i];
    const std::string which = "tree " + std::to_string(i + 1);
    check_tree(extra.tree, which);
    if (extra.rows.size() != rows_)
      throw Error(name_ + ": inconsistent sizes: " + which + " maps " + std::to_string(extra.rows.size()) +
                  " rows, the table has " + std::to_string(rows_));
    check_permutation(extra.rows, name_ + ": the row map of " + which);
    Tree t;
    t.own_keys.resize(rows_ * words);
    std::vector<std::uint8_t> tree_groups(groups.empty() ? 0 : rows_);
    for (std::size_t p = 0; p < rows_; ++p) {
      std::copy_n(keys.begin() + static_cast<std::ptrdiff_t>(std::size_t{extra.rows[p]} * words), words,
                  t.own_keys.begin() + static_cast<std::ptrdiff_t>(p * words));
      if (!groups.empty()) tree_groups[p] = groups[extra.rows[p]];
    }
    t.keys = t.own_keys;  // moving the vector keeps its buffer, so the span stays valid
    t.rows = extra.rows;
    t.group_node = find_group_nodes(extra.tree, tree_groups);
    t.tree = std::move(extra.tree);
    trees_.push_back(std::move(t));
  }
}

bool ForestIndex::every_tree_grouped() const {
  return !trees_.empty() &&
         std::all_of(trees_.begin(), trees_.end(), [](const Tree& t) { return !t.group_node.empty(); });
}

std::uint32_t ForestIndex::group_root(std::size_t i, int group) const {
  const std::vector<std::uint32_t>& nodes = trees_.at(i).group_node;
  if (group < 0 || static_cast<std::size_t>(group) >= nodes.size()) return 0;
  const std::uint32_t node = nodes[static_cast<std::size_t>(group)];
  return node == kNoIndex ? 0 : node;
}

const KMeansTreeBounds& ForestIndex::bounds(std::size_t i) const {
  if (i >= trees_.size())
    throw Error(name_ + ": no tree " + std::to_string(i) + " (the forest has " + std::to_string(trees_.size()) + ")");
  std::call_once(bounds_->once, [&] {
    for (const Tree& t : trees_) bounds_->bounds.push_back(t.tree.bounds(t.keys, word_weights_));
  });
  return bounds_->bounds[i];
}

std::size_t ForestIndex::copied_bytes() const {
  std::size_t bytes = 0;
  for (const Tree& t : trees_) bytes += t.own_keys.size() * sizeof(std::uint64_t);
  return bytes;
}

void ForestIndex::search(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
                         std::span<SearchResult> results) const {
  const std::size_t words = word_weights_.size();
  if (queries.size() != results.size() * words)
    throw Error(name_ + ": batch of " + std::to_string(queries.size()) + " query words for " +
                std::to_string(results.size()) + " keys of " + std::to_string(words) + " words");
  if (trees_.empty()) throw Error(name_ + ": a forest without trees");
  SearchParams p = params;
  if (p.max_comparisons > 0 && trees_.size() > 1)
    p.max_comparisons = std::max<std::uint32_t>(1, p.max_comparisons / static_cast<std::uint32_t>(trees_.size()));
  if (p.epsilon >= 0) {
    search_bounded(queries, group, p, results);
    return;
  }
  TreeSearchContext context;
  context.start_node = group_root(0, group);
  context.row_data = row_data_;
  const Tree& first = trees_[0];
  first.tree.search_batch(queries, first.keys, word_weights_, p, context, results);
  if (trees_.size() == 1) return;
  // Further trees answer in their own order (no row values to ask for); their answers are
  // mapped back to rows and merged. Per thread and reused: this runs once per glimpse step of
  // every lookup batch.
  thread_local std::vector<SearchResult> scratch;
  scratch.resize(results.size());
  const std::span<SearchResult> other(scratch);
  context.row_data = {};
  for (std::size_t t = 1; t < trees_.size(); ++t) {
    const Tree& tree = trees_[t];
    context.start_node = group_root(t, group);
    tree.tree.search_batch(queries, tree.keys, word_weights_, p, context, other);
    for (std::size_t i = 0; i < results.size(); ++i) {
      SearchResult& best = results[i];
      const SearchResult& r = other[i];
      best.comparisons += r.comparisons;
      if (r.index != kNoIndex) keep_closer(best, tree.rows[r.index], r.distance, r.depth);
    }
  }
}

void ForestIndex::search_bounded(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
                                 std::span<SearchResult> results) const {
  // One query at a time through the trees, each pruned by the best distance the trees before
  // it found.
  const std::size_t words = word_weights_.size();
  bounds(0);  // computes every tree's bounds once, before the loop
  const std::vector<KMeansTreeBounds>& all = bounds_->bounds;
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto q = queries.subspan(i * words, words);
    SearchResult& best = results[i];
    TreeSearchContext context;
    context.bounds = &all[0];
    context.start_node = group_root(0, group);
    best = trees_[0].tree.search(q, trees_[0].keys, word_weights_, params, context);
    for (std::size_t t = 1; t < trees_.size(); ++t) {
      const Tree& tree = trees_[t];
      context.bound = best.distance;
      context.bounds = &all[t];
      context.start_node = group_root(t, group);
      const SearchResult r = tree.tree.search(q, tree.keys, word_weights_, params, context);
      best.comparisons += r.comparisons;
      if (r.index != kNoIndex) keep_closer(best, tree.rows[r.index], r.distance, r.depth);
    }
  }
}

}  // namespace mbi
