#include "mbi/bo/acquisition_search.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>
#include <numeric>

#include "mbi/bo/box_minimizer.hpp"

namespace mbi::bo {
namespace {

// Perturbation scales around anchors, in unit-cube units: fine polish, local, and broad.
constexpr double kAnchorScales[] = {0.005, 0.03, 0.1, 0.3};

Eigen::MatrixXd draw_candidates(Eigen::Index d, int count, const Eigen::MatrixXd& anchors, Random& rng) {
  Eigen::MatrixXd candidates(d, count);
  const int local = anchors.cols() > 0 ? count / 2 : 0;
  for (int j = 0; j < count; ++j) {
    if (j < local) {
      const Eigen::VectorXd centre = anchors.col(static_cast<Eigen::Index>(j) % anchors.cols());
      const double scale = kAnchorScales[(j / anchors.cols()) % std::size(kAnchorScales)];
      for (Eigen::Index i = 0; i < d; ++i) candidates(i, j) = std::clamp(centre[i] + scale * rng.normal(), 0.0, 1.0);
    } else {
      for (Eigen::Index i = 0; i < d; ++i) candidates(i, j) = rng.uniform();
    }
  }
  return candidates;
}

}  // namespace

std::vector<ScoredPoint> maximise_acquisition(const GaussianProcess& gp, const Acquisition& acquisition,
                                              double incumbent, const Eigen::MatrixXd& anchors, Random& rng,
                                              const AcquisitionSearchOptions& options) {
  const Eigen::Index d = gp.dimensions();
  const int count = std::max(1, options.candidates);
  const Eigen::MatrixXd candidates = draw_candidates(d, count, anchors, rng);

  Eigen::VectorXd means, variances;
  gp.predict_many(candidates, means, variances);
  std::vector<double> scores(static_cast<std::size_t>(count));
  for (int j = 0; j < count; ++j)
    scores[static_cast<std::size_t>(j)] = acquisition_score(acquisition, means[j], std::sqrt(variances[j]), incumbent).value;

  std::vector<int> order(static_cast<std::size_t>(count));
  std::iota(order.begin(), order.end(), 0);
  const int starts = std::clamp(options.local_starts, 1, count);
  // stable: equal scores keep candidate order, so results do not depend on the sort.
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) {
    return scores[static_cast<std::size_t>(a)] > scores[static_cast<std::size_t>(b)];
  });

  // The minimiser minimises: hand it -score, with the chain rule through mean and sd.
  const DifferentiableFunction negative_score = [&](const Eigen::VectorXd& x, Eigen::VectorXd& gradient) {
    const GaussianProcess::PredictionWithGradient p = gp.predict_with_gradient(x);
    const double sd = std::sqrt(p.variance);
    const AcquisitionScore s = acquisition_score(acquisition, p.mean, sd, incumbent);
    gradient = -(s.d_mean * p.mean_gradient + (s.d_sd / (2.0 * sd)) * p.variance_gradient);
    return -s.value;
  };
  BoxMinimizerOptions minimizer;
  minimizer.max_iterations = options.max_iterations;
  minimizer.gradient_tolerance = 1e-7;
  minimizer.relative_value_tolerance = 1e-10;
  const Eigen::VectorXd lower = Eigen::VectorXd::Zero(d);
  const Eigen::VectorXd upper = Eigen::VectorXd::Ones(d);

  std::vector<ScoredPoint> maxima;
  for (int s = 0; s < starts; ++s) {
    const Eigen::VectorXd start = candidates.col(order[static_cast<std::size_t>(s)]);
    const BoxMinimum m = minimize_in_box(negative_score, start, lower, upper, minimizer);
    maxima.push_back({m.x, -m.value});
  }
  std::stable_sort(maxima.begin(), maxima.end(), [](const ScoredPoint& a, const ScoredPoint& b) { return a.score > b.score; });
  return maxima;
}

}  // namespace mbi::bo
