// AVX-512 bodies of IntegralImage::assign and GlimpseQuantizer::encode (glimpse_simd.hpp).
// Forming the five queries of a lookup was half of its time on a cached table, in scalar
// loops with a carried dependency (the integral image's running row sum) or a dozen
// instructions per cell (the glimpse codes). Here a row of 16 sums is one in-register scan,
// and a whole 4 x 4 patch is a few gathers, three compares and three bit deposits.
#include "glimpse_simd.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#include <algorithm>
#include <cstddef>

#include "mbi/core/avx512.hpp"

MBI_AVX512_CODE_BEGIN

#define MBI_GLIMPSE_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,bmi2")))

namespace mbi::detail {

bool glimpse_avx512_compiled() { return true; }

namespace {

#define MBI_GLIMPSE_INLINE MBI_GLIMPSE_TARGET inline __attribute__((always_inline))

// Pixels 0..c of a row of up to 32 (`mask` selects them; other lanes read zero) summed in lane
// c, as 16-bit lanes: a row sum of 32 pixels fits. The vector shifted up by 1, 2, 4, 8 and 16
// lanes is added in turn.
MBI_GLIMPSE_INLINE __m512i row_prefix16(const std::uint8_t* pixel, __mmask32 mask) {
  const __m512i zero = _mm512_setzero_si512();
  const __m512i up1 = _mm512_set_epi16(30, 29, 28, 27, 26, 25, 24, 23, 22, 21, 20, 19, 18, 17, 16, 15, 14, 13, 12,
                                       11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0, 0);
  __m512i v = _mm512_cvtepu8_epi16(_mm256_maskz_loadu_epi8(mask, pixel));
  v = _mm512_add_epi16(v, _mm512_maskz_permutexvar_epi16(0xFFFFFFFEU, up1, v));  // up 1 lane
  v = _mm512_add_epi16(v, _mm512_alignr_epi32(v, zero, 15));                   // 2 lanes
  v = _mm512_add_epi16(v, _mm512_alignr_epi64(v, zero, 7));                    // 4
  v = _mm512_add_epi16(v, _mm512_alignr_epi64(v, zero, 6));                    // 8
  return _mm512_add_epi16(v, _mm512_alignr_epi64(v, zero, 4));                 // 16
}

MBI_GLIMPSE_INLINE __mmask32 first_lanes32(int n) {
  return static_cast<__mmask32>(n >= 32 ? 0xFFFFFFFFU : (1U << n) - 1U);
}

// Where a 4 x 4 patch of pool x pool cells with its top-left pixel at (top, left) lies: its 5
// row and 5 column edges clipped to the image as in the portable loop (a cell outside the
// image has no pixels and sums to zero), in lanes 0..4 of 256-bit registers (this CPU family
// runs 512-bit operations at half the rate, and only 16-cell vectors need them), and the
// summed-area table columns its edges cover.
struct PatchFrame {
  __m256i row_edges;
  __m256i col_edges;
  int first_col;  // clamped left edge
  int span;       // table entries from first_col to the clamped right edge
};

MBI_GLIMPSE_INLINE PatchFrame patch_frame(int rows, int cols, int top, int left, int pool) {
  const __m256i zero = _mm256_setzero_si256();
  const __m256i step = _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(pool));
  PatchFrame f;
  f.row_edges = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(_mm256_set1_epi32(top), step), zero),
                                 _mm256_set1_epi32(rows));
  f.col_edges = _mm256_min_epi32(_mm256_max_epi32(_mm256_add_epi32(_mm256_set1_epi32(left), step), zero),
                                 _mm256_set1_epi32(cols));
  f.first_col = std::clamp(left, 0, cols);
  f.span = std::clamp(left + 4 * pool, 0, cols) - f.first_col + 1;
  return f;
}

// Pixels inside the image per cell. Inside the image every cell has pool^2; otherwise
// cell (r, c) has (row edge r + 1 - row edge r) x (column edge c + 1 - c), in lane 4 r + c.
struct CellCounts {
  __m512i area;       // per cell; set only when not uniform
  std::size_t first;  // cell 0's
  bool uniform;       // every cell has `first`
};

