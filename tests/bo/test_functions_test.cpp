#include "mbi/bo/test_functions.hpp"

#include <gtest/gtest.h>

namespace mbi::bo {
namespace {

TEST(TestFunctions, KnownMinimaAreAttainedAtTheirMinimizers) {
  for (const TestProblem& p : {branin_problem(), hartmann6_problem(), ackley_problem(3), rosenbrock_problem(4)}) {
    EXPECT_NEAR(p.f(p.minimizer), p.minimum, 1e-5) << p.name;
    EXPECT_EQ(p.minimizer.size(), p.space.size()) << p.name;
  }
  // Branin's other two global minima.
  EXPECT_NEAR(branin({-3.14159265, 12.275}), 0.397887, 1e-5);
  EXPECT_NEAR(branin({9.42478, 2.475}), 0.397887, 1e-5);
}

}  // namespace
}  // namespace mbi::bo
