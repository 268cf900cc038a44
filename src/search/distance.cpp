// Run-time choice of the distance kernels. The CPU is asked once; the chosen kernel set sits
// behind one atomic pointer, so a call costs one load and one indirect call.
#include <atomic>
#include <string>

#include "mbi/core/avx512.hpp"
#include "mbi/search/distance.hpp"
#include "mbi/core/error.hpp"

namespace mbi {
namespace {

constexpr DistancePath kAllPaths[] = {DistancePath::scalar, DistancePath::popcnt, DistancePath::avx2,
                                      DistancePath::avx512, DistancePath::avx512_vpopcntdq};

bool cpu_supports(DistancePath path) {
#if defined(__x86_64__) && defined(__GNUC__)
  const bool avx512 = detail::cpu_has_avx512() && __builtin_cpu_supports("popcnt");
  switch (path) {
    case DistancePath::scalar: return true;
    case DistancePath::popcnt: return __builtin_cpu_supports("popcnt");
    case DistancePath::avx2: return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("popcnt");
    case DistancePath::avx512: return avx512;
    case DistancePath::avx512_vpopcntdq: return avx512 && __builtin_cpu_supports("avx512vpopcntdq");
  }
  return false;
#else
  return path == DistancePath::scalar;
#endif
}

const detail::DistanceKernels* compiled_kernels(DistancePath path) {
  switch (path) {
    case DistancePath::scalar: return detail::scalar_kernels();
    case DistancePath::popcnt: return detail::popcnt_kernels();
    case DistancePath::avx2: return detail::avx2_kernels();
    case DistancePath::avx512: return detail::avx512_kernels();
    case DistancePath::avx512_vpopcntdq: return detail::avx512_vpopcntdq_kernels();
  }
  return nullptr;
}

// nullptr until first use; then the active kernel set. The path is kept beside it for
// active_distance_path(); both are set together by select().
std::atomic<const detail::DistanceKernels*> g_active{nullptr};
std::atomic<DistancePath> g_active_path{DistancePath::scalar};

const detail::DistanceKernels* select(DistancePath path) {
  const detail::DistanceKernels* kernels = compiled_kernels(path);
  g_active_path.store(path, std::memory_order_relaxed);
  g_active.store(kernels, std::memory_order_release);
  return kernels;
}

inline const detail::DistanceKernels& kernels() {
  const detail::DistanceKernels* k = g_active.load(std::memory_order_acquire);
  if (k == nullptr) [[unlikely]]
    k = select(best_distance_path());
  return *k;
}

}  // namespace

std::uint32_t weighted_distance(const std::uint64_t* a, const std::uint64_t* b, const std::uint32_t* weights,
                                std::size_t words) {
  return kernels().one(a, b, weights, words);
}

void weighted_distances(const std::uint64_t* query, const std::uint64_t* keys, std::size_t n,
                        const std::uint32_t* weights, std::size_t words, std::uint32_t* out) {
  kernels().many(query, keys, n, weights, words, out);
}

BlockNearest weighted_argmin(const std::uint64_t* query, const std::uint64_t* keys, std::size_t n,
                             const std::uint32_t* weights, std::size_t words) {
  return kernels().argmin(query, keys, n, weights, words);
}

void weighted_argmin_pairs(const std::uint64_t* const* queries, const std::uint64_t* const* blocks,
                           const std::uint32_t* counts, std::size_t pairs, const std::uint32_t* weights,
                           std::size_t words, BlockNearest* out) {
  const detail::DistanceKernels& k = kernels();
  if (k.argmin_pairs != nullptr) return k.argmin_pairs(queries, blocks, counts, pairs, weights, words, out);
  for (std::size_t i = 0; i < pairs; ++i) out[i] = k.argmin(queries[i], blocks[i], counts[i], weights, words);
}

std::string_view distance_path_name(DistancePath path) {
  switch (path) {
    case DistancePath::scalar: return "scalar";
    case DistancePath::popcnt: return "popcnt";
    case DistancePath::avx2: return "avx2";
    case DistancePath::avx512: return "avx512";
    case DistancePath::avx512_vpopcntdq: return "avx512_vpopcntdq";
  }
  return "unknown";
}

bool distance_path_available(DistancePath path) {
  return compiled_kernels(path) != nullptr && cpu_supports(path);
}

std::vector<DistancePath> available_distance_paths() {
  std::vector<DistancePath> paths;
  for (DistancePath p : kAllPaths)
    if (distance_path_available(p)) paths.push_back(p);
  return paths;
}

DistancePath best_distance_path() {
  // kAllPaths is in preference order: the last available path is the fastest on the CPUs
  // measured (bench/distance_bench.cpp).
  DistancePath best = DistancePath::scalar;
  for (DistancePath p : kAllPaths)
    if (distance_path_available(p)) best = p;
  return best;
}

DistancePath active_distance_path() {
  kernels();  // resolves the default on first use
  return g_active_path.load(std::memory_order_relaxed);
}

void set_distance_path(DistancePath path) {
  if (!distance_path_available(path))
    throw Error("distance path '" + std::string(distance_path_name(path)) + "' is not available on this CPU/build");
  select(path);
}

void reset_distance_path() { select(best_distance_path()); }

}  // namespace mbi
