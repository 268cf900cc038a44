// Distance kernel throughput, one run per available path: one query against a block of
// keys, as distances (one-to-many) and as the fused argmin the scans use. Items = keys.
#include <benchmark/benchmark.h>

#include <string>

#include "bench_data.hpp"
#include "mbi/search/distance.hpp"

namespace mbi::bench {
namespace {

enum class Kernel { distances, argmin };

void run_kernel(benchmark::State& state, DistancePath path, Kernel kernel) {
  const auto words = static_cast<std::size_t>(state.range(0));
  const auto n = static_cast<std::size_t>(state.range(1));
  std::mt19937_64 rng(42);
  std::vector<std::uint64_t> keys(n * words);
  for (auto& w : keys) w = rng();
  std::vector<std::uint64_t> query(words);
  for (auto& w : query) w = rng();
  const std::vector<std::uint32_t> weights(words, 17);
  std::vector<std::uint32_t> out(n);
  set_distance_path(path);
  for (auto _ : state) {
    if (kernel == Kernel::distances) {
      weighted_distances(query.data(), keys.data(), n, weights.data(), words, out.data());
      benchmark::DoNotOptimize(out.data());
    } else {
      benchmark::DoNotOptimize(weighted_argmin(query.data(), keys.data(), n, weights.data(), words));
    }
    benchmark::ClobberMemory();
  }
  reset_distance_path();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * n));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * n * words * 8));
}

// One benchmark per path and kernel; arguments: {words, keys}. 4096 keys stay in L2,
// 270000 keys (the real table, 11-13 MB) stream from L3/DRAM.
const bool registered = [] {
  for (DistancePath path : available_distance_paths()) {
    for (Kernel kernel : {Kernel::distances, Kernel::argmin}) {
      const std::string name = std::string("Distance/") + (kernel == Kernel::distances ? "many/" : "argmin/") +
                               std::string(distance_path_name(path));
      benchmark::RegisterBenchmark(name.c_str(), run_kernel, path, kernel)
          ->ArgNames({"words", "keys"})
          ->ArgsProduct({{5, 6}, {4096, static_cast<std::int64_t>(kTableRows)}});
    }
  }
  return true;
}();

}  // namespace
}  // namespace mbi::bench
