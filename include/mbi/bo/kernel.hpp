#pragma once
// Matérn 5/2 covariance with one length scale per input dimension (ARD):
//
//   k(a, b) = s * (1 + sqrt(5) r + 5/3 r^2) * exp(-sqrt(5) r),
//   r^2     = sum_i (a_i - b_i)^2 / l_i^2.
//
// Matérn 5/2 rather than the squared exponential because its sample paths are twice
// differentiable but not infinitely smooth, which matches real metrics better and is
// the usual default in Bayesian optimization. Points are the COLUMNS of a d x n matrix.
#include <Eigen/Core>

namespace mbi::bo {

class Matern52Kernel {
 public:
  Matern52Kernel(Eigen::VectorXd length_scales, double signal_variance);

  const Eigen::VectorXd& length_scales() const { return length_scales_; }
  double signal_variance() const { return signal_variance_; }
  Eigen::Index dimensions() const { return length_scales_.size(); }

  double operator()(const Eigen::Ref<const Eigen::VectorXd>& a,
                    const Eigen::Ref<const Eigen::VectorXd>& b) const;

  // n x n matrix K_ij = k(p_i, p_j) (no noise term).
  Eigen::MatrixXd gram(const Eigen::MatrixXd& points) const;
  // n_a x n_b matrix k(a_i, b_j).
  Eigen::MatrixXd cross(const Eigen::MatrixXd& a, const Eigen::MatrixXd& b) const;

  // d x n matrix whose column j is the gradient of k(x, p_j) with respect to x.
  Eigen::MatrixXd gradient_wrt_x(const Eigen::VectorXd& x, const Eigen::MatrixXd& points) const;

  // For the log-parameters theta = (log l_1 .. log l_d, log s), returns the d + 1 values
  // sum_ij W_ij dK_ij/dtheta_k, where K = gram(points). The marginal-likelihood gradient
  // is exactly this contraction, and forming it directly avoids d + 1 dense n x n
  // derivative matrices.
  Eigen::VectorXd contract_log_parameter_gradients(const Eigen::MatrixXd& points,
                                                   const Eigen::MatrixXd& weights) const;

 private:
  Eigen::VectorXd length_scales_;
  Eigen::VectorXd inverse_squared_scales_;  // 1 / l_i^2, precomputed for the hot loops
  double signal_variance_;
};

}  // namespace mbi::bo
