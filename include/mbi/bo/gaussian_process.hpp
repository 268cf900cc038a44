#pragma once
// Gaussian-process posterior for fixed hyper-parameters. Inputs are expected in the unit
// cube (Space does that mapping); targets are standardised internally (zero mean, unit
// variance) so that the hyper-parameter bounds and priors in marginal_likelihood.hpp
// mean the same thing for every problem. The prior mean is a constant estimated from the
// data (see constant_mean). Predictions come back in the caller's units.
#include <Eigen/Cholesky>
#include <Eigen/Core>

#include "mbi/bo/kernel.hpp"

namespace mbi::bo {

struct GpHyperparameters {
  Eigen::VectorXd length_scales;  // one per input dimension, in unit-cube coordinates
  double signal_variance = 1.0;   // prior variance of the standardised function
  double noise_variance = 1e-4;   // observation noise, in standardised units

  // theta = (log l_1 .. log l_d, log signal_variance, log noise_variance): the
  // coordinates in which the hyper-parameters are fitted.
  Eigen::VectorXd to_log_vector() const;
  static GpHyperparameters from_log_vector(const Eigen::VectorXd& theta);
};

// Mean and scale that map raw targets to zero mean and unit variance. A constant target
// vector keeps scale 1 so nothing divides by zero.
struct Standardisation {
  double mean = 0.0;
  double scale = 1.0;
  static Standardisation of(const Eigen::VectorXd& y);
  Eigen::VectorXd apply(const Eigen::VectorXd& y) const { return (y.array() - mean) / scale; }
};

// The GP's constant prior mean: the generalised-least-squares estimate
// (1' K^-1 z) / (1' K^-1 1), given the factorised covariance K and standardised targets z.
// Unlike the plain average it down-weights clustered points: once the optimizer has
// piled observations into one good basin, the average would make every unexplored region
// look nearly as good, and the search would waste evaluations on the corners of the box.
double constant_mean(const Eigen::LLT<Eigen::MatrixXd>& covariance, const Eigen::VectorXd& z);

class GaussianProcess {
 public:
  // inputs: d x n (points as columns), targets: n raw values. Throws mbi::Error when the
  // sizes disagree or there is no data.
  GaussianProcess(Eigen::MatrixXd inputs, const Eigen::VectorXd& targets, GpHyperparameters hyperparameters);

  // Posterior of the latent (noise-free) function value, in caller units.
  struct Prediction {
    double mean;
    double variance;
  };
  struct PredictionWithGradient {
    double mean;
    double variance;
    Eigen::VectorXd mean_gradient;      // d mean / dx
    Eigen::VectorXd variance_gradient;  // d variance / dx
  };

  Prediction predict(const Eigen::VectorXd& x) const;
  PredictionWithGradient predict_with_gradient(const Eigen::VectorXd& x) const;
  // Many points at once (columns of xs): one matrix product instead of many small ones.
  void predict_many(const Eigen::MatrixXd& xs, Eigen::VectorXd& means, Eigen::VectorXd& variances) const;

  const GpHyperparameters& hyperparameters() const { return hyperparameters_; }
  const Eigen::MatrixXd& inputs() const { return inputs_; }
  Eigen::Index dimensions() const { return inputs_.rows(); }
  Eigen::Index size() const { return inputs_.cols(); }
  const Standardisation& standardisation() const { return standardisation_; }

 private:
  Eigen::MatrixXd inputs_;
  GpHyperparameters hyperparameters_;
  Standardisation standardisation_;
  Matern52Kernel kernel_;
  Eigen::LLT<Eigen::MatrixXd> cholesky_;  // of K + noise I
  double prior_mean_ = 0.0;                // constant_mean(), in standardised units
  Eigen::VectorXd alpha_;                 // (K + noise I)^-1 (z - prior mean), z standardised
};

}  // namespace mbi::bo
