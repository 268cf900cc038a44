// CRC-32 against the standard check value and a bit-at-a-time reference.
#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "mbi/core/checksum.hpp"

namespace mbi {
namespace {

// The definition itself: reflected polynomial 0xEDB88320, one bit per iteration.
std::uint32_t reference_crc32(const std::vector<unsigned char>& bytes, std::uint32_t crc = 0) {
  crc = ~crc;
  for (const unsigned char b : bytes) {
    crc ^= b;
    for (int k = 0; k < 8; ++k) crc = (crc & 1U) ? 0xEDB88320U ^ (crc >> 1) : crc >> 1;
  }
  return ~crc;
}

TEST(Checksum, MatchesTheStandardCheckValue) {
  const std::string check = "123456789";
  EXPECT_EQ(crc32(check.data(), check.size()), 0xCBF43926U);
  EXPECT_EQ(crc32(check.data(), 0), 0U);
}

TEST(Checksum, AgreesWithTheBitwiseDefinitionAtEveryLengthAndAlignment) {
  std::mt19937 rng(7);
  std::vector<unsigned char> buffer(300);
  for (auto& b : buffer) b = static_cast<unsigned char>(rng());
  for (std::size_t offset = 0; offset < 9; ++offset) {
    for (std::size_t size = 0; size + offset <= 120; ++size) {
      const std::vector<unsigned char> slice(buffer.begin() + static_cast<std::ptrdiff_t>(offset),
                                             buffer.begin() + static_cast<std::ptrdiff_t>(offset + size));
      ASSERT_EQ(crc32(buffer.data() + offset, size), reference_crc32(slice)) << "offset " << offset << " size " << size;
    }
  }
}

TEST(Checksum, ContinuesAcrossChunks) {
  std::vector<unsigned char> bytes(1000);
  std::mt19937 rng(3);
  for (auto& b : bytes) b = static_cast<unsigned char>(rng());
  const std::uint32_t whole = crc32(bytes.data(), bytes.size());
  for (const std::size_t cut : {0UL, 1UL, 7UL, 8UL, 13UL, 500UL, 999UL, 1000UL}) {
    const std::uint32_t first = crc32(bytes.data(), cut);
    EXPECT_EQ(crc32(bytes.data() + cut, bytes.size() - cut, first), whole) << "cut at " << cut;
  }
}

}  // namespace
}  // namespace mbi
