// Body of the AVX-512 kernels, included twice by distance_avx512.cpp: once with the native
// vector popcount (VPOPCNTQ, AVX512_VPOPCNTDQ) and once with the nibble-table popcount that
// any AVX-512BW CPU can run (Skylake-X, Cascade Lake). A target attribute cannot depend on a
// template argument, hence the textual inclusion.
//
// Expects: MBI_AVX512_TARGET (attribute), MBI_AVX512_NAMESPACE, MBI_AVX512_NATIVE_POPCOUNT (0/1).
//
// One 512-bit register holds up to eight consecutive words of one key (keys are 5-6 words in
// practice), so the query and weights stay in registers for the whole block. Eight keys'
// per-lane sums are folded into one register of eight distances with shuffles, which is
// cheaper than eight horizontal reductions. Fewer than eight keys (a node's few children in a
// tree descent, the last n % 8 keys of a block) take one fold too, with the missing keys'
// lanes left empty; single pairs go to the scalar POPCNT kernel.

namespace mbi::detail::MBI_AVX512_NAMESPACE {
namespace {

// Keys of more than kMaxChunks * 8 words take the scalar POPCNT path.
constexpr int kMaxChunks = 2;

MBI_AVX512_TARGET inline __m512i popcount_words(__m512i v) {
#if MBI_AVX512_NATIVE_POPCOUNT
  return _mm512_popcnt_epi64(v);
#else
  const __m512i table = _mm512_broadcast_i32x4(_mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
  const __m512i nibble = _mm512_set1_epi8(0x0F);
  const __m512i low = _mm512_shuffle_epi8(table, _mm512_and_si512(v, nibble));
  const __m512i high = _mm512_shuffle_epi8(table, _mm512_and_si512(_mm512_srli_epi16(v, 4), nibble));
  return _mm512_sad_epu8(_mm512_add_epi8(low, high), _mm512_setzero_si512());
#endif
}

MBI_AVX512_TARGET inline __m256i popcount_words(__m256i v) {
#if MBI_AVX512_NATIVE_POPCOUNT
  return _mm256_popcnt_epi64(v);
#else
  const __m256i table = _mm256_broadcastsi128_si256(_mm_setr_epi8(0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4));
  const __m256i nibble = _mm256_set1_epi8(0x0F);
  const __m256i low = _mm256_shuffle_epi8(table, _mm256_and_si256(v, nibble));
  const __m256i high = _mm256_shuffle_epi8(table, _mm256_and_si256(_mm256_srli_epi16(v, 4), nibble));
  return _mm256_sad_epu8(_mm256_add_epi8(low, high), _mm256_setzero_si256());
#endif
}

// Query and weights in C chunks of eight words; lanes past the key's end are zero.
template <int C>
struct Prepared {
  __m512i query[C];
  __m512i weights[C];  // zero-extended to 64-bit lanes, as VPMULUDQ wants
  __mmask8 tail_mask;  // lanes of the last chunk that belong to the key
};

// Keys of up to eight words (the RAM's are 5-6) as two 256-bit halves, words 0-3 and 4-7:
// Zen 4 runs 512-bit operations at half rate, so a half costs as much as a whole key in one
// 512-bit register did, and the sums of eight keys fold in half the shuffles (fold8 below).
template <>
struct Prepared<1> {
  __m256i query[2];
  __m256i weights[2];
  __mmask8 masks[2];  // lanes of each half that belong to the key
};

// Puts `query` into p, keeping p's weights: a batch of pairs shares them.
template <int C>
MBI_AVX512_TARGET inline void load_query(Prepared<C>& p, const std::uint64_t* query) {
  if constexpr (C == 1) {
    for (int h = 0; h < 2; ++h) p.query[h] = _mm256_maskz_loadu_epi64(p.masks[h], query + 4 * h);
  } else {
    for (int c = 0; c < C; ++c)
      p.query[c] = _mm512_maskz_loadu_epi64(c == C - 1 ? p.tail_mask : static_cast<__mmask8>(0xFF), query + 8 * c);
  }
}

template <int C>
MBI_AVX512_TARGET inline Prepared<C> prepare(const std::uint64_t* query, const std::uint32_t* weights,
                                             std::size_t words) {
  Prepared<C> p;
  if constexpr (C == 1) {
    p.masks[0] = static_cast<__mmask8>(words >= 4 ? 0xF : (1U << words) - 1);
    p.masks[1] = static_cast<__mmask8>(words > 4 ? (1U << (words - 4)) - 1 : 0);
    for (int h = 0; h < 2; ++h)
      p.weights[h] = _mm256_cvtepu32_epi64(_mm_maskz_loadu_epi32(p.masks[h], weights + 4 * h));
  } else {
    const std::size_t tail = words - 8 * (C - 1);
    p.tail_mask = static_cast<__mmask8>(tail >= 8 ? 0xFF : (1U << tail) - 1);
    for (int c = 0; c < C; ++c) {
      const __mmask8 m = c == C - 1 ? p.tail_mask : static_cast<__mmask8>(0xFF);
      p.weights[c] = _mm512_cvtepu32_epi64(_mm256_maskz_loadu_epi32(m, weights + 8 * c));
    }
  }
  load_query<C>(p, query);
  return p;
}

// Per-lane weighted popcounts of one key, as 64-bit partial sums (eight lanes, or four for
// the halves). The masked loads never touch memory past the key (fault suppression), so the
// last key of an array is safe.
template <int C>
MBI_AVX512_TARGET inline auto partial_sums(const std::uint64_t* key, const Prepared<C>& p) {
  if constexpr (C == 1) {
    __m256i sum = _mm256_setzero_si256();
    for (int h = 0; h < 2; ++h) {
      const __m256i k = _mm256_maskz_loadu_epi64(p.masks[h], key + 4 * h);
      sum = _mm256_add_epi64(sum, _mm256_mul_epu32(popcount_words(_mm256_xor_si256(k, p.query[h])), p.weights[h]));
    }
    return sum;
  } else {
    __m512i sum = _mm512_setzero_si512();
    for (int c = 0; c < C; ++c) {
      const __mmask8 m = c == C - 1 ? p.tail_mask : static_cast<__mmask8>(0xFF);
      const __m512i k = _mm512_maskz_loadu_epi64(m, key + 8 * c);
      sum = _mm512_add_epi64(sum, _mm512_mul_epu32(popcount_words(_mm512_xor_si512(k, p.query[c])), p.weights[c]));
    }
    return sum;
  }
}

// Lane i of the result = sum of the eight lanes of s[i]: pairs, then 256-bit halves, then
// 128-bit quarters are added, each step halving the registers in play.
MBI_AVX512_TARGET inline __m512i fold8(const __m512i* s) {
  __m512i pair[4];
  for (int i = 0; i < 4; ++i)
    pair[i] = _mm512_add_epi64(_mm512_unpacklo_epi64(s[2 * i], s[2 * i + 1]),
                               _mm512_unpackhi_epi64(s[2 * i], s[2 * i + 1]));
  // pair[i], 128-bit block j: {s[2i] block j sum, s[2i+1] block j sum}.
  __m512i quad[2];
  for (int i = 0; i < 2; ++i)
    quad[i] = _mm512_add_epi64(_mm512_shuffle_i64x2(pair[2 * i], pair[2 * i + 1], _MM_SHUFFLE(1, 0, 1, 0)),
                               _mm512_shuffle_i64x2(pair[2 * i], pair[2 * i + 1], _MM_SHUFFLE(3, 2, 3, 2)));
  // quad[i] blocks: {keys 4i,4i+1 half a}, {4i,4i+1 half b}, {4i+2,4i+3 half a}, {4i+2,4i+3 half b}.
  return _mm512_add_epi64(_mm512_shuffle_i64x2(quad[0], quad[1], _MM_SHUFFLE(2, 0, 2, 0)),
                          _mm512_shuffle_i64x2(quad[0], quad[1], _MM_SHUFFLE(3, 1, 3, 1)));
}

// Lanes 0..3 of the result = the sums of the eight lanes of s[0..3]: fold8's steps for half
// as many registers (a branching-4 tree's nodes have four children).
MBI_AVX512_TARGET inline __m256i fold4(const __m512i* s) {
  const __m512i pair01 = _mm512_add_epi64(_mm512_unpacklo_epi64(s[0], s[1]), _mm512_unpackhi_epi64(s[0], s[1]));
  const __m512i pair23 = _mm512_add_epi64(_mm512_unpacklo_epi64(s[2], s[3]), _mm512_unpackhi_epi64(s[2], s[3]));
  // Blocks: {keys 0,1 half a}, {0,1 half b}, {2,3 half a}, {2,3 half b}.
  const __m512i quad = _mm512_add_epi64(_mm512_shuffle_i64x2(pair01, pair23, _MM_SHUFFLE(1, 0, 1, 0)),
                                        _mm512_shuffle_i64x2(pair01, pair23, _MM_SHUFFLE(3, 2, 3, 2)));
  const __m512i total = _mm512_add_epi64(_mm512_shuffle_i64x2(quad, quad, _MM_SHUFFLE(2, 0, 2, 0)),
                                         _mm512_shuffle_i64x2(quad, quad, _MM_SHUFFLE(3, 1, 3, 1)));
  // VPMOVQD of the low four lanes; the upper four (copies) are dropped by the callers' masks.
  return _mm512_cvtepi64_epi32(total);
}

// The same for four-lane sums: lane i of the result = the sum of the four lanes of s[i], as
// 32 bits (modulo 2^32, as the scalar path).
MBI_AVX512_TARGET inline __m256i fold8(const __m256i* s) {
  __m256i pair[4];
  for (int i = 0; i < 4; ++i)
    pair[i] = _mm256_add_epi64(_mm256_unpacklo_epi64(s[2 * i], s[2 * i + 1]),
                               _mm256_unpackhi_epi64(s[2 * i], s[2 * i + 1]));
  // pair[i]: {s[2i] lanes 0+1, s[2i+1] lanes 0+1, s[2i] lanes 2+3, s[2i+1] lanes 2+3}.
  const __m256i low = _mm256_add_epi64(_mm256_permute2x128_si256(pair[0], pair[1], 0x20),
                                       _mm256_permute2x128_si256(pair[0], pair[1], 0x31));  // keys 0..3
  const __m256i high = _mm256_add_epi64(_mm256_permute2x128_si256(pair[2], pair[3], 0x20),
                                        _mm256_permute2x128_si256(pair[2], pair[3], 0x31));  // keys 4..7
  // The low 32 bits of each: per 128-bit lane {low 2 keys, high 2 keys}, then the lanes' middle
  // 64-bit halves swapped.
  const __m256i even = _mm256_castps_si256(
      _mm256_shuffle_ps(_mm256_castsi256_ps(low), _mm256_castsi256_ps(high), _MM_SHUFFLE(2, 0, 2, 0)));
  return _mm256_permute4x64_epi64(even, _MM_SHUFFLE(3, 1, 2, 0));
}

// Lanes 0..3 = the sums of s[0..3] (a branching-4 node's children); lanes 4..7 are not set.
MBI_AVX512_TARGET inline __m256i fold4(const __m256i* s) {
  const __m256i pair01 = _mm256_add_epi64(_mm256_unpacklo_epi64(s[0], s[1]), _mm256_unpackhi_epi64(s[0], s[1]));
  const __m256i pair23 = _mm256_add_epi64(_mm256_unpacklo_epi64(s[2], s[3]), _mm256_unpackhi_epi64(s[2], s[3]));
  const __m256i total = _mm256_add_epi64(_mm256_permute2x128_si256(pair01, pair23, 0x20),
                                         _mm256_permute2x128_si256(pair01, pair23, 0x31));
  return _mm256_castsi128_si256(_mm256_cvtepi64_epi32(total));
}

template <int C>
MBI_AVX512_TARGET inline __m256i eight_distances(const std::uint64_t* keys, std::size_t words,
                                                 const Prepared<C>& p) {
  decltype(partial_sums<C>(keys, p)) sums[8];
  for (int i = 0; i < 8; ++i) sums[i] = partial_sums<C>(keys + i * words, p);
  if constexpr (C == 1)
    return fold8(sums);
  else
    // VPMOVQD keeps the low 32 bits: the uint32 (mod 2^32) distances of the scalar path.
    return _mm512_cvtepi64_epi32(fold8(sums));
}

// The same for the first n < 8 keys at `keys`: the other lanes' keys are never read (their
// sums stay zero), so a node's few children cost one fold instead of n scalar distances.
template <int C>
MBI_AVX512_TARGET inline __m256i few_distances(const std::uint64_t* keys, std::size_t n, std::size_t words,
                                               const Prepared<C>& p) {
  using Sums = decltype(partial_sums<C>(keys, p));
  Sums sums[8];
  const Sums zero{};
  if (n <= 4) {
    for (std::size_t i = 0; i < 4; ++i) sums[i] = i < n ? partial_sums<C>(keys + i * words, p) : zero;
    return fold4(sums);
  }
  for (std::size_t i = 0; i < 8; ++i) sums[i] = i < n ? partial_sums<C>(keys + i * words, p) : zero;
  if constexpr (C == 1)
    return fold8(sums);
  else
    return _mm512_cvtepi64_epi32(fold8(sums));
}

// Every lane = the smallest of the eight (unsigned) lanes of d.
MBI_AVX512_TARGET inline __m256i broadcast_minimum(__m256i d) {
  __m256i m = _mm256_min_epu32(d, _mm256_shuffle_epi32(d, _MM_SHUFFLE(1, 0, 3, 2)));
  m = _mm256_min_epu32(m, _mm256_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
  return _mm256_min_epu32(m, _mm256_permute2x128_si256(m, m, 1));
}

// The smallest of the first n <= 8 lanes of d and the lowest lane holding it.
MBI_AVX512_TARGET inline BlockNearest lowest_minimum(__m256i d, std::size_t n) {
  const auto lanes = static_cast<__mmask8>((1U << n) - 1);
  d = _mm256_mask_mov_epi32(_mm256_set1_epi32(-1), lanes, d);
  const __m256i m = broadcast_minimum(d);
  const auto lane = static_cast<std::uint32_t>(__builtin_ctz(_mm256_mask_cmpeq_epu32_mask(lanes, d, m)));
  return {lane, static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm256_castsi256_si128(m)))};
}

template <int C>
MBI_AVX512_TARGET void many_impl(const std::uint64_t* query, const std::uint64_t* keys, std::size_t n,
                                 const std::uint32_t* weights, std::size_t words, std::uint32_t* out) {
  const Prepared<C> p = prepare<C>(query, weights, words);
  std::size_t k = 0;
  for (; k + 8 <= n; k += 8)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + k), eight_distances<C>(keys + k * words, words, p));
  if (k < n) {
    const auto mask = static_cast<__mmask8>((1U << (n - k)) - 1);
    _mm256_mask_storeu_epi32(out + k, mask, few_distances<C>(keys + k * words, n - k, words, p));
  }
}

