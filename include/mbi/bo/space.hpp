#pragma once
// The search space: a box with one Dimension per parameter. Optimizers work in the unit
// cube [0, 1]^d; Space maps between that cube and the caller's units, so log-scaled and
// integer parameters need no special care anywhere else.
#include <Eigen/Core>

#include <cstddef>
#include <string>
#include <vector>

namespace mbi::bo {

struct Dimension {
  std::string name;
  double lower = 0.0;
  double upper = 1.0;
  // Search uniformly in log(x): for learning rates, regularisation strengths and other
  // parameters whose effect is multiplicative. Needs lower > 0.
  bool log_scale = false;
  // Only whole numbers; lower and upper must be whole numbers too. Each value owns an
  // equal share of the unit interval, so the end values are not under-sampled.
  bool integer = false;
};

class Space {
 public:
  Space() = default;
  // Throws mbi::Error naming the first invalid dimension.
  explicit Space(std::vector<Dimension> dimensions);

  std::size_t size() const { return dimensions_.size(); }
  const Dimension& operator[](std::size_t i) const { return dimensions_[i]; }
  const std::vector<Dimension>& dimensions() const { return dimensions_; }

  // Unit-cube coordinates -> a point in caller units (log dimensions exponentiated,
  // integer dimensions rounded, everything clamped into its bounds).
  std::vector<double> from_unit(const Eigen::VectorXd& unit) const;
  // Caller units -> unit cube. Throws mbi::Error if x has the wrong size or lies outside
  // the box (beyond rounding error).
  Eigen::VectorXd to_unit(const std::vector<double>& x) const;

 private:
  std::vector<Dimension> dimensions_;
};

}  // namespace mbi::bo
