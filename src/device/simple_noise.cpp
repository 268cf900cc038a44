#include "mbi/device/simple_noise.hpp"

#include <cmath>
#include <string>

#include "mbi/core/error.hpp"

namespace mbi::device {

void TelegraphNoise::validate() const {
  if (!(amplitude >= 0 && amplitude <= 1)) throw Error("telegraph noise: amplitude must be in [0, 1]");
  if (!(occupancy >= 0 && occupancy <= 1)) throw Error("telegraph noise: occupancy must be in [0, 1]");
  if (!(rate > 0 && rate <= 1)) throw Error("telegraph noise: rate must be in (0, 1]");
}

double TelegraphNoise::read(double g, bool& trapped, Random& random) const {
  // Redraw the state with probability `rate` from the long-run distribution: the chain then
  // goes 0 -> 1 with probability rate occupancy and 1 -> 0 with rate (1 - occupancy).
  if (random.uniform() < rate) trapped = random.uniform() < occupancy;
  return g * (1 - amplitude * (trapped ? 1.0 : 0.0));
}

double TelegraphNoise::stddev(double g) const {
  return std::abs(g) * amplitude * std::sqrt(occupancy * (1 - occupancy));
}

void DigitalFaults::validate() const {
  if (!(flip_probability >= 0 && flip_probability <= 1)) throw Error("digital faults: flip_probability must be in [0, 1]");
  if (!(stuck_at_zero >= 0 && stuck_at_one >= 0 && stuck_at_zero + stuck_at_one <= 1))
    throw Error("digital faults: stuck_at_zero and stuck_at_one must be >= 0 and add up to at most 1");
}

Stuck DigitalFaults::draw_stuck(Random& random) const {
  const double u = random.uniform();
  if (u < stuck_at_zero) return Stuck::at_zero;
  if (u < stuck_at_zero + stuck_at_one) return Stuck::at_one;
  return Stuck::none;
}

bool DigitalFaults::read(bool stored, Stuck stuck, Random& random) const {
  if (stuck == Stuck::at_zero) return false;
  if (stuck == Stuck::at_one) return true;
  return flip_probability > 0 && random.uniform() < flip_probability ? !stored : stored;
}

}  // namespace mbi::device
