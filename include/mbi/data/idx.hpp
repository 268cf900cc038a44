#pragma once
// IDX image sets (MNIST, Fashion-MNIST and any other set in the same format), plain or
// gzip-compressed. Nothing here assumes 28x28 or ten classes.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace mbi::data {

struct ImageSet {
  int rows = 0;
  int cols = 0;
  int classes = 0;  // max label + 1
  std::vector<std::uint8_t> pixels;  // count * rows * cols, row-major per image
  std::vector<std::uint8_t> labels;  // count

  std::size_t count() const { return labels.size(); }
  const std::uint8_t* image(std::size_t i) const { return pixels.data() + i * rows * cols; }
  // The images at `indices`, in that order.
  ImageSet subset(const std::vector<std::size_t>& indices) const;
};

// Reads an idx3 (images) file; throws mbi::Error naming the file when it is missing,
// truncated or not an unsigned-byte idx3 file.
ImageSet read_idx_images(const std::filesystem::path& path);
// Reads an idx1 (labels) file.
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path);

// Loads split "train" or "test" from a folder holding the usual file names
// (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...).
ImageSet load_split(const std::filesystem::path& dir, const std::string& split);

// A copy of `set` with every image translated by a seeded random shift of up to
// `max_shift` pixels per axis (zero fill): new images with the same labels.
ImageSet shifted_copy(const ImageSet& set, int max_shift, std::uint64_t seed);

// Seeded split of [0, n) into (train, validation) index lists; validation gets
// round(n * fraction) images. Same seed, same split.
struct TrainValSplit {
  std::vector<std::size_t> train;
  std::vector<std::size_t> validation;
};
TrainValSplit split_train_validation(std::size_t n, double fraction, std::uint64_t seed);

// Loads a named split: "train" (the training file minus the validation part), "val" (the
// validation part), "train-all" (the whole training file) or "test".
ImageSet load_named_split(const std::filesystem::path& dir, const std::string& name, double val_fraction,
                          std::uint64_t split_seed);

}  // namespace mbi::data
