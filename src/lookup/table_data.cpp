#include "mbi/lookup/table_data.hpp"

#include <algorithm>
#include <utility>

#include "mbi/core/error.hpp"

namespace mbi {
namespace {

template <typename T>
void permute(std::vector<T>& column, std::size_t width, std::span<const std::uint32_t> order) {
  std::vector<T> out(column.size());
  for (std::size_t p = 0; p < order.size(); ++p)
    std::copy_n(column.begin() + std::size_t{order[p]} * width, width, out.begin() + p * width);
  column.swap(out);
}

}  // namespace

void TableData::check_consistent(const std::string& where) const {
  const std::size_t n = rows();
  const auto expect = [&](const char* what, std::size_t got, std::size_t want) {
    if (got != want)
      throw Error(where + ": " + what + " holds " + std::to_string(got) + " elements, expected " + std::to_string(want) +
                  " for " + std::to_string(n) + " rows");
  };
  if (key_layout.words() == 0) throw Error(where + ": the key layout is empty");
  if (n >= kNoIndex) throw Error(where + ": more than 2^32-2 rows");
  expect("segment_weights", segment_weights.size(), key_layout.segments().size());
  expect("keys", keys.size(), n * key_layout.words());
  expect("next_hidden", next_hidden.size(), n * value_layout.words());
  expect("next_location", next_location.size(), n * 2);
  expect("prediction", prediction.size(), n);
  const auto check_tree = [&](const KMeansTree& t) {
    if (t.rows() != n || t.words() != key_layout.words())
      throw Error(where + ": a tree covers " + std::to_string(t.rows()) + " keys of " + std::to_string(t.words()) +
                  " words, the table has " + std::to_string(n) + " of " + std::to_string(key_layout.words()));
  };
  if (tree) check_tree(*tree);
  if (!forest.empty() && !tree) throw Error(where + ": a forest without a first tree");
  if (forest.size() + 1 > kMaxTrees)
    throw Error(where + ": " + std::to_string(forest.size() + 1) + " trees, at most " + std::to_string(kMaxTrees));
  for (const ForestTree& f : forest) {
    check_tree(f.tree);
    expect("a forest tree's rows", f.rows.size(), n);
  }
}

void TableData::reorder_rows(std::span<const std::uint32_t> order) {
  const std::size_t n = rows();
  std::vector<bool> seen(n, false);
  bool permutation = order.size() == n;
  for (std::size_t p = 0; permutation && p < n; ++p) {
    permutation = order[p] < n && !seen[order[p]];
    if (permutation) seen[order[p]] = true;
  }
  if (!permutation) throw Error("table: row order is not a permutation of the " + std::to_string(n) + " rows");
  check_consistent("table");
  permute(keys, key_layout.words(), order);
  permute(next_hidden, value_layout.words(), order);
  permute(next_location, 2, order);
  permute(step, 1, order);
  permute(prediction, 1, order);
  tree.reset();
  forest.clear();
}

void TableData::keep_rows(std::span<const std::uint32_t> kept) {
  const std::size_t n = rows();
  for (std::size_t p = 0; p < kept.size(); ++p)
    if (kept[p] >= n || (p > 0 && kept[p] <= kept[p - 1]))
      throw Error("table: rows to keep must be strictly increasing row numbers below " + std::to_string(n));
  check_consistent("table");
  const auto keep = [&](auto& column, std::size_t width) {
    permute(column, width, kept);
    column.resize(kept.size() * width);
  };
  keep(keys, key_layout.words());
  keep(next_hidden, value_layout.words());
  keep(next_location, 2);
  keep(step, 1);
  keep(prediction, 1);
  tree.reset();
  forest.clear();
}

void TableData::build_tree(const KMeansTreeParams& params, bool per_step, std::size_t trees,
                           std::size_t global_trees) {
  if (trees < 1 || trees > kMaxTrees)
    throw Error("table: " + std::to_string(trees) + " trees asked for, 1 to " + std::to_string(kMaxTrees) + " allowed");
  if (global_trees >= trees)
    throw Error("table: " + std::to_string(global_trees) + " trees spanning all steps asked for among " +
                std::to_string(trees) + " (the first tree follows per_step)");
  check_consistent("table");
  const std::vector<std::uint32_t> word_weights = key_layout.word_weights(segment_weights);
  const auto groups = [&](bool by_step) {
    return by_step ? std::span<const std::uint8_t>(step) : std::span<const std::uint8_t>();
  };
  KMeansTreeBuild built = build_kmeans_tree(keys, word_weights, params, groups(per_step));
  reorder_rows(built.order);
  tree = std::move(built.tree);
  for (std::size_t i = 1; i < trees; ++i) {
    // Seeds far apart from the first tree's and from each other (a table built with seed s + 1
    // should not share trees with this one).
    KMeansTreeParams p = params;
    p.seed = params.seed + 0x9E3779B97F4A7C15ULL * i;
    KMeansTreeBuild more = build_kmeans_tree(keys, word_weights, p, groups(per_step && i < trees - global_trees));
    forest.push_back({std::move(more.tree), std::move(more.order)});
  }
}

TableView TableData::view() const {
  TableView v;
  v.rows = rows();
  v.key_layout = key_layout;
  v.value_layout = value_layout;
  v.segment_weights = segment_weights;
  v.metadata_json = metadata_json;
  v.keys = keys;
  v.next_hidden = next_hidden;
  v.next_location = next_location;
  v.step = step;
  v.prediction = prediction;
  if (tree) v.tree = tree->view();
  for (const ForestTree& f : forest) v.forest.push_back({f.tree.view(), f.rows});
  return v;
}

}  // namespace mbi
