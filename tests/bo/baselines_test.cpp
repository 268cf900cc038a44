#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "mbi/bo/grid_search.hpp"
#include "mbi/bo/random_search.hpp"
#include "mbi/bo/test_functions.hpp"

namespace mbi::bo {
namespace {

Space unit_square() { return Space({{"a", 0.0, 1.0}, {"b", 0.0, 1.0}}); }

TEST(GridSearch, LevelsAreTheFloorOfTheBudgetRoot) {
  EXPECT_EQ(GridSearch(unit_square(), 30, 0).levels(), 5);
  EXPECT_EQ(GridSearch(unit_square(), 36, 0).levels(), 6);
  EXPECT_EQ(GridSearch(Space({{"a", 0, 1}, {"b", 0, 1}, {"c", 0, 1}}), 27, 0).levels(), 3);  // exact cube
  EXPECT_EQ(GridSearch(hartmann6_problem().space, 90, 0).levels(), 2);
  EXPECT_EQ(GridSearch(hartmann6_problem().space, 90, 0).grid_size(), 64);
  EXPECT_EQ(GridSearch(hartmann6_problem().space, 10, 0).levels(), 1);  // a single centre point
}

TEST(GridSearch, VisitsEveryCellCentreOnceThenRandomPoints) {
  GridSearch grid(unit_square(), 30, 1);
  std::set<std::pair<double, double>> seen;
  for (int t = 0; t < 30; ++t) {
    const std::vector<double> x = grid.suggest();
    if (t < 25) {
      for (double v : x) EXPECT_NEAR(std::fmod(v * 5.0, 1.0), 0.5, 1e-12);  // (i + 0.5) / 5
      seen.insert({x[0], x[1]});
    }
    grid.observe(x, 0.0);
  }
  EXPECT_EQ(seen.size(), 25u);
}

TEST(RandomSearch, IsSeededAndCoversTheSpace) {
  const Space space({{"x", -5.0, 10.0}, {"lr", 1e-4, 1.0, true}});
  RandomSearch a(space, 3), b(space, 3), c(space, 4);
  double sum = 0.0, log_sum = 0.0;
  const int n = 2000;
  for (int t = 0; t < n; ++t) {
    const std::vector<double> x = a.suggest();
    ASSERT_EQ(x, b.suggest());
    if (t == 0) {
      EXPECT_NE(x, c.suggest());
    }
    sum += x[0];
    log_sum += std::log10(x[1]);
    a.observe(x, 0.0);
    b.observe(x, 0.0);
  }
  EXPECT_NEAR(sum / n, 2.5, 0.3);       // uniform on [-5, 10]
  EXPECT_NEAR(log_sum / n, -2.0, 0.1);  // log-uniform on [1e-4, 1]
}

}  // namespace
}  // namespace mbi::bo
