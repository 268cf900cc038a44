#include "mbi/core/image_set.hpp"

#include <algorithm>
#include <numeric>
#include <random>

namespace mbi {

ImageSet ImageSet::subset(const std::vector<std::size_t>& indices) const {
  ImageSet out;
  out.rows = rows;
  out.cols = cols;
  out.classes = classes;
  const std::size_t size = pixels_per_image();
  out.pixels.resize(indices.size() * size);
  out.labels.resize(indices.size());
  for (std::size_t i = 0; i < indices.size(); ++i) {
    std::copy_n(image(indices[i]), size, out.pixels.begin() + static_cast<std::ptrdiff_t>(i * size));
    out.labels[i] = labels[indices[i]];
  }
  return out;
}

ImageSet ImageSet::first(std::size_t n) const {
  std::vector<std::size_t> indices(std::min(n, count()));
  std::iota(indices.begin(), indices.end(), std::size_t{0});
  return subset(indices);
}

ImageSet ImageSet::sample(std::size_t n, std::uint64_t seed) const {
  if (n == 0 || n >= count()) return *this;
  std::vector<std::size_t> order(count());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(n);
  std::sort(order.begin(), order.end());
  return subset(order);
}

ImageSet shifted_copy(const ImageSet& set, int max_shift, std::uint64_t seed) {
  ImageSet out = set;
  // The engine's raw draws, not a std:: distribution: the shifts must be the same with every
  // standard library.
  std::mt19937_64 rng(seed);
  const auto span = static_cast<std::uint64_t>(2 * max_shift + 1);
  for (std::size_t i = 0; i < set.count(); ++i) {
    const int dx = static_cast<int>(rng() % span) - max_shift;
    const int dy = static_cast<int>(rng() % span) - max_shift;
    const std::uint8_t* src = set.image(i);
    std::uint8_t* dst = out.pixels.data() + i * set.pixels_per_image();
    for (int r = 0; r < set.rows; ++r)
      for (int c = 0; c < set.cols; ++c) {
        const int sr = r - dy;
        const int sc = c - dx;
        dst[r * set.cols + c] = sr >= 0 && sr < set.rows && sc >= 0 && sc < set.cols ? src[sr * set.cols + sc] : 0;
      }
  }
  return out;
}

}  // namespace mbi
