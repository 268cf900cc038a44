#include "mbi/bo/gaussian_process.hpp"

#include <gtest/gtest.h>

#include <cmath>

#include "mbi/bo/marginal_likelihood.hpp"
#include "mbi/core/random.hpp"

namespace mbi::bo {
namespace {

// Noiseless 1-D data from a smooth function with a non-zero mean and scale, so that the
// standardisation and the constant mean are exercised too.
struct Data {
  Eigen::MatrixXd x;
  Eigen::VectorXd y;
};

double truth(double x) { return 3.0 + 2.0 * std::sin(6.0 * x); }

Data sine_data(int n) {
  Data d{Eigen::MatrixXd(1, n), Eigen::VectorXd(n)};
  for (int j = 0; j < n; ++j) {
    d.x(0, j) = (j + 0.5) / n;
    d.y[j] = truth(d.x(0, j));
  }
  return d;
}

GpHyperparameters smooth(double length_scale, double noise) {
  GpHyperparameters h;
  h.length_scales = Eigen::VectorXd::Constant(1, length_scale);
  h.signal_variance = 1.0;
  h.noise_variance = noise;
  return h;
}

TEST(GaussianProcess, InterpolatesNoiselessDataAndIsCertainThere) {
  const Data d = sine_data(8);
  const GaussianProcess gp(d.x, d.y, smooth(0.3, 1e-8));
  const double prior_variance = gp.standardisation().scale * gp.standardisation().scale;
  for (int j = 0; j < 8; ++j) {
    const auto p = gp.predict(d.x.col(j));
    EXPECT_NEAR(p.mean, d.y[j], 1e-4);
    EXPECT_LT(p.variance, 1e-6 * prior_variance);
  }
  // Between the data the model is less sure, but still close to the truth.
  const auto between = gp.predict(Eigen::VectorXd::Constant(1, 0.125));
  EXPECT_GT(between.variance, 1e-4 * prior_variance);
  EXPECT_NEAR(between.mean, truth(0.125), 0.05);
  // Far outside the data the variance returns towards the prior.
  EXPECT_GT(gp.predict(Eigen::VectorXd::Constant(1, 3.0)).variance, 0.9 * prior_variance);
}

TEST(GaussianProcess, VarianceShrinksWhereAPointIsObserved) {
  const Data d = sine_data(6);
  const Eigen::VectorXd probe = Eigen::VectorXd::Constant(1, 0.37);
  const double before = GaussianProcess(d.x, d.y, smooth(0.2, 1e-3)).predict(probe).variance;
  Eigen::MatrixXd x(1, 7);
  x << d.x, probe;
  Eigen::VectorXd y(7);
  y << d.y, truth(0.37);
  const double after = GaussianProcess(x, y, smooth(0.2, 1e-3)).predict(probe).variance;
  EXPECT_LT(after, 0.5 * before);
}

TEST(GaussianProcess, PredictionGradientsMatchFiniteDifferences) {
  Random rng(5);
  Eigen::MatrixXd x(3, 15);
  Eigen::VectorXd y(15);
  for (int j = 0; j < 15; ++j) {
    for (int i = 0; i < 3; ++i) x(i, j) = rng.uniform();
    y[j] = std::sin(3.0 * x(0, j)) + x(1, j) * x(2, j);
  }
  GpHyperparameters h;
  h.length_scales = Eigen::Vector3d(0.3, 0.6, 0.9);
  h.signal_variance = 1.3;
  h.noise_variance = 1e-4;
  const GaussianProcess gp(x, y, h);
  const Eigen::Vector3d at(0.45, 0.2, 0.7);
  const auto p = gp.predict_with_gradient(at);
  const auto plain = gp.predict(at);
  EXPECT_NEAR(p.mean, plain.mean, 1e-12);
  EXPECT_NEAR(p.variance, plain.variance, 1e-12);
  const double step = 1e-6;
  for (int i = 0; i < 3; ++i) {
    Eigen::Vector3d up = at, down = at;
    up[i] += step;
    down[i] -= step;
    EXPECT_NEAR(p.mean_gradient[i], (gp.predict(up).mean - gp.predict(down).mean) / (2 * step), 1e-6);
    EXPECT_NEAR(p.variance_gradient[i], (gp.predict(up).variance - gp.predict(down).variance) / (2 * step), 1e-6);
  }
}

TEST(GaussianProcess, FittedModelSeparatesSignalFromNoise) {
  // 80 noisy observations, noise sd 0.1: the fit should find about that noise level and
  // the posterior mean should be closer to the truth than the observations are.
  Random rng(11);
  const int n = 80;
  Eigen::MatrixXd x(1, n);
  Eigen::VectorXd y(n);
  for (int j = 0; j < n; ++j) {
    x(0, j) = rng.uniform();
    y[j] = truth(x(0, j)) + 0.1 * rng.normal();
  }
  Random fit_rng(1);
  const GpHyperparameters h = fit_hyperparameters(x, y, fit_rng);
  const GaussianProcess gp(x, y, h);
  const double scale = gp.standardisation().scale;
  const double noise_sd = std::sqrt(h.noise_variance) * scale;
  EXPECT_GT(noise_sd, 0.06);
  EXPECT_LT(noise_sd, 0.16);
  double model_error = 0.0, data_error = 0.0;
  for (int j = 0; j < n; ++j) {
    model_error += std::pow(gp.predict(x.col(j)).mean - truth(x(0, j)), 2);
    data_error += std::pow(y[j] - truth(x(0, j)), 2);
  }
  EXPECT_LT(model_error, 0.5 * data_error);
}

TEST(GaussianProcess, ManyAtOnceEqualsOneByOne) {
  const Data d = sine_data(10);
  const GaussianProcess gp(d.x, d.y, smooth(0.25, 1e-4));
  Eigen::MatrixXd probes(1, 4);
  probes << 0.0, 0.33, 0.5, 1.2;
  Eigen::VectorXd means, variances;
  gp.predict_many(probes, means, variances);
  for (int j = 0; j < 4; ++j) {
    EXPECT_NEAR(means[j], gp.predict(probes.col(j)).mean, 1e-12);
    EXPECT_NEAR(variances[j], gp.predict(probes.col(j)).variance, 1e-12);
  }
}

}  // namespace
}  // namespace mbi::bo
