#include "mbi/bo/box_minimizer.hpp"

#include <algorithm>
#include <cmath>
#include <deque>
#include <vector>

namespace mbi::bo {
namespace {

struct CurvaturePair {
  Eigen::VectorXd s;  // step
  Eigen::VectorXd y;  // gradient change
  double rho;         // 1 / (y's)
};

// Standard L-BFGS two-loop recursion: returns H * q with H the implicit inverse Hessian.
Eigen::VectorXd apply_inverse_hessian(const std::deque<CurvaturePair>& memory, Eigen::VectorXd q) {
  std::vector<double> a(memory.size());
  for (std::size_t k = memory.size(); k-- > 0;) {
    a[k] = memory[k].rho * memory[k].s.dot(q);
    q -= a[k] * memory[k].y;
  }
  if (!memory.empty()) {
    const CurvaturePair& last = memory.back();
    q *= last.s.dot(last.y) / last.y.squaredNorm();  // initial scaling gamma = s'y / y'y
  }
  for (std::size_t k = 0; k < memory.size(); ++k) {
    const double b = memory[k].rho * memory[k].y.dot(q);
    q += (a[k] - b) * memory[k].s;
  }
  return q;
}

// Variables on a bound whose gradient points out of the box cannot move this step.
Eigen::Array<bool, Eigen::Dynamic, 1> active_bounds(const Eigen::VectorXd& x, const Eigen::VectorXd& g,
                                                    const Eigen::VectorXd& lower, const Eigen::VectorXd& upper) {
  return ((x.array() <= lower.array()) && (g.array() > 0.0)) || ((x.array() >= upper.array()) && (g.array() < 0.0));
}

}  // namespace

BoxMinimum minimize_in_box(const DifferentiableFunction& f, const Eigen::VectorXd& start,
                           const Eigen::VectorXd& lower, const Eigen::VectorXd& upper,
                           const BoxMinimizerOptions& options) {
  const auto project = [&](const Eigen::VectorXd& v) -> Eigen::VectorXd { return v.cwiseMax(lower).cwiseMin(upper); };
  BoxMinimum best{project(start), 0.0, 0};
  Eigen::VectorXd g = Eigen::VectorXd::Zero(start.size());
  best.value = f(best.x, g);
  if (!std::isfinite(best.value) || !g.allFinite()) return best;

  std::deque<CurvaturePair> memory;
  Eigen::VectorXd trial_gradient(start.size());
  for (int iteration = 0; iteration < options.max_iterations; ++iteration) {
    best.iterations = iteration + 1;
    const auto active = active_bounds(best.x, g, lower, upper);
    const Eigen::VectorXd free_gradient = active.select(Eigen::VectorXd::Zero(g.size()), g);
    if (free_gradient.lpNorm<Eigen::Infinity>() < options.gradient_tolerance) break;

    Eigen::VectorXd direction = -apply_inverse_hessian(memory, free_gradient);
    direction = active.select(Eigen::VectorXd::Zero(g.size()), direction);
    if (!(direction.dot(free_gradient) < 0.0)) {
      memory.clear();
      direction = -free_gradient;
    }
    // Without curvature information the gradient's scale is arbitrary: cap the first
    // step at one unit per coordinate (the box is the natural scale here).
    double step = memory.empty() ? std::min(1.0, 1.0 / direction.lpNorm<Eigen::Infinity>()) : 1.0;

    bool accepted = false;
    Eigen::VectorXd trial;
    double trial_value = 0.0;
    for (int halving = 0; halving < 40; ++halving, step *= 0.5) {
      trial = project(best.x + step * direction);
      const double decrease = g.dot(trial - best.x);
      if (!(decrease < 0.0)) continue;  // projection destroyed descent; a shorter step may not
      trial_value = f(trial, trial_gradient);
      if (std::isfinite(trial_value) && trial_gradient.allFinite() && trial_value <= best.value + 1e-4 * decrease) {
        accepted = true;
        break;
      }
    }
    if (!accepted) {
      if (memory.empty()) break;  // even steepest descent makes no progress: a minimum
      memory.clear();
      continue;
    }

    CurvaturePair pair{trial - best.x, trial_gradient - g, 0.0};
    const double curvature = pair.s.dot(pair.y);
    if (curvature > 1e-12 * pair.s.norm() * pair.y.norm()) {
      pair.rho = 1.0 / curvature;
      memory.push_back(std::move(pair));
      if (static_cast<int>(memory.size()) > options.memory) memory.pop_front();
    }
    const double improvement = best.value - trial_value;
    best.x = trial;
    best.value = trial_value;
    g = trial_gradient;
    if (improvement <= options.relative_value_tolerance * std::max(1.0, std::abs(best.value))) break;
  }
  return best;
}

}  // namespace mbi::bo
