#pragma once
// How one small integer value is laid out on the columns of the distance array.
//
// binary       the paper's scheme (sec. III-D): p = ceil(log2(levels)) columns, column j
//              holding bit j and precharged to V_P,max / 2^(p-j-1), so a mismatch in bit j
//              removes charge proportional to 2^j. The array therefore computes the
//              bit-weighted Hamming distance sum_j |k_j - q_j| 2^j, which is not |K - Q|:
//              K = 2 (10), Q = 1 (01) gives 3 where the Manhattan distance is 1.
// thermometer  levels-1 columns, value v stored as v ones (column j holds v > j), every
//              column precharged to V_P,max. The number of differing columns is exactly
//              |K - Q|, so the same bit-line circuit computes the Manhattan distance.
#include <cstdint>
#include <string>
#include <string_view>

namespace mbi::hw {

enum class Coding : std::uint8_t { binary, thermometer };

std::string_view coding_name(Coding coding);
// "binary" or "thermometer"; throws mbi::Error otherwise.
Coding parse_coding(std::string_view name);

// Bits of a binary code for values in [0, levels).
std::uint32_t binary_bits(std::uint32_t levels);

// Columns one value occupies.
std::uint32_t columns_per_value(std::uint32_t levels, Coding coding);

// Bit held by column `column` of the code of `value`.
inline bool code_bit(std::uint32_t value, std::uint32_t column, Coding coding) {
  return coding == Coding::binary ? ((value >> column) & 1U) != 0 : value > column;
}

// Charge a mismatch in `column` removes, in units of a least-significant column: the
// column's precharge relative to V_P,max / 2^(p-1). Binary 2^j, thermometer 1.
inline std::uint32_t column_significance(std::uint32_t column, Coding coding) {
  return coding == Coding::binary ? (1U << column) : 1U;
}

// What the bit-line circuit computes for one key/query value pair:
// sum over the value's columns of |k_j - q_j| * significance(j). Values are clamped to
// [0, levels), as mbi::KeyLayout::encode does.
std::uint32_t coded_distance(std::uint32_t key, std::uint32_t query, std::uint32_t levels, Coding coding);

}  // namespace mbi::hw
