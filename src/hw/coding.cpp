#include "mbi/hw/coding.hpp"

#include <algorithm>
#include <bit>

#include "mbi/core/error.hpp"

namespace mbi::hw {

std::string_view coding_name(Coding coding) {
  return coding == Coding::binary ? "binary" : "thermometer";
}

Coding parse_coding(std::string_view name) {
  if (name == "binary") return Coding::binary;
  if (name == "thermometer") return Coding::thermometer;
  throw Error("unknown coding '" + std::string(name) + "' (expected binary or thermometer)");
}

std::uint32_t binary_bits(std::uint32_t levels) {
  return levels <= 2 ? 1U : static_cast<std::uint32_t>(std::bit_width(levels - 1));
}

std::uint32_t columns_per_value(std::uint32_t levels, Coding coding) {
  return coding == Coding::binary ? binary_bits(levels) : std::max(levels, 2U) - 1;
}

std::uint32_t coded_distance(std::uint32_t key, std::uint32_t query, std::uint32_t levels, Coding coding) {
  const std::uint32_t top = std::max(levels, 2U) - 1;
  key = std::min(key, top);
  query = std::min(query, top);
  if (coding == Coding::thermometer) return key > query ? key - query : query - key;
  // With one column per bit and bit j precharged in proportion to 2^j, the differing bits
  // each contribute their own weight: the value of the XOR.
  return key ^ query;
}

}  // namespace mbi::hw
