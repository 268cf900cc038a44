#include "mbi/bo/space.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cmath>

#include "mbi/core/random.hpp"
#include "mbi/core/error.hpp"

namespace mbi::bo {
namespace {

TEST(Space, ContinuousAndLogDimensionsRoundTrip) {
  const Space space({{"x", -5.0, 10.0}, {"lr", 1e-5, 1e-1, true}});
  Eigen::VectorXd u(2);
  u << 0.3, 0.8;
  const std::vector<double> x = space.from_unit(u);
  EXPECT_NEAR(x[0], -5.0 + 0.3 * 15.0, 1e-12);
  EXPECT_NEAR(std::log10(x[1]), -5.0 + 0.8 * 4.0, 1e-12);  // uniform in the exponent
  EXPECT_LT((space.to_unit(x) - u).norm(), 1e-12);
}

TEST(Space, IntegerValuesGetEqualSharesOfTheUnitInterval) {
  const Space space({{"layers", 0.0, 4.0, false, true}});
  std::array<int, 5> counts{};
  Random rng(3);
  const int draws = 20000;
  for (int i = 0; i < draws; ++i) {
    const double v = space.from_unit(Eigen::VectorXd::Constant(1, rng.uniform()))[0];
    ASSERT_EQ(v, std::round(v));
    ++counts[static_cast<std::size_t>(v)];
  }
  for (int c : counts) EXPECT_NEAR(c, draws / 5, draws / 50);  // ends included
  // Every integer maps back inside the cube and from there to itself.
  for (double v = 0.0; v <= 4.0; v += 1.0) EXPECT_EQ(space.from_unit(space.to_unit({v}))[0], v);
}

TEST(Space, RejectsInvalidDimensionsAndPoints) {
  EXPECT_THROW(Space(std::vector<Dimension>{}), Error);
  EXPECT_THROW(Space({{"a", 1.0, 1.0}}), Error);
  EXPECT_THROW(Space({{"a", 0.0, 1.0, true}}), Error);         // log needs lower > 0
  EXPECT_THROW(Space({{"a", 0.5, 3.0, false, true}}), Error);  // integer needs whole bounds
  const Space space({{"a", 0.0, 1.0}, {"b", 0.0, 1.0}});
  EXPECT_THROW(space.to_unit({0.5}), Error);
  EXPECT_THROW(space.to_unit({0.5, 1.5}), Error);
  EXPECT_THROW(space.to_unit({0.5, std::nan("")}), Error);
  EXPECT_NO_THROW(space.to_unit({0.0, 1.0}));
}

}  // namespace
}  // namespace mbi::bo
