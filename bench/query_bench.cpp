// What forming lookup queries costs per image, one thread: the integral image, then five
// quantised 3 x 4 x 4 glimpses (the published RAM) by the reference path (float pooling,
// then quantize_level) and by GlimpseQuantizer (integer sums against thresholds; the same
// levels), into packed keys from 32-bit and from 16-bit summed-area tables. Synthetic 28 x 28
// images with a quarter of the pixels inked, MNIST's mean and std.
//   ./mbi_bench --benchmark_filter=Query
#include <benchmark/benchmark.h>

#include <random>
#include <vector>

#include "mbi/lookup/glimpse.hpp"
#include "mbi/search/key_layout.hpp"
#include "mbi/lookup/quantize.hpp"

namespace mbi::bench {
namespace {

constexpr int kSide = 28;
constexpr int kGlimpses = 5;
constexpr float kMean = 0.1307F;
constexpr float kStd = 0.3081F;
constexpr float kLo = -1.0F;
constexpr float kHi = 1.0F;
constexpr int kLevels = 4;
const GlimpseGeometry kGeometry{kSide, kSide, 4, 3, 4};

std::vector<std::vector<std::uint8_t>> images(std::size_t n) {
  std::mt19937 rng(1);
  std::vector<std::vector<std::uint8_t>> out(n, std::vector<std::uint8_t>(kSide * kSide));
  for (auto& img : out)
    for (auto& p : img) p = rng() % 4 == 0 ? static_cast<std::uint8_t>(128 + rng() % 128) : 0;
  return out;
}

// Glimpse centres of one image's five steps, spread over the image and its borders.
int centre(int step, int salt) { return (3 + 7 * step + salt) % (kSide + 1); }

// The benchmark's argument: 0 times the portable loops, 1 the AVX-512 path (skipped where the
// CPU has none).
bool pick_path(benchmark::State& state, GlimpsePath& path) {
  path = state.range(0) == 0 ? GlimpsePath::portable : GlimpsePath::avx512;
  if (glimpse_path_supported(path)) return true;
  state.SkipWithError("no AVX-512 on this CPU");
  return false;
}

void IntegralImageBench(benchmark::State& state) {
  GlimpsePath path{};
  if (!pick_path(state, path)) return;
  const auto imgs = images(256);
  IntegralImage integral;
  std::size_t i = 0;
  for (auto _ : state) {
    integral.assign(imgs[i++ % imgs.size()], kSide, kSide, kMean, kStd, path);
    benchmark::DoNotOptimize(integral);
  }
}
BENCHMARK(IntegralImageBench)->Name("Query/integral_image")->ArgName("avx512")->Arg(0)->Arg(1);

// Times form(integral, x, y) for five glimpses of one image per iteration, cycling over 256
// integrated images.
template <class Form>
void time_glimpses(benchmark::State& state, Form&& form) {
  std::vector<IntegralImage> integrals;
  for (const auto& img : images(256)) integrals.emplace_back(img, kSide, kSide, kMean, kStd);
  std::size_t i = 0;
  for (auto _ : state) {
    const IntegralImage& integral = integrals[i % integrals.size()];
    for (int t = 0; t < kGlimpses; ++t) form(integral, centre(t, static_cast<int>(i)), centre(t, 5));
    ++i;
  }
}

void ReferenceGlimpses(benchmark::State& state) {
  std::vector<float> values(static_cast<std::size_t>(kGeometry.size()));
  std::vector<std::uint8_t> levels(values.size());
  time_glimpses(state, [&](const IntegralImage& integral, int x, int y) {
    extract_glimpse(integral, kGeometry, x, y, values);
    for (std::size_t k = 0; k < values.size(); ++k) levels[k] = quantize_level(values[k], kLo, kHi, kLevels);
    benchmark::DoNotOptimize(levels.data());
  });
}
BENCHMARK(ReferenceGlimpses)->Name("Query/5_glimpses_reference");

void QuantizerGlimpses(benchmark::State& state) {
  const GlimpseQuantizer quantizer(kGeometry, kMean, kStd, kLo, kHi, kLevels);
  std::vector<std::uint8_t> levels(static_cast<std::size_t>(kGeometry.size()));
  time_glimpses(state, [&](const IntegralImage& integral, int x, int y) {
    quantizer.levels(integral, x, y, levels.data());
    benchmark::DoNotOptimize(levels.data());
  });
}
BENCHMARK(QuantizerGlimpses)->Name("Query/5_glimpses_quantizer");

// The same levels written straight into packed keys (thermometer code), as lookups form them.
void EncodedGlimpses(benchmark::State& state) {
  GlimpsePath path{};
  if (!pick_path(state, path)) return;
  const GlimpseQuantizer quantizer(kGeometry, kMean, kStd, kLo, kHi, kLevels);
  const KeyLayout layout({{"glimpse0", 16, kLevels}, {"glimpse1", 16, kLevels}, {"glimpse2", 16, kLevels}});
  const std::size_t segments[] = {0, 1, 2};
  const GlimpseQuantizer::KeyTarget target = quantizer.key_target(layout, segments);  // once, as lookups do
  std::vector<std::uint64_t> key(layout.words());
  time_glimpses(state, [&](const IntegralImage& integral, int x, int y) {
    quantizer.encode(integral, x, y, target, key.data(), path);
    benchmark::DoNotOptimize(key.data());
  });
}
BENCHMARK(EncodedGlimpses)->Name("Query/5_glimpses_encoded")->ArgName("avx512")->Arg(0)->Arg(1);

// The 16-bit table and the codes from it (CompactIntegralImage), what lookups use on an
// AVX-512 CPU for this glimpse.
void CompactIntegralImageBench(benchmark::State& state) {
  if (!glimpse_path_supported(GlimpsePath::avx512)) {
    state.SkipWithError("no AVX-512 on this CPU");
    return;
  }
  const auto imgs = images(256);
  CompactIntegralImage integral;
  std::size_t i = 0;
  for (auto _ : state) {
    integral.assign(imgs[i++ % imgs.size()], kSide, kSide);
    benchmark::DoNotOptimize(integral);
  }
}
BENCHMARK(CompactIntegralImageBench)->Name("Query/integral_image_16bit");

void CompactEncodedGlimpses(benchmark::State& state) {
  const GlimpseQuantizer quantizer(kGeometry, kMean, kStd, kLo, kHi, kLevels);
  const KeyLayout layout({{"glimpse0", 16, kLevels}, {"glimpse1", 16, kLevels}, {"glimpse2", 16, kLevels}});
  const std::size_t segments[] = {0, 1, 2};
  const GlimpseQuantizer::KeyTarget target = quantizer.key_target(layout, segments);
  if (!quantizer.compact_supported(target)) {
    state.SkipWithError("no AVX-512 on this CPU");
    return;
  }
  std::vector<CompactIntegralImage> integrals(256);
  const auto imgs = images(integrals.size());
  for (std::size_t k = 0; k < integrals.size(); ++k) integrals[k].assign(imgs[k], kSide, kSide);
  std::vector<std::uint64_t> key(layout.words());
  std::size_t i = 0;
  for (auto _ : state) {
    const CompactIntegralImage& integral = integrals[i % integrals.size()];
    for (int t = 0; t < kGlimpses; ++t) {
      quantizer.encode(integral, centre(t, static_cast<int>(i)), centre(t, 5), target, key.data());
      benchmark::DoNotOptimize(key.data());
    }
    ++i;
  }
}
BENCHMARK(CompactEncodedGlimpses)->Name("Query/5_glimpses_encoded_16bit");

}  // namespace
}  // namespace mbi::bench
