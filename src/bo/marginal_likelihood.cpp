#include "mbi/bo/marginal_likelihood.hpp"

#include <cmath>
#include <limits>
#include <numbers>
#include <vector>

#include "mbi/bo/box_minimizer.hpp"
#include "mbi/bo/cholesky.hpp"
#include "mbi/bo/kernel.hpp"
#include "mbi/core/error.hpp"

namespace mbi::bo {

HyperparameterPriors HyperparameterPriors::defaults() {
  HyperparameterPriors p;
  // Length scales in unit-cube coordinates: centred on half the box, 95 % of the prior
  // mass within [0.07, 3.7]; hard floor 0.01 (a model that interpolates noise) and
  // ceiling 20 (the dimension is irrelevant).
  p.length_scale = {std::log(0.5), 1.0, std::log(0.01), std::log(20.0)};
  // Standardised targets have unit variance, so the signal variance should be near 1.
  p.signal_variance = {0.0, 1.5, std::log(0.01), std::log(100.0)};
  // Noise: broad prior around 1e-3. The floor of 1e-6 keeps the covariance well
  // conditioned for noiseless metrics; the ceiling stops "it is all noise" fits.
  p.noise_variance = {std::log(1e-3), 3.0, std::log(1e-6), std::log(1.0)};
  return p;
}

double log_marginal_likelihood(const Eigen::MatrixXd& inputs, const Eigen::VectorXd& z, const Eigen::VectorXd& theta,
                               Eigen::VectorXd* gradient) {
  const Eigen::Index d = inputs.rows();
  const Eigen::Index n = inputs.cols();
  if (theta.size() != d + 2 || z.size() != n)
    throw Error("bo::log_marginal_likelihood: theta needs d + 2 entries and one target per point");
  const GpHyperparameters h = GpHyperparameters::from_log_vector(theta);
  const Matern52Kernel kernel(h.length_scales, h.signal_variance);
  Eigen::MatrixXd k = kernel.gram(inputs);
  k.diagonal().array() += h.noise_variance;

  Eigen::LLT<Eigen::MatrixXd> llt;
  try {
    llt = robust_cholesky(k).factor;
  } catch (const Error&) {
    return -std::numeric_limits<double>::infinity();
  }
  // The constant prior mean is profiled out (its generalised-least-squares estimate, see
  // gaussian_process.hpp). It maximises the likelihood for every theta, so by the envelope
  // theorem the gradient below needs no term for it.
  const Eigen::VectorXd residual = (z.array() - constant_mean(llt, z)).matrix();
  const Eigen::VectorXd alpha = llt.solve(residual);
  const double log_det_half = llt.matrixLLT().diagonal().array().log().sum();
  const double value = -0.5 * residual.dot(alpha) - log_det_half - 0.5 * static_cast<double>(n) * std::log(2.0 * std::numbers::pi);

  if (gradient != nullptr) {
    // d log p / d theta_k = 1/2 tr((alpha alpha' - K^-1) dK/dtheta_k)
    const Eigen::MatrixXd weights = alpha * alpha.transpose() - llt.solve(Eigen::MatrixXd::Identity(n, n));
    gradient->resize(d + 2);
    gradient->head(d + 1) = 0.5 * kernel.contract_log_parameter_gradients(inputs, weights);
    (*gradient)[d + 1] = 0.5 * h.noise_variance * weights.trace();  // dK/dlog noise = noise * I
  }
  return value;
}

double log_prior(const HyperparameterPriors& priors, const Eigen::VectorXd& theta, Eigen::VectorXd* gradient) {
  const Eigen::Index d = theta.size() - 2;
  if (gradient != nullptr) gradient->resize(theta.size());
  double value = 0.0;
  for (Eigen::Index i = 0; i < theta.size(); ++i) {
    const LogParameterPrior& p = i < d ? priors.length_scale : (i == d ? priors.signal_variance : priors.noise_variance);
    const double u = (theta[i] - p.mean) / p.sd;
    value -= 0.5 * u * u;
    if (gradient != nullptr) (*gradient)[i] = -u / p.sd;
  }
  return value;
}

GpHyperparameters fit_hyperparameters(const Eigen::MatrixXd& inputs, const Eigen::VectorXd& targets, Random& rng,
                                      const std::optional<GpHyperparameters>& warm_start,
                                      const HyperparameterFitOptions& options) {
  const Eigen::Index d = inputs.rows();
  const Eigen::VectorXd z = Standardisation::of(targets).apply(targets);
  const HyperparameterPriors& priors = options.priors;
  const auto prior_of = [&](Eigen::Index i) -> const LogParameterPrior& {
    return i < d ? priors.length_scale : (i == d ? priors.signal_variance : priors.noise_variance);
  };
  Eigen::VectorXd lower(d + 2), upper(d + 2), centre(d + 2);
  for (Eigen::Index i = 0; i < d + 2; ++i) {
    lower[i] = prior_of(i).lower;
    upper[i] = prior_of(i).upper;
    centre[i] = prior_of(i).mean;
  }

  // The minimiser minimises: hand it the negative log posterior.
  const DifferentiableFunction negative_log_posterior = [&](const Eigen::VectorXd& theta, Eigen::VectorXd& gradient) {
    Eigen::VectorXd likelihood_gradient, prior_gradient;
    const double value = log_marginal_likelihood(inputs, z, theta, &likelihood_gradient) +
                         log_prior(priors, theta, &prior_gradient);
    if (!std::isfinite(value)) return std::numeric_limits<double>::infinity();
    gradient = -(likelihood_gradient + prior_gradient);
    return -value;
  };

  std::vector<Eigen::VectorXd> starts;
  if (warm_start && warm_start->length_scales.size() == d) starts.push_back(warm_start->to_log_vector());
  starts.push_back(centre);
  for (int r = 0; r < options.random_restarts; ++r) {
    Eigen::VectorXd theta(d + 2);
    for (Eigen::Index i = 0; i < d + 2; ++i) theta[i] = prior_of(i).mean + prior_of(i).sd * rng.normal();
    starts.push_back(theta);
  }

  BoxMinimizerOptions minimizer;
  minimizer.max_iterations = options.max_iterations;
  minimizer.gradient_tolerance = 1e-5;
  minimizer.relative_value_tolerance = 1e-8;
  Eigen::VectorXd best_theta = centre;
  double best_value = std::numeric_limits<double>::infinity();
  for (const Eigen::VectorXd& start : starts) {
    const BoxMinimum m = minimize_in_box(negative_log_posterior, start, lower, upper, minimizer);
    if (m.value < best_value) {  // strict: ties keep the earlier start, deterministically
      best_value = m.value;
      best_theta = m.x;
    }
  }
  return GpHyperparameters::from_log_vector(best_theta.cwiseMax(lower).cwiseMin(upper));
}

}  // namespace mbi::bo
