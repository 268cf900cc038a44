#pragma once
// The associative processor's memory: a content-addressable array of R rows x C bit columns
// that computes by search. Each step is a masked compare (a key over a few columns; every
// row that matches is tagged) or a masked write (a value into a few columns of every tagged
// row): bit-serial, word-parallel, the same cost for a hundred rows as for a million.
//
// Stored as bit planes, one bit vector of R rows per column, so a compare is a few AND/XOR
// sweeps over 64 rows a word and a write a blend; every step is counted (op_counts.hpp), and
// with a racetrack geometry each column access first counts the shifts that bring it under a
// port (racetrack.hpp).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mbi/ap/op_counts.hpp"
#include "mbi/ap/racetrack.hpp"

namespace mbi::ap {

// One bit of a compare key or a write value: column `column` holds `bit`.
struct ColumnBit {
  std::uint32_t column;
  bool bit;
};

class CamArray {
 public:
  CamArray(std::size_t rows, std::uint32_t columns, RacetrackGeometry racetrack = {});

  std::size_t rows() const { return rows_; }
  std::uint32_t columns() const { return columns_; }

  // Tags exactly the rows whose bits equal every entry of `key` (every row for an empty key).
  void compare(std::span<const ColumnBit> key);
  // Writes `value` into every tagged row; untagged rows keep their bits.
  void write(std::span<const ColumnBit> value);

  // Tag reductions.
  bool any_tagged();
  std::size_t count_tagged();
  std::optional<std::size_t> first_tagged();
  bool tagged(std::size_t row) const;  // inspection for tests and tools; not counted

  // Row access, for loading inputs and reading results: `bits` (<= 64) columns from
  // `first_column` up, `stride` apart, least significant bit first.
  void store(std::size_t row, std::uint32_t first_column, std::uint32_t bits, std::uint64_t value,
             std::uint32_t stride = 1);
  std::uint64_t load(std::size_t row, std::uint32_t first_column, std::uint32_t bits, std::uint32_t stride = 1);
  // The same for every row at once (values[r] for row r): data moved into or out of the array,
  // counted as one row store (read) per row.
  void store_rows(std::span<const std::uint32_t> columns, std::span<const std::uint64_t> values);
  void load_rows(std::span<const std::uint32_t> columns, std::span<std::uint64_t> values);

  const OpCounts& counts() const { return counts_; }
  void reset_counts() { counts_ = {}; }

 private:
  std::uint64_t* plane(std::uint32_t column) { return bits_.data() + std::size_t{column} * words_; }
  const std::uint64_t* plane(std::uint32_t column) const { return bits_.data() + std::size_t{column} * words_; }
  void check_column(std::uint32_t column) const;
  void shift(std::uint32_t column);  // brings `column` under a port, counting the shifts
  void check_row(std::size_t row) const;
  void check_row_bits(std::size_t row, std::uint32_t first_column, std::uint32_t bits, std::uint32_t stride) const;

  std::size_t rows_;
  std::uint32_t columns_;
  std::size_t words_;                // 64-row words per column
  std::vector<std::uint64_t> bits_;  // column-major bit planes
  std::vector<std::uint64_t> tags_;
  std::uint64_t last_word_mask_;     // the rows that exist in the last word
  RacetrackTracks tracks_;
  OpCounts counts_;
};

}  // namespace mbi::ap
