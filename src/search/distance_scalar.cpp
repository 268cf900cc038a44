// The scalar kernels: the portable reference path, and the same code compiled for the x86
// POPCNT instruction. Without that target, std::popcount on baseline x86-64 expands to a
// dozen shift-and-mask instructions; with it, to one instruction.
#include <bit>

#include "mbi/search/distance.hpp"

namespace mbi::detail {
namespace {

// Word counts up to kMaxUnrolled get a copy of each kernel with the count fixed at compile
// time, so the word loop unrolls fully; longer keys use the run-time count (W == 0).
constexpr std::size_t kMaxUnrolled = 8;

template <std::size_t W>
[[gnu::always_inline]] inline std::uint32_t distance_of(const std::uint64_t* a, const std::uint64_t* b,
                                                        const std::uint32_t* weights, std::size_t words) {
  const std::size_t count = W != 0 ? W : words;
  std::uint32_t d = 0;
  for (std::size_t i = 0; i < count; ++i) d += weights[i] * static_cast<std::uint32_t>(std::popcount(a[i] ^ b[i]));
  return d;
}

template <std::size_t W>
[[gnu::always_inline]] inline void distances_of(const std::uint64_t* query, const std::uint64_t* keys,
                                                std::size_t n, const std::uint32_t* weights, std::size_t words,
                                                std::uint32_t* out) {
  for (std::size_t k = 0; k < n; ++k) out[k] = distance_of<W>(query, keys + k * words, weights, words);
}

template <std::size_t W>
[[gnu::always_inline]] inline BlockNearest argmin_of(const std::uint64_t* query, const std::uint64_t* keys,
                                                     std::size_t n, const std::uint32_t* weights,
                                                     std::size_t words) {
  if (n == 0) return {kNoIndex, 0xFFFFFFFFU};
  BlockNearest best{0, distance_of<W>(query, keys, weights, words)};
  for (std::size_t k = 1; k < n; ++k) {
    const std::uint32_t d = distance_of<W>(query, keys + k * words, weights, words);
    if (d < best.distance) best = {static_cast<std::uint32_t>(k), d};  // strict: earlier index wins ties
  }
  return best;
}

// Expands to a switch over the word count that calls FN<W>(args...) with W fixed for short
// keys and FN<0> otherwise.
#define MBI_DISPATCH_WORDS(FN, words, ...)      \
  switch (words) {                              \
    case 1: return FN<1>(__VA_ARGS__);          \
    case 2: return FN<2>(__VA_ARGS__);          \
    case 3: return FN<3>(__VA_ARGS__);          \
    case 4: return FN<4>(__VA_ARGS__);          \
    case 5: return FN<5>(__VA_ARGS__);          \
    case 6: return FN<6>(__VA_ARGS__);          \
    case 7: return FN<7>(__VA_ARGS__);          \
    case 8: return FN<8>(__VA_ARGS__);          \
    default: return FN<0>(__VA_ARGS__);         \
  }
static_assert(kMaxUnrolled == 8, "MBI_DISPATCH_WORDS lists the unrolled counts");

std::uint32_t scalar_one(const std::uint64_t* a, const std::uint64_t* b, const std::uint32_t* w, std::size_t words) {
  MBI_DISPATCH_WORDS(distance_of, words, a, b, w, words)
}
void scalar_many(const std::uint64_t* q, const std::uint64_t* keys, std::size_t n, const std::uint32_t* w,
                 std::size_t words, std::uint32_t* out) {
  MBI_DISPATCH_WORDS(distances_of, words, q, keys, n, w, words, out)
}
BlockNearest scalar_argmin(const std::uint64_t* q, const std::uint64_t* keys, std::size_t n, const std::uint32_t* w,
                           std::size_t words) {
  MBI_DISPATCH_WORDS(argmin_of, words, q, keys, n, w, words)
}

#if defined(__x86_64__) && defined(__GNUC__)
#define MBI_TARGET_POPCNT __attribute__((target("popcnt")))

MBI_TARGET_POPCNT std::uint32_t popcnt_one(const std::uint64_t* a, const std::uint64_t* b, const std::uint32_t* w,
                                           std::size_t words) {
  MBI_DISPATCH_WORDS(distance_of, words, a, b, w, words)
}
MBI_TARGET_POPCNT void popcnt_many(const std::uint64_t* q, const std::uint64_t* keys, std::size_t n,
                                   const std::uint32_t* w, std::size_t words, std::uint32_t* out) {
  MBI_DISPATCH_WORDS(distances_of, words, q, keys, n, w, words, out)
}
MBI_TARGET_POPCNT BlockNearest popcnt_argmin(const std::uint64_t* q, const std::uint64_t* keys, std::size_t n,
                                             const std::uint32_t* w, std::size_t words) {
  MBI_DISPATCH_WORDS(argmin_of, words, q, keys, n, w, words)
}
#endif

#undef MBI_DISPATCH_WORDS

}  // namespace

const DistanceKernels* scalar_kernels() {
  static constexpr DistanceKernels kernels{scalar_one, scalar_many, scalar_argmin};
  return &kernels;
}

const DistanceKernels* popcnt_kernels() {
#if defined(__x86_64__) && defined(__GNUC__)
  static constexpr DistanceKernels kernels{popcnt_one, popcnt_many, popcnt_argmin};
  return &kernels;
#else
  return nullptr;
#endif
}

}  // namespace mbi::detail
