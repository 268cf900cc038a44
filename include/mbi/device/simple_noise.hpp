#pragma once
// The plain device noise models every in-memory system is first tried against, each drawn
// from the one seeded source (core/random.hpp):
//   additive Gaussian        g + sigma N(0,1)                         (same spread at every level)
//   multiplicative Gaussian  g (1 + sigma N(0,1))                     (spread proportional to g)
//   random telegraph noise   a cell flips between a free state and a trapped one, which lowers
//                            its conductance by a fraction `amplitude`: g (1 - amplitude s),
//                            s in {0, 1}, a Markov chain with P(0 -> 1) = rate occupancy,
//                            P(1 -> 0) = rate (1 - occupancy) between reads; in the long run s
//                            is 1 a fraction `occupancy` of the reads, and consecutive reads
//                            correlate by 1 - rate (rate 1: independent reads)
//   digital cell faults      each bit read wrong with probability flip_probability; cells
//                            stuck at 0 or at 1 (decided once, when the array is made)
#include <cstdint>

#include "mbi/core/random.hpp"

namespace mbi::device {

struct GaussianNoise {
  double sigma = 0;            // additive: in conductance units; multiplicative: relative
  bool multiplicative = false;
  double read(double g, Random& random) const { return multiplicative ? g * (1 + sigma * random.normal()) : g + sigma * random.normal(); }
  double stddev(double g) const { return multiplicative ? sigma * (g < 0 ? -g : g) : sigma; }
};

struct TelegraphNoise {
  double amplitude = 0.1;  // fraction of the conductance lost in the trapped state (0..1)
  double occupancy = 0.5;  // long-run fraction of reads in the trapped state (0..1)
  double rate = 1.0;       // chance per read of redrawing the state (0..1]
  // Throws mbi::Error naming the parameter that is out of range.
  void validate() const;
  // A fresh cell's state, drawn from the long-run distribution.
  bool initial_state(Random& random) const { return random.uniform() < occupancy; }
  // One read of a cell holding `g` in state `trapped` (the state moves first).
  double read(double g, bool& trapped, Random& random) const;
  double mean(double g) const { return g * (1 - amplitude * occupancy); }
  double stddev(double g) const;
  double lag1_correlation() const { return 1 - rate; }
};

enum class Stuck : std::uint8_t { none = 0, at_zero = 1, at_one = 2 };

struct DigitalFaults {
  double flip_probability = 0;  // per bit per read
  double stuck_at_zero = 0;     // fraction of cells
  double stuck_at_one = 0;      // fraction of cells
  void validate() const;
  // A cell's permanent fault, drawn once.
  Stuck draw_stuck(Random& random) const;
  // One read of a bit stored in a cell with fault `stuck`.
  bool read(bool stored, Stuck stuck, Random& random) const;
};

}  // namespace mbi::device
