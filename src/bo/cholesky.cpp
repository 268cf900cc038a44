#include "mbi/bo/cholesky.hpp"

#include <cmath>

#include "mbi/core/error.hpp"

namespace mbi::bo {
namespace {

// Eigen's LLT reports failure only when a pivot is not positive; a pivot that is
// positive but tiny still yields a useless factor, so we also demand a sane diagonal.
bool usable(const Eigen::LLT<Eigen::MatrixXd>& llt, double scale) {
  if (llt.info() != Eigen::Success) return false;
  const Eigen::VectorXd diagonal = llt.matrixLLT().diagonal();
  return diagonal.allFinite() && (diagonal.array() > 1e-12 * std::sqrt(scale)).all();
}

}  // namespace

RobustCholesky robust_cholesky(const Eigen::MatrixXd& k) {
  RobustCholesky result;
  const double scale = k.rows() > 0 ? k.diagonal().mean() : 1.0;
  if (!std::isfinite(scale) || !(scale > 0.0))
    throw Error("bo::robust_cholesky: covariance diagonal is not positive and finite");
  result.factor.compute(k);
  if (usable(result.factor, scale)) return result;
  for (double relative = 1e-10; relative <= 1e-2 * 1.0001; relative *= 10.0) {
    result.jitter = relative * scale;
    Eigen::MatrixXd jittered = k;
    jittered.diagonal().array() += result.jitter;
    result.factor.compute(jittered);
    if (usable(result.factor, scale)) return result;
  }
  throw Error("bo::robust_cholesky: covariance matrix is not positive definite even with jitter");
}

}  // namespace mbi::bo
