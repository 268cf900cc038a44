#include "mbi/tune/trial_evaluator.hpp"

#include <algorithm>
#include <utility>

#include "mbi/lookup/lookup_run.hpp"

namespace mbi::tune {

std::optional<TableSearch> tree_search_from_meta(const nlohmann::json& meta) {
  const auto it = meta.find("tree");
  if (it == meta.end() || !it->is_object()) return std::nullopt;
  TableSearch search;
  // Tables written before per-step trees existed have no "per_step": theirs is global.
  search.per_step = it->value("per_step", false);
  search.trees = it->value("trees", 1U);
  search.global_trees = it->value("global_trees", 0U);
  KMeansTreeParams& p = search.tree_params;
  p.branching = it->value("branching", p.branching);
  p.max_leaf_size = it->value("max_leaf_size", p.max_leaf_size);
  p.restarts = it->value("restarts", p.restarts);
  p.seed = it->value("seed", p.seed);
  return search;
}

nlohmann::json describe(const TableSearch& s) {
  if (!s.tree) return {{"search", "exhaustive"}};
  return {{"search", "tree"},
          {"probes", s.probes},
          {"max_comparisons", s.max_comparisons},
          {"per_step", s.per_step},
          {"trees", s.trees},
          {"global_trees", s.global_trees}};
}

TrialEvaluator::TrialEvaluator(TableData base, RamConfig config, TableSearch search, int threads)
    : base_(std::move(base)), config_(std::move(config)), search_(search), threads_(threads) {
  base_.tree.reset();  // every weighting builds its own
  base_.forest.clear();
}

TableData TrialEvaluator::weighted(const std::vector<std::uint32_t>& segment_weights, bool with_tree) const {
  TableData t = base_;
  t.segment_weights = segment_weights;
  if (with_tree) {
    KMeansTreeParams params = search_.tree_params;
    params.threads = static_cast<std::uint32_t>(std::max(threads_, 0));  // the same tree on any count
    t.build_tree(params, search_.per_step, search_.trees, search_.global_trees);
  }
  return t;
}

const Table& TrialEvaluator::prepare(const std::vector<std::uint32_t>& segment_weights) {
  if (current_ && current_weights_ == segment_weights) return *current_;
  current_.reset();  // before the data it searches goes
  // Exhaustive search ignores the trees, so building them would only cost time.
  current_data_ = weighted(segment_weights, search_.tree);
  current_.emplace(Table::borrow(*current_data_, "weighted table"));
  current_weights_ = segment_weights;
  return *current_;
}

double TrialEvaluator::accuracy(const std::vector<std::uint32_t>& segment_weights, const ImageSet& set) {
  return score(prepare(segment_weights), set);
}

double TrialEvaluator::score(const Table& table, const ImageSet& set) const {
  if (scorer_) return scorer_(table, config_, search_, set);
  LookupOptions options;
  options.index = search_.tree ? nullptr : &table.exhaustive();
  options.search.probes = search_.probes;
  options.search.max_comparisons = search_.max_comparisons;
  return run_lookups(table, config_, set, options, threads_, false).accuracy(set);
}

}  // namespace mbi::tune
