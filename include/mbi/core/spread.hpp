#pragma once
// The spread of a measurement repeated over devices or seeds: mean, sample standard deviation
// (0 for one value), smallest and largest. One definition for every study that reports
// "mean +- sd over N devices".
#include <algorithm>
#include <cmath>
#include <vector>

namespace mbi {

struct Spread {
  double mean = 0, stddev = 0, min = 0, max = 0;
};

// Throws nothing; an empty list gives zeros.
inline Spread spread_of(const std::vector<double>& values) {
  Spread s;
  if (values.empty()) return s;
  const auto n = static_cast<double>(values.size());
  double square = 0;
  for (const double v : values) s.mean += v;
  s.mean /= n;
  for (const double v : values) square += (v - s.mean) * (v - s.mean);
  s.stddev = values.size() > 1 ? std::sqrt(square / (n - 1)) : 0.0;
  const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
  s.min = *lo;
  s.max = *hi;
  return s;
}

}  // namespace mbi
