#include "mbi/bo/test_functions.hpp"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>
#include <utility>

#include "mbi/core/error.hpp"

namespace mbi::bo {
namespace {

void expect_size(const std::vector<double>& x, std::size_t size, const char* name) {
  if (x.size() != size) throw Error(std::string("bo::") + name + ": expected " + std::to_string(size) + " coordinates");
}

Space cube(int dimensions, double lower, double upper, const char* name) {
  if (dimensions < 1) throw Error(std::string("bo::") + name + "_problem: needs at least one dimension");
  std::vector<Dimension> dims;
  for (int i = 0; i < dimensions; ++i) {
    std::string label = "x";  // appended, not "x" + ...: GCC 12 warns falsely (-Wrestrict) on that
    label += std::to_string(i + 1);
    dims.push_back({std::move(label), lower, upper});
  }
  return Space(std::move(dims));
}

}  // namespace

double branin(const std::vector<double>& x) {
  expect_size(x, 2, "branin");
  constexpr double pi = std::numbers::pi;
  const double b = 5.1 / (4.0 * pi * pi), c = 5.0 / pi, r = 6.0, s = 10.0, t = 1.0 / (8.0 * pi);
  const double u = x[1] - b * x[0] * x[0] + c * x[0] - r;
  return u * u + s * (1.0 - t) * std::cos(x[0]) + s;
}

double hartmann6(const std::vector<double>& x) {
  expect_size(x, 6, "hartmann6");
  static constexpr double alpha[4] = {1.0, 1.2, 3.0, 3.2};
  static constexpr double a[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                     {0.05, 10, 17, 0.1, 8, 14},
                                     {3, 3.5, 1.7, 10, 17, 8},
                                     {17, 8, 0.05, 10, 0.1, 14}};
  static constexpr double p[4][6] = {{0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886},
                                     {0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991},
                                     {0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650},
                                     {0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381}};
  double sum = 0.0;
  for (int i = 0; i < 4; ++i) {
    double exponent = 0.0;
    for (int j = 0; j < 6; ++j) exponent += a[i][j] * (x[j] - p[i][j]) * (x[j] - p[i][j]);
    sum += alpha[i] * std::exp(-exponent);
  }
  return -sum;
}

double ackley(const std::vector<double>& x) {
  if (x.empty()) throw Error("bo::ackley: needs at least one coordinate");
  const double n = static_cast<double>(x.size());
  double squares = 0.0, cosines = 0.0;
  for (double v : x) {
    squares += v * v;
    cosines += std::cos(2.0 * std::numbers::pi * v);
  }
  return -20.0 * std::exp(-0.2 * std::sqrt(squares / n)) - std::exp(cosines / n) + 20.0 + std::numbers::e;
}

double rosenbrock(const std::vector<double>& x) {
  if (x.size() < 2) throw Error("bo::rosenbrock: needs at least two coordinates");
  double sum = 0.0;
  for (std::size_t i = 0; i + 1 < x.size(); ++i) {
    const double a = x[i + 1] - x[i] * x[i];
    const double b = 1.0 - x[i];
    sum += 100.0 * a * a + b * b;
  }
  return sum;
}

TestProblem branin_problem() {
  return {"branin", branin, Space({{"x1", -5.0, 10.0}, {"x2", 0.0, 15.0}}), 0.397887, {std::numbers::pi, 2.275}};
}

TestProblem hartmann6_problem() {
  return {"hartmann6", hartmann6, cube(6, 0.0, 1.0, "hartmann6"), -3.32237,
          {0.20169, 0.150011, 0.476874, 0.275332, 0.311652, 0.6573}};
}

TestProblem ackley_problem(int dimensions) {
  return {"ackley" + std::to_string(dimensions), ackley, cube(dimensions, -32.768, 32.768, "ackley"), 0.0,
          std::vector<double>(static_cast<std::size_t>(std::max(dimensions, 0)), 0.0)};
}

TestProblem rosenbrock_problem(int dimensions) {
  if (dimensions < 2) throw Error("bo::rosenbrock_problem: needs at least two dimensions");
  return {"rosenbrock" + std::to_string(dimensions), rosenbrock, cube(dimensions, -5.0, 10.0, "rosenbrock"), 0.0,
          std::vector<double>(static_cast<std::size_t>(dimensions), 1.0)};
}

}  // namespace mbi::bo
