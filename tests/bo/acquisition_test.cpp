#include "mbi/bo/acquisition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numbers>

#include "mbi/bo/gaussian_process.hpp"
#include "mbi/core/random.hpp"

namespace mbi::bo {
namespace {

TEST(Acquisition, ExpectedImprovementIsZeroWhereCertainAndBelowTheBest) {
  EXPECT_LT(expected_improvement(0.0, 1e-6, 1.0), 1e-300);
  EXPECT_NEAR(expected_improvement(2.0, 1e-9, 1.0), 1.0, 1e-9);  // certain gain of 1
  EXPECT_NEAR(expected_improvement(1.0, 0.5, 1.0), 0.5 / std::sqrt(2.0 * std::numbers::pi), 1e-12);  // phi(0) * sd
  // More uncertainty or a higher mean is worth more.
  EXPECT_LT(expected_improvement(0.0, 0.2, 1.0), expected_improvement(0.0, 0.4, 1.0));
  EXPECT_LT(expected_improvement(0.0, 0.2, 1.0), expected_improvement(0.5, 0.2, 1.0));
  EXPECT_LT(expected_improvement(1.2, 0.2, 1.0, 0.5), expected_improvement(1.2, 0.2, 1.0));  // margin
}

TEST(Acquisition, ExpectedImprovementMatchesMonteCarlo) {
  Random rng(9);
  const double mean = 0.3, sd = 0.7, best = 0.5;
  double sum = 0.0;
  const int samples = 400000;
  for (int i = 0; i < samples; ++i) sum += std::max(mean + sd * rng.normal() - best, 0.0);
  EXPECT_NEAR(expected_improvement(mean, sd, best), sum / samples, 3e-3);
}

TEST(Acquisition, ExpectedImprovementVanishesAtAnObservedPointBelowTheBest) {
  // A GP that has seen y = 0 at x = 0.2 and y = 1 at x = 0.8 (noise-free): at x = 0.2 it
  // is certain the value is 0, far below the best, so EI there must be negligible.
  Eigen::MatrixXd x(1, 3);
  x << 0.2, 0.5, 0.8;
  const Eigen::Vector3d y(0.0, 0.4, 1.0);
  GpHyperparameters h;
  h.length_scales = Eigen::VectorXd::Constant(1, 0.2);
  h.noise_variance = 1e-8;
  const GaussianProcess gp(x, y, h);
  const auto at_low = gp.predict(x.col(0));
  const auto gap = gp.predict(Eigen::VectorXd::Constant(1, 0.95));
  const double ei_low = expected_improvement(at_low.mean, std::sqrt(at_low.variance), 1.0);
  const double ei_gap = expected_improvement(gap.mean, std::sqrt(gap.variance), 1.0);
  EXPECT_LT(ei_low, 1e-12);
  EXPECT_GT(ei_gap, 1e-3);
}

TEST(Acquisition, ProbabilityAndUpperConfidenceBound) {
  EXPECT_NEAR(probability_of_improvement(1.0, 0.3, 1.0), 0.5, 1e-12);
  EXPECT_NEAR(probability_of_improvement(1.0 + 0.3 * 1.959963985, 0.3, 1.0), 0.975, 1e-6);
  EXPECT_EQ(upper_confidence_bound(1.0, 0.5, 2.0), 2.0);
}

// The search maximises log EI / log PI; they must equal the logs of the plain values
// where those are representable, stay finite and smooth far beyond, and carry correct
// derivatives in both regimes.
TEST(Acquisition, LogScoresAndTheirSlopesAreConsistent) {
  const double best = 1.0, sd = 0.1;
  for (AcquisitionKind kind : {AcquisitionKind::expected_improvement, AcquisitionKind::probability_of_improvement,
                               AcquisitionKind::upper_confidence_bound}) {
    Acquisition a;
    a.kind = kind;
    for (double z : {3.0, 0.5, -1.0, -6.0, -24.9, -25.1, -40.0, -300.0}) {
      const double mean = best + z * sd;
      const AcquisitionScore s = acquisition_score(a, mean, sd, best);
      ASSERT_TRUE(std::isfinite(s.value) && std::isfinite(s.d_mean) && std::isfinite(s.d_sd)) << z;
      if (z > -30.0) {
        const double plain = kind == AcquisitionKind::expected_improvement     ? std::log(expected_improvement(mean, sd, best))
                             : kind == AcquisitionKind::probability_of_improvement ? std::log(probability_of_improvement(mean, sd, best))
                                                                                     : upper_confidence_bound(mean, sd, a.beta);
        EXPECT_NEAR(s.value, plain, 1e-8 * std::max(1.0, std::abs(plain))) << z;
      }
      const double h = 1e-6 * sd;
      const double d_mean = (acquisition_score(a, mean + h, sd, best).value - acquisition_score(a, mean - h, sd, best).value) / (2 * h);
      const double d_sd = (acquisition_score(a, mean, sd + h, best).value - acquisition_score(a, mean, sd - h, best).value) / (2 * h);
      EXPECT_NEAR(s.d_mean, d_mean, 1e-4 * std::max(1.0, std::abs(d_mean))) << z;
      EXPECT_NEAR(s.d_sd, d_sd, 1e-4 * std::max(1.0, std::abs(d_sd))) << z;
    }
  }
}

}  // namespace
}  // namespace mbi::bo
