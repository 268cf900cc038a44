#include "mbi/bo/searcher.hpp"

#include <utility>

#include "mbi/core/error.hpp"

namespace mbi::bo {
namespace {

// sign = +1 to maximise, -1 to minimise: the searcher always sees sign * y.
Result run(const Objective& f, Searcher& searcher, int budget, double sign) {
  if (budget < 1) throw Error("bo: the evaluation budget must be at least 1");
  Result result;
  result.trials.reserve(static_cast<std::size_t>(budget));
  for (int t = 0; t < budget; ++t) {
    std::vector<double> x = searcher.suggest();
    const double y = f(x);
    searcher.observe(x, sign * y);
    if (t == 0 || sign * y > sign * result.best_y) {
      result.best_y = y;
      result.best_x = x;
    }
    result.trials.push_back({std::move(x), y, result.best_y});
  }
  return result;
}

}  // namespace

Result maximize(const Objective& f, Searcher& searcher, int budget) { return run(f, searcher, budget, +1.0); }
Result minimize(const Objective& f, Searcher& searcher, int budget) { return run(f, searcher, budget, -1.0); }

}  // namespace mbi::bo
