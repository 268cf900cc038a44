// FAISS's Hamming kernel at its best on this CPU. Debian's libfaiss is built for baseline
// x86-64, so IndexBinaryFlat (faiss_bench.cpp) counts bits with libgcc's software popcount
// (__popcountdi2), not the POPCNT instruction: comparing our POPCNT or AVX2 paths with it
// measures the build, not the search. Here FAISS's own kernel (HammingComputerDefault, inline
// in its headers, as IndexBinaryFlat uses it for 40- and 48-byte codes) runs in the same
// nearest-key loop twice: compiled for baseline x86-64 (software popcount, as Debian's library
// does it) and for POPCNT (target attribute; what a FAISS built with -mpopcnt or -march=native
// does). Same keys and queries as faiss_bench.cpp; both must find mbi's nearest distance.
#include <benchmark/benchmark.h>
#include <faiss/utils/hamming.h>

#include <climits>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>

#include "bench_data.hpp"
#include "mbi/search/exhaustive.hpp"

namespace mbi::bench {
namespace {

constexpr std::size_t kQueries = 256;

struct Codes {
  std::size_t words;
  std::vector<std::uint64_t> keys, queries;
  explicit Codes(std::size_t w) : words(w) {
    const KeyLayout layout = w == 5 ? ram_layout() : ram_layout_6();
    keys = clustered_keys(layout, kTableRows, 4000, 12, 1);  // as faiss_bench.cpp
    queries = queries_near(layout, keys, kQueries, 6, 2);
  }
  const std::uint8_t* key(std::size_t i) const { return reinterpret_cast<const std::uint8_t*>(keys.data() + i * words); }
  const std::uint8_t* query(std::size_t q) const {
    return reinterpret_cast<const std::uint8_t*>(queries.data() + q * words);
  }
};

// The nearest key by FAISS's kernel: what IndexBinaryFlat's k = 1 search computes per query.
template <typename Kernel>
inline int faiss_nearest_loop(const Codes& c, std::size_t q) {
  const Kernel hc(c.query(q), static_cast<int>(8 * c.words));
  int best = INT_MAX;
  for (std::size_t i = 0; i < kTableRows; ++i) {
    const int d = hc.hamming(c.key(i));
    best = d < best ? d : best;
  }
  return best;
}
__attribute__((noinline)) int faiss_nearest_software(const Codes& c, std::size_t q) {
  return faiss_nearest_loop<faiss::HammingComputerDefault>(c, q);
}
__attribute__((noinline, target("popcnt"))) int faiss_nearest_popcnt(const Codes& c, std::size_t q) {
  return faiss_nearest_loop<faiss::HammingComputerDefault>(c, q);
}

const Codes& codes(std::size_t words) {
  static std::map<std::size_t, std::unique_ptr<Codes>> all;
  auto& c = all[words];
  if (!c) {
    c = std::make_unique<Codes>(words);
    const std::vector<std::uint32_t> ones(words, 1);
    for (std::size_t q = 0; q < kQueries; ++q) {
      const std::uint32_t expected =
          exhaustive_nearest(std::span<const std::uint64_t>(c->queries.data() + q * words, words), c->keys, ones).distance;
      if (static_cast<std::uint32_t>(faiss_nearest_software(*c, q)) != expected ||
          static_cast<std::uint32_t>(faiss_nearest_popcnt(*c, q)) != expected) {
        std::fprintf(stderr, "FAISS's kernel and mbi disagree on query %zu\n", q);
        std::abort();
      }
    }
  }
  return *c;
}

void FaissKernel(benchmark::State& state, bool popcnt) {
  const Codes& c = codes(static_cast<std::size_t>(state.range(0)));
  std::size_t q = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(popcnt ? faiss_nearest_popcnt(c, q) : faiss_nearest_software(c, q));
    q = q + 1 == kQueries ? 0 : q + 1;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["keys/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * kTableRows), benchmark::Counter::kIsRate);
}
BENCHMARK_CAPTURE(FaissKernel, software, false)
    ->Name("Faiss/kernel_software_popcount")
    ->ArgName("words")
    ->Arg(5)
    ->Arg(6)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(FaissKernel, popcnt, true)
    ->Name("Faiss/kernel_popcnt")
    ->ArgName("words")
    ->Arg(5)
    ->Arg(6)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mbi::bench
