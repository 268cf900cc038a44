#pragma once
// A labelled image set in memory: the one vocabulary type the libraries share (the IDX
// reader fills it, training and every inference system read it). 8-bit pixels, any size,
// any number of classes: nothing here assumes MNIST.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace mbi {

struct ImageSet {
  int rows = 0;
  int cols = 0;
  int classes = 0;                   // max label + 1 of the file the set came from
  std::vector<std::uint8_t> pixels;  // count * rows * cols, row-major per image
  std::vector<std::uint8_t> labels;  // count

  std::size_t count() const { return labels.size(); }
  std::size_t pixels_per_image() const { return static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols); }
  const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * pixels_per_image(); }
  // The images at `indices`, in that order (same size and class count).
  ImageSet subset(const std::vector<std::size_t>& indices) const;
  // The first min(n, count()) images.
  ImageSet first(std::size_t n) const;
  // n images drawn by a seeded shuffle, kept in their original order (all of them when n is
  // 0 or at least count()): the same seed gives the same images.
  ImageSet sample(std::size_t n, std::uint64_t seed) const;
};

// Images back to back (rows x cols bytes each, row-major), borrowed from their owner: an
// ImageSet's pixels, or a caller's buffer (a numpy array from Python) read without a copy.
// The owner must outlive the view and leave the pixels unchanged while it is read.
struct ImageView {
  const std::uint8_t* pixels = nullptr;
  std::size_t count = 0;
  int rows = 0;
  int cols = 0;

  static ImageView of(const ImageSet& set) { return {set.pixels.data(), set.count(), set.rows, set.cols}; }
  std::size_t pixels_per_image() const { return static_cast<std::size_t>(rows) * static_cast<std::size_t>(cols); }
  const std::uint8_t* image(std::size_t i) const { return pixels + i * pixels_per_image(); }
};

// A copy of `set` with every image translated by a seeded random shift of up to
// `max_shift` pixels per axis (zero fill): new images with the same labels.
ImageSet shifted_copy(const ImageSet& set, int max_shift, std::uint64_t seed);

}  // namespace mbi
