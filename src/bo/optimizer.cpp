#include "mbi/bo/optimizer.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "mbi/bo/acquisition_search.hpp"
#include "mbi/bo/marginal_likelihood.hpp"
#include "mbi/core/random.hpp"
#include "mbi/core/error.hpp"

namespace mbi::bo {
namespace {

// How many of the best observations seed the local part of the acquisition search.
constexpr int kAnchors = 5;

// Random streams. Trial n fits the GP with stream 2n and searches with 2n + 1, so a
// repeated suggest() (no new observation) redraws exactly the same numbers; epoch e
// draws its design from stream kDesignStream - e.
constexpr std::uint64_t kDesignStream = UINT64_MAX;
std::uint64_t fit_stream(std::size_t n) { return 2 * static_cast<std::uint64_t>(n); }
std::uint64_t search_stream(std::size_t n) { return 2 * static_cast<std::uint64_t>(n) + 1; }

// Latin hypercube: each dimension's [0, 1] is cut into `count` strata and every stratum
// receives exactly one point, at a random position inside it.
Eigen::MatrixXd latin_hypercube(Eigen::Index d, int count, Random& rng) {
  Eigen::MatrixXd design(d, count);
  std::vector<int> strata(static_cast<std::size_t>(count));
  for (Eigen::Index i = 0; i < d; ++i) {
    std::iota(strata.begin(), strata.end(), 0);
    for (std::size_t j = strata.size(); j > 1; --j) std::swap(strata[j - 1], strata[rng.index(j)]);
    for (int j = 0; j < count; ++j) design(i, j) = (strata[static_cast<std::size_t>(j)] + rng.uniform()) / count;
  }
  return design;
}

Eigen::VectorXd uniform_point(Eigen::Index d, Random& rng) {
  Eigen::VectorXd u(d);
  for (Eigen::Index i = 0; i < d; ++i) u[i] = rng.uniform();
  return u;
}

}  // namespace

Optimizer::Optimizer(Space space, Options options) : space_(std::move(space)), options_(options) {
  if (space_.size() == 0) throw Error("bo::Optimizer: the space has no dimensions");
  unit_points_.resize(static_cast<Eigen::Index>(space_.size()), 0);
  start_epoch();
}

void Optimizer::start_epoch() {
  epoch_begin_ = values_.size();
  Random rng(options_.seed, kDesignStream - epochs_);
  design_ = latin_hypercube(unit_points_.rows(), std::max(1, options_.initial_random), rng);
  model_.reset();  // a fresh model: the old one's length scales describe the old basin
  ++epochs_;
}

std::vector<double> Optimizer::suggest() {
  const std::size_t n = values_.size();
  const std::size_t in_epoch = n - epoch_begin_;
  if (in_epoch < static_cast<std::size_t>(design_.cols()))
    return space_.from_unit(design_.col(static_cast<Eigen::Index>(in_epoch)));

  if (!model_ || model_observations_ != n) refit_model();
  const GaussianProcess& gp = *model_;
  const Eigen::MatrixXd& epoch_points = gp.inputs();

  // Incumbent = best posterior mean at an observed point, not the best raw value: with
  // noisy observations a lucky outlier would otherwise set a bar nothing can clear.
  Eigen::VectorXd means, variances;
  gp.predict_many(epoch_points, means, variances);
  const double incumbent = means.maxCoeff();

  std::vector<Eigen::Index> order(in_epoch);
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](Eigen::Index a, Eigen::Index b) {
    return values_[epoch_begin_ + static_cast<std::size_t>(a)] > values_[epoch_begin_ + static_cast<std::size_t>(b)];
  });
  const Eigen::Index anchor_count = std::min<Eigen::Index>(kAnchors, static_cast<Eigen::Index>(in_epoch));
  Eigen::MatrixXd anchors(epoch_points.rows(), anchor_count);
  for (Eigen::Index j = 0; j < anchor_count; ++j) anchors.col(j) = epoch_points.col(order[static_cast<std::size_t>(j)]);

  Acquisition acquisition;
  acquisition.kind = options_.acquisition;
  acquisition.beta = options_.ucb_beta;
  acquisition.margin = options_.improvement_margin * gp.standardisation().scale;
  AcquisitionSearchOptions search;
  search.candidates = options_.acquisition_candidates;
  search.local_starts = options_.acquisition_local_starts;

  Random rng(options_.seed, search_stream(n));
  for (const ScoredPoint& maximum : maximise_acquisition(gp, acquisition, incumbent, anchors, rng, search)) {
    // Snap first (integer dimensions), then skip points we already know: a repeat
    // evaluation of a deterministic metric would waste budget.
    std::vector<double> x = space_.from_unit(maximum.x);
    if (!already_observed(space_.to_unit(x))) return x;
  }
  return space_.from_unit(uniform_point(unit_points_.rows(), rng));  // every maximum was a repeat
}

