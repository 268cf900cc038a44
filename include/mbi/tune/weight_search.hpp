#pragma once
// BO, random or grid search over a WeightSpace for a fixed budget of trials, each scored by
// a TrialEvaluator: what `mbi tune` and `mbi experiment fig4a` run.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/core/progress.hpp"
#include "mbi/tune/trial_evaluator.hpp"
#include "mbi/tune/weight_space.hpp"

namespace mbi::tune {

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
SearchRun run_search(TrialEvaluator& evaluator, const ImageSet& set, const WeightSpace& space,
                     const std::string& method, int budget, std::uint64_t seed, TrialReporter& reporter);

}  // namespace mbi::tune
