#include "mbi/bo/space.hpp"

#include <algorithm>
#include <cmath>
#include <utility>

#include "mbi/core/error.hpp"

namespace mbi::bo {
namespace {

// The interval that the unit coordinate spans, in linear or log units. Integer
// dimensions are widened by half a step on each side so that, after rounding, every
// value (ends included) gets the same share of [0, 1].
struct Span {
  double low;
  double high;
};

Span span_of(const Dimension& d) {
  const double widen = d.integer ? 0.5 : 0.0;
  const double low = d.lower - widen;
  const double high = d.upper + widen;
  if (d.log_scale) return {std::log(low), std::log(high)};
  return {low, high};
}

}  // namespace

Space::Space(std::vector<Dimension> dimensions) : dimensions_(std::move(dimensions)) {
  if (dimensions_.empty()) throw Error("bo::Space: at least one dimension is needed");
  for (std::size_t i = 0; i < dimensions_.size(); ++i) {
    const Dimension& d = dimensions_[i];
    const std::string label = "bo::Space: dimension " + std::to_string(i) +
                              (d.name.empty() ? std::string() : " ('" + d.name + "')");
    if (!std::isfinite(d.lower) || !std::isfinite(d.upper) || !(d.lower < d.upper))
      throw Error(label + " needs finite bounds with lower < upper");
    if (d.log_scale && !(d.lower > 0.0)) throw Error(label + " is log-scaled and needs lower > 0");
    if (d.integer && (d.lower != std::round(d.lower) || d.upper != std::round(d.upper)))
      throw Error(label + " is integer and needs whole-number bounds");
  }
}

std::vector<double> Space::from_unit(const Eigen::VectorXd& unit) const {
  if (static_cast<std::size_t>(unit.size()) != size())
    throw Error("bo::Space::from_unit: expected " + std::to_string(size()) + " coordinates");
  std::vector<double> x(size());
  for (std::size_t i = 0; i < size(); ++i) {
    const Dimension& d = dimensions_[i];
    const Span s = span_of(d);
    const double u = std::clamp(unit[static_cast<Eigen::Index>(i)], 0.0, 1.0);
    double v = s.low + u * (s.high - s.low);
    if (d.log_scale) v = std::exp(v);
    if (d.integer) v = std::round(v);
    x[i] = std::clamp(v, d.lower, d.upper);
  }
  return x;
}

Eigen::VectorXd Space::to_unit(const std::vector<double>& x) const {
  if (x.size() != size())
    throw Error("bo::Space::to_unit: expected " + std::to_string(size()) + " coordinates, got " +
                std::to_string(x.size()));
  Eigen::VectorXd unit(static_cast<Eigen::Index>(size()));
  for (std::size_t i = 0; i < size(); ++i) {
    const Dimension& d = dimensions_[i];
    const double slack = 1e-9 * (d.upper - d.lower);
    if (!std::isfinite(x[i]) || x[i] < d.lower - slack || x[i] > d.upper + slack)
      throw Error("bo::Space: coordinate " + std::to_string(i) + " = " + std::to_string(x[i]) +
                  " lies outside [" + std::to_string(d.lower) + ", " + std::to_string(d.upper) + "]");
    const Span s = span_of(d);
    const double v = std::clamp(x[i], d.lower, d.upper);
    const double t = d.log_scale ? std::log(v) : v;
    unit[static_cast<Eigen::Index>(i)] = std::clamp((t - s.low) / (s.high - s.low), 0.0, 1.0);
  }
  return unit;
}

}  // namespace mbi::bo