// The nearest of n keys to the query prepared in p. Always inlined: argmin_pairs_impl runs it
// once per tree node, where a call was a visible share.
template <int C>
MBI_AVX512_TARGET inline __attribute__((always_inline)) BlockNearest argmin_prepared(const std::uint64_t* keys,
                                                                                     std::size_t n, std::size_t words,
                                                                                     const Prepared<C>& p) {
  if (n == 0) return {kNoIndex, 0xFFFFFFFFU};
  if (n < 8) return lowest_minimum(few_distances<C>(keys, n, words, p), n);  // a node's few children
  if (n == 8) return lowest_minimum(eight_distances<C>(keys, words, p), 8);
  // Each lane keeps the best of the keys it saw (strict <, so its earliest on ties); the
  // lanes are merged by (distance, index) at the end, in registers: storing them and merging
  // with scalar compares mispredicted on every leaf.
  const __m256i step = _mm256_set1_epi32(8);
  __m256i lane_index = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i best_index = lane_index;
  __m256i best_distance = eight_distances<C>(keys, words, p);
  std::size_t k = 8;
  for (; k + 8 <= n; k += 8) {
    lane_index = _mm256_add_epi32(lane_index, step);
    const __m256i d = eight_distances<C>(keys + k * words, words, p);
    const __mmask8 less = _mm256_cmplt_epu32_mask(d, best_distance);
    best_distance = _mm256_mask_mov_epi32(best_distance, less, d);
    best_index = _mm256_mask_mov_epi32(best_index, less, lane_index);
  }
  if (k < n) {  // the last n % 8 keys, in the lanes they would have had
    lane_index = _mm256_add_epi32(lane_index, step);
    const __m256i d = few_distances<C>(keys + k * words, n - k, words, p);
    const __mmask8 less = _mm256_mask_cmplt_epu32_mask(static_cast<__mmask8>((1U << (n - k)) - 1), d, best_distance);
    best_distance = _mm256_mask_mov_epi32(best_distance, less, d);
    best_index = _mm256_mask_mov_epi32(best_index, less, lane_index);
  }
  // The smallest distance, then the lowest index among the lanes holding it: a lane's index
  // is its earliest key at its own best, so this is the earliest key at the minimum.
  const __m256i minimum = broadcast_minimum(best_distance);
  const __mmask8 at_minimum = _mm256_cmpeq_epu32_mask(best_distance, minimum);
  const __m256i index = broadcast_minimum(_mm256_mask_mov_epi32(_mm256_set1_epi32(-1), at_minimum, best_index));
  return {static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm256_castsi256_si128(index))),
          static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm256_castsi256_si128(minimum)))};
}

