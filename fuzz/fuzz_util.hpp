#pragma once
// What the fuzz targets share: the readers under test take a file, so each input is written
// to a file of this process's own in /dev/shm (memory, not disk) first.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>

namespace mbi::fuzz {

inline std::filesystem::path input_file(const std::string& suffix) {
  const std::filesystem::path dir = std::filesystem::exists("/dev/shm") ? "/dev/shm" : std::filesystem::temp_directory_path();
  return dir / ("mbi-fuzz-" + std::to_string(::getpid()) + suffix);
}

inline const std::filesystem::path& write_input(const std::uint8_t* data, std::size_t size, const std::string& suffix) {
  static const std::filesystem::path path = input_file(suffix);
  std::ofstream(path, std::ios::binary | std::ios::trunc).write(reinterpret_cast<const char*>(data),
                                                                static_cast<std::streamsize>(size));
  return path;
}

}  // namespace mbi::fuzz
