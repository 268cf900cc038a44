#pragma once
// Bayesian optimization: a GP surrogate (Matérn 5/2, ARD, fitted noise) and an
// acquisition function choose each next point. The optimizer MAXIMISES; to minimise,
// observe -y or call minimize(), which does that and reports the original values.
//
//   mbi::bo::Optimizer opt(space, {.seed = 7});
//   for (int t = 0; t < 40; ++t) {
//     std::vector<double> x = opt.suggest();
//     opt.observe(x, accuracy(x));
//   }
//
// The search runs in epochs. Each starts with `initial_random` points of a Latin-
// hypercube design (random, but stratified so no coordinate range is left empty); after
// that every suggestion refits the GP hyper-parameters (warm-started) and maximises the
// acquisition. When an epoch has converged - its last `restart_patience` suggestions all
// lie within `restart_radius` of its best point - further refinement is worth nothing,
// so a new epoch starts from a fresh design with a fresh model (the restart strategy of
// TuRBO). Without this, expected improvement that has found a good local optimum keeps
// polishing it to the last digit for the rest of the budget: on Hartmann-6 about a
// quarter of runs stall at the -3.20 local minimum. The best point is kept across epochs.
//
// Everything random derives from (seed, number of observations), so the same seed and
// the same observations reproduce the same suggestions bit for bit, and asking twice
// without observing gives the same point.
#include <Eigen/Core>

#include <cstdint>
#include <optional>
#include <vector>

#include "mbi/bo/acquisition.hpp"
#include "mbi/bo/gaussian_process.hpp"
#include "mbi/bo/searcher.hpp"
#include "mbi/bo/space.hpp"

namespace mbi::bo {

// Fields in declaration order, so designated initialisers work: {.seed = 7, .initial_random = 10}.
struct Options {
  std::uint64_t seed = 0;
  int initial_random = 5;  // design points per epoch before the GP takes over (>= 1 used)
  AcquisitionKind acquisition = AcquisitionKind::expected_improvement;
  double ucb_beta = 2.0;            // upper_confidence_bound: mean + beta * sd
  double improvement_margin = 0.0;  // EI / PI margin, in standard deviations of the observed y
  int restart_patience = 5;         // 0 disables restarts
  double restart_radius = 0.02;     // as a fraction of each dimension's range (log range if log-scaled)
  int acquisition_candidates = 1000;
  int acquisition_local_starts = 5;
  int hyperparameter_restarts = 2;  // random restarts of the hyper-parameter fit
};

class Optimizer : public Searcher {
 public:
  explicit Optimizer(Space space, Options options = {});

  std::vector<double> suggest() override;
  void observe(const std::vector<double>& x, double y) override;

  std::size_t observations() const { return values_.size(); }
  std::size_t epochs() const { return static_cast<std::size_t>(epochs_); }  // restarts + 1
  // The best observation so far (over all epochs), as observed: with noisy metrics prefer
  // the model's view (model()->predict). Throws mbi::Error before the first observation.
  const std::vector<double>& best_x() const;
  double best_y() const;
  // The GP behind the latest model-based suggestion, for plotting or inspecting length
  // scales; nullptr while an epoch is still in its design phase. Inputs are unit-cube
  // coordinates, and only the current epoch's observations are in it.
  const GaussianProcess* model() const { return model_ ? &*model_ : nullptr; }

 private:
  void start_epoch();
  bool epoch_converged() const;
  std::size_t epoch_best() const;
  void refit_model();
  bool already_observed(const Eigen::VectorXd& unit) const;

  Space space_;
  Options options_;
  std::vector<std::vector<double>> points_;  // caller units
  Eigen::MatrixXd unit_points_;              // the same points in the unit cube, as columns
  std::vector<double> values_;
  std::size_t best_index_ = 0;

  std::uint64_t epochs_ = 0;
  std::size_t epoch_begin_ = 0;  // index of the current epoch's first observation
  Eigen::MatrixXd design_;       // the current epoch's Latin-hypercube points
  std::optional<GaussianProcess> model_;
  std::size_t model_observations_ = 0;  // how many observations model_ has seen
};

// Convenience: Bayesian optimization for `budget` evaluations.
Result maximize(const Objective& f, const Space& space, int budget, const Options& options = {});
Result minimize(const Objective& f, const Space& space, int budget, const Options& options = {});

}  // namespace mbi::bo
