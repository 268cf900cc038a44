#pragma once
// Acquisition functions: how much a candidate point is worth evaluating, given the GP's
// posterior mean and standard deviation there. Everything here MAXIMISES (the
// optimizer's convention): "improvement" means exceeding the incumbent.
namespace mbi::bo {

enum class AcquisitionKind {
  expected_improvement,        // E[max(f - incumbent - margin, 0)]: the default
  upper_confidence_bound,      // mean + beta * sd
  probability_of_improvement,  // P(f > incumbent + margin): greedier than EI
};

struct Acquisition {
  AcquisitionKind kind = AcquisitionKind::expected_improvement;
  double beta = 2.0;    // UCB exploration weight
  double margin = 0.0;  // EI / PI: improvement that counts as none, in target units
};

double expected_improvement(double mean, double sd, double incumbent, double margin = 0.0);
double probability_of_improvement(double mean, double sd, double incumbent, double margin = 0.0);
double upper_confidence_bound(double mean, double sd, double beta);

// What the acquisition search actually maximises, with its slopes. EI and PI are
// returned as logarithms: far from the incumbent they underflow towards 0 and their
// gradients vanish, which would stall a local search, while their logs stay
// informative (asymptotic expansions take over where the direct formulas would
// underflow). The log is monotone, so the maximiser is unchanged. UCB is returned as is.
struct AcquisitionScore {
  double value;
  double d_mean;  // d value / d mean
  double d_sd;    // d value / d sd
};

// sd must be positive (the GP floors its variance, so it always is).
AcquisitionScore acquisition_score(const Acquisition& acquisition, double mean, double sd, double incumbent);

}  // namespace mbi::bo
