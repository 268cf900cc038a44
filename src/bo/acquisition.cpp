#include "mbi/bo/acquisition.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>

#include "mbi/core/error.hpp"

namespace mbi::bo {
namespace {

const double kInvSqrt2 = 1.0 / std::numbers::sqrt2;
const double kLogSqrt2Pi = 0.5 * std::log(2.0 * std::numbers::pi);

double normal_pdf(double z) { return std::exp(-0.5 * z * z - kLogSqrt2Pi); }
double normal_cdf(double z) { return 0.5 * std::erfc(-z * kInvSqrt2); }

// Below this z the direct formulas lose too much to cancellation or underflow (the pdf
// underflows near z = -38); the asymptotic series is accurate to ~1e-8 here.
constexpr double kAsymptoticBelow = -25.0;

// h(z) = z Phi(z) + phi(z), so that EI = sd * h(z). Returns log h and its derivative.
double log_h(double z, double& derivative) {
  if (z > kAsymptoticBelow) {
    const double cdf = normal_cdf(z);
    const double h = z * cdf + normal_pdf(z);
    derivative = cdf / h;  // h'(z) = Phi(z)
    return std::log(h);
  }
  // h(z) ~ phi(z) / z^2 * (1 - 3/z^2 + 15/z^4) as z -> -infinity.
  const double w = 1.0 / (z * z);
  derivative = -z - 2.0 / z;
  return -0.5 * z * z - kLogSqrt2Pi - 2.0 * std::log(-z) + std::log1p(-3.0 * w + 15.0 * w * w);
}

// log Phi(z) and its derivative.
double log_cdf(double z, double& derivative) {
  if (z > kAsymptoticBelow) {
    const double cdf = normal_cdf(z);
    derivative = normal_pdf(z) / cdf;
    return std::log(cdf);
  }
  // Phi(z) ~ phi(z) / |z| * (1 - 1/z^2 + 3/z^4) as z -> -infinity.
  const double w = 1.0 / (z * z);
  derivative = -z - 1.0 / z;
  return -0.5 * z * z - kLogSqrt2Pi - std::log(-z) + std::log1p(-w + 3.0 * w * w);
}

}  // namespace

double expected_improvement(double mean, double sd, double incumbent, double margin) {
  const double gain = mean - incumbent - margin;
  if (!(sd > 0.0)) return std::max(gain, 0.0);
  const double z = gain / sd;
  return std::max(0.0, gain * normal_cdf(z) + sd * normal_pdf(z));
}

double probability_of_improvement(double mean, double sd, double incumbent, double margin) {
  const double gain = mean - incumbent - margin;
  if (!(sd > 0.0)) return gain > 0.0 ? 1.0 : 0.0;
  return normal_cdf(gain / sd);
}

double upper_confidence_bound(double mean, double sd, double beta) { return mean + beta * sd; }

AcquisitionScore acquisition_score(const Acquisition& acquisition, double mean, double sd, double incumbent) {
  if (!(sd > 0.0)) throw Error("bo::acquisition_score: sd must be positive");
  switch (acquisition.kind) {
    case AcquisitionKind::upper_confidence_bound:
      return {upper_confidence_bound(mean, sd, acquisition.beta), 1.0, acquisition.beta};
    case AcquisitionKind::probability_of_improvement: {
      const double z = (mean - incumbent - acquisition.margin) / sd;
      double slope = 0.0;
      const double value = log_cdf(z, slope);
      return {value, slope / sd, -slope * z / sd};
    }
    case AcquisitionKind::expected_improvement:
    default: {
      // log EI = log sd + log h(z), z = (mean - incumbent - margin) / sd
      const double z = (mean - incumbent - acquisition.margin) / sd;
      double slope = 0.0;
      const double value = std::log(sd) + log_h(z, slope);
      return {value, slope / sd, 1.0 / sd - slope * z / sd};
    }
  }
}

}  // namespace mbi::bo
