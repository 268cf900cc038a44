#pragma once
// Order statistics the experiments report.
#include <vector>

namespace mbi::experiment {

// The p-th percentile (0..100) of `values` by nearest rank below (0 for none).
double percentile(std::vector<double> values, double p);

}  // namespace mbi::experiment
