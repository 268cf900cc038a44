#include "mbi/bo/marginal_likelihood.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "mbi/core/random.hpp"

namespace mbi::bo {
namespace {

struct Data {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
};

// y depends strongly on x0, weakly on x1 and not at all on x2.
Data anisotropic_data(int n, std::uint64_t seed) {
  Random rng(seed);
  Data d{Eigen::MatrixXd(3, n), Eigen::VectorXd(n)};
  for (int j = 0; j < n; ++j) {
    for (int i = 0; i < 3; ++i) d.x(i, j) = rng.uniform();
    d.y[j] = std::sin(8.0 * d.x(0, j)) + 0.5 * d.x(1, j) * d.x(1, j);
  }
  return d;
}

double central_difference(const std::function<double(const Eigen::VectorXd&)>& f, Eigen::VectorXd at, int i) {
  const double h = 1e-5;
  at[i] += h;
  const double up = f(at);
  at[i] -= 2 * h;
  return (up - f(at)) / (2 * h);
}

TEST(MarginalLikelihood, GradientMatchesFiniteDifferences) {
  const Data d = anisotropic_data(25, 1);
  const Eigen::VectorXd z = Standardisation::of(d.y).apply(d.y);
  const auto lml = [&](const Eigen::VectorXd& theta) { return log_marginal_likelihood(d.x, z, theta); };
  Random rng(2);
  for (int trial = 0; trial < 4; ++trial) {
    Eigen::VectorXd theta(5);
    for (int i = 0; i < 3; ++i) theta[i] = std::log(0.1 + rng.uniform());
    theta[3] = std::log(0.5 + rng.uniform());
    theta[4] = std::log(1e-3 + 0.1 * rng.uniform());
    Eigen::VectorXd gradient;
    const double value = log_marginal_likelihood(d.x, z, theta, &gradient);
    EXPECT_EQ(value, lml(theta));
    for (int i = 0; i < 5; ++i) {
      const double numeric = central_difference(lml, theta, i);
      EXPECT_NEAR(gradient[i], numeric, 1e-5 * std::max(1.0, std::abs(numeric))) << "theta " << i;
    }
  }
}

TEST(MarginalLikelihood, PriorGradientMatchesFiniteDifferences) {
  const HyperparameterPriors priors = HyperparameterPriors::defaults();
  const Eigen::VectorXd theta = (Eigen::VectorXd(4) << -1.0, 0.3, 0.2, -6.0).finished();
  Eigen::VectorXd gradient;
  log_prior(priors, theta, &gradient);
  const auto prior = [&](const Eigen::VectorXd& t) { return log_prior(priors, t); };
  for (int i = 0; i < 4; ++i) EXPECT_NEAR(gradient[i], central_difference(prior, theta, i), 1e-7);
}

TEST(MarginalLikelihood, FitFindsRelevantDimensionsAndStaysInBounds) {
  const Data d = anisotropic_data(40, 3);
  Random rng(4);
  const GpHyperparameters h = fit_hyperparameters(d.x, d.y, rng);
  // Shortest length scale for the dimension that matters most, longest for the one
  // that does not matter at all.
  EXPECT_LT(h.length_scales[0], h.length_scales[1]);
  EXPECT_LT(h.length_scales[1], h.length_scales[2]);
  EXPECT_GT(h.length_scales[2], 1.0);
  const HyperparameterPriors p = HyperparameterPriors::defaults();
  const Eigen::VectorXd theta = h.to_log_vector();
  for (int i = 0; i < 3; ++i) {
    EXPECT_GE(theta[i], p.length_scale.lower);
    EXPECT_LE(theta[i], p.length_scale.upper);
  }
  EXPECT_GE(theta[4], p.noise_variance.lower);
  EXPECT_LE(theta[4], p.noise_variance.upper);
  // The fit must beat its fixed starting point (the prior means) on its own objective.
  const Eigen::VectorXd z = Standardisation::of(d.y).apply(d.y);
  const auto posterior = [&](const Eigen::VectorXd& t) { return log_marginal_likelihood(d.x, z, t) + log_prior(p, t); };
  const Eigen::VectorXd centre =
      (Eigen::VectorXd(5) << p.length_scale.mean, p.length_scale.mean, p.length_scale.mean, p.signal_variance.mean,
       p.noise_variance.mean)
          .finished();
  EXPECT_GT(posterior(theta), posterior(centre) + 1.0);
}

}  // namespace
}  // namespace mbi::bo
