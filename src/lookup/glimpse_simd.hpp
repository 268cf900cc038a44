#pragma once
// Private to the lookup library: the AVX-512 bodies of IntegralImage::assign and
// GlimpseQuantizer::encode (glimpse_avx512.cpp). Each gives, bit for bit, what the portable
// loops in glimpse.cpp give; the tests run both.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mbi::detail {

// Whether this build has the AVX-512 glimpse code (x86-64, GCC or Clang).
bool glimpse_avx512_compiled();

// Writes the (rows + 1) x (cols + 1) summed-area table of an 8-bit image to `sums`: row 0 and
// column 0 zero, entry (r, c) the sum of rows [0, r) x cols [0, c).
void integrate_avx512(const std::uint8_t* pixels, int rows, int cols, std::uint32_t* sums);

// The thermometer codes (3 bits per cell, bit j set when the cell's sum reaches its j-th
// threshold) of the glimpse centred at (px, py) made of `patches` 4 x 4 patches, patch k's
// cells being pool x pool boxes (pool = scale^k) clipped to the image whose summed-area table
// is `sums` (stride cols + 1). Patch k's 48 bits (cell r * 4 + c at bits 3 (r * 4 + c) .. + 2)
// are written to key[first_word[k]]; thresholds[k] holds 3 per pixel count 0 .. pool^2, as
// GlimpseQuantizer keeps them, and packed[k] (or nullptr) the same three in one entry per
// count, threshold j at bits kPackedBits j (pack_thresholds).
void encode_patches4_avx512(const std::uint32_t* sums, int rows, int cols, int px, int py, int patches, int scale,
                            const std::uint32_t* const* thresholds, const std::uint64_t* const* packed,
                            const std::size_t* first_word, std::uint64_t* key);

// Bits per threshold in a packed entry: thresholds are at most 255 x pixels + 1, so a patch
// whose cells hold up to 8,224 pixels (pool 90) packs.
constexpr int kPackedBits = 21;

// Patch thresholds (3 per pixel count, as above) packed one entry per count, `bits` bits each;
// empty when one does not fit.
inline std::vector<std::uint64_t> pack_thresholds(const std::vector<std::uint32_t>& thresholds,
                                                  int bits = kPackedBits) {
  std::vector<std::uint64_t> packed;
  for (std::size_t i = 0; i + 3 <= thresholds.size(); i += 3) {
    std::uint64_t entry = 0;
    for (std::size_t j = 0; j < 3; ++j) {
      if (thresholds[i + j] >= (std::uint64_t{1} << bits)) return {};
      entry |= std::uint64_t{thresholds[i + j]} << (bits * j);
    }
    packed.push_back(entry);
  }
  return packed;
}

// The 16-bit counterparts (CompactIntegralImage): sums modulo 2^16 of an image of at most 32
// columns, and the codes from them, given cells of at most 257 pixels (so every raw cell sum
// and every threshold fits in 16 bits). packed16[k] holds patch k's thresholds 16 bits each
// (pack_thresholds(t, 16)); thresholds[k] as for encode_patches4_avx512.
void integrate16_avx512(const std::uint8_t* pixels, int rows, int cols, std::uint16_t* sums);
void encode_patches4_16_avx512(const std::uint16_t* sums, int rows, int cols, int px, int py, int patches, int scale,
                               const std::uint32_t* const* thresholds, const std::uint64_t* const* packed16,
                               const std::size_t* first_word, std::uint64_t* key);

}  // namespace mbi::detail
