#pragma once
// Fitting GP hyper-parameters: maximise log marginal likelihood + log prior (a MAP
// estimate) over theta = (log l_1 .. log l_d, log signal_variance, log noise_variance).
//
// Inputs live in the unit cube and targets are standardised, so one set of bounds and
// priors fits every problem. The weak log-normal priors matter with few points, where
// the pure likelihood happily explains everything as noise or shrinks the length
// scales until the model interpolates spikes; the bounds stop what the priors miss.
#include <Eigen/Core>

#include <optional>

#include "mbi/bo/gaussian_process.hpp"
#include "mbi/core/random.hpp"

namespace mbi::bo {

// A normal prior on one log-parameter plus hard bounds, all in log space.
struct LogParameterPrior {
  double mean;
  double sd;
  double lower;
  double upper;
};

struct HyperparameterPriors {
  LogParameterPrior length_scale;     // shared by every input dimension
  LogParameterPrior signal_variance;
  LogParameterPrior noise_variance;
  static HyperparameterPriors defaults();
};

// log p(z | X, theta) for standardised targets z; writes d/dtheta into *gradient when
// it is non-null. Returns -infinity when the covariance cannot be factorised.
double log_marginal_likelihood(const Eigen::MatrixXd& inputs, const Eigen::VectorXd& standardised_targets,
                               const Eigen::VectorXd& theta, Eigen::VectorXd* gradient = nullptr);

// Sum of the log prior densities (up to a constant), with gradient when non-null.
double log_prior(const HyperparameterPriors& priors, const Eigen::VectorXd& theta, Eigen::VectorXd* gradient = nullptr);

struct HyperparameterFitOptions {
  HyperparameterPriors priors = HyperparameterPriors::defaults();
  int random_restarts = 2;  // extra starts drawn from the priors, beyond the fixed ones
  int max_iterations = 100;
};

// Multi-start projected L-BFGS from: the warm start (the previous fit, if any), the prior
// means, and `random_restarts` draws from the priors. Returns the best MAP point.
GpHyperparameters fit_hyperparameters(const Eigen::MatrixXd& inputs, const Eigen::VectorXd& targets, Random& rng,
                                      const std::optional<GpHyperparameters>& warm_start = std::nullopt,
                                      const HyperparameterFitOptions& options = {});

}  // namespace mbi::bo
