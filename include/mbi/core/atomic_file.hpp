#pragma once
// Files are written to a temporary name beside the target and renamed into place, so a
// reader never sees a half-written file and a crash leaves the old file intact.
#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace mbi {

// Replaces `path` with `bytes` atomically, making its folder if missing. The temporary file
// is `<path>.tmp.<pid>`; those that writers killed mid-write left behind are removed first.
// Throws mbi::Error naming the path on failure (an empty path included).
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

// Reads a whole file. Throws mbi::Error naming the path when it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace mbi
