#include "mbi/bo/kernel.hpp"

#include <cmath>
#include <string>
#include <utility>

#include "mbi/core/error.hpp"

namespace mbi::bo {
namespace {

const double kSqrt5 = std::sqrt(5.0);

// k as a function of the scaled distance r, without the signal variance.
double shape(double r) { return (1.0 + kSqrt5 * r + (5.0 / 3.0) * r * r) * std::exp(-kSqrt5 * r); }

// -(1/r) dshape/dr = 5/3 (1 + sqrt(5) r) exp(-sqrt(5) r). Every derivative of k with
// respect to a coordinate or a length scale carries this factor; written this way it
// stays finite at r = 0, where the kernel is smooth.
double slope_over_r(double r) { return (5.0 / 3.0) * (1.0 + kSqrt5 * r) * std::exp(-kSqrt5 * r); }

}  // namespace

Matern52Kernel::Matern52Kernel(Eigen::VectorXd length_scales, double signal_variance)
    : length_scales_(std::move(length_scales)), signal_variance_(signal_variance) {
  if (length_scales_.size() == 0 || !(length_scales_.array() > 0.0).all() || !length_scales_.allFinite())
    throw Error("bo::Matern52Kernel: length scales must be positive and finite");
  if (!(signal_variance_ > 0.0) || !std::isfinite(signal_variance_))
    throw Error("bo::Matern52Kernel: signal variance must be positive, got " + std::to_string(signal_variance_));
  inverse_squared_scales_ = length_scales_.array().square().inverse().matrix();
}

double Matern52Kernel::operator()(const Eigen::Ref<const Eigen::VectorXd>& a,
                                  const Eigen::Ref<const Eigen::VectorXd>& b) const {
  const double r2 = ((a - b).array().square() * inverse_squared_scales_.array()).sum();
  return signal_variance_ * shape(std::sqrt(r2));
}

Eigen::MatrixXd Matern52Kernel::gram(const Eigen::MatrixXd& points) const {
  const Eigen::Index n = points.cols();
  Eigen::MatrixXd k(n, n);
  for (Eigen::Index j = 0; j < n; ++j) {
    k(j, j) = signal_variance_;
    for (Eigen::Index i = j + 1; i < n; ++i) k(i, j) = k(j, i) = (*this)(points.col(i), points.col(j));
  }
  return k;
}

Eigen::MatrixXd Matern52Kernel::cross(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) const {
  Eigen::MatrixXd k(a.cols(), b.cols());
  for (Eigen::Index j = 0; j < b.cols(); ++j)
    for (Eigen::Index i = 0; i < a.cols(); ++i) k(i, j) = (*this)(a.col(i), b.col(j));
  return k;
}

Eigen::MatrixXd Matern52Kernel::gradient_wrt_x(const Eigen::VectorXd& x, const Eigen::MatrixXd& points) const {
  Eigen::MatrixXd gradient(x.size(), points.cols());
  for (Eigen::Index j = 0; j < points.cols(); ++j) {
    const Eigen::ArrayXd diff = (x - points.col(j)).array();
    const double r = std::sqrt((diff.square() * inverse_squared_scales_.array()).sum());
    // dk/dx_i = dk/dr * dr/dx_i = -s * slope_over_r(r) * (x_i - p_i) / l_i^2
    gradient.col(j) = (-signal_variance_ * slope_over_r(r)) * (diff * inverse_squared_scales_.array()).matrix();
  }
  return gradient;
}

Eigen::VectorXd Matern52Kernel::contract_log_parameter_gradients(const Eigen::MatrixXd& points,
                                                                 const Eigen::MatrixXd& weights) const {
  const Eigen::Index d = dimensions();
  const Eigen::Index n = points.cols();
  Eigen::VectorXd result = Eigen::VectorXd::Zero(d + 1);
  Eigen::ArrayXd scaled_sq(d);
  for (Eigen::Index j = 0; j < n; ++j) {
    result[d] += weights(j, j) * signal_variance_;  // r = 0: only dk/dlog s is nonzero
    for (Eigen::Index i = j + 1; i < n; ++i) {
      scaled_sq = (points.col(i) - points.col(j)).array().square() * inverse_squared_scales_.array();
      const double r = std::sqrt(scaled_sq.sum());
      const double w = weights(i, j) + weights(j, i);  // K is symmetric: visit each pair once
      // dk/dlog l_i = s * slope_over_r(r) * (a_i - b_i)^2 / l_i^2;  dk/dlog s = k.
      result.head(d) += (w * signal_variance_ * slope_over_r(r)) * scaled_sq.matrix();
      result[d] += w * signal_variance_ * shape(r);
    }
  }
  return result;
}

}  // namespace mbi::bo
