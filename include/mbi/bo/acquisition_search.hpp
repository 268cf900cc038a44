#pragma once
// Maximising the acquisition over the unit cube. The acquisition surface is multi-modal
// and mostly flat, so: score many cheap candidates (uniform ones for coverage, plus
// Gaussian perturbations of the best observed points at several scales, where the
// optimum usually hides), then polish the top few with projected L-BFGS using the
// GP's analytic gradients.
#include <Eigen/Core>

#include <vector>

#include "mbi/bo/acquisition.hpp"
#include "mbi/bo/gaussian_process.hpp"
#include "mbi/core/random.hpp"

namespace mbi::bo {

struct AcquisitionSearchOptions {
  int candidates = 1000;   // scored in one batch
  int local_starts = 5;    // best candidates that get a gradient-based polish
  int max_iterations = 100;
};

struct ScoredPoint {
  Eigen::VectorXd x;  // unit-cube coordinates
  double score;       // acquisition_score(...).value
};

// anchors: d x k unit-cube points to search around (typically the best observations;
// may be empty). Returns the polished local maxima, best first (never empty).
std::vector<ScoredPoint> maximise_acquisition(const GaussianProcess& gp, const Acquisition& acquisition,
                                              double incumbent, const Eigen::MatrixXd& anchors, Random& rng,
                                              const AcquisitionSearchOptions& options = {});

}  // namespace mbi::bo
