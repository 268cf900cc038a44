#pragma once
// Standard benchmark functions for black-box optimisers, as MINIMISATION problems with
// their usual domains and known global minima (Surjanovic & Bingham, "Virtual Library
// of Simulation Experiments").
#include <string>
#include <vector>

#include "mbi/bo/searcher.hpp"
#include "mbi/bo/space.hpp"

namespace mbi::bo {

// Branin-Hoo, x1 in [-5, 10], x2 in [0, 15]; three global minima of 0.397887.
double branin(const std::vector<double>& x);
// Hartmann 6-D on [0, 1]^6; global minimum -3.32237, and a local one near -3.20.
double hartmann6(const std::vector<double>& x);
// Ackley, any dimension, usually on [-32.768, 32.768]^d; minimum 0 at the origin.
double ackley(const std::vector<double>& x);
// Rosenbrock, any dimension >= 2, usually on [-5, 10]^d; minimum 0 at (1, ..., 1).
double rosenbrock(const std::vector<double>& x);

struct TestProblem {
  std::string name;
  Objective f;
  Space space;
  double minimum;                  // known global minimum value
  std::vector<double> minimizer;   // one point that attains it
};

TestProblem branin_problem();
TestProblem hartmann6_problem();
TestProblem ackley_problem(int dimensions);
TestProblem rosenbrock_problem(int dimensions);

}  // namespace mbi::bo
