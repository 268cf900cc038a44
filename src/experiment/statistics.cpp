#include "mbi/experiment/statistics.hpp"

#include <algorithm>
#include <cstddef>

namespace mbi::experiment {

double percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const auto k = static_cast<std::size_t>(std::clamp(p / 100.0 * static_cast<double>(v.size() - 1), 0.0,
                                                      static_cast<double>(v.size() - 1)));
  return v[k];
}

}  // namespace mbi::experiment
