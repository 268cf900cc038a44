#pragma once
// Cholesky factorisation that survives nearly singular covariance matrices. Two
// observations at (almost) the same point make K + noise*I numerically singular when
// the noise is tiny; adding a little "jitter" to the diagonal restores definiteness at
// the cost of a negligible amount of extra smoothing.
#include <Eigen/Cholesky>
#include <Eigen/Core>

namespace mbi::bo {

struct RobustCholesky {
  Eigen::LLT<Eigen::MatrixXd> factor;
  double jitter = 0.0;  // what was added to the diagonal; 0 when none was needed
};

// Tries K itself, then K + j I with j = 1e-10, 1e-9, ... up to 1e-2 times the mean of the
// diagonal. Throws mbi::Error if K is still not positive definite (e.g. it holds NaN).
RobustCholesky robust_cholesky(const Eigen::MatrixXd& k);

}  // namespace mbi::bo
