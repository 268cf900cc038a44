#pragma once
// The ask/tell interface shared by Bayesian optimization and its baselines, and the
// loop that runs any of them on an objective for a fixed budget. Sharing it keeps
// comparisons honest: same budget, same history format, same bookkeeping.
//
// Convention: a Searcher MAXIMISES what it is told. minimize() negates for you; the
// Result it returns holds your original values.
#include <functional>
#include <vector>

namespace mbi::bo {

// The black box: a point in caller units (see Space) -> a finite score.
using Objective = std::function<double(const std::vector<double>&)>;

class Searcher {
 public:
  virtual ~Searcher() = default;
  // The next point to evaluate, in caller units. Depends only on the seed and what has
  // been observed so far, so asking twice without observing gives the same point.
  virtual std::vector<double> suggest() = 0;
  // Reports the value at x (larger is better). x need not come from suggest(); it must
  // lie inside the space. Throws mbi::Error for a non-finite y or an out-of-box x.
  virtual void observe(const std::vector<double>& x, double y) = 0;
};

struct Trial {
  std::vector<double> x;
  double y;       // as returned by the objective
  double best_y;  // best y among this and all earlier trials (min for minimize)
};

struct Result {
  std::vector<Trial> trials;  // in evaluation order
  std::vector<double> best_x;
  double best_y = 0.0;
};

// Runs budget rounds of suggest -> f -> observe. Throws mbi::Error if budget < 1.
Result maximize(const Objective& f, Searcher& searcher, int budget);
Result minimize(const Objective& f, Searcher& searcher, int budget);

}  // namespace mbi::bo
