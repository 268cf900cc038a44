#pragma once
// Tuning the weights of the lookup distance (paper eq. 1 and the richer weightings the key
// layout allows), shared by `mbi tune` and `mbi experiment fig4a` so that both measure a
// weighting the same way:
//   WeightSpace      which key segments share a tuned weight, and the box searched
//   TrialEvaluator   one weighting -> the table re-weighted (tree rebuilt) -> lookup accuracy
//   run_search       BO, random or grid search over a WeightSpace for a fixed budget
//
// The objective is the accuracy of the search the table is deployed with. Under the tree
// search the weights change both the distance and the clustering (the tree is built with
// them), so each trial rebuilds the tree, exactly as the output table will be built: the
// number a trial reports is the number `mbi eval` will print for that table.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "mbi/bo/bo.hpp"
#include "mbi/data/idx.hpp"
#include "mbi/kmeans_tree.hpp"
#include "mbi/lookup_engine.hpp"
#include "mbi/progress.hpp"
#include "mbi/ram_config.hpp"
#include "mbi/table_file.hpp"

namespace mbi::cli {

// Published search box of eq. 1's weights (author's code: bounds [1, 100] for a, b, c).
inline constexpr double kWeightLower = 1.0;
inline constexpr double kWeightUpper = 100.0;

// eq1     a (all glimpse scales), b (hidden), c (both location axes): the paper's eq. 1
// scales  one weight per glimpse scale, hidden, location
// axes    glimpse, hidden, loc_x, loc_y
// full    one weight per key segment
struct WeightSpace {
  std::string name;
  bo::Space box;                       // one dimension per tuned weight
  std::vector<std::size_t> dimension;  // per key segment: the dimension that sets its weight

  // Integer segment weights (the table's WGHT section) for a point of the box.
  std::vector<std::uint32_t> segment_weights(const RamConfig& config, const std::vector<double>& x) const;
  // {"a": 29.98, ...}: the point with its dimensions named.
  nlohmann::json values(const std::vector<double>& x) const;
  // "a=29.98 b=16.08 c=9.93", for logs and CSV cells.
  std::string format(const std::vector<double>& x) const;
};

const std::vector<std::string>& weight_space_names();
// Throws mbi::Error naming the flag `flag` for an unknown space.
WeightSpace make_weight_space(const std::string& name, const RamConfig& config, const std::string& flag = "--space");

// Search the weighted table is used with: through its k-means tree (rebuilt for every
// weighting, with these parameters) or exhaustively.
struct TableSearch {
  bool tree = true;
  KMeansTreeParams tree_params;
  bool per_step = true;  // root split by glimpse step, as `mbi distill` builds by default
  std::uint32_t trees = 1;  // a forest when > 1 (TableData::build_tree)
  std::uint32_t global_trees = 0;  // of them, how many span all steps
  std::uint32_t probes = 1;
  std::uint32_t max_comparisons = 0;  // tree search budget per step (0: scan `probes` leaves)
};

// --search, --probes and --max-comparisons with `mbi eval`'s defaults and meaning, so that
// the search a weighting is tuned for is the one `mbi eval` runs unless told otherwise.
struct SearchFlags {
  std::string search = "tree";
  std::uint32_t probes = 1;
  std::uint32_t max_comparisons = kDefaultSearchBudget;

  void add_to(CLI::App& cmd);
  // Copies the flags into `s`; an explicit --probes alone means no comparison budget.
  void apply(TableSearch& s) const;

 private:
  CLI::Option* probes_option_ = nullptr;
  CLI::Option* budget_option_ = nullptr;
};

// {"search": "tree", "probes": 1, "max_comparisons": 400, "per_step": true}, for records.
nlohmann::json describe(const TableSearch& s);

// The tree a table was built with (parameters, per-step root), from its metadata "tree"
// object, searched through; nullopt when it was distilled without a tree.
std::optional<TableSearch> tree_search_from_meta(const nlohmann::json& meta);

// Evaluates weightings of one table. The base rows are kept in memory; each weighting is
// written to a private scratch file (lookups run on a mapped table) that the destructor
// removes. The last weighting's mapped table is kept, so evaluating it on a second image
// set costs no rebuild.
class TrialEvaluator {
 public:
  TrialEvaluator(TableData base, RamConfig config, TableSearch search, int threads);
  ~TrialEvaluator();
  TrialEvaluator(const TrialEvaluator&) = delete;
  TrialEvaluator& operator=(const TrialEvaluator&) = delete;

  // The base table with these weights; its tree rebuilt when `with_tree`.
  TableData weighted(const std::vector<std::uint32_t>& segment_weights, bool with_tree) const;
  // Pure-lookup accuracy (percent) on `set` with these weights.
  double accuracy(const std::vector<std::uint32_t>& segment_weights, const data::ImageSet& set);
  // The base table with these weights (trees rebuilt as `search` says), written to the
  // scratch file and mapped; valid until the next call with other weights.
  const MappedTable& prepare(const std::vector<std::uint32_t>& segment_weights);

  const RamConfig& config() const { return config_; }
  const TableSearch& search() const { return search_; }
  std::size_t rows() const { return base_.rows(); }

 private:

  TableData base_;
  RamConfig config_;
  TableSearch search_;
  int threads_;
  std::filesystem::path scratch_;
  std::optional<MappedTable> current_;
  std::vector<std::uint32_t> current_weights_;
};

// One evaluated weighting.
struct TrialRecord {
  std::string method;
  int index = 0;  // 1-based, in evaluation order
  std::vector<double> x;
  double accuracy = 0;
  double best = 0;  // best accuracy up to and including this trial
  double seconds = 0;
};

// One searcher's run.
struct SearchRun {
  std::string method;
  std::vector<TrialRecord> trials;
  std::vector<double> best_x;
  double best_accuracy = 0;
  int first_best = 0;  // 1-based index of the evaluation that first reached best_accuracy
  double seconds = 0;
};

// Reports trials as they finish: one log line each and a bar over all trials of a session.
class TrialReporter {
 public:
  TrialReporter(std::size_t total_trials, bool progress, bool log_trials);
  void report(const WeightSpace& space, const TrialRecord& trial);
  void finish();

 private:
  ProgressBar bar_;
  bool progress_;
  bool log_trials_;
  std::size_t done_ = 0;
};

const std::vector<std::string>& search_method_names();  // bo, random, grid

// Maximises accuracy on `set` over `space` with `method` (bo: 5 design points then
// expected improvement, as published; random; grid) for `budget` evaluations. Same
// seed, table and images -> the same trials.
SearchRun run_search(TrialEvaluator& evaluator, const data::ImageSet& set, const WeightSpace& space,
                     const std::string& method, int budget, std::uint64_t seed, TrialReporter& reporter);

}  // namespace mbi::cli
