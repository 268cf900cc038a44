// Associative-processor simulator throughput, one core: an accumulation (a 4-bit unsigned
// activation into a 16-bit signed partial sum, 35 compare/write passes) over R rows.
// `row_bit_ops` counts rows x key bits compared plus tagged rows x bits written per second,
// the simulator's unit of work; `row_passes` counts rows x passes per second.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <random>

#include "mbi/ap/arithmetic.hpp"

namespace {

void BM_ApAccumulate(benchmark::State& state) {
  const auto rows = static_cast<std::size_t>(state.range(0));
  const mbi::ap::Field sum{0, 16, true}, activation{16, 4, false};
  const std::uint32_t carry = 20;
  mbi::ap::CamArray cam(rows, 21);
  std::mt19937_64 rng(1);
  for (std::size_t r = 0; r < rows; ++r) {
    mbi::ap::store_value(cam, r, activation, static_cast<std::int64_t>(rng() % 16));
    mbi::ap::store_value(cam, r, sum, static_cast<std::int64_t>(rng() % 1000));
  }
  cam.reset_counts();
  for (auto _ : state) {
    mbi::ap::add(cam, sum, activation, carry);
    benchmark::ClobberMemory();
  }
  const mbi::ap::OpCounts& n = cam.counts();
  state.counters["row_bit_ops"] = benchmark::Counter(static_cast<double>(n.compare_row_bits + n.write_row_bits),
                                                     benchmark::Counter::kIsRate);
  state.counters["row_passes"] =
      benchmark::Counter(static_cast<double>(n.compares * rows), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_ApAccumulate)->Arg(1 << 10)->Arg(1 << 16)->Arg(1 << 20);

}  // namespace
