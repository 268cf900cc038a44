#include "mbi/bo/cholesky.hpp"

#include <gtest/gtest.h>

#include <limits>

#include "mbi/bo/kernel.hpp"
#include "mbi/core/error.hpp"

namespace mbi::bo {
namespace {

TEST(RobustCholesky, NeedsNoJitterForAWellConditionedMatrix) {
  Eigen::Matrix2d k;
  k << 2.0, 0.5, 0.5, 1.0;
  const RobustCholesky c = robust_cholesky(k);
  EXPECT_EQ(c.jitter, 0.0);
  EXPECT_LT((c.factor.reconstructedMatrix() - k).norm(), 1e-14);
}

TEST(RobustCholesky, AddsJitterWhenPointsRepeat) {
  // Three copies of one point: the kernel matrix has rank 1.
  Eigen::MatrixXd points(2, 4);
  points << 0.1, 0.1, 0.1, 0.7,  //
      0.2, 0.2, 0.2, 0.4;
  const Eigen::MatrixXd k = Matern52Kernel(Eigen::Vector2d(0.3, 0.3), 1.0).gram(points);
  const RobustCholesky c = robust_cholesky(k);
  EXPECT_GT(c.jitter, 0.0);
  EXPECT_LE(c.jitter, 1e-2);
  EXPECT_LT((c.factor.reconstructedMatrix() - k).cwiseAbs().maxCoeff(), 1.01 * c.jitter);
}

TEST(RobustCholesky, ThrowsOnGarbage) {
  Eigen::Matrix2d k;
  k << 1.0, 0.0, std::numeric_limits<double>::quiet_NaN(), 1.0;  // LLT reads the lower triangle
  EXPECT_THROW(robust_cholesky(k), Error);
  EXPECT_THROW(robust_cholesky(-Eigen::Matrix2d::Identity()), Error);
}

}  // namespace
}  // namespace mbi::bo
