#pragma once
// What a weight stored as a differential pair of PCM cells reads back, as a function of its
// magnitude: the device model's own noise in the form training needs (device-enhanced
// training, issue 17). A weight of magnitude u = |w| / w_max (0..1) is programmed as one cell
// at u g_max and its partner at 0 uS (analog_crossbar.hpp's plain mapping); `seconds` after
// programming both are read, and the difference is rescaled by the global drift compensation
// of all the pairs of the table (magnitudes spread evenly over 0..1, as a layer's would be
// roughly). The table gives, per magnitude, the mean and standard deviation of
// (g+ - g-) / g_max, so that training can replace u by mean(u) + stddev(u) N(0, 1).
//
// With `slices` S > 0 the weight is stored as the crossbar's low-fluctuation decomposition
// does: u rounded to L = 2^S - 1 levels, bit k of the level a cell at g_max or 0 uS (and its
// partner at 0 uS), the pairs read with significance 2^k / L. The table then holds the
// statistics of the level each magnitude rounds to (a staircase: give points >> L).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mbi/device/pcm.hpp"

namespace mbi::device {

struct WeightNoiseTable {
  std::vector<double> magnitude;  // 0 .. 1, evenly spaced
  std::vector<double> mean;       // of the read difference over g_max
  std::vector<double> stddev;
  double compensation = 1;        // the global drift compensation factor applied
};

// Monte Carlo over `pairs` pairs per magnitude (per level with slices); `points` magnitudes
// (>= 2). Throws mbi::Error for fewer than 2 points or 2 pairs, or slices outside 0..16.
WeightNoiseTable pcm_weight_noise(const PcmModel& model, double seconds, bool drift_compensation, int points,
                                  std::size_t pairs, std::uint64_t seed, int slices = 0);

}  // namespace mbi::device