MBI_GLIMPSE_INLINE CellCounts cell_counts(const PatchFrame& f, int rows, int cols, int top, int left, int pool) {
  CellCounts counts{_mm512_setzero_si512(), static_cast<std::size_t>(pool) * static_cast<std::size_t>(pool),
                    top >= 0 && left >= 0 && top + 4 * pool <= rows && left + 4 * pool <= cols};
  if (counts.uniform) return counts;
  const __m256i heights = _mm256_sub_epi32(_mm256_alignr_epi32(f.row_edges, f.row_edges, 1), f.row_edges);
  const __m256i widths = _mm256_sub_epi32(_mm256_alignr_epi32(f.col_edges, f.col_edges, 1), f.col_edges);
  const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
  counts.area = _mm512_mullo_epi32(_mm512_permutexvar_epi32(_mm512_srli_epi32(lane, 2), _mm512_castsi256_si512(heights)),
                                   _mm512_broadcast_i32x4(_mm256_castsi256_si128(widths)));
  counts.first = static_cast<std::uint32_t>(_mm_cvtsi128_si32(_mm512_castsi512_si128(counts.area)));
  counts.uniform = _mm512_cmpneq_epi32_mask(counts.area, _mm512_set1_epi32(static_cast<int>(counts.first))) == 0;
  return counts;
}

// The codes of 16 cells (raw sums as 64-bit lanes, cells 0..7 and 8..15) against thresholds
// packed three to a 64-bit entry, `bits` bits each, one entry per pixel count: two gathers of
// eight entries load a third of what three gathers of sixteen thresholds do.
MBI_GLIMPSE_INLINE std::uint64_t packed_codes(__m512i area, __m512i raw_low, __m512i raw_high,
                                              const std::uint64_t* packed, int bits) {
  const __m512i field = _mm512_set1_epi64((std::int64_t{1} << bits) - 1);
  const __m512i low = _mm512_i32gather_epi64(_mm512_castsi512_si256(area), packed, 8);
  const __m512i high = _mm512_i32gather_epi64(_mm512_extracti64x4_epi64(area, 1), packed, 8);
  std::uint64_t codes = 0;
  for (int j = 0; j < 3; ++j) {
    const auto shift = static_cast<unsigned>(bits * j);
    const __m512i t_low = _mm512_and_si512(_mm512_srli_epi64(low, shift), field);
    const __m512i t_high = _mm512_and_si512(_mm512_srli_epi64(high, shift), field);
    const std::uint32_t reaches = static_cast<std::uint32_t>(_mm512_cmpge_epu64_mask(raw_low, t_low)) |
                                  static_cast<std::uint32_t>(_mm512_cmpge_epu64_mask(raw_high, t_high)) << 8;
    codes |= _pdep_u64(reaches, 0x249249249249ULL << j);  // bit j of cell c's code at 3 c + j
  }
  return codes;
}

}  // namespace

