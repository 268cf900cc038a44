#include "mbi/glimpse.hpp"

#include <algorithm>

namespace mbi {

void IntegralImage::assign(std::span<const std::uint8_t> image, int rows, int cols, float mean, float std) {
  rows_ = rows;
  cols_ = cols;
  scale_ = 1.0 / (255.0 * static_cast<double>(std));
  shift_ = static_cast<double>(mean) / static_cast<double>(std);
  sums_.assign(static_cast<std::size_t>(rows + 1) * (cols + 1), 0);
  const std::size_t stride = static_cast<std::size_t>(cols) + 1;
  for (int r = 0; r < rows; ++r) {
    std::uint64_t row_sum = 0;
    for (int c = 0; c < cols; ++c) {
      row_sum += image[static_cast<std::size_t>(r) * cols + c];
      sums_[(r + 1) * stride + c + 1] = sums_[r * stride + c + 1] + row_sum;
    }
  }
}

void extract_glimpse(const IntegralImage& image, const GlimpseGeometry& g, int px, int py, std::span<float> out) {
  std::size_t i = 0;
  int pool = 1;  // scale^k
  for (int k = 0; k < g.patches; ++k, pool *= g.scale) {
    const int side = g.patch * pool;
    const int top = py - side / 2;
    const int left = px - side / 2;
    const double inv_area = 1.0 / (static_cast<double>(pool) * pool);
    for (int r = 0; r < g.patch; ++r) {
      for (int c = 0; c < g.patch; ++c) {
        const int r0 = top + r * pool;
        const int c0 = left + c * pool;
        out[i++] = static_cast<float>(image.box_sum(r0, c0, r0 + pool, c0 + pool) * inv_area);
      }
    }
  }
}

}  // namespace mbi
