#pragma once
// Baseline: points drawn uniformly from the space (log-uniform on log dimensions,
// uniform over the values of integer dimensions), ignoring every observation.
#include <cstdint>
#include <vector>

#include "mbi/bo/searcher.hpp"
#include "mbi/bo/space.hpp"

namespace mbi::bo {

class RandomSearch : public Searcher {
 public:
  RandomSearch(Space space, std::uint64_t seed);
  std::vector<double> suggest() override;
  void observe(const std::vector<double>& x, double y) override;

 private:
  Space space_;
  std::uint64_t seed_;
  std::uint64_t observed_ = 0;
};

}  // namespace mbi::bo
