#pragma once
// The RAM's glimpse sensor in plain C++: it runs at training time (for the teacher) and at
// lookup time (to form queries), so both see exactly the same numbers.
//
// Reference behaviour: patch k has side patch*scale^k, is centred on the pixel location
// (start = centre - side/2), reads zero outside the image, and is average-pooled by
// scale^k down to patch x patch. Output order: patch k, row, column.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "mbi/search/key_layout.hpp"
#include "mbi/lookup/ram_config.hpp"

namespace mbi {

// Which code integrates images and encodes glimpses: the portable loops, or AVX-512 (with
// BMI2) where the CPU has it. Both give the same sums and keys bit for bit; the tests run
// both. best_glimpse_path() is what is used unless a caller names a path.
enum class GlimpsePath : std::uint8_t { portable, avx512 };
bool glimpse_path_supported(GlimpsePath path);
GlimpsePath best_glimpse_path();  // the CPU is asked once

struct GlimpseGeometry {
  int rows = 28;
  int cols = 28;
  int patch = 4;
  int patches = 3;
  int scale = 4;

  static GlimpseGeometry from(const RamConfig& c) { return {c.image_rows, c.image_cols, c.patch, c.patches, c.scale}; }
  int size() const { return patches * patch * patch; }
};

// Summed-area table of one 8-bit image, so every pooled cell costs four reads whatever its
// size. Sums are exact integers; the normalisation (p/255 - mean) / std is applied to the
// box sums, so the teacher and lookups get bit-identical glimpses from the same code.
// Outside the image the *normalised* value is 0 (the reference pads after normalising).
//
// The table holds 32-bit sums: every one fits for an image of at most kMaxPixels pixels, and
// a box sum, four of them added and subtracted modulo 2^32, is then exact. Half the bytes of
// 64-bit sums, so a lookup batch's images stay in L2.
class IntegralImage {
 public:
  IntegralImage() = default;
  IntegralImage(std::span<const std::uint8_t> pixels, int rows, int cols, float mean, float std) {
    assign(pixels, rows, cols, mean, std);
  }
  // Throws mbi::Error for an image of more than kMaxPixels pixels, or for a path this CPU
  // does not have.
  void assign(std::span<const std::uint8_t> pixels, int rows, int cols, float mean, float std,
              GlimpsePath path = best_glimpse_path());
  // Largest image whose every box sum fits in 32 bits (255 per pixel).
  static constexpr std::uint64_t kMaxPixels = 0xFFFFFFFFULL / 255;
  // Sum of normalised pixels in rows [r0, r1) x cols [c0, c1), clipped to the image.
  // Inline: a lookup takes dozens of these per glimpse.
  double box_sum(int r0, int c0, int r1, int c1) const {
    int inside = 0;
    const std::uint64_t raw = raw_sum(r0, c0, r1, c1, inside);
    return inside == 0 ? 0.0 : normalised(raw, inside);
  }
  // Sum of the raw 8-bit pixels in the box clipped to the image; `inside` gets how many
  // pixels that is (0 when the box lies outside).
  std::uint64_t raw_sum(int r0, int c0, int r1, int c1, int& inside) const {
    r0 = std::clamp(r0, 0, rows_);
    r1 = std::clamp(r1, 0, rows_);
    c0 = std::clamp(c0, 0, cols_);
    c1 = std::clamp(c1, 0, cols_);
    if (r0 >= r1 || c0 >= c1) {
      inside = 0;
      return 0;
    }
    inside = (r1 - r0) * (c1 - c0);
    const std::size_t stride = static_cast<std::size_t>(cols_) + 1;
    const std::uint32_t sum =
        sums_[r1 * stride + c1] - sums_[r0 * stride + c1] - sums_[r1 * stride + c0] + sums_[r0 * stride + c0];
    return sum;
  }
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  // Raw pixel sums of rows [0, r) x cols [0, c) for c = 0..cols(): row r of the table.
  const std::uint32_t* sums_row(int r) const { return sums_.data() + static_cast<std::size_t>(r) * (cols_ + 1); }
  // box_sum of a box with raw pixel sum `raw` over `inside` > 0 pixels of the image.
  double normalised(std::uint64_t raw, int inside) const {
    return scale_ * static_cast<double>(raw) - shift_ * static_cast<double>(inside);
  }

 private:
  int rows_ = 0;
  int cols_ = 0;
  double scale_ = 1.0;  // 1 / (255 std)
  double shift_ = 0.0;  // mean / std
  std::vector<std::uint32_t> sums_;  // (rows+1) x (cols+1) raw pixel sums
};

// The same table kept modulo 2^16, for the AVX-512 lookup path: half the bytes, and a row of up
// to 32 sums in one register. A box sum from four entries, modulo 2^16, is exact when the box
// holds at most kMaxBoxPixels pixels (257 x 255 < 2^16): every cell of a glimpse whose cells are
// at most 16 x 16, as the published RAM's largest are (GlimpseQuantizer::compact_supported).
// Raw sums only: what the glimpse codes need.
class CompactIntegralImage {
 public:
  static constexpr int kMaxCols = 32;
  static constexpr int kMaxBoxPixels = 257;
  // Throws mbi::Error for an image of more than kMaxCols columns, or for a path this CPU does
  // not have.
  void assign(std::span<const std::uint8_t> pixels, int rows, int cols, GlimpsePath path = best_glimpse_path());
  int rows() const { return rows_; }
  int cols() const { return cols_; }
  // Raw pixel sums modulo 2^16 of rows [0, r) x cols [0, c) for c = 0..cols(): row r.
  const std::uint16_t* sums_row(int r) const { return sums_.data() + static_cast<std::size_t>(r) * (cols_ + 1); }