void Optimizer::observe(const std::vector<double>& x, double y) {
  const Eigen::VectorXd unit = space_.to_unit(x);  // validates size and bounds
  if (!std::isfinite(y)) throw Error("bo::Optimizer: observed value is not finite");
  const Eigen::Index column = unit_points_.cols();
  unit_points_.conservativeResize(Eigen::NoChange, column + 1);
  unit_points_.col(column) = unit;
  points_.push_back(space_.from_unit(unit));  // the snapped, clamped version of x
  values_.push_back(y);
  if (y > values_[best_index_]) best_index_ = values_.size() - 1;
  if (epoch_converged()) start_epoch();
}

std::size_t Optimizer::epoch_best() const {
  std::size_t best = epoch_begin_;
  for (std::size_t i = epoch_begin_ + 1; i < values_.size(); ++i)
    if (values_[i] > values_[best]) best = i;
  return best;
}

bool Optimizer::epoch_converged() const {
  if (options_.restart_patience <= 0) return false;
  const auto patience = static_cast<std::size_t>(options_.restart_patience);
  const std::size_t n = values_.size();
  // Only model-based suggestions count: design points are spread out on purpose.
  if (n - epoch_begin_ < static_cast<std::size_t>(design_.cols()) + patience) return false;
  const Eigen::VectorXd best = unit_points_.col(static_cast<Eigen::Index>(epoch_best()));
  for (std::size_t i = n - patience; i < n; ++i)
    if ((unit_points_.col(static_cast<Eigen::Index>(i)) - best).lpNorm<Eigen::Infinity>() > options_.restart_radius)
      return false;
  return true;
}

const std::vector<double>& Optimizer::best_x() const {
  if (values_.empty()) throw Error("bo::Optimizer: nothing observed yet");
  return points_[best_index_];
}

double Optimizer::best_y() const {
  if (values_.empty()) throw Error("bo::Optimizer: nothing observed yet");
  return values_[best_index_];
}

void Optimizer::refit_model() {
  const std::size_t n = values_.size();
  const auto count = static_cast<Eigen::Index>(n - epoch_begin_);
  const Eigen::MatrixXd x = unit_points_.middleCols(static_cast<Eigen::Index>(epoch_begin_), count);
  const Eigen::VectorXd y = Eigen::Map<const Eigen::VectorXd>(values_.data() + epoch_begin_, count);
  Random rng(options_.seed, fit_stream(n));
  HyperparameterFitOptions fit;
  fit.random_restarts = options_.hyperparameter_restarts;
  std::optional<GpHyperparameters> warm_start;
  if (model_) warm_start = model_->hyperparameters();
  GpHyperparameters h = fit_hyperparameters(x, y, rng, warm_start, fit);
  model_.emplace(x, y, std::move(h));
  model_observations_ = n;
}

bool Optimizer::already_observed(const Eigen::VectorXd& unit) const {
  for (Eigen::Index j = 0; j < unit_points_.cols(); ++j)
    if ((unit_points_.col(j) - unit).lpNorm<Eigen::Infinity>() < 1e-9) return true;
  return false;
}

Result maximize(const Objective& f, const Space& space, int budget, const Options& options) {
  Optimizer optimizer(space, options);
  return maximize(f, optimizer, budget);
}

Result minimize(const Objective& f, const Space& space, int budget, const Options& options) {
  Optimizer optimizer(space, options);
  return minimize(f, optimizer, budget);
}

}  // namespace mbi::bo