template <int C>
MBI_AVX512_TARGET BlockNearest argmin_impl(const std::uint64_t* query, const std::uint64_t* keys, std::size_t n,
                                           const std::uint32_t* weights, std::size_t words) {
  return argmin_prepared<C>(keys, n, words, prepare<C>(query, weights, words));
}

// The weights are prepared once for all pairs; only each pair's query is loaded.
template <int C>
MBI_AVX512_TARGET void argmin_pairs_impl(const std::uint64_t* const* queries, const std::uint64_t* const* blocks,
                                         const std::uint32_t* counts, std::size_t pairs,
                                         const std::uint32_t* weights, std::size_t words, BlockNearest* out) {
  if (pairs == 0) return;
  Prepared<C> p = prepare<C>(queries[0], weights, words);
  for (std::size_t i = 0; i < pairs; ++i) {
    load_query<C>(p, queries[i]);
    out[i] = argmin_prepared<C>(blocks[i], counts[i], words, p);
  }
}

std::uint32_t one(const std::uint64_t* a, const std::uint64_t* b, const std::uint32_t* w, std::size_t words) {
  return popcnt_kernels()->one(a, b, w, words);
}

void many(const std::uint64_t* q, const std::uint64_t* keys, std::size_t n, const std::uint32_t* w,
          std::size_t words, std::uint32_t* out) {
  switch ((words + 7) / 8) {
    case 1: return many_impl<1>(q, keys, n, w, words, out);
    case 2: return many_impl<2>(q, keys, n, w, words, out);
    default: return popcnt_kernels()->many(q, keys, n, w, words, out);
  }
}
static_assert(kMaxChunks == 2, "many and argmin list the chunk counts");

