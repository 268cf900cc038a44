// IDX image and label files, plain or gzip (gzread takes both): any bytes must give a set or
// an mbi::Error, never a crash, a sanitizer report or another exception.
#include <cstddef>
#include <cstdint>

#include "fuzz_util.hpp"
#include "mbi/core/error.hpp"
#include "mbi/data/idx.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto& path = mbi::fuzz::write_input(data, size, ".idx");
  try {
    mbi::data::read_idx_images(path);
  } catch (const mbi::Error&) {
  }
  try {
    mbi::data::read_idx_labels(path);
  } catch (const mbi::Error&) {
  }
  return 0;
}
