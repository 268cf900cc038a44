#pragma once
// Baseline: a coarse full-factorial grid. With budget B in d dimensions the grid has
// m = floor(B^(1/d)) levels per dimension (the largest m with m^d <= B), placed at the
// cell centres (i + 0.5) / m of the unit cube, so that a 2-level grid probes the
// quartiles rather than the corners. The m^d grid points come in a seeded random
// order (a lexicographic order would make the best-so-far curve depend on where the
// optimum happens to lie); the remaining B - m^d evaluations are uniform random
// points, so every method spends the same budget.
#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "mbi/bo/searcher.hpp"
#include "mbi/bo/space.hpp"

namespace mbi::bo {

class GridSearch : public Searcher {
 public:
  GridSearch(Space space, int budget, std::uint64_t seed);
  std::vector<double> suggest() override;
  void observe(const std::vector<double>& x, double y) override;

  int levels() const { return levels_; }  // m
  Eigen::Index grid_size() const { return grid_.cols(); }  // m^d

 private:
  Space space_;
  std::uint64_t seed_;
  int levels_;
  Eigen::MatrixXd grid_;  // unit-cube points, columns, already shuffled
  std::uint64_t observed_ = 0;
};

}  // namespace mbi::bo
