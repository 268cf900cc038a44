#pragma once
// Float network files (.fnet): versioned and checksummed, written atomically, read with
// nothing but the standard library.
//
//   "MBIFNET1" | u32 version | u32 payload bytes | payload | u32 crc32(everything before)
//
// The payload is little-endian: the name, the input shape, the input scale (f32), then each
// layer (kind, kernel, padding, out channels, weights as f32, biases as f32, the ReLU flag).
#include <filesystem>
#include <string>
#include <string_view>

#include "mbi/cim/float_network.hpp"

namespace mbi::cim {

void save_float_network(const std::filesystem::path& path, const FloatNetwork& network);
// Throws mbi::Error naming the file when it is missing, corrupt, of another version or
// describes an invalid network.
FloatNetwork load_float_network(const std::filesystem::path& path);
// The same from the file's bytes; `source` names them in errors.
FloatNetwork parse_float_network(std::string_view bytes, const std::string& source);

}  // namespace mbi::cim
