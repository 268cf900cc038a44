#include "mbi/bo/box_minimizer.hpp"

#include <gtest/gtest.h>

#include <limits>

namespace mbi::bo {
namespace {

TEST(BoxMinimizer, StopsOnTheBoundWhenTheMinimumLiesOutside) {
  // Unconstrained minimum (2, -1); in the unit box the answer is the corner (1, 0).
  const DifferentiableFunction f = [](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
    g = 2.0 * (x - Eigen::Vector2d(2.0, -1.0));
    return (x - Eigen::Vector2d(2.0, -1.0)).squaredNorm();
  };
  const BoxMinimum m = minimize_in_box(f, Eigen::Vector2d(0.3, 0.6), Eigen::Vector2d::Zero(), Eigen::Vector2d::Ones());
  EXPECT_NEAR(m.x[0], 1.0, 1e-12);
  EXPECT_NEAR(m.x[1], 0.0, 1e-12);
  EXPECT_NEAR(m.value, 2.0, 1e-12);
}

TEST(BoxMinimizer, SolvesRosenbrockInsideTheBox) {
  const DifferentiableFunction f = [](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
    const double a = x[1] - x[0] * x[0];
    g[0] = -400.0 * x[0] * a - 2.0 * (1.0 - x[0]);
    g[1] = 200.0 * a;
    return 100.0 * a * a + (1.0 - x[0]) * (1.0 - x[0]);
  };
  BoxMinimizerOptions options;
  options.max_iterations = 500;
  options.relative_value_tolerance = 0.0;
  const BoxMinimum m = minimize_in_box(f, Eigen::Vector2d(-1.2, 1.0), Eigen::Vector2d::Constant(-2.0),
                                       Eigen::Vector2d::Constant(2.0), options);
  EXPECT_NEAR(m.x[0], 1.0, 1e-4);
  EXPECT_NEAR(m.x[1], 1.0, 1e-4);
}

TEST(BoxMinimizer, BacksOffFromRegionsWhereTheFunctionFails) {
  // (x - 1)^2 on [0, 1], but undefined beyond 0.5: the result must stay defined.
  const DifferentiableFunction f = [](const Eigen::VectorXd& x, Eigen::VectorXd& g) {
    g[0] = 2.0 * (x[0] - 1.0);
    return x[0] > 0.5 ? std::numeric_limits<double>::infinity() : (x[0] - 1.0) * (x[0] - 1.0);
  };
  const BoxMinimum m =
      minimize_in_box(f, Eigen::VectorXd::Constant(1, 0.1), Eigen::VectorXd::Zero(1), Eigen::VectorXd::Ones(1));
  EXPECT_LE(m.x[0], 0.5);
  EXPECT_GT(m.x[0], 0.4);
  EXPECT_TRUE(std::isfinite(m.value));
}

}  // namespace
}  // namespace mbi::bo
