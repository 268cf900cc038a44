#pragma once
// Weighted Manhattan distance between packed keys (see key_layout.hpp):
//
//   D(a, b) = sum over words i of weights[i] * popcount(a[i] XOR b[i])
//
// With thermometer-coded values this is exactly paper eq. 1 (without the constant
// 1/(a+b+c), which changes no ranking). Arithmetic is uint32 and wraps modulo 2^32 the same
// way on every path; real tables stay far below that (6 words * 64 bits * weight 100 < 2^16).
//
// The kernels come in several implementations ("paths"), chosen once at run time from what
// the CPU supports, so one binary runs on any x86-64 and uses AVX-512 where it exists. Every
// path returns bit-identical results; tests check each against the portable scalar path.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace mbi {

enum class DistancePath : std::uint8_t {
  scalar,            // portable C++ (std::popcount); the reference
  popcnt,            // the same code compiled for the x86 POPCNT instruction
  avx2,              // 4 keys at a time, popcount by nibble table lookup (VPSHUFB)
  avx512,            // 8 keys at a time, popcount by nibble table lookup (AVX-512BW)
  avx512_vpopcntdq,  // 8 keys at a time, native vector popcount (Ice Lake, Zen 4 and later)
};

// Nearest key of a block: position in the block and its distance. Ties go to the lowest index.
struct BlockNearest {
  std::uint32_t index;
  std::uint32_t distance;
};

// Index reported when there is nothing to search (an empty block).
inline constexpr std::uint32_t kNoIndex = 0xFFFFFFFFU;

// --- Kernels (they use the active path) ---------------------------------------------------

// Distance between two keys of `words` words.
std::uint32_t weighted_distance(const std::uint64_t* a, const std::uint64_t* b, const std::uint32_t* weights,
                                std::size_t words);

// Distances from `query` to the n keys stored back to back at `keys` (n * words words);
// writes out[0..n).
void weighted_distances(const std::uint64_t* query, const std::uint64_t* keys, std::size_t n,
                        const std::uint32_t* weights, std::size_t words, std::uint32_t* out);

// The nearest of those n keys, without materialising the distances. n == 0 gives
// {kNoIndex, UINT32_MAX}. n must fit in uint32.
BlockNearest weighted_argmin(const std::uint64_t* query, const std::uint64_t* keys, std::size_t n,
                             const std::uint32_t* weights, std::size_t words);

// Independent argmins in one call: out[i] = weighted_argmin(queries[i], blocks[i], counts[i],
// weights, words) for i < pairs. A batched tree descent asks one per query per level: one
// call per level instead of per node saves the dispatch and lets the CPU overlap the pairs.
void weighted_argmin_pairs(const std::uint64_t* const* queries, const std::uint64_t* const* blocks,
                           const std::uint32_t* counts, std::size_t pairs, const std::uint32_t* weights,
                           std::size_t words, BlockNearest* out);

// --- Path selection -------------------------------------------------------------------------

std::string_view distance_path_name(DistancePath path);
bool distance_path_available(DistancePath path);   // compiled in and supported by this CPU
std::vector<DistancePath> available_distance_paths();  // in preference order, scalar first
DistancePath best_distance_path();                     // what is used unless forced
DistancePath active_distance_path();
// Forces a path (tests, benchmarks). Throws mbi::Error when it is not available. Not meant to
// be called while other threads are searching: they may see either path for a while.
void set_distance_path(DistancePath path);
void reset_distance_path();  // back to best_distance_path()

namespace detail {
// One path's kernels; the dispatcher holds a pointer to the active set.
struct DistanceKernels {
  std::uint32_t (*one)(const std::uint64_t*, const std::uint64_t*, const std::uint32_t*, std::size_t);
  void (*many)(const std::uint64_t*, const std::uint64_t*, std::size_t, const std::uint32_t*, std::size_t,
               std::uint32_t*);
  BlockNearest (*argmin)(const std::uint64_t*, const std::uint64_t*, std::size_t, const std::uint32_t*,
                         std::size_t);
  // nullptr: the dispatcher loops over argmin.
  void (*argmin_pairs)(const std::uint64_t* const*, const std::uint64_t* const*, const std::uint32_t*, std::size_t,
                       const std::uint32_t*, std::size_t, BlockNearest*) = nullptr;
};
// nullptr when the path is not compiled in (e.g. the x86 paths on other architectures).
const DistanceKernels* scalar_kernels();
const DistanceKernels* popcnt_kernels();
const DistanceKernels* avx2_kernels();
const DistanceKernels* avx512_kernels();
const DistanceKernels* avx512_vpopcntdq_kernels();
}  // namespace detail

}  // namespace mbi
