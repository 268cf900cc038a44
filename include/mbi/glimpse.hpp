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

#include "mbi/ram_config.hpp"

namespace mbi {

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
class IntegralImage {
 public:
  IntegralImage() = default;
  IntegralImage(std::span<const std::uint8_t> pixels, int rows, int cols, float mean, float std) {
    assign(pixels, rows, cols, mean, std);
  }
  void assign(std::span<const std::uint8_t> pixels, int rows, int cols, float mean, float std);
  // Sum of normalised pixels in rows [r0, r1) x cols [c0, c1), clipped to the image.
  // Inline: a lookup takes dozens of these per glimpse.
  double box_sum(int r0, int c0, int r1, int c1) const {
    r0 = std::clamp(r0, 0, rows_);
    r1 = std::clamp(r1, 0, rows_);
    c0 = std::clamp(c0, 0, cols_);
    c1 = std::clamp(c1, 0, cols_);
    if (r0 >= r1 || c0 >= c1) return 0.0;
    const std::size_t stride = static_cast<std::size_t>(cols_) + 1;
    const std::uint64_t raw =
        sums_[r1 * stride + c1] - sums_[r0 * stride + c1] - sums_[r1 * stride + c0] + sums_[r0 * stride + c0];
    const double inside = static_cast<double>(r1 - r0) * (c1 - c0);
    return scale_ * static_cast<double>(raw) - shift_ * inside;
  }

 private:
  int rows_ = 0;
  int cols_ = 0;
  double scale_ = 1.0;  // 1 / (255 std)
  double shift_ = 0.0;  // mean / std
  std::vector<std::uint64_t> sums_;  // (rows+1) x (cols+1) raw pixel sums
};

// Writes geometry.size() values to `out` for the glimpse centred at pixel (px, py).
void extract_glimpse(const IntegralImage& image, const GlimpseGeometry& geometry, int px, int py,
                     std::span<float> out);

}  // namespace mbi