MBI_GLIMPSE_TARGET void integrate_avx512(const std::uint8_t* pixels, int rows, int cols, std::uint32_t* sums) {
  const std::size_t stride = static_cast<std::size_t>(cols) + 1;
  std::fill_n(sums, stride, 0U);
  for (int r = 1; r <= rows; ++r) sums[static_cast<std::size_t>(r) * stride] = 0;
  const __m512i zero = _mm512_setzero_si512();
  if (cols <= 32) {
    // A whole row in one register, as 32 16-bit lanes (a row sum of 32 pixels fits): its
    // prefix sum takes five shifted adds, then the two halves are widened and added to the
    // row above. Half the work of two 16-column chunks, with no scalar hand-over between them.
    const __mmask32 mask = first_lanes32(cols);
    __m512i above_low = zero;   // entries (r, 1 .. 16)
    __m512i above_high = zero;  // entries (r, 17 .. 32)
    const auto high_mask = static_cast<__mmask16>(mask >> 16);
    for (int r = 0; r < rows; ++r) {
      std::uint32_t* row = sums + static_cast<std::size_t>(r + 1) * stride;
      const __m512i v = row_prefix16(pixels + static_cast<std::size_t>(r) * static_cast<std::size_t>(cols), mask);
      above_low = _mm512_add_epi32(above_low, _mm512_cvtepu16_epi32(_mm512_castsi512_si256(v)));
      above_high = _mm512_add_epi32(above_high, _mm512_cvtepu16_epi32(_mm512_extracti64x4_epi64(v, 1)));
      _mm512_mask_storeu_epi32(row + 1, static_cast<__mmask16>(mask), above_low);
      if (high_mask != 0) _mm512_mask_storeu_epi32(row + 17, high_mask, above_high);
    }
    return;
  }
  // Sixteen columns at a time, down the rows: the row above stays in a register (reloading
  // what was just stored with a masked store stalls), and rows do not wait on each other's
  // scans, only on one add.
  for (int c = 0; c < cols; c += 16) {
    const int n = std::min(16, cols - c);
    const auto mask = static_cast<__mmask16>(n == 16 ? 0xFFFFU : (1U << n) - 1U);
    __m512i above = zero;  // entries (r, c + 1 .. c + 16)
    for (int r = 0; r < rows; ++r) {
      const std::uint8_t* pixel = pixels + static_cast<std::size_t>(r) * static_cast<std::size_t>(cols) + c;
      std::uint32_t* row = sums + static_cast<std::size_t>(r + 1) * stride;
      // Row r's pixels in columns [c, c + lane]: a prefix sum over the 16 lanes, adding the
      // vector shifted up by 1, 2, 4 and 8 lanes (lanes past the row's end load zero).
      __m512i v = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(mask, pixel));
      v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, zero, 15));
      v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, zero, 14));
      v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, zero, 12));
      v = _mm512_add_epi32(v, _mm512_alignr_epi32(v, zero, 8));
      // Row r's pixels in columns [0, c), from the entries the previous chunk wrote.
      const std::uint32_t before = row[c] - row[static_cast<std::ptrdiff_t>(c) - static_cast<std::ptrdiff_t>(stride)];
      above = _mm512_add_epi32(above, _mm512_add_epi32(v, _mm512_set1_epi32(static_cast<int>(before))));
      _mm512_mask_storeu_epi32(row + 1 + c, mask, above);
    }
  }
}

MBI_GLIMPSE_TARGET void integrate16_avx512(const std::uint8_t* pixels, int rows, int cols, std::uint16_t* sums) {
  const std::size_t stride = static_cast<std::size_t>(cols) + 1;
  std::fill_n(sums, stride, std::uint16_t{0});
  const __mmask32 mask = first_lanes32(cols);
  __m512i above = _mm512_setzero_si512();  // entries (r, 1 .. 32), modulo 2^16
  for (int r = 0; r < rows; ++r) {
    std::uint16_t* row = sums + static_cast<std::size_t>(r + 1) * stride;
    row[0] = 0;
    above = _mm512_add_epi16(above, row_prefix16(pixels + static_cast<std::size_t>(r) * static_cast<std::size_t>(cols), mask));
    _mm512_mask_storeu_epi16(row + 1, mask, above);
  }
}

