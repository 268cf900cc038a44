#include "mbi/glimpse.hpp"

#include <algorithm>

#include "mbi/error.hpp"
#include "mbi/quantize.hpp"

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

GlimpseQuantizer::GlimpseQuantizer(const GlimpseGeometry& geometry, float mean, float std, float lo, float hi,
                                   int levels)
    : geometry_(geometry), levels_(levels) {
  if (levels < 2 || levels > 256) throw Error("glimpse quantizer: " + std::to_string(levels) + " levels");
  if (!(std > 0.0F) || !(hi > lo)) throw Error("glimpse quantizer: needs std > 0 and hi > lo");
  if (geometry.patch < 1 || geometry.patch > kMaxPatch)
    throw Error("glimpse quantizer: patch side " + std::to_string(geometry.patch) + ", at most " +
                std::to_string(kMaxPatch));
  // The reference path for a cell, as extract_glimpse and quantize_level compute it.
  const IntegralImage normaliser({}, 0, 0, mean, std);
  int pool = 1;
  for (int k = 0; k < geometry.patches; ++k, pool *= geometry.scale) {
    const double inv_area = 1.0 / (static_cast<double>(pool) * pool);
    const auto reference = [&](std::uint64_t raw, int inside) {
      const double sum = inside == 0 ? 0.0 : normaliser.normalised(raw, inside);
      return quantize_level(static_cast<float>(sum * inv_area), lo, hi, levels);
    };
    std::vector<std::uint32_t>& t = thresholds_.emplace_back();
    for (int inside = 0; inside <= pool * pool; ++inside) {
      const std::uint32_t most = 255U * static_cast<std::uint32_t>(inside);
      for (int j = 0; j < levels - 1; ++j) {
        // Smallest raw in [0, most + 1) whose level exceeds j; most + 1 when there is none.
        std::uint32_t below = 0, above = most + 1;
        while (below < above) {
          const std::uint32_t mid = below + (above - below) / 2;
          if (reference(mid, inside) > j)
            above = mid;
          else
            below = mid + 1;
        }
        t.push_back(below);
      }
    }
  }
}

std::uint8_t GlimpseQuantizer::level_of_sum(int patch, std::uint64_t raw, int inside) const {
  const std::uint32_t* t =
      thresholds_.at(static_cast<std::size_t>(patch)).data() + static_cast<std::size_t>(inside) * (levels_ - 1);
  int level = 0;
  for (int j = 0; j < levels_ - 1; ++j) level += raw >= t[j] ? 1 : 0;
  return static_cast<std::uint8_t>(level);
}

}  // namespace mbi
