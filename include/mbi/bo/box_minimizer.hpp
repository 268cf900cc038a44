#pragma once
// Local minimisation of a smooth function inside a box: projected L-BFGS. Used twice:
// to fit GP hyper-parameters (in log space, where the bounds keep the model from
// collapsing) and to polish acquisition maxima inside the unit cube.
//
// Variables sitting on a bound with the gradient pushing outwards are frozen for the
// step; the rest take an L-BFGS step, projected back into the box, with backtracking
// until the Armijo condition holds. When that fails the curvature memory is dropped
// and the projected steepest-descent direction is tried before giving up.
#include <Eigen/Core>

#include <functional>

namespace mbi::bo {

// Returns f(x) and writes df/dx into `gradient` (already sized). A non-finite value
// tells the minimiser that x is unusable; it backs off.
using DifferentiableFunction = std::function<double(const Eigen::VectorXd& x, Eigen::VectorXd& gradient)>;

struct BoxMinimizerOptions {
  int max_iterations = 200;
  int memory = 8;                          // L-BFGS correction pairs kept
  double gradient_tolerance = 1e-6;        // stop when the projected gradient is this small
  double relative_value_tolerance = 1e-9;  // ... or when f improves by less than this
};

struct BoxMinimum {
  Eigen::VectorXd x;
  double value;
  int iterations;
};

BoxMinimum minimize_in_box(const DifferentiableFunction& f, const Eigen::VectorXd& start,
                           const Eigen::VectorXd& lower, const Eigen::VectorXd& upper,
                           const BoxMinimizerOptions& options = {});

}  // namespace mbi::bo