 private:
  int rows_ = 0;
  int cols_ = 0;
  std::vector<std::uint16_t> sums_;  // (rows+1) x (cols+1)
};

// Writes geometry.size() values to `out` for the glimpse centred at pixel (px, py).
void extract_glimpse(const IntegralImage& image, const GlimpseGeometry& geometry, int px, int py,
                     std::span<float> out);

// Quantised glimpses straight from integer box sums: what quantize_level gives for each value
// of extract_glimpse, bit for bit, without floating point per cell (lookup inference forms a
// query per step, and pooling and quantising were most of its cost on a cached table).
//
// Why it is exact: for a given patch and number of pixels inside the image, a cell's level is
// a non-decreasing function of its raw pixel sum (every step from the sum to the level is
// monotone, roundings included). So the level is the number of thresholds the sum reaches,
// and each threshold is found once, by bisection over the sums with the reference path itself.
class GlimpseQuantizer {
 public:
  // The glimpse of `geometry` on images normalised with (mean, std), quantised to `levels`
  // levels over [lo, hi] (RamConfig's norm_mean, norm_std, phi_lo, phi_hi, phi_levels()).
  GlimpseQuantizer(const GlimpseGeometry& geometry, float mean, float std, float lo, float hi, int levels);

  // Writes geometry.size() levels to `out` for the glimpse centred at pixel (px, py) of an
  // image integrated with the same mean and std.
  void levels(const IntegralImage& image, int px, int py, std::uint8_t* out) const;

  // The same glimpse written straight into a packed key: patch k's levels go, in thermometer
  // code (KeyLayout), into the words of key segment segments[k] of `layout`, which must hold
  // geometry.patch^2 values of `levels` levels each. Equal, word for word, to levels()
  // followed by KeyLayout::encode_segment; other segments' words are left alone. A cell's
  // code needs no level: bit j is set when its sum reaches the j-th threshold.
  // The AVX-512 path covers 4 x 4 patches of 2-bit levels (the published RAM), each in one
  // word; other glimpses take the portable loops whatever `path` says.
  void encode(const IntegralImage& image, int px, int py, const KeyLayout& layout, const std::size_t* segments,
              std::uint64_t* key, GlimpsePath path = best_glimpse_path()) const;

  // Where encode() writes each patch's codes in the keys of one layout. Made (and checked)
  // once: a lookup encodes a query per step, always into the same layout, and the overload
  // above makes one per call (twice the time of the glimpse itself).
  struct KeyTarget {
    std::vector<std::size_t> first_word;  // per patch: its segment's first word in the key
    std::vector<std::size_t> words;       // per patch: its segment's words
    bool one_word = false;                // 3 bits per cell and every patch in one word
  };
  // Throws mbi::Error when a segment does not hold this glimpse's patch (values or levels).
  KeyTarget key_target(const KeyLayout& layout, const std::size_t* segments) const;
  void encode(const IntegralImage& image, int px, int py, const KeyTarget& target, std::uint64_t* key,
              GlimpsePath path = best_glimpse_path()) const;

  // Whether encode() from a CompactIntegralImage covers this glimpse into keys of `target`:
  // on an AVX-512 CPU, for 4 x 4 patches of 2-bit levels each in one key word, cells of at
  // most CompactIntegralImage::kMaxBoxPixels pixels and images of at most its kMaxCols columns.
  bool compact_supported(const KeyTarget& target) const;
  // encode() from the 16-bit table: the same key words, bit for bit. Throws mbi::Error where
  // compact_supported(target) is false or the image is not the geometry's size.
  void encode(const CompactIntegralImage& image, int px, int py, const KeyTarget& target, std::uint64_t* key) const;

  // The level of a cell of patch `patch` whose `inside` pixels in the image sum to `raw`.
  std::uint8_t level_of_sum(int patch, std::uint64_t raw, int inside) const;

  static constexpr int kMaxPatch = 64;  // cells per patch side

 private:
  GlimpseGeometry geometry_;
  int levels_;
  // Per patch: for inside = 0 .. pool^2, levels - 1 thresholds, the j-th being the smallest
  // raw sum whose level exceeds j (255 x inside + 1 when none does).
  std::vector<std::vector<std::uint32_t>> thresholds_;
  // Per patch, for 2-bit levels: a count's three thresholds in one entry (the AVX-512 path's
  // gathers); empty for a patch whose thresholds do not pack.
  std::vector<std::vector<std::uint64_t>> packed_thresholds_;
  // The same in 16 bits each, for the compact path; empty where they do not fit.
  std::vector<std::vector<std::uint64_t>> packed16_thresholds_;
  bool compact_glimpse_ = false;  // compact_supported() but for the key target
};

}  // namespace mbi
