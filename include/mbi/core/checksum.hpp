#pragma once
// CRC-32 (IEEE 802.3 polynomial, as zlib's crc32) for the files mbi writes. Kept in the
// core library so that loading a table needs nothing beyond the standard library.
#include <cstddef>
#include <cstdint>

namespace mbi {

// Continues a running CRC: crc32(b, crc32(a)) == crc32(a ++ b). Start with 0.
std::uint32_t crc32(const void* data, std::size_t size, std::uint32_t crc = 0);

}  // namespace mbi
