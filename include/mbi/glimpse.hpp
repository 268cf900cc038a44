#pragma once
// The RAM's glimpse sensor in plain C++: it runs at training time (for the teacher) and at
// lookup time (to form queries), so both see exactly the same numbers.
//
// Reference behaviour: patch k has side patch*scale^k, is centred on the pixel location
// (start = centre - side/2), reads zero outside the image, and is average-pooled by
// scale^k down to patch x patch. Output order: patch k, row, column.
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

// Summed-area table of one image, so every pooled cell costs four reads whatever its size.
class IntegralImage {
 public:
  IntegralImage() = default;
  IntegralImage(std::span<const float> image, int rows, int cols) { assign(image, rows, cols); }
  void assign(std::span<const float> image, int rows, int cols);
  // Sum of pixels in rows [r0, r1) x cols [c0, c1), clipped to the image (outside is 0).
  double box_sum(int r0, int c0, int r1, int c1) const;

 private:
  int rows_ = 0;
  int cols_ = 0;
  std::vector<double> sums_;  // (rows+1) x (cols+1)
};

// Writes geometry.size() values to `out` for the glimpse centred at pixel (px, py).
void extract_glimpse(const IntegralImage& image, const GlimpseGeometry& geometry, int px, int py,
                     std::span<float> out);

}  // namespace mbi
