// Exhaustive nearest-key scan against FAISS IndexBinaryFlat over the same packed keys
// (270000 keys of 5 or 6 words, the real table's size), plain Hamming distance (all weights
// 1), one thread, one query per call as lookup inference issues them. FAISS is also run
// with 64 queries per call, its favourable batched mode; time is per query either way.
// Built only when FAISS is found.
#include <benchmark/benchmark.h>
#include <faiss/IndexBinaryFlat.h>
#include <omp.h>

#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>

#include "bench_data.hpp"
#include "mbi/search/distance.hpp"
#include "mbi/search/exhaustive.hpp"

namespace mbi::bench {
namespace {

constexpr std::size_t kQueries = 256;
using FaissId = faiss::IndexBinary::idx_t;  // faiss::idx_t in newer releases

struct Fixture {
  std::size_t words;
  std::vector<std::uint64_t> keys;
  std::vector<std::uint64_t> queries;
  std::vector<std::uint32_t> weights;
  std::unique_ptr<faiss::IndexBinaryFlat> index;

  explicit Fixture(std::size_t w) : words(w), weights(w, 1) {
    const KeyLayout layout = w == 5 ? ram_layout() : ram_layout_6();
    keys = clustered_keys(layout, kTableRows, 4000, 12, 1);
    queries = queries_near(layout, keys, kQueries, 6, 2);
    // Packed keys are little-endian words, so their bytes are a valid FAISS binary code of
    // 64 * words bits with the same Hamming distances.
    index = std::make_unique<faiss::IndexBinaryFlat>(static_cast<int>(64 * words));
    index->add(static_cast<FaissId>(kTableRows), reinterpret_cast<const std::uint8_t*>(keys.data()));
    // Both must find the same nearest distance, or the comparison is meaningless.
    for (std::size_t q = 0; q < kQueries; ++q) {
      int32_t distance = 0;
      FaissId label = 0;
      index->search(1, reinterpret_cast<const std::uint8_t*>(query(q).data()), 1, &distance, &label);
      if (static_cast<std::uint32_t>(distance) != exhaustive_nearest(query(q), keys, weights).distance) {
        std::fprintf(stderr, "FAISS and mbi disagree on query %zu\n", q);
        std::abort();
      }
    }
  }
  std::span<const std::uint64_t> query(std::size_t q) const { return {queries.data() + q * words, words}; }
};

const Fixture& fixture(std::size_t words) {
  static std::map<std::size_t, std::unique_ptr<Fixture>> fixtures;
  auto& f = fixtures[words];
  if (!f) f = std::make_unique<Fixture>(words);
  return *f;
}

void MbiExhaustive(benchmark::State& state, DistancePath path) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  set_distance_path(path);
  std::size_t q = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(exhaustive_nearest(f.query(q), f.keys, f.weights));
    q = q + 1 == kQueries ? 0 : q + 1;
  }
  reset_distance_path();
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["keys/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kTableRows), benchmark::Counter::kIsRate);
}

// Every path: Debian's FAISS is built for baseline x86-64, so its popcount is the
// software one, like our scalar path; the popcnt path shows what the instruction alone buys.
const bool registered = [] {
  for (DistancePath path : available_distance_paths()) {
    const std::string name = "Faiss/mbi_exhaustive/" + std::string(distance_path_name(path));
    benchmark::RegisterBenchmark(name.c_str(), MbiExhaustive, path)
        ->ArgName("words")
        ->Arg(5)
        ->Arg(6)
        ->Unit(benchmark::kMicrosecond);
  }
  return true;
}();

void FaissFlat(benchmark::State& state) {
  const Fixture& f = fixture(static_cast<std::size_t>(state.range(0)));
  const auto batch = static_cast<std::size_t>(state.range(1));
  omp_set_num_threads(1);
  std::vector<int32_t> distances(batch);
  std::vector<FaissId> labels(batch);
  std::size_t q = 0;
  for (auto _ : state) {
    f.index->search(static_cast<FaissId>(batch), reinterpret_cast<const std::uint8_t*>(f.query(q).data()), 1,
                    distances.data(), labels.data());
    benchmark::DoNotOptimize(distances.data());
    q = q + batch >= kQueries ? 0 : q + batch;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * batch));
  state.counters["keys/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * batch * kTableRows), benchmark::Counter::kIsRate);
}
BENCHMARK(FaissFlat)
    ->Name("Faiss/IndexBinaryFlat")
    ->ArgNames({"words", "batch"})
    ->ArgsProduct({{5, 6}, {1, 64}})
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mbi::bench
