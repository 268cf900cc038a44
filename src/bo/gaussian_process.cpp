#include "mbi/bo/gaussian_process.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "mbi/bo/cholesky.hpp"
#include "mbi/core/error.hpp"

namespace mbi::bo {
namespace {

// Floor on the standardised posterior variance. Round-off can make sigma^2 - v'v slightly
// negative at observed points; acquisitions take its square root and logarithm.
constexpr double kMinVariance = 1e-12;

}  // namespace

Eigen::VectorXd GpHyperparameters::to_log_vector() const {
  const Eigen::Index d = length_scales.size();
  Eigen::VectorXd theta(d + 2);
  theta.head(d) = length_scales.array().log().matrix();
  theta[d] = std::log(signal_variance);
  theta[d + 1] = std::log(noise_variance);
  return theta;
}

GpHyperparameters GpHyperparameters::from_log_vector(const Eigen::VectorXd& theta) {
  const Eigen::Index d = theta.size() - 2;
  GpHyperparameters h;
  h.length_scales = theta.head(d).array().exp().matrix();
  h.signal_variance = std::exp(theta[d]);
  h.noise_variance = std::exp(theta[d + 1]);
  return h;
}

Standardisation Standardisation::of(const Eigen::VectorXd& y) {
  Standardisation s;
  if (y.size() == 0) return s;
  s.mean = y.mean();
  const double variance = (y.array() - s.mean).square().mean();
  const double sd = std::sqrt(variance);
  s.scale = (std::isfinite(sd) && sd > 1e-12 * std::max(1.0, std::abs(s.mean))) ? sd : 1.0;
  return s;
}

double constant_mean(const Eigen::LLT<Eigen::MatrixXd>& covariance, const Eigen::VectorXd& z) {
  const Eigen::VectorXd k_inv_one = covariance.solve(Eigen::VectorXd::Ones(z.size()));
  return k_inv_one.dot(z) / k_inv_one.sum();
}

GaussianProcess::GaussianProcess(Eigen::MatrixXd inputs, const Eigen::VectorXd& targets,
                                 GpHyperparameters hyperparameters)
    : inputs_(std::move(inputs)),
      hyperparameters_(std::move(hyperparameters)),
      standardisation_(Standardisation::of(targets)),
      kernel_(hyperparameters_.length_scales, hyperparameters_.signal_variance) {
  if (inputs_.cols() == 0 || inputs_.cols() != targets.size())
    throw Error("bo::GaussianProcess: need as many targets as input points, and at least one");
  if (kernel_.dimensions() != inputs_.rows())
    throw Error("bo::GaussianProcess: one length scale per input dimension is needed");
  Eigen::MatrixXd k = kernel_.gram(inputs_);
  k.diagonal().array() += hyperparameters_.noise_variance;
  cholesky_ = robust_cholesky(k).factor;
  const Eigen::VectorXd z = standardisation_.apply(targets);
  prior_mean_ = constant_mean(cholesky_, z);
  alpha_ = cholesky_.solve((z.array() - prior_mean_).matrix());
}

GaussianProcess::Prediction GaussianProcess::predict(const Eigen::VectorXd& x) const {
  Eigen::VectorXd mean(1), variance(1);
  predict_many(x, mean, variance);
  return {mean[0], variance[0]};
}

void GaussianProcess::predict_many(const Eigen::MatrixXd& xs, Eigen::VectorXd& means,
                                   Eigen::VectorXd& variances) const {
  const Eigen::MatrixXd k_star = kernel_.cross(inputs_, xs);  // n x m
  const Eigen::MatrixXd v = cholesky_.matrixL().solve(k_star);
  const double scale = standardisation_.scale;
  means = ((k_star.transpose() * alpha_).array() * scale + prior_mean_ * scale + standardisation_.mean).matrix();
  const Eigen::ArrayXd latent =
      (hyperparameters_.signal_variance - v.colwise().squaredNorm().transpose().array()).max(kMinVariance);
  variances = (latent * scale * scale).matrix();
}

GaussianProcess::PredictionWithGradient GaussianProcess::predict_with_gradient(const Eigen::VectorXd& x) const {
  const Eigen::VectorXd k_star = kernel_.cross(inputs_, x).col(0);
  const Eigen::MatrixXd dk = kernel_.gradient_wrt_x(x, inputs_);  // d x n
  const Eigen::VectorXd v = cholesky_.matrixL().solve(k_star);
  const double scale = standardisation_.scale;
  const double latent = hyperparameters_.signal_variance - v.squaredNorm();

  PredictionWithGradient p;
  p.mean = (k_star.dot(alpha_) + prior_mean_) * scale + standardisation_.mean;
  p.mean_gradient = (dk * alpha_) * scale;
  if (latent > kMinVariance) {
    // var = s - k' K^-1 k  =>  dvar/dx = -2 (dk/dx) K^-1 k
    const Eigen::VectorXd k_inv_k = cholesky_.matrixU().solve(v);
    p.variance = latent * scale * scale;
    p.variance_gradient = (-2.0 * scale * scale) * (dk * k_inv_k);
  } else {
    p.variance = kMinVariance * scale * scale;  // clamped: flat, so no gradient
    p.variance_gradient = Eigen::VectorXd::Zero(x.size());
  }
  return p;
}

}  // namespace mbi::bo
