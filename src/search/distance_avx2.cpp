// AVX2 kernels: four keys at a time. AVX2 has no vector popcount, so each byte's count comes
// from a 16-entry nibble table (VPSHUFB) and VPSADBW sums the bytes of each 64-bit word.
//
// Layout of the work: one 256-bit register holds four consecutive words of one key, so the
// query and weights are loaded once per block and reused for every key (keys are stored row
// by row, and gathering one word from four keys would cost more than it saves). Four keys'
// partial sums are then folded into one register of four distances. What does not fill four
// keys (single pairs, short blocks, the last n % 4 keys of a block) goes to the scalar POPCNT
// kernels, which beat a horizontal reduction per key.
#include "mbi/search/distance.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

namespace mbi::detail {
namespace {

#define MBI_AVX2 __attribute__((target("avx2,popcnt")))

// Keys of more than kMaxChunks * 4 words take the scalar POPCNT path: no real table has
// them, and fixing the chunk count at compile time keeps the query in registers.
constexpr int kMaxChunks = 4;

MBI_AVX2 inline __m256i popcount_words(__m256i v) {
  const __m256i table = _mm256_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4,  //
                                         0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4);
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i low = _mm256_shuffle_epi8(table, _mm256_and_si256(v, nibble));
  const __m256i high = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
  return _mm256_sad_epu8(_mm256_add_epi8(low, high), _mm256_setzero_si256());
}

// The query and weights split into C chunks of four words. Lanes past the key's end hold
// zero weight, so whatever a key's tail chunk reads there contributes nothing.
template <int C>
struct Prepared {
  __m256i query[C];
  __m256i weights[C];  // zero-extended to 64-bit lanes, as VPMULUDQ wants
  __m256i tail_mask;   // lanes of the last chunk that belong to the key
  bool tail_partial;
};

template <int C>
MBI_AVX2 inline Prepared<C> prepare(const std::uint64_t* query, const std::uint32_t* weights, std::size_t words) {
  Prepared<C> p;
  for (int c = 0; c < C; ++c) {
    alignas(32) std::uint64_t q[4] = {0, 0, 0, 0};
    alignas(32) std::uint64_t w[4] = {0, 0, 0, 0};
    for (std::size_t i = 0; i < 4 && 4 * c + i < words; ++i) {
      q[i] = query[4 * c + i];
      w[i] = weights[4 * c + i];
    }
    p.query[c] = _mm256_load_si256(reinterpret_cast<const __m256i*>(q));
    p.weights[c] = _mm256_load_si256(reinterpret_cast<const __m256i*>(w));
  }
  const std::size_t tail = words - 4 * (C - 1);
  p.tail_partial = tail < 4;
  p.tail_mask = _mm256_setr_epi64x(-1, tail > 1 ? -1 : 0, tail > 2 ? -1 : 0, tail > 3 ? -1 : 0);
  return p;
}

// Per-lane weighted popcounts of one key, as four 64-bit partial sums.
template <int C>
MBI_AVX2 inline __m256i partial_sums(const std::uint64_t* key, const Prepared<C>& p) {
  __m256i sum = _mm256_setzero_si256();
  for (int c = 0; c < C; ++c) {
    const std::uint64_t* at = key + 4 * c;
    // The masked load keeps the last key of a block from reading past the array's end.
    const __m256i k = (c == C - 1 && p.tail_partial)
                          ? _mm256_maskload_epi64(reinterpret_cast<const long long*>(at), p.tail_mask)
                          : _mm256_loadu_si256(reinterpret_cast<const __m256i*>(at));
    sum = _mm256_add_epi64(sum, _mm256_mul_epu32(popcount_words(_mm256_xor_si256(k, p.query[c])), p.weights[c]));
  }
  return sum;
}

// Lane i of the result = sum of the four lanes of s_i.
MBI_AVX2 inline __m256i fold4(__m256i s0, __m256i s1, __m256i s2, __m256i s3) {
  const __m256i a01 = _mm256_add_epi64(_mm256_unpacklo_epi64(s0, s1), _mm256_unpackhi_epi64(s0, s1));
  const __m256i a23 = _mm256_add_epi64(_mm256_unpacklo_epi64(s2, s3), _mm256_unpackhi_epi64(s2, s3));
  return _mm256_add_epi64(_mm256_permute2x128_si256(a01, a23, 0x20), _mm256_permute2x128_si256(a01, a23, 0x31));
}

// Low 32 bits of each 64-bit lane: the uint32 (mod 2^32) distances the scalar path gives.
MBI_AVX2 inline __m128i to_u32(__m256i v) {
  return _mm256_castsi256_si128(_mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(0, 2, 4, 6, 0, 0, 0, 0)));
}

