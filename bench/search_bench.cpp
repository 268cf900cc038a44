// Tree search against exhaustive search on synthetic clustered keys of the real table's
// size and layout, one thread. Each benchmark cycles over the same 1000 queries (stored keys
// with a few values moved) and reports, besides time per query:
//   comparisons  mean distances computed per query (centroids + keys)
//   depth        mean tree level of the answer's leaf
//   exact        fraction of queries whose answer distance equals the exhaustive one
//   within10     fraction within 10 % of it (the paper's Fig. 4(c) criterion)
#include <benchmark/benchmark.h>

#include <chrono>
#include <ctime>
#include <memory>

#include "bench_data.hpp"
#include "mbi/search/exhaustive.hpp"
#include "mbi/search/kmeans_tree.hpp"

namespace mbi::bench {
namespace {

constexpr std::size_t kQueries = 1000;

struct Fixture {
  KeyLayout layout = ram_layout();
  std::size_t words = layout.words();
  std::vector<std::uint32_t> weights = layout.word_weights(std::vector<std::uint32_t>{30, 16, 10});
  std::vector<std::uint64_t> keys;  // tree order
  std::vector<std::uint64_t> queries;
  std::vector<std::uint32_t> best;  // exhaustive answer distance per query
  KMeansTree tree;
  double build_seconds = 0;
  double build_cpu_seconds = 0;  // differs from the wall time only on a busy machine

  Fixture() {
    // 270000 keys around 4000 centres, 12 values moved from the centre.
    const auto input = clustered_keys(layout, kTableRows, 4000, 12, 1);
    const auto start = std::chrono::steady_clock::now();
    const std::clock_t cpu_start = std::clock();
    KMeansTreeBuild built = build_kmeans_tree(input, weights);
    build_cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    tree = std::move(built.tree);
    keys.resize(input.size());
    for (std::size_t p = 0; p < built.order.size(); ++p)
      std::copy_n(input.begin() + built.order[p] * words, words, keys.begin() + p * words);
    queries = queries_near(layout, keys, kQueries, 6, 2);
    for (std::size_t q = 0; q < kQueries; ++q) best.push_back(exhaustive_nearest(query(q), keys, weights).distance);
  }
  std::span<const std::uint64_t> query(std::size_t q) const { return {queries.data() + q * words, words}; }
};

const Fixture& fixture() {
  static const auto f = std::make_unique<Fixture>();  // built once, on first use
  return *f;
}

void TreeBuild(benchmark::State& state) {
  const Fixture& f = fixture();
  for (auto _ : state) state.SetIterationTime(f.build_seconds);  // measured once in the fixture
  state.counters["nodes"] = static_cast<double>(f.tree.nodes().size());
  state.counters["max_depth"] = f.tree.max_depth();
  state.counters["cpu_s"] = f.build_cpu_seconds;
}
BENCHMARK(TreeBuild)->Name("Tree/build_270k")->UseManualTime()->Iterations(1)->Unit(benchmark::kSecond);

void TreeSearch(benchmark::State& state) {
  const Fixture& f = fixture();
  const auto probes = static_cast<std::uint32_t>(state.range(0));
  double comparisons = 0, depth = 0, exact = 0, within = 0;
  for (std::size_t q = 0; q < kQueries; ++q) {
    const SearchResult r = f.tree.search(f.query(q), f.keys, f.weights, probes);
    comparisons += r.comparisons;
    depth += r.depth;
    exact += r.distance == f.best[q];
    within += r.distance <= f.best[q] * 1.1;
  }
  std::size_t q = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(f.tree.search(f.query(q), f.keys, f.weights, probes));
    q = q + 1 == kQueries ? 0 : q + 1;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["comparisons"] = comparisons / kQueries;
  state.counters["depth"] = depth / kQueries;
  state.counters["exact"] = exact / kQueries;
  state.counters["within10"] = within / kQueries;
}
BENCHMARK(TreeSearch)->Name("Tree/search")->ArgName("probes")->Arg(1)->Arg(2)->Arg(4)->Arg(8)->Arg(16)->Arg(64);

void ExhaustiveSearch(benchmark::State& state) {
  const Fixture& f = fixture();
  std::size_t q = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(exhaustive_nearest(f.query(q), f.keys, f.weights));
    q = q + 1 == kQueries ? 0 : q + 1;
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations()));
  state.counters["comparisons"] = static_cast<double>(kTableRows);
  state.counters["exact"] = 1;
}
BENCHMARK(ExhaustiveSearch)->Name("Tree/exhaustive_270k")->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mbi::bench
