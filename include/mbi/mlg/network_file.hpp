#pragma once
// Generated network files (.gnet): versioned and checksummed, written atomically, read with
// nothing but the standard library.
//
//   "MBIGNET1" | u32 version | u32 payload bytes | payload | u32 crc32(everything before)
//
// The payload is little-endian: name, method, input shape and scale, then each op (kind and
// its fields; a stored tensor as bits, scale, element count and its values: float32 for 32
// bits, else the codes packed `bits` bits each, least significant bit first), so the file
// holds the network in about the bytes memory() counts.
#include <filesystem>
#include <string>
#include <string_view>

#include "mbi/mlg/generated_network.hpp"

namespace mbi::mlg {

void save_generated_network(const std::filesystem::path& path, const GeneratedNetwork& network);
// Throws mbi::Error naming the file when it is missing, corrupt, of another version or
// describes an invalid network.
GeneratedNetwork load_generated_network(const std::filesystem::path& path);
// The same from the file's bytes; `source` names them in errors.
GeneratedNetwork parse_generated_network(std::string_view bytes, const std::string& source);

}  // namespace mbi::mlg
