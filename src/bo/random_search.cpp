#include "mbi/bo/random_search.hpp"

#include <cmath>
#include <utility>

#include "mbi/core/random.hpp"
#include "mbi/core/error.hpp"

namespace mbi::bo {

RandomSearch::RandomSearch(Space space, std::uint64_t seed) : space_(std::move(space)), seed_(seed) {}

std::vector<double> RandomSearch::suggest() {
  Random rng(seed_, observed_);  // one stream per trial: suggest() is repeatable
  Eigen::VectorXd unit(static_cast<Eigen::Index>(space_.size()));
  for (Eigen::Index i = 0; i < unit.size(); ++i) unit[i] = rng.uniform();
  return space_.from_unit(unit);
}

void RandomSearch::observe(const std::vector<double>& x, double y) {
  space_.to_unit(x);  // validates x
  if (!std::isfinite(y)) throw Error("bo::RandomSearch: observed value is not finite");
  ++observed_;
}

}  // namespace mbi::bo
