#pragma once
// How far an approximate distance (a coding, or the whole hardware model) strays from the
// exact weighted Manhattan distance, on random keys.
//
// Sampling: each query is uniform over every value's levels; each of its `pool` keys is the
// query with every value independently redrawn (uniformly) with probability
// `resample_probability`, so keys resemble their query as they do in a tree leaf.
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "mbi/hw/coding.hpp"
#include "mbi/search/key_layout.hpp"

namespace mbi::hw {

struct ErrorSampling {
  std::size_t queries = 400;
  std::size_t pool = 32;  // keys per query (one leaf of the paper's tree)
  double resample_probability = 0.5;
  std::uint64_t seed = 1;
};

struct DistanceErrorStats {
  std::size_t pairs = 0;
  double mean_exact = 0.0;          // mean exact distance, for scale
  double mean_abs_error = 0.0;
  double max_abs_error = 0.0;
  double rank_correlation = 0.0;    // Spearman, over all (query, key) pairs
  double nn_agreement = 0.0;        // fraction of queries whose approximate nearest key is an exact nearest key
};

// approx(query, keys, out): distances of `query` to the keys stored back to back.
using DistanceFunction =
    std::function<void(std::span<const std::uint8_t>, std::span<const std::uint8_t>, std::span<double>)>;

// Exact reference: sum over segments of weight * Manhattan distance.
DistanceErrorStats measure_distance_error(const std::vector<SegmentSpec>& segments,
                                          std::span<const double> segment_weights, const DistanceFunction& approx,
                                          const ErrorSampling& sampling);

// The coding's own error: sum of weight * coded_distance (no devices, no ADC).
DistanceErrorStats coding_error(const std::vector<SegmentSpec>& segments, std::span<const double> segment_weights,
                                Coding coding, const ErrorSampling& sampling);

// Spearman rank correlation (average ranks for ties). 0 when either side is constant.
double spearman(std::span<const double> a, std::span<const double> b);

}  // namespace mbi::hw