BlockNearest argmin(const std::uint64_t* q, const std::uint64_t* keys, std::size_t n, const std::uint32_t* w,
                    std::size_t words) {
  switch ((words + 7) / 8) {
    case 1: return argmin_impl<1>(q, keys, n, w, words);
    case 2: return argmin_impl<2>(q, keys, n, w, words);
    default: return popcnt_kernels()->argmin(q, keys, n, w, words);
  }
}

void argmin_pairs(const std::uint64_t* const* q, const std::uint64_t* const* blocks, const std::uint32_t* counts,
                  std::size_t pairs, const std::uint32_t* w, std::size_t words, BlockNearest* out) {
  switch ((words + 7) / 8) {
    case 1: return argmin_pairs_impl<1>(q, blocks, counts, pairs, w, words, out);
    case 2: return argmin_pairs_impl<2>(q, blocks, counts, pairs, w, words, out);
    default:
      for (std::size_t i = 0; i < pairs; ++i) out[i] = popcnt_kernels()->argmin(q[i], blocks[i], counts[i], w, words);
  }
}

}  // namespace

const DistanceKernels* kernels() {
  static constexpr DistanceKernels set{one, many, argmin, argmin_pairs};
  return &set;
}

}  // namespace mbi::detail::MBI_AVX512_NAMESPACE
