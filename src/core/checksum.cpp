#include "mbi/core/checksum.hpp"

#include <array>
#include <bit>
#include <cstring>

namespace mbi {
namespace {

// Slicing-by-8 (Intel's method): table k maps a byte to its CRC contribution k bytes
// further on, so eight input bytes are folded per iteration with eight independent table
// reads instead of eight dependent ones. A 60 MB table file is checked on every load, and
// the bytewise loop took longer than the lookups of a whole test split.
using Tables = std::array<std::array<std::uint32_t, 256>, 8>;

constexpr Tables make_tables() {
  Tables t{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1U) ? 0xEDB88320U ^ (c >> 1) : c >> 1;
    t[0][i] = c;
  }
  for (std::uint32_t i = 0; i < 256; ++i)
    for (std::size_t k = 1; k < 8; ++k) t[k][i] = (t[k - 1][i] >> 8) ^ t[0][t[k - 1][i] & 0xFFU];
  return t;
}

constexpr Tables kTables = make_tables();

}  // namespace

std::uint32_t crc32(const void* data, std::size_t size, std::uint32_t crc) {
  static_assert(std::endian::native == std::endian::little, "slicing-by-8 below reads words little-endian");
  const auto* p = static_cast<const unsigned char*>(data);
  crc = ~crc;
  for (; size >= 8; size -= 8, p += 8) {
    std::uint32_t lo;
    std::uint32_t hi;
    std::memcpy(&lo, p, 4);
    std::memcpy(&hi, p + 4, 4);
    lo ^= crc;
    crc = kTables[7][lo & 0xFFU] ^ kTables[6][(lo >> 8) & 0xFFU] ^ kTables[5][(lo >> 16) & 0xFFU] ^
          kTables[4][lo >> 24] ^ kTables[3][hi & 0xFFU] ^ kTables[2][(hi >> 8) & 0xFFU] ^
          kTables[1][(hi >> 16) & 0xFFU] ^ kTables[0][hi >> 24];
  }
  for (; size > 0; --size, ++p) crc = kTables[0][(crc ^ *p) & 0xFFU] ^ (crc >> 8);
  return ~crc;
}

}  // namespace mbi
