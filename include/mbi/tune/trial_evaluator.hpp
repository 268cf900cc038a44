#pragma once
// One weighting of a table's lookup distance -> the table re-weighted (its trees rebuilt) ->
// lookup accuracy. The objective of every weight search (`mbi tune`, `mbi experiment fig4a`)
// is the accuracy of the search the table is deployed with: under the tree search the
// weights shape the clusters as well as the distance, so each trial rebuilds the trees,
// exactly as the output table will be built, and the number a trial reports is the number
// `mbi eval` prints for that table. Trials are searched in memory: nothing is written.
#include <nlohmann/json.hpp>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/lookup/ram_config.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/lookup/table_data.hpp"
#include "mbi/search/kmeans_tree.hpp"

namespace mbi::tune {

// Search the weighted table is used with: through its k-means trees (rebuilt for every
// weighting, with these parameters) or exhaustively.
struct TableSearch {
  bool tree = true;
  KMeansTreeParams tree_params;
  bool per_step = true;            // root split by glimpse step, as `mbi distill` builds by default
  std::uint32_t trees = 1;         // a forest when > 1 (TableData::build_tree)
  std::uint32_t global_trees = 0;  // of them, how many span all steps
  std::uint32_t probes = 1;
  std::uint32_t max_comparisons = 0;  // tree search budget per step (0: scan `probes` leaves)
};

// {"search": "tree", "probes": 1, "max_comparisons": 400, "per_step": true, ...}, for records.
nlohmann::json describe(const TableSearch& s);

// The trees a table was built with (parameters, per-step root), from its metadata "tree"
// object, searched through; nullopt when it was distilled without a tree.
std::optional<TableSearch> tree_search_from_meta(const nlohmann::json& meta);

// Evaluates weightings of one table. The base rows are kept in memory; the last weighting's
// table is kept too, so evaluating it on a second image set costs no rebuild.
class TrialEvaluator {
 public:
  // What a weighted table scores on an image set (percent). The default runs the table's
  // own search (run_lookups); another scorer can run it on modelled hardware, e.g. with read
  // noise, so that the weights are tuned for the device they will run on (issue 17).
  using Scorer = std::function<double(const Table& table, const RamConfig& config, const TableSearch& search,
                                       const ImageSet& set)>;

  TrialEvaluator(TableData base, RamConfig config, TableSearch search, int threads);

  void set_scorer(Scorer scorer) { scorer_ = std::move(scorer); }
  // The scorer's number for any table searched as `search()` says (the baseline of a tuning).
  double score(const Table& table, const ImageSet& set) const;

  // The base table with these weights; its trees rebuilt when `with_tree`.
  TableData weighted(const std::vector<std::uint32_t>& segment_weights, bool with_tree) const;
  // Pure-lookup accuracy (percent) on `set` with these weights.
  double accuracy(const std::vector<std::uint32_t>& segment_weights, const ImageSet& set);
  // The base table with these weights (trees rebuilt as `search` says), ready to search;
  // valid until the next call with other weights.
  const Table& prepare(const std::vector<std::uint32_t>& segment_weights);

  const RamConfig& config() const { return config_; }
  const TableSearch& search() const { return search_; }
  std::size_t rows() const { return base_.rows(); }

 private:
  TableData base_;
  RamConfig config_;
  TableSearch search_;
  int threads_;
  Scorer scorer_;  // empty: the table's own search
  std::optional<Table> current_;      // searches current_data_
  std::optional<TableData> current_data_;
  std::vector<std::uint32_t> current_weights_;
};

}  // namespace mbi::tune
