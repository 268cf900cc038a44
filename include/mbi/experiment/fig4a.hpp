#pragma once
// Paper Fig. 4(a): pure-lookup test accuracy against the share of training rows kept in the
// table, with the unweighted distance and with weights tuned by Bayesian optimisation on the
// validation split; the published curves beside ours.
//
// Each fraction: distill the train split keeping that share of rows; score (1, 1, 1) and the
// BO-tuned weights of every requested space on the test split. Weights never see a test
// image: they are chosen on validation accuracy only.
//
// With dagger_rounds > 0 the fraction is a share of the training *images* instead: a seeded
// subset of that size is distilled whole, then DAgger rounds on shifted copies of the same
// images add the keys lookups drift into (searched with dagger_weights). The table then holds
// more rows than that share of the plain rows, so rows and bytes are reported beside every
// accuracy.
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/lookup/ram_config.hpp"
#include "mbi/lookup/table_data.hpp"
#include "mbi/search/kmeans_tree.hpp"
#include "mbi/sweep/trial_store.hpp"
#include "mbi/tune/trial_evaluator.hpp"

namespace mbi::experiment {

// What the teacher does for the figure, passed in (distillation runs the teacher, which this
// library does not link).
struct Fig4aTeacher {
  // The rows of `images`, keeping a seeded `fraction` of them (no weights or trees yet).
  std::function<TableData(const ImageSet& images, double fraction)> distill;
  // Adds `rounds` DAgger rounds' rows to `table` (searched with its weights and a per-step
  // tree of `tree` parameters) on shifted copies of `images`.
  std::function<void(const ImageSet& images, TableData& table, const KMeansTreeParams& tree)> add_dagger_rows;
};

struct Fig4aOptions {
  std::vector<double> fractions = {0.15, 0.3, 0.5, 0.7, 0.9, 1.0};
  int budget = 10;  // BO evaluations per fraction and space; 0: the unweighted curve only
  std::uint64_t seed = 1;
  std::vector<std::string> spaces = {"eq1"};
  tune::TableSearch search;  // tree_params.seed and per_step as the tables are built
  int dagger_rounds = 0;
  std::vector<double> dagger_weights = {30, 16, 10};
  int threads = 0;
  bool progress = false;
};

struct Fig4aSplits {
  const ImageSet& train;  // the table is distilled from it
  const ImageSet& val;    // weights are tuned on it
  const ImageSet& test;   // accuracy is reported on it
};

// Summary (fractions, mean test gain per space); table fig4a; plot fig4a. The fractions one
// after another in this process: fig4a_fraction for each, then fig4a_results.
io::ResultFiles fig4a_experiment(const Fig4aTeacher& teacher, const RamConfig& config, const Fig4aSplits& splits,
                                 const Fig4aOptions& options);

// The same figure on the sweep runner (sweep/sweep.hpp): one trial per fraction, described by
// the fraction and `recipe` (the teacher, data and options, as the caller records them).
std::vector<sweep::Trial> fig4a_trials(const Fig4aOptions& options, const nlohmann::json& recipe);
// One fraction's table, tuned and scored: the trial's result (the summary's entry for it).
// Throws mbi::Error for an unknown weight space or malformed DAgger weights.
nlohmann::json fig4a_fraction(const Fig4aTeacher& teacher, const RamConfig& config, const Fig4aSplits& splits,
                              const Fig4aOptions& options, double fraction);
// The figure from the fractions' results, in the order of options.fractions; `seconds` is the
// sweep's wall time.
io::ResultFiles fig4a_results(const Fig4aOptions& options, const Fig4aSplits& splits,
                              const std::vector<nlohmann::json>& fractions, double seconds);

}  // namespace mbi::experiment
