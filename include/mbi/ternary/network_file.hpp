#pragma once
// Ternary network files (.tnet): versioned and checksummed, written atomically, read with
// nothing but the standard library so every device simulator can load them.
//
//   "MBITNET1" | u32 version | u32 payload bytes | payload | u32 crc32(everything before)
//
// The payload is little-endian: the name, the input shape, the activation bits, the input
// thresholds, then each layer (kind, kernel, padding, out channels, weights as int8, the
// activation flag, thresholds as int64, rising flags). docs/ternary-format.md has the details.
#include <filesystem>
#include <string>
#include <string_view>

#include "mbi/ternary/network.hpp"

namespace mbi::ternary {

void save_network(const std::filesystem::path& path, const Network& network);
// Throws mbi::Error naming the file when it is missing, corrupt, of another version or
// describes an invalid network.
Network load_network(const std::filesystem::path& path);
// The same from the file's bytes; `source` names them in errors.
Network parse_network(std::string_view bytes, const std::string& source);

}  // namespace mbi::ternary
