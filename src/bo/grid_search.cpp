#include "mbi/bo/grid_search.hpp"

#include <cmath>
#include <utility>

#include "mbi/core/random.hpp"
#include "mbi/core/error.hpp"

namespace mbi::bo {
namespace {

// Largest m with m^d <= budget, in integers (pow(27, 1.0/3) may round to 2.9999...).
int levels_for(int budget, std::size_t d) {
  const auto fits = [&](int m) {
    double total = 1.0;
    for (std::size_t i = 0; i < d; ++i) total *= m;
    return total <= budget;
  };
  int m = 1;
  while (fits(m + 1)) ++m;
  return m;
}

}  // namespace

GridSearch::GridSearch(Space space, int budget, std::uint64_t seed)
    : space_(std::move(space)), seed_(seed), levels_(0) {
  if (budget < 1) throw Error("bo::GridSearch: the evaluation budget must be at least 1");
  const std::size_t d = space_.size();
  levels_ = levels_for(budget, d);
  Eigen::Index count = 1;
  for (std::size_t i = 0; i < d; ++i) count *= levels_;
  grid_.resize(static_cast<Eigen::Index>(d), count);
  for (Eigen::Index j = 0; j < count; ++j) {
    Eigen::Index rest = j;  // mixed-radix digits of j are the per-dimension levels
    for (std::size_t i = 0; i < d; ++i) {
      grid_(static_cast<Eigen::Index>(i), j) = (static_cast<double>(rest % levels_) + 0.5) / levels_;
      rest /= levels_;
    }
  }
  Random rng(seed_, UINT64_MAX);  // a stream of its own, apart from the per-trial ones
  for (Eigen::Index j = count - 1; j > 0; --j)  // Fisher-Yates
    grid_.col(j).swap(grid_.col(static_cast<Eigen::Index>(rng.index(static_cast<std::size_t>(j) + 1))));
}

std::vector<double> GridSearch::suggest() {
  if (observed_ < static_cast<std::uint64_t>(grid_.cols()))
    return space_.from_unit(grid_.col(static_cast<Eigen::Index>(observed_)));
  Random rng(seed_, observed_);
  Eigen::VectorXd unit(static_cast<Eigen::Index>(space_.size()));
  for (Eigen::Index i = 0; i < unit.size(); ++i) unit[i] = rng.uniform();
  return space_.from_unit(unit);
}

void GridSearch::observe(const std::vector<double>& x, double y) {
  space_.to_unit(x);
  if (!std::isfinite(y)) throw Error("bo::GridSearch: observed value is not finite");
  ++observed_;
}

}  // namespace mbi::bo