namespace {

// One patch's 48 bits of codes (encode_patches4_avx512).
MBI_GLIMPSE_INLINE std::uint64_t patch4_codes(const std::uint32_t* sums, int rows, int cols, int top, int left,
                                              int pool, const std::uint32_t* thresholds,
                                              const std::uint64_t* packed) {
  const PatchFrame f = patch_frame(rows, cols, top, left, pool);
  const std::size_t stride = static_cast<std::size_t>(cols) + 1;
  // corners[i] lanes 0..4: the table at row edge i and the five column edges.
  __m256i corners[5];
  if (f.span <= 32) {
    // Two masked loads per row edge and a permute: a gather was most of this function.
    const __m512i at = _mm512_castsi256_si512(_mm256_sub_epi32(f.col_edges, _mm256_set1_epi32(f.first_col)));
    const auto low_mask = static_cast<__mmask16>(f.span >= 16 ? 0xFFFFU : (1U << f.span) - 1U);
    const auto high_mask = static_cast<__mmask16>(f.span > 16 ? (1U << (f.span - 16)) - 1U : 0U);
    for (int i = 0; i < 5; ++i) {
      const std::uint32_t* entry = sums + static_cast<std::size_t>(std::clamp(top + i * pool, 0, rows)) * stride + f.first_col;
      corners[i] = _mm512_castsi512_si256(_mm512_permutex2var_epi32(_mm512_maskz_loadu_epi32(low_mask, entry), at,
                                                                    _mm512_maskz_loadu_epi32(high_mask, entry + 16)));
    }
  } else {
    const __m256i row_at = _mm256_mullo_epi32(f.row_edges, _mm256_set1_epi32(static_cast<int>(stride)));
    for (int i = 0; i < 5; ++i) {
      const __m256i at = _mm256_add_epi32(_mm256_permutexvar_epi32(_mm256_set1_epi32(i), row_at), f.col_edges);
      corners[i] = _mm256_mmask_i32gather_epi32(_mm256_setzero_si256(), 0x1F, at, reinterpret_cast<const int*>(sums), 4);
    }
  }
  // Cell (r, c) sums corners (r + 1, c + 1) - (r + 1, c) - (r, c + 1) + (r, c), modulo 2^32
  // and exact as in the portable loop. across[i] lane c: corners (i, c + 1) - (i, c).
  __m128i across[5];
  for (int i = 0; i < 5; ++i)
    across[i] = _mm256_castsi256_si128(_mm256_sub_epi32(_mm256_alignr_epi32(corners[i], corners[i], 1), corners[i]));
  // Row r of cells (across[r + 1] - across[r]) goes to lanes 4 r .. 4 r + 3.
  __m512i raw = _mm512_castsi128_si512(_mm_sub_epi32(across[1], across[0]));
  raw = _mm512_inserti32x4(raw, _mm_sub_epi32(across[2], across[1]), 1);
  raw = _mm512_inserti32x4(raw, _mm_sub_epi32(across[3], across[2]), 2);
  raw = _mm512_inserti32x4(raw, _mm_sub_epi32(across[4], across[3]), 3);

  const CellCounts counts = cell_counts(f, rows, cols, top, left, pool);
  __m512i t0, t1, t2;
  if (counts.uniform) {
    // Every cell has as many pixels (a patch inside the image, or one clipped alike): one
    // set of thresholds.
    const std::uint32_t* t = thresholds + 3 * counts.first;
    t0 = _mm512_set1_epi32(static_cast<int>(t[0]));
    t1 = _mm512_set1_epi32(static_cast<int>(t[1]));
    t2 = _mm512_set1_epi32(static_cast<int>(t[2]));
  } else if (packed != nullptr) {
    return packed_codes(counts.area, _mm512_cvtepu32_epi64(_mm512_castsi512_si256(raw)),
                        _mm512_cvtepu32_epi64(_mm512_extracti64x4_epi64(raw, 1)), packed, kPackedBits);
  } else {
    const __m512i at = _mm512_add_epi32(counts.area, _mm512_add_epi32(counts.area, counts.area));  // 3 per count
    t0 = _mm512_i32gather_epi32(at, thresholds, 4);
    t1 = _mm512_i32gather_epi32(at, thresholds + 1, 4);
    t2 = _mm512_i32gather_epi32(at, thresholds + 2, 4);
  }
  // Bit j of cell c's code at 3 c + j.
  return _pdep_u64(_mm512_cmpge_epu32_mask(raw, t0), 0x249249249249ULL) |
         _pdep_u64(_mm512_cmpge_epu32_mask(raw, t1), 0x492492492492ULL) |
         _pdep_u64(_mm512_cmpge_epu32_mask(raw, t2), 0x924924924924ULL);
}

// The same from a 16-bit table (encode_patches4_16_avx512): the five corner rows are one
// permute each, and the 16 cell sums fit one 256-bit register.
MBI_GLIMPSE_INLINE std::uint64_t patch4_codes16(const std::uint16_t* sums, int rows, int cols, int top, int left,
                                                int pool, const std::uint32_t* thresholds,
                                                const std::uint64_t* packed16) {
  const PatchFrame f = patch_frame(rows, cols, top, left, pool);
  const std::size_t stride = static_cast<std::size_t>(cols) + 1;
  // Lanes 0..4: the five column edges' entries; a row of up to 32 entries is one load (33 at
  // most, the last from a second).
  const __m512i at =
      _mm512_castsi128_si512(_mm256_cvtepi32_epi16(_mm256_sub_epi32(f.col_edges, _mm256_set1_epi32(f.first_col))));
  const __mmask32 low_mask = first_lanes32(f.span);
  const __mmask32 high_mask = first_lanes32(std::max(f.span - 32, 0));
  // across[i] lane c: entry (row edge i, column edge c + 1) - (i, c), modulo 2^16.
  __m128i across[5];
  for (int i = 0; i < 5; ++i) {
    const std::uint16_t* entry = sums + static_cast<std::size_t>(std::clamp(top + i * pool, 0, rows)) * stride + f.first_col;
    const __m128i corners = _mm512_castsi512_si128(_mm512_permutex2var_epi16(
        _mm512_maskz_loadu_epi16(low_mask, entry), at, _mm512_maskz_loadu_epi16(high_mask, entry + 32)));
    across[i] = _mm_sub_epi16(_mm_srli_si128(corners, 2), corners);
  }
  // Row r of cells (lanes 0..3 of across[r + 1] - across[r]) goes to lanes 4 r .. 4 r + 3:
  // exact sums, every cell holding at most 257 pixels.
  const __m128i rows01 = _mm_unpacklo_epi64(_mm_sub_epi16(across[1], across[0]), _mm_sub_epi16(across[2], across[1]));
  const __m128i rows23 = _mm_unpacklo_epi64(_mm_sub_epi16(across[3], across[2]), _mm_sub_epi16(across[4], across[3]));
  const __m256i raw = _mm256_inserti128_si256(_mm256_castsi128_si256(rows01), rows23, 1);

  const CellCounts counts = cell_counts(f, rows, cols, top, left, pool);
  if (counts.uniform) {
    const std::uint32_t* t = thresholds + 3 * counts.first;
    return _pdep_u64(_mm256_cmpge_epu16_mask(raw, _mm256_set1_epi16(static_cast<short>(t[0]))), 0x249249249249ULL) |
           _pdep_u64(_mm256_cmpge_epu16_mask(raw, _mm256_set1_epi16(static_cast<short>(t[1]))), 0x492492492492ULL) |
           _pdep_u64(_mm256_cmpge_epu16_mask(raw, _mm256_set1_epi16(static_cast<short>(t[2]))), 0x924924924924ULL);
  }
  return packed_codes(counts.area, _mm512_cvtepu16_epi64(_mm256_castsi256_si128(raw)),
                      _mm512_cvtepu16_epi64(_mm256_extracti128_si256(raw, 1)), packed16, 16);
}

}  // namespace

