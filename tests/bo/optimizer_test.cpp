#include "mbi/bo/optimizer.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "mbi/core/random.hpp"
#include "mbi/bo/test_functions.hpp"
#include "mbi/core/error.hpp"

namespace mbi::bo {
namespace {

std::vector<std::vector<double>> suggestions(std::uint64_t seed, int budget) {
  const TestProblem branin = branin_problem();
  Optimizer optimizer(branin.space, {.seed = seed});
  std::vector<std::vector<double>> xs;
  for (int t = 0; t < budget; ++t) {
    xs.push_back(optimizer.suggest());
    optimizer.observe(xs.back(), -branin.f(xs.back()));
  }
  return xs;
}

TEST(Optimizer, SameSeedReproducesTheSuggestionsBitForBit) {
  const auto a = suggestions(7, 20);
  const auto b = suggestions(7, 20);
  for (std::size_t t = 0; t < a.size(); ++t)
    for (std::size_t i = 0; i < a[t].size(); ++i) ASSERT_EQ(a[t][i], b[t][i]) << "trial " << t;  // exact, not near
  const auto c = suggestions(8, 20);
  EXPECT_NE(a.back(), c.back());
}

TEST(Optimizer, AskingTwiceWithoutObservingGivesTheSamePoint) {
  Optimizer optimizer(branin_problem().space, {.seed = 3});
  for (int t = 0; t < 8; ++t) {
    const std::vector<double> x = optimizer.suggest();
    EXPECT_EQ(x, optimizer.suggest());
    optimizer.observe(x, -branin(x));
  }
}

TEST(Optimizer, HistoryTracksTheBestSoFar) {
  const TestProblem branin = branin_problem();
  const Result r = minimize(branin.f, branin.space, 15, {.seed = 1});
  ASSERT_EQ(r.trials.size(), 15u);
  double best = INFINITY;
  for (const Trial& t : r.trials) {
    EXPECT_EQ(t.y, branin.f(t.x));
    best = std::min(best, t.y);
    EXPECT_EQ(t.best_y, best);
  }
  EXPECT_EQ(r.best_y, best);
  EXPECT_EQ(branin.f(r.best_x), r.best_y);
  // maximize() of -f is the same search seen from the other side.
  const Result m = maximize([&](const std::vector<double>& x) { return -branin.f(x); }, branin.space, 15, {.seed = 1});
  EXPECT_EQ(m.best_y, -r.best_y);
}

TEST(Optimizer, TunesLogScaledAndIntegerParameters) {
  // A "learning rate" whose best value is 1e-3 and a "layer count" whose best is 7.
  const Space space({{"lr", 1e-6, 1.0, true}, {"layers", 1.0, 20.0, false, true}});
  const auto score = [](const std::vector<double>& x) {
    const double decades = std::log10(x[0]) + 3.0;
    return -decades * decades - 0.1 * (x[1] - 7.0) * (x[1] - 7.0);
  };
  Optimizer optimizer(space, {.seed = 2});
  for (int t = 0; t < 25; ++t) {
    const std::vector<double> x = optimizer.suggest();
    ASSERT_EQ(x[1], std::round(x[1]));
    ASSERT_GE(x[0], 1e-6);
    ASSERT_LE(x[0], 1.0);
    optimizer.observe(x, score(x));
  }
  EXPECT_NEAR(std::log10(optimizer.best_x()[0]), -3.0, 0.15);
  EXPECT_EQ(optimizer.best_x()[1], 7.0);
}

TEST(Optimizer, CopesWithNoisyObservations) {
  // Noise sd 0.05 on a bowl of depth ~1: the search should still settle near the top.
  const Space space({{"a", 0.0, 1.0}, {"b", 0.0, 1.0}});
  const auto truth = [](const std::vector<double>& x) {
    return -(x[0] - 0.3) * (x[0] - 0.3) - (x[1] - 0.7) * (x[1] - 0.7);
  };
  Random noise(4);
  Optimizer optimizer(space, {.seed = 4});
  for (int t = 0; t < 30; ++t) {
    const std::vector<double> x = optimizer.suggest();
    optimizer.observe(x, truth(x) + 0.05 * noise.normal());
  }
  // Judge by the model's belief, not by the luckiest noisy draw: the posterior-mean
  // maximiser among the observed points must be close to (0.3, 0.7).
  const GaussianProcess& gp = *optimizer.model();
  Eigen::VectorXd means, variances;
  gp.predict_many(gp.inputs(), means, variances);
  Eigen::Index best = 0;
  means.maxCoeff(&best);
  const std::vector<double> x = space.from_unit(gp.inputs().col(best));
  EXPECT_GT(truth(x), -0.01);
  EXPECT_GT(gp.hyperparameters().noise_variance * std::pow(gp.standardisation().scale, 2), 1e-4);  // noise noticed
}

TEST(Optimizer, RestartsOnceAnOptimumIsPinnedDown) {
  const Space space({{"a", -1.0, 1.0}});
  Optimizer optimizer(space, {.seed = 5});
  for (int t = 0; t < 40; ++t) {
    const std::vector<double> x = optimizer.suggest();
    optimizer.observe(x, -x[0] * x[0]);
  }
  EXPECT_GT(optimizer.epochs(), 1u);
  EXPECT_GT(optimizer.best_y(), -1e-4);
  // With restarts disabled there is a single epoch.
  Optimizer single(space, {.seed = 5, .restart_patience = 0});
  for (int t = 0; t < 40; ++t) {
    const std::vector<double> x = single.suggest();
    single.observe(x, -x[0] * x[0]);
  }
  EXPECT_EQ(single.epochs(), 1u);
}

TEST(Optimizer, AcceptsObservationsItDidNotSuggestAndRejectsBadOnes) {
  const Space space({{"a", 0.0, 1.0}, {"b", 0.0, 1.0}});
  Optimizer optimizer(space);
  EXPECT_THROW(optimizer.best_y(), Error);
  for (double a : {0.1, 0.5, 0.9})
    for (double b : {0.2, 0.8}) optimizer.observe({a, b}, a - b);
  EXPECT_EQ(optimizer.best_x(), (std::vector<double>{0.9, 0.2}));
  const std::vector<double> x = optimizer.suggest();  // model-based already
  EXPECT_NE(optimizer.model(), nullptr);
  EXPECT_EQ(x.size(), 2u);
  EXPECT_THROW(optimizer.observe({0.5, 0.5}, std::nan("")), Error);
  EXPECT_THROW(optimizer.observe({0.5, 1.5}, 0.0), Error);
  EXPECT_THROW(optimizer.observe({0.5}, 0.0), Error);
  EXPECT_THROW(minimize(branin, branin_problem().space, 0), Error);
}

TEST(Optimizer, AllAcquisitionsMakeProgress) {
  const TestProblem branin = branin_problem();
  for (AcquisitionKind kind : {AcquisitionKind::expected_improvement, AcquisitionKind::upper_confidence_bound,
                               AcquisitionKind::probability_of_improvement}) {
    const Result r = minimize(branin.f, branin.space, 25, {.seed = 1, .acquisition = kind});
    EXPECT_LT(r.best_y, 1.0) << static_cast<int>(kind);  // a random point averages ~55
  }
}

}  // namespace
}  // namespace mbi::bo
