// Every device noise model's statistics against its formulas: Monte Carlo means and standard
// deviations per conductance level and time since programming, within a few standard errors.
#include <gtest/gtest.h>

#include <cmath>
#include <numbers>
#include <vector>

#include "mbi/core/error.hpp"
#include "mbi/device/pcm.hpp"
#include "mbi/device/simple_noise.hpp"

namespace mbi::device {
namespace {

constexpr int kSamples = 100000;
constexpr double kDay = 86400;

struct Moments {
  double mean = 0, stddev = 0;
};

template <typename Draw>
Moments moments(Draw draw, int n = kSamples) {
  double sum = 0, sum2 = 0;
  for (int i = 0; i < n; ++i) {
    const double v = draw();
    sum += v;
    sum2 += v * v;
  }
  const double mean = sum / n;
  return {mean, std::sqrt(std::max(sum2 / n - mean * mean, 0.0))};
}

// Within `k` standard errors of the mean, and the spread within 3 % (a sample std's relative
// standard error is about 1 / sqrt(2n) = 0.22 % here).
void expect_moments(const Moments& m, double mean, double stddev, const std::string& what, double k = 5) {
  EXPECT_NEAR(m.mean, mean, k * stddev / std::sqrt(kSamples) + 1e-12) << what;
  EXPECT_NEAR(m.stddev, stddev, 0.03 * stddev + 1e-12) << what;
}

TEST(PcmModel, ProgrammingNoiseFollowsAihwkitsPolynomialPerLevel) {
  const PcmModel pcm({});
  // sigma at x = 0.5: (0.26348 + 1.9650 / 2 - 1.1731 / 4) uS.
  EXPECT_NEAR(pcm.programming_sigma(12.5), 0.26348 + 0.9825 - 0.293275, 1e-12);
  Random random(1);
  for (const double level : {2.5, 5.0, 12.5, 20.0, 25.0}) {
    const Moments m = moments([&] { return pcm.program(level, random).programmed; });
    expect_moments(m, level, pcm.programming_sigma(level), "level " + std::to_string(level));
  }
  // At 0 uS the draw is clipped at 0: a rectified normal of sigma s has mean s / sqrt(2 pi)
  // and variance s^2 (1/2 - 1 / (2 pi)).
  const double s = pcm.programming_sigma(0);
  const Moments zero = moments([&] { return pcm.program(0, random).programmed; });
  expect_moments(zero, s / std::sqrt(2 * std::numbers::pi), s * std::sqrt(0.5 - 0.5 / std::numbers::pi), "level 0");
}

TEST(PcmModel, DriftExponentsAreFoldedNormalsAndConductancesDecayAsPowerLaws) {
  const PcmModel pcm({});
  Random random(2);
  for (const double level : {1.0, 12.5, 25.0}) {
    const double mu = pcm.drift_nu_mu(level), sigma = pcm.drift_nu_sigma(level);
    // |N(mu, sigma)|: mean sigma sqrt(2/pi) exp(-mu^2 / 2 sigma^2) + mu (1 - 2 Phi(-mu / sigma)).
    const double phi = 0.5 * std::erfc(mu / sigma / std::sqrt(2.0));
    const double mean = sigma * std::sqrt(2 / std::numbers::pi) * std::exp(-mu * mu / (2 * sigma * sigma)) + mu * (1 - 2 * phi);
    const double variance = mu * mu + sigma * sigma - mean * mean;
    const Moments m = moments([&] { return pcm.program(level, random).nu; });
    expect_moments(m, mean, std::sqrt(variance), "nu at level " + std::to_string(level));
  }
  // The clips of aihwkit's fits: mu in [0.049, 0.1], sigma in [0.008, 0.045].
  EXPECT_DOUBLE_EQ(pcm.drift_nu_mu(25.0), 0.049);   // -0.0155 ln 1 + 0.0244 = 0.0244, clipped up
  EXPECT_DOUBLE_EQ(pcm.drift_nu_sigma(25.0), 0.008);
  EXPECT_DOUBLE_EQ(pcm.drift_nu_mu(0.0), 0.1);      // x clamped to 1e-7
  // A cell drifts as (t / t0 + 1)^-nu: at t = (e - 1) t0 it has lost a factor e^nu.
  const PcmCell cell{.target = 10, .programmed = 10.2, .nu = 0.06};
  EXPECT_DOUBLE_EQ(pcm.drifted(cell, 0), 10.2);
  EXPECT_NEAR(pcm.drifted(cell, (std::numbers::e - 1) * 20), 10.2 * std::exp(-0.06), 1e-12);
}

TEST(PcmModel, ReadNoiseOfOneCellAfterADayMatchesItsFormula) {
  const PcmModel pcm({});
  Random random(3);
  for (const double level : {2.0, 12.5, 25.0}) {
    const PcmCell cell = pcm.program(level, random);
    // sigma = g_drift Q sqrt(ln((t + t0 + t_read) / (2 t_read))), Q from the programmed level.
    const double x = cell.programmed / 25.0;
    const double q = std::min(0.0088 / std::max(std::pow(x, 0.65), 1e-3), 0.2);
    const double expected_sigma = pcm.drifted(cell, kDay) * q * std::sqrt(std::log((kDay + 20 + 250e-9) / (2 * 250e-9)));
    EXPECT_NEAR(pcm.read_sigma(cell, kDay), expected_sigma, 1e-12 * level);
    const Moments m = moments([&] { return pcm.read(cell, kDay, random); });
    expect_moments(m, pcm.drifted(cell, kDay), expected_sigma, "reads at level " + std::to_string(level));
  }
}

TEST(PcmModel, GlobalDriftCompensationRestoresTheProgrammedMean) {
  const PcmModel pcm({});
  Random random(4);
  std::vector<PcmCell> cells;
  for (int i = 0; i < 20000; ++i) cells.push_back(pcm.program(25.0 * (i % 10 + 1) / 10, random));
  for (const double t : {1.0, kDay, 365 * kDay}) {
    const double factor = pcm.drift_compensation(cells, t, random);
    EXPECT_GT(factor, 1.0);
    double programmed = 0, compensated = 0;
    for (const PcmCell& c : cells) {
      programmed += c.programmed;
      compensated += factor * pcm.read(c, t, random);
    }
    EXPECT_NEAR(compensated / programmed, 1.0, 0.01) << "t = " << t;
  }
  EXPECT_EQ(pcm.drift_compensation({}, kDay, random), 1.0);
}

TEST(PcmModel, SameSeedSameConductancesAndBadParametersRefused) {
  const PcmModel pcm({});
  Random a(9, 1), b(9, 1);
  for (int i = 0; i < 100; ++i) {
    const PcmCell x = pcm.program(7.5, a), y = pcm.program(7.5, b);
    EXPECT_EQ(x.programmed, y.programmed);
    EXPECT_EQ(pcm.read(x, kDay, a), pcm.read(y, kDay, b));
  }
  EXPECT_THROW(pcm.program(26, a), Error);
  EXPECT_THROW(pcm.program(-1, a), Error);
  // The form with the normals given is the same cell as the one drawing them itself.
  Random c(9, 2), d(9, 2);
  for (int i = 0; i < 100; ++i) {
    const double target = 0.25 * (i % 101);
    const PcmCell x = pcm.program(target, c);
    const double z_programming = d.normal(), z_drift = d.normal();
    const PcmCell y = pcm.program(target, z_programming, z_drift);
    EXPECT_EQ(x.programmed, y.programmed);
    EXPECT_EQ(x.nu, y.nu);
  }
  PcmParameters bad;
  bad.g_max = 0;
  EXPECT_THROW(PcmModel{bad}, Error);
  bad = {};
  bad.drift_mu_min = 0.2;  // above its max
  EXPECT_THROW(PcmModel{bad}, Error);
  bad = {};
  bad.t_read = std::nan("");
  EXPECT_THROW(PcmModel{bad}, Error);
}

TEST(GaussianNoise, AdditiveAndMultiplicativeSpreads) {
  Random random(5);
  const GaussianNoise additive{.sigma = 0.3};
  const GaussianNoise multiplicative{.sigma = 0.05, .multiplicative = true};
  for (const double g : {0.0, 4.0, 20.0}) {
    expect_moments(moments([&] { return additive.read(g, random); }), g, 0.3, "additive at " + std::to_string(g));
    if (g > 0)
      expect_moments(moments([&] { return multiplicative.read(g, random); }), g, 0.05 * g,
                     "multiplicative at " + std::to_string(g));
  }
  EXPECT_EQ(multiplicative.read(0, random), 0);
}

TEST(TelegraphNoise, TwoStatesWithTheirOccupancyAndCorrelation) {
  Random random(6);
  for (const TelegraphNoise rtn : {TelegraphNoise{.amplitude = 0.2, .occupancy = 0.3, .rate = 1.0},
                                   TelegraphNoise{.amplitude = 0.5, .occupancy = 0.5, .rate = 0.1}}) {
    const double g = 10;
    bool state = rtn.initial_state(random);
    std::vector<double> reads;
    for (int i = 0; i < kSamples; ++i) reads.push_back(rtn.read(g, state, random));
    double sum = 0, sum2 = 0, lag = 0;
    for (std::size_t i = 0; i < reads.size(); ++i) {
      sum += reads[i];
      sum2 += reads[i] * reads[i];
      if (i) lag += reads[i] * reads[i - 1];
    }
    const double n = static_cast<double>(reads.size());
    const double mean = sum / n, variance = sum2 / n - mean * mean;
    // Correlated reads: the standard error grows by sqrt((1 + rho) / (1 - rho)).
    const double rho = rtn.lag1_correlation();
    const double se = rtn.stddev(g) / std::sqrt(n) * std::sqrt((1 + rho) / (1 - rho));
    EXPECT_NEAR(mean, rtn.mean(g), 5 * se);
    EXPECT_NEAR(std::sqrt(variance), rtn.stddev(g), 0.05 * rtn.stddev(g));
    const double correlation = (lag / (n - 1) - mean * mean) / variance;
    EXPECT_NEAR(correlation, rho, 0.03);
    for (const double v : reads) EXPECT_TRUE(v == g || v == g * (1 - rtn.amplitude));
  }
  EXPECT_THROW((TelegraphNoise{.rate = 0}.validate()), Error);
  EXPECT_THROW((TelegraphNoise{.amplitude = 1.5}.validate()), Error);
}

TEST(DigitalFaults, FlipsAndStuckCellsAtTheirRates) {
  Random random(7);
  const DigitalFaults faults{.flip_probability = 0.01, .stuck_at_zero = 0.02, .stuck_at_one = 0.03};
  int zero = 0, one = 0, flipped = 0, healthy = 0;
  for (int i = 0; i < kSamples; ++i) {
    const Stuck s = faults.draw_stuck(random);
    zero += s == Stuck::at_zero;
    one += s == Stuck::at_one;
    if (s == Stuck::at_zero) {
      EXPECT_FALSE(faults.read(true, s, random));
    }
    if (s == Stuck::at_one) {
      EXPECT_TRUE(faults.read(false, s, random));
    }
    if (s == Stuck::none) {
      ++healthy;
      flipped += !faults.read(true, s, random);
    }
  }
  const auto near = [](int count, double p, int n) { return std::abs(count - p * n) < 5 * std::sqrt(p * (1 - p) * n); };
  EXPECT_TRUE(near(zero, 0.02, kSamples)) << zero;
  EXPECT_TRUE(near(one, 0.03, kSamples)) << one;
  EXPECT_TRUE(near(flipped, 0.01, healthy)) << flipped;
  EXPECT_THROW((DigitalFaults{.stuck_at_zero = 0.7, .stuck_at_one = 0.4}.validate()), Error);
}

}  // namespace
}  // namespace mbi::device
