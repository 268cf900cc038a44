#include "mbi/hw/distance_error.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"

namespace mbi::hw {
namespace {

std::vector<double> ranks(std::span<const double> x) {
  std::vector<std::size_t> order(x.size());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::sort(order.begin(), order.end(), [&](std::size_t i, std::size_t j) { return x[i] < x[j]; });
  std::vector<double> r(x.size());
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i;
    while (j + 1 < order.size() && x[order[j + 1]] == x[order[i]]) ++j;
    const double average = 0.5 * static_cast<double>(i + j);
    for (std::size_t t = i; t <= j; ++t) r[order[t]] = average;
    i = j + 1;
  }
  return r;
}

}  // namespace

double spearman(std::span<const double> a, std::span<const double> b) {
  const std::vector<double> ra = ranks(a), rb = ranks(b);
  const double n = static_cast<double>(a.size());
  const double mean_a = std::accumulate(ra.begin(), ra.end(), 0.0) / n;
  const double mean_b = std::accumulate(rb.begin(), rb.end(), 0.0) / n;
  double sab = 0, saa = 0, sbb = 0;
  for (std::size_t i = 0; i < ra.size(); ++i) {
    sab += (ra[i] - mean_a) * (rb[i] - mean_b);
    saa += (ra[i] - mean_a) * (ra[i] - mean_a);
    sbb += (rb[i] - mean_b) * (rb[i] - mean_b);
  }
  return saa > 0 && sbb > 0 ? sab / std::sqrt(saa * sbb) : 0.0;
}

DistanceErrorStats measure_distance_error(const std::vector<SegmentSpec>& segments,
                                          std::span<const double> segment_weights, const DistanceFunction& approx,
                                          const ErrorSampling& sampling) {
  if (segment_weights.size() != segments.size()) throw Error("expected one weight per segment");
  if (sampling.queries == 0 || sampling.pool == 0) throw Error("error sampling needs queries and keys");
  std::vector<std::uint32_t> levels;
  std::vector<double> weight;
  for (std::size_t s = 0; s < segments.size(); ++s)
    for (std::uint32_t i = 0; i < segments[s].values; ++i) {
      levels.push_back(segments[s].levels);
      weight.push_back(segment_weights[s]);
    }
  const std::size_t width = levels.size();

  Random rng(sampling.seed, 0xE44);
  std::vector<std::uint8_t> query(width), keys(sampling.pool * width);
  std::vector<double> exact(sampling.pool), got(sampling.pool);
  std::vector<double> all_exact, all_got;
  all_exact.reserve(sampling.queries * sampling.pool);
  all_got.reserve(sampling.queries * sampling.pool);
  DistanceErrorStats stats;
  std::size_t agree = 0;
  for (std::size_t qi = 0; qi < sampling.queries; ++qi) {
    for (std::size_t v = 0; v < width; ++v) query[v] = static_cast<std::uint8_t>(rng.index(levels[v]));
    for (std::size_t k = 0; k < sampling.pool; ++k) {
      double d = 0.0;
      for (std::size_t v = 0; v < width; ++v) {
        std::uint8_t value = query[v];
        if (rng.uniform() < sampling.resample_probability) value = static_cast<std::uint8_t>(rng.index(levels[v]));
        keys[k * width + v] = value;
        d += weight[v] * std::abs(static_cast<int>(value) - static_cast<int>(query[v]));
      }
      exact[k] = d;
    }
    approx(query, keys, got);
    const std::size_t best = static_cast<std::size_t>(std::min_element(got.begin(), got.end()) - got.begin());
    if (exact[best] <= *std::min_element(exact.begin(), exact.end())) ++agree;
    for (std::size_t k = 0; k < sampling.pool; ++k) {
      const double err = std::abs(got[k] - exact[k]);
      stats.mean_abs_error += err;
      stats.max_abs_error = std::max(stats.max_abs_error, err);
      stats.mean_exact += exact[k];
    }
    all_exact.insert(all_exact.end(), exact.begin(), exact.end());
    all_got.insert(all_got.end(), got.begin(), got.end());
  }
  stats.pairs = all_exact.size();
  stats.mean_abs_error /= static_cast<double>(stats.pairs);
  stats.mean_exact /= static_cast<double>(stats.pairs);
  stats.rank_correlation = spearman(all_got, all_exact);
  stats.nn_agreement = static_cast<double>(agree) / static_cast<double>(sampling.queries);
  return stats;
}

DistanceErrorStats coding_error(const std::vector<SegmentSpec>& segments, std::span<const double> segment_weights,
                                Coding coding, const ErrorSampling& sampling) {
  std::vector<std::uint32_t> levels;
  std::vector<double> weight;
  for (std::size_t s = 0; s < segments.size(); ++s)
    for (std::uint32_t i = 0; i < segments[s].values; ++i) {
      levels.push_back(segments[s].levels);
      weight.push_back(segment_weights[s]);
    }
  const std::size_t width = levels.size();
  auto coded = [&](std::span<const std::uint8_t> query, std::span<const std::uint8_t> keys, std::span<double> out) {
    for (std::size_t k = 0; k < out.size(); ++k) {
      double d = 0.0;
      for (std::size_t v = 0; v < width; ++v) d += weight[v] * coded_distance(keys[k * width + v], query[v], levels[v], coding);
      out[k] = d;
    }
  };
  return measure_distance_error(segments, segment_weights, coded, sampling);
}

}  // namespace mbi::hw