template <int C>
MBI_AVX2 inline __m128i four_distances(const std::uint64_t* keys, std::size_t words, const Prepared<C>& p) {
  return to_u32(fold4(partial_sums<C>(keys, p), partial_sums<C>(keys + words, p),
                      partial_sums<C>(keys + 2 * words, p), partial_sums<C>(keys + 3 * words, p)));
}

template <int C>
MBI_AVX2 void many_impl(const std::uint64_t* query, const std::uint64_t* keys, std::size_t n,
                        const std::uint32_t* weights, std::size_t words, std::uint32_t* out) {
  const Prepared<C> p = prepare<C>(query, weights, words);
  std::size_t k = 0;
  for (; k + 4 <= n; k += 4)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(out + k), four_distances<C>(keys + k * words, words, p));
  if (k < n) popcnt_kernels()->many(query, keys + k * words, n - k, weights, words, out + k);
}

template <int C>
MBI_AVX2 BlockNearest argmin_impl(const std::uint64_t* query, const std::uint64_t* keys, std::size_t n,
                                  const std::uint32_t* weights, std::size_t words) {
  if (n < 4) return popcnt_kernels()->argmin(query, keys, n, weights, words);
  const Prepared<C> p = prepare<C>(query, weights, words);
  // Each lane keeps the best of the keys it saw (strict <, so its earliest on ties); the
  // lanes are merged by (distance, index) at the end.
  const __m128i sign = _mm_set1_epi32(static_cast<int>(0x80000000U));
  const __m128i step = _mm_set1_epi32(4);
  __m128i lane_index = _mm_setr_epi32(0, 1, 2, 3);
  __m128i best_index = lane_index;
  __m128i best_distance = four_distances<C>(keys, words, p);
  std::size_t k = 4;
  for (; k + 4 <= n; k += 4) {
    lane_index = _mm_add_epi32(lane_index, step);
    const __m128i d = four_distances<C>(keys + k * words, words, p);
    // Unsigned d < best via the signed compare with both sign bits flipped.
    const __m128i less = _mm_cmpgt_epi32(_mm_xor_si128(best_distance, sign), _mm_xor_si128(d, sign));
    best_distance = _mm_blendv_epi8(best_distance, d, less);
    best_index = _mm_blendv_epi8(best_index, lane_index, less);
  }
  alignas(16) std::uint32_t distances[4];
  alignas(16) std::uint32_t indices[4];
  _mm_store_si128(reinterpret_cast<__m128i*>(distances), best_distance);
  _mm_store_si128(reinterpret_cast<__m128i*>(indices), best_index);
  BlockNearest best{indices[0], distances[0]};
  for (int lane = 1; lane < 4; ++lane)
    if (distances[lane] < best.distance || (distances[lane] == best.distance && indices[lane] < best.index))
      best = {indices[lane], distances[lane]};
  if (k < n) {  // the last n % 4 keys; they come after every key above, so ties keep `best`
    const BlockNearest tail = popcnt_kernels()->argmin(query, keys + k * words, n - k, weights, words);
    if (tail.distance < best.distance) best = {static_cast<std::uint32_t>(k + tail.index), tail.distance};
  }
  return best;
}

std::uint32_t avx2_one(const std::uint64_t* a, const std::uint64_t* b, const std::uint32_t* w, std::size_t words) {
  return popcnt_kernels()->one(a, b, w, words);
}

void avx2_many(const std::uint64_t* q, const std::uint64_t* keys, std::size_t n, const std::uint32_t* w,
               std::size_t words, std::uint32_t* out) {
  switch ((words + 3) / 4) {
    case 1: return many_impl<1>(q, keys, n, w, words, out);
    case 2: return many_impl<2>(q, keys, n, w, words, out);
    case 3: return many_impl<3>(q, keys, n, w, words, out);
    case 4: return many_impl<4>(q, keys, n, w, words, out);
    default: return popcnt_kernels()->many(q, keys, n, w, words, out);
  }
}
static_assert(kMaxChunks == 4, "avx2_many and avx2_argmin list the chunk counts");

BlockNearest avx2_argmin(const std::uint64_t* q, const std::uint64_t* keys, std::size_t n, const std::uint32_t* w,
                         std::size_t words) {
  switch ((words + 3) / 4) {
    case 1: return argmin_impl<1>(q, keys, n, w, words);
    case 2: return argmin_impl<2>(q, keys, n, w, words);
    case 3: return argmin_impl<3>(q, keys, n, w, words);
    case 4: return argmin_impl<4>(q, keys, n, w, words);
    default: return popcnt_kernels()->argmin(q, keys, n, w, words);
  }
}

#undef MBI_AVX2

}  // namespace

const DistanceKernels* avx2_kernels() {
  static constexpr DistanceKernels kernels{avx2_one, avx2_many, avx2_argmin};
  return &kernels;
}

}  // namespace mbi::detail

#else  // not x86-64 with GCC/Clang

namespace mbi::detail {
const DistanceKernels* avx2_kernels() { return nullptr; }
}  // namespace mbi::detail

#endif
