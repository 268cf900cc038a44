#pragma once
// Arithmetic on the associative processor: every row holds its own operands in fields of
// adjacent columns, and one sequence of compare/write passes computes all rows at once,
// bit-serially (Fouda et al., "In-memory Associative Processors: Tutorial", arXiv 2203.00662).
// Fields are two's complement when signed; results wrap modulo 2^bits like integer hardware.
// Each operation's pass count (one pass = one compare + one write) is stated beside it and is
// what the simulator counts.
#include <cstdint>
#include <span>

#include "mbi/ap/cam_array.hpp"

namespace mbi::ap {

// `bits` columns from `first_column` up, `stride` apart (1: adjacent), least significant bit
// first. A stride lays a field's bits across racetrack tracks (one bit per track).
struct Field {
  std::uint32_t first_column = 0;
  std::uint32_t bits = 0;
  bool is_signed = false;
  std::uint32_t stride = 1;
  std::uint32_t column(std::uint32_t bit) const { return first_column + bit * stride; }
  // The value of the field's raw bits (sign-extended when signed).
  std::int64_t value_of(std::uint64_t raw) const {
    if (!is_signed || bits == 64 || ((raw >> (bits - 1)) & 1U) == 0) return static_cast<std::int64_t>(raw);
    return static_cast<std::int64_t>(raw | (~std::uint64_t{0} << bits));
  }
};

// dst += src in every row that matches `condition` (all rows when empty). src is at most as
// wide as dst and is sign- or zero-extended to it. `carry` is a scratch column that must hold
// 0 and holds 0 again afterwards. Passes: 2 for bit 0, 4 for each further bit src reaches
// (every bit when src is signed), 2 for each bit above an unsigned src, 1 to clear the carry.
void add(CamArray& cam, Field dst, Field src, std::uint32_t carry, std::span<const ColumnBit> condition = {});
// dst -= src, with the same rules and pass counts (`carry` holds the borrow).
void subtract(CamArray& cam, Field dst, Field src, std::uint32_t carry, std::span<const ColumnBit> condition = {});
std::uint64_t add_passes(Field dst, Field src);  // add and subtract alike

// Signed `field` = max(field, 0): 1 pass.
void relu(CamArray& cam, Field field, std::span<const ColumnBit> condition = {});
// `field` = 0: 1 pass.
void clear(CamArray& cam, Field field, std::span<const ColumnBit> condition = {});
// dst = src (zero- or sign-extended, or truncated, to dst's width): 1 pass to clear dst and
// 1 per dst bit that takes a src bit (all of them when src is signed).
void copy(CamArray& cam, Field dst, Field src, std::span<const ColumnBit> condition = {});

// Activation quantization by thresholds, with no arithmetic: unsigned `dst` = the number of
// thresholds `value` reaches, #{k : value >= t_k} when `rising` (thresholds non-decreasing) or
// #{k : value <= t_k} when falling (non-increasing), so a ReLU, a scale, a batch norm and the
// rounding to 2^bits levels are one step. For each threshold the rows reaching it are tagged by
// prefix patterns of `value` against the constant (one compare per pattern) and take k in one
// write; later thresholds overwrite earlier ones. Passes: requantize_passes().
void requantize(CamArray& cam, Field dst, Field value, std::span<const std::int64_t> thresholds, bool rising,
                std::span<const ColumnBit> condition = {});
std::uint64_t requantize_passes(Field value, std::span<const std::int64_t> thresholds, bool rising);

// dst = max(dst, src) for fields of equal width and signedness, by an MSB-first comparison
// that marks `greater` (src > dst) and keeps `equal` (so far equal) in two scratch columns that
// hold 0 before and after. `on_greater` is also written into the rows where src > dst (argmax
// uses it for the index). Passes: 4 x bits + 2, and 1 more with `on_greater`.
void max_into(CamArray& cam, Field dst, Field src, std::uint32_t greater, std::uint32_t equal,
              std::span<const ColumnBit> on_greater = {}, std::span<const ColumnBit> condition = {});
std::uint64_t max_passes(Field field, bool writes_on_greater);

// Every row's index of its largest value (the first one on ties, like std::max_element) into
// unsigned `index`; `best` (as wide as the values) ends holding that value. Values share width
// and signedness. Passes: 1 + copy into best + (values - 1) x max_passes(with index).
void argmax(CamArray& cam, std::span<const Field> values, Field index, Field best, std::uint32_t greater,
            std::uint32_t equal, std::span<const ColumnBit> condition = {});

// A value into / out of one row's field (two's complement when signed; counted as row
// stores and reads). The value must fit the field.
void store_value(CamArray& cam, std::size_t row, Field field, std::int64_t value);
std::int64_t load_value(CamArray& cam, std::size_t row, Field field);

}  // namespace mbi::ap
