#include "mbi/bo/kernel.hpp"

#include <gtest/gtest.h>

#include <Eigen/Eigenvalues>

#include "mbi/core/random.hpp"

namespace mbi::bo {
namespace {

Eigen::MatrixXd random_points(Eigen::Index d, Eigen::Index n, std::uint64_t seed) {
  Random rng(seed);
  Eigen::MatrixXd p(d, n);
  for (Eigen::Index j = 0; j < n; ++j)
    for (Eigen::Index i = 0; i < d; ++i) p(i, j) = rng.uniform();
  return p;
}

Matern52Kernel example_kernel() { return Matern52Kernel(Eigen::Vector3d(0.2, 0.5, 1.5), 1.7); }

TEST(Matern52Kernel, GramMatrixIsSymmetricPositiveSemidefinite) {
  const Matern52Kernel kernel = example_kernel();
  const Eigen::MatrixXd k = kernel.gram(random_points(3, 40, 1));
  EXPECT_EQ((k - k.transpose()).cwiseAbs().maxCoeff(), 0.0);
  EXPECT_TRUE((k.diagonal().array() == 1.7).all());
  const Eigen::VectorXd eigenvalues = Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd>(k).eigenvalues();
  EXPECT_GT(eigenvalues.minCoeff(), -1e-10 * eigenvalues.maxCoeff());
  EXPECT_TRUE((k.array() > 0.0).all() && (k.array() <= 1.7).all());
}

TEST(Matern52Kernel, DecaysWithDistanceFasterAlongShortLengthScales) {
  const Matern52Kernel kernel = example_kernel();
  const Eigen::Vector3d origin = Eigen::Vector3d::Zero();
  double previous = kernel(origin, origin);
  for (double t = 0.05; t < 1.0; t += 0.05) {
    const double k = kernel(origin, Eigen::Vector3d(t, 0.0, 0.0));
    EXPECT_LT(k, previous);
    previous = k;
    // Dimension 0 has the shortest length scale, so moving along it decorrelates most.
    EXPECT_LT(k, kernel(origin, Eigen::Vector3d(0.0, t, 0.0)));
    EXPECT_LT(kernel(origin, Eigen::Vector3d(0.0, t, 0.0)), kernel(origin, Eigen::Vector3d(0.0, 0.0, t)));
  }
}

TEST(Matern52Kernel, GradientWrtXMatchesFiniteDifferences) {
  const Matern52Kernel kernel = example_kernel();
  const Eigen::MatrixXd points = random_points(3, 6, 2);
  const Eigen::Vector3d x(0.4, 0.3, 0.9);
  const Eigen::MatrixXd analytic = kernel.gradient_wrt_x(x, points);
  const double h = 1e-6;
  for (Eigen::Index j = 0; j < points.cols(); ++j)
    for (Eigen::Index i = 0; i < 3; ++i) {
      Eigen::Vector3d up = x, down = x;
      up[i] += h;
      down[i] -= h;
      const double numeric = (kernel(up, points.col(j)) - kernel(down, points.col(j))) / (2 * h);
      EXPECT_NEAR(analytic(i, j), numeric, 1e-7);
    }
  // At a data point the kernel is flat (Matérn 5/2 is differentiable there).
  EXPECT_LT(kernel.gradient_wrt_x(points.col(0), points).col(0).norm(), 1e-12);
}

TEST(Matern52Kernel, LogParameterContractionMatchesFiniteDifferences) {
  const Eigen::Vector3d scales(0.2, 0.5, 1.5);
  const double variance = 1.7;
  const Eigen::MatrixXd points = random_points(3, 12, 3);
  const Eigen::MatrixXd weights = random_points(12, 12, 4).array() - 0.5;  // need not be symmetric
  const Eigen::VectorXd analytic = Matern52Kernel(scales, variance).contract_log_parameter_gradients(points, weights);
  const auto contracted = [&](const Eigen::Vector3d& s, double v) {
    return (Matern52Kernel(s, v).gram(points).array() * weights.array()).sum();
  };
  const double h = 1e-6;
  for (int i = 0; i < 3; ++i) {
    Eigen::Vector3d up = scales, down = scales;
    up[i] *= std::exp(h);
    down[i] *= std::exp(-h);
    EXPECT_NEAR(analytic[i], (contracted(up, variance) - contracted(down, variance)) / (2 * h), 1e-6);
  }
  EXPECT_NEAR(analytic[3], (contracted(scales, variance * std::exp(h)) - contracted(scales, variance * std::exp(-h))) / (2 * h),
              1e-6);
}

}  // namespace
}  // namespace mbi::bo
