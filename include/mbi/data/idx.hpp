#pragma once
// IDX image sets (MNIST, Fashion-MNIST and any other set in the same format), plain or
// gzip-compressed. Nothing here assumes 28x28 or ten classes.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "mbi/core/image_set.hpp"

namespace mbi::data {

// Reads an idx3 (images) file; throws mbi::Error naming the file when it is missing,
// truncated or not an unsigned-byte idx3 file.
ImageSet read_idx_images(const std::filesystem::path& path);
// Reads an idx1 (labels) file.
std::vector<std::uint8_t> read_idx_labels(const std::filesystem::path& path);

// Loads split "train" or "test" from a folder holding the usual file names
// (train-images-idx3-ubyte[.gz], train-labels-idx1-ubyte[.gz], t10k-...).
ImageSet load_split(const std::filesystem::path& dir, const std::string& split);

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
