#include "mbi/device/pcm_weight_noise.hpp"

#include <cmath>
#include <string>

#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"

namespace mbi::device {

WeightNoiseTable pcm_weight_noise(const PcmModel& model, double seconds, bool drift_compensation, int points,
                                  std::size_t pairs, std::uint64_t seed, int slices) {
  if (points < 2 || pairs < 2) throw Error("PCM weight noise: at least 2 magnitudes and 2 pairs");
  if (!(seconds >= 0 && std::isfinite(seconds))) throw Error("PCM weight noise: seconds must be >= 0");
  if (slices < 0 || slices > 16) throw Error("PCM weight noise: slices must be 0 to 16, not " + std::to_string(slices));
  const double g_max = model.parameters().g_max;
  const int levels = slices > 0 ? (1 << slices) - 1 : 0;
  Random random(seed);
  double programmed = 0, read = 0;
  // One stored weight read back: a pair of cells, or one pair per slice weighted by significance.
  const auto draw_pair = [&](double plus_target, double significance) {
    const PcmCell plus = model.program(plus_target, random), minus = model.program(0.0, random);
    const double a = model.read(plus, seconds, random), b = model.read(minus, seconds, random);
    programmed += plus.programmed + minus.programmed;
    read += a + b;
    return significance * (a - b) / g_max;
  };
  // Samples per distinct stored value: per magnitude, or per level with slices.
  const int values = slices > 0 ? levels + 1 : points;
  std::vector<std::vector<double>> differences(static_cast<std::size_t>(values));
  for (int v = 0; v < values; ++v) {
    auto& d = differences[static_cast<std::size_t>(v)];
    d.reserve(pairs);
    for (std::size_t k = 0; k < pairs; ++k) {
      if (slices == 0) {
        d.push_back(draw_pair(static_cast<double>(v) / (points - 1) * g_max, 1.0));
        continue;
      }
      double sum = 0;
      for (int bit = 0; bit < slices; ++bit)
        sum += draw_pair(((v >> bit) & 1) ? g_max : 0.0, static_cast<double>(1 << bit) / levels);
      d.push_back(sum);
    }
  }
  WeightNoiseTable t;
  t.compensation = drift_compensation && read > 0 ? programmed / read : 1.0;
  std::vector<double> mean, stddev;
  for (const auto& d : differences) {
    double m = 0, square = 0;
    for (const double x : d) m += x;
    m /= static_cast<double>(d.size());
    for (const double x : d) square += (x - m) * (x - m);
    mean.push_back(m * t.compensation);
    stddev.push_back(std::sqrt(square / static_cast<double>(d.size() - 1)) * t.compensation);
  }
  for (int i = 0; i < points; ++i) {
    const double u = static_cast<double>(i) / (points - 1);
    const auto v = static_cast<std::size_t>(slices > 0 ? std::lround(u * levels) : i);
    t.magnitude.push_back(u);
    t.mean.push_back(mean[v]);
    t.stddev.push_back(stddev[v]);
  }
  return t;
}

}  // namespace mbi::device
