#include "mbi/tune/weight_search.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

#include "mbi/bo/bo.hpp"
#include "mbi/core/error.hpp"

namespace mbi::tune {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::unique_ptr<bo::Searcher> make_searcher(const std::string& method, const bo::Space& box, int budget,
                                            std::uint64_t seed) {
  if (method == "bo") {
    // As published: 5 random points, then expected improvement for the rest of the budget.
    return std::make_unique<bo::Optimizer>(
        box, bo::Options{.seed = seed, .initial_random = 5, .acquisition = bo::AcquisitionKind::expected_improvement});
  }
  if (method == "random") return std::make_unique<bo::RandomSearch>(box, seed);
  if (method == "grid") return std::make_unique<bo::GridSearch>(box, budget, seed);
  throw Error("--method: unknown search method '" + method + "' (bo, random or grid)");
}

}  // namespace

TrialReporter::TrialReporter(std::size_t total_trials, bool progress, bool log_trials)
    : bar_("trials", total_trials, progress), progress_(progress), log_trials_(log_trials) {}

void TrialReporter::report(const WeightSpace& space, const TrialRecord& t) {
  ++done_;
  if (log_trials_) {
    // On a terminal the bar owns the current line: clear it so the log line stands alone.
    if (progress_ && ::isatty(STDERR_FILENO) != 0) std::fputs("\r\033[K", stderr);
    spdlog::info("{:<6} {:>3}  {}  val {:.2f}%  best {:.2f}%  ({:.1f} s)", t.method, t.index, space.format(t.x),
                 t.accuracy, t.best, t.seconds);
  }
  bar_.update(done_, fmt::format("best {:.2f}%", t.best));
}

void TrialReporter::finish() { bar_.finish(); }

const std::vector<std::string>& search_method_names() {
  static const std::vector<std::string> names = {"bo", "random", "grid"};
  return names;
}

SearchRun run_search(TrialEvaluator& evaluator, const ImageSet& set, const WeightSpace& space,
                     const std::string& method, int budget, std::uint64_t seed, TrialReporter& reporter) {
  const auto searcher = make_searcher(method, space.box, budget, seed);
  SearchRun run;
  run.method = method;
  const auto start = Clock::now();
  const bo::Objective objective = [&](const std::vector<double>& x) {
    const auto t0 = Clock::now();
    TrialRecord r;
    r.method = method;
    r.index = static_cast<int>(run.trials.size()) + 1;
    r.x = x;
    r.accuracy = evaluator.accuracy(space.segment_weights(evaluator.config(), x), set);
    r.best = run.trials.empty() ? r.accuracy : std::max(run.trials.back().best, r.accuracy);
    r.seconds = seconds_since(t0);
    run.trials.push_back(r);
    reporter.report(space, r);
    return r.accuracy;
  };
  const bo::Result result = bo::maximize(objective, *searcher, budget);
  run.best_x = result.best_x;
  run.best_accuracy = result.best_y;
  // maximize keeps the first trial that reached the best value, so this is the same one.
  for (const auto& t : run.trials) {
    if (t.accuracy == run.best_accuracy) {
      run.first_best = t.index;
      break;
    }
  }
  run.seconds = seconds_since(start);
  return run;
}

}  // namespace mbi::tune