MBI_GLIMPSE_TARGET void encode_patches4_16_avx512(const std::uint16_t* sums, int rows, int cols, int px, int py,
                                                  int patches, int scale, const std::uint32_t* const* thresholds,
                                                  const std::uint64_t* const* packed16, const std::size_t* first_word,
                                                  std::uint64_t* key) {
  int pool = 1;
  for (int k = 0; k < patches; ++k, pool *= scale) {
    const int side = 4 * pool;
    key[first_word[k]] = patch4_codes16(sums, rows, cols, py - side / 2, px - side / 2, pool, thresholds[k], packed16[k]);
  }
}

MBI_GLIMPSE_TARGET void encode_patches4_avx512(const std::uint32_t* sums, int rows, int cols, int px, int py,
                                               int patches, int scale, const std::uint32_t* const* thresholds,
                                               const std::uint64_t* const* packed, const std::size_t* first_word,
                                               std::uint64_t* key) {
  int pool = 1;
  for (int k = 0; k < patches; ++k, pool *= scale) {
    const int side = 4 * pool;
    key[first_word[k]] = patch4_codes(sums, rows, cols, py - side / 2, px - side / 2, pool, thresholds[k], packed[k]);
  }
}

}  // namespace mbi::detail

MBI_AVX512_CODE_END

#else  // not x86-64 GCC/Clang: never chosen (glimpse_avx512_compiled() is false)

#include <stdexcept>

namespace mbi::detail {
bool glimpse_avx512_compiled() { return false; }
void integrate_avx512(const std::uint8_t*, int, int, std::uint32_t*) {
  throw std::logic_error("AVX-512 glimpse path not compiled");
}
void encode_patches4_avx512(const std::uint32_t*, int, int, int, int, int, int, const std::uint32_t* const*,
                            const std::uint64_t* const*, const std::size_t*, std::uint64_t*) {
  throw std::logic_error("AVX-512 glimpse path not compiled");
}
void integrate16_avx512(const std::uint8_t*, int, int, std::uint16_t*) {
  throw std::logic_error("AVX-512 glimpse path not compiled");
}
void encode_patches4_16_avx512(const std::uint16_t*, int, int, int, int, int, int, const std::uint32_t* const*,
                               const std::uint64_t* const*, const std::size_t*, std::uint64_t*) {
  throw std::logic_error("AVX-512 glimpse path not compiled");
}
}  // namespace mbi::detail

#endif
