#include "mbi/ap/cam_array.hpp"

#include <algorithm>
#include <bit>
#include <string>

#include "mbi/core/error.hpp"

namespace mbi::ap {

CamArray::CamArray(std::size_t rows, std::uint32_t columns, RacetrackGeometry racetrack)
    : rows_(rows),
      columns_(columns),
      words_((rows + 63) / 64),
      tags_(words_, 0),
      last_word_mask_(rows % 64 == 0 ? ~std::uint64_t{0} : (std::uint64_t{1} << (rows % 64)) - 1),
      tracks_(columns, racetrack) {
  if (rows == 0 || columns == 0) throw Error("CAM array: needs at least one row and one column");
  if (words_ > (std::size_t{1} << 40) / columns)
    throw Error("CAM array: " + std::to_string(rows) + " x " + std::to_string(columns) + " bits is too large");
  bits_.assign(words_ * columns, 0);
}

void CamArray::check_column(std::uint32_t column) const {
  if (column >= columns_)
    throw Error("CAM array: column " + std::to_string(column) + " of " + std::to_string(columns_));
}

void CamArray::check_row(std::size_t row) const {
  if (row >= rows_) throw Error("CAM array: row " + std::to_string(row) + " of " + std::to_string(rows_));
}

void CamArray::check_row_bits(std::size_t row, std::uint32_t first_column, std::uint32_t bits,
                              std::uint32_t stride) const {
  check_row(row);
  if (bits > 64 || stride == 0 ||
      (bits > 0 && (first_column >= columns_ || std::uint64_t{bits - 1} * stride >= columns_ - first_column)))
    throw Error("CAM array: " + std::to_string(bits) + " bits from column " + std::to_string(first_column) + " of " +
                std::to_string(columns_));
}

void CamArray::shift(std::uint32_t column) {
  const std::uint64_t shifts = tracks_.align(column);
  counts_.track_shifts += shifts;
  counts_.track_row_shifts += shifts * rows_;
}

void CamArray::compare(std::span<const ColumnBit> key) {
  for (const ColumnBit& k : key) {
    check_column(k.column);
    shift(k.column);
  }
  std::uint64_t* tags = tags_.data();
  for (std::size_t w = 0; w < words_; ++w) tags[w] = ~std::uint64_t{0};
  tags[words_ - 1] = last_word_mask_;
  // One sweep per key bit: a row stays tagged while its bit equals the key's (the XOR with
  // all ones turns a 0 in the key into "bit is 0").
  for (const ColumnBit& k : key) {
    const std::uint64_t* p = plane(k.column);
    const std::uint64_t flip = k.bit ? 0 : ~std::uint64_t{0};
    for (std::size_t w = 0; w < words_; ++w) tags[w] &= p[w] ^ flip;
  }
  ++counts_.compares;
  counts_.compare_row_bits += rows_ * key.size();
}

void CamArray::write(std::span<const ColumnBit> value) {
  for (const ColumnBit& v : value) {
    check_column(v.column);
    shift(v.column);
  }
  const std::uint64_t* tags = tags_.data();
  std::uint64_t tagged = 0;
  for (std::size_t w = 0; w < words_; ++w) tagged += static_cast<std::uint64_t>(std::popcount(tags[w]));
  for (const ColumnBit& v : value) {
    std::uint64_t* p = plane(v.column);
    if (v.bit)
      for (std::size_t w = 0; w < words_; ++w) p[w] |= tags[w];
    else
      for (std::size_t w = 0; w < words_; ++w) p[w] &= ~tags[w];
  }
  ++counts_.writes;
  counts_.write_row_bits += tagged * value.size();
}

bool CamArray::any_tagged() {
  ++counts_.tag_reductions;
  for (std::size_t w = 0; w < words_; ++w)
    if (tags_[w] != 0) return true;
  return false;
}

std::size_t CamArray::count_tagged() {
  ++counts_.tag_reductions;
  std::size_t n = 0;
  for (std::size_t w = 0; w < words_; ++w) n += static_cast<std::size_t>(std::popcount(tags_[w]));
  return n;
}

std::optional<std::size_t> CamArray::first_tagged() {
  ++counts_.tag_reductions;
  for (std::size_t w = 0; w < words_; ++w)
    if (tags_[w] != 0) return w * 64 + static_cast<std::size_t>(std::countr_zero(tags_[w]));
  return std::nullopt;
}

bool CamArray::tagged(std::size_t row) const {
  check_row(row);
  return (tags_[row / 64] >> (row % 64)) & 1U;
}

void CamArray::store(std::size_t row, std::uint32_t first_column, std::uint32_t bits, std::uint64_t value,
                     std::uint32_t stride) {
  check_row_bits(row, first_column, bits, stride);
  const std::uint64_t bit = std::uint64_t{1} << (row % 64);
  for (std::uint32_t b = 0; b < bits; ++b) {
    const std::uint32_t column = first_column + b * stride;
    shift(column);
    std::uint64_t& word = plane(column)[row / 64];
    word = (value >> b) & 1U ? word | bit : word & ~bit;
  }
  ++counts_.row_stores;
  counts_.row_store_bits += bits;
}

std::uint64_t CamArray::load(std::size_t row, std::uint32_t first_column, std::uint32_t bits, std::uint32_t stride) {
  check_row_bits(row, first_column, bits, stride);
  std::uint64_t value = 0;
  for (std::uint32_t b = 0; b < bits; ++b) {
    const std::uint32_t column = first_column + b * stride;
    shift(column);
    value |= ((plane(column)[row / 64] >> (row % 64)) & 1U) << b;
  }
  ++counts_.row_reads;
  counts_.row_read_bits += bits;
  return value;
}

void CamArray::store_rows(std::span<const std::uint32_t> columns, std::span<const std::uint64_t> values) {
  if (values.size() != rows_ || columns.size() > 64) throw Error("CAM array: store_rows takes one value per row, <= 64 bits");
  for (std::size_t b = 0; b < columns.size(); ++b) {
    check_column(columns[b]);
    shift(columns[b]);
    std::uint64_t* p = plane(columns[b]);
    for (std::size_t w = 0; w < words_; ++w) {
      std::uint64_t word = 0;
      const std::size_t end = std::min<std::size_t>(64, rows_ - w * 64);
      for (std::size_t r = 0; r < end; ++r) word |= ((values[w * 64 + r] >> b) & 1U) << r;
      p[w] = word;
    }
  }
  counts_.row_stores += rows_;
  counts_.row_store_bits += rows_ * columns.size();
}

void CamArray::load_rows(std::span<const std::uint32_t> columns, std::span<std::uint64_t> values) {
  if (values.size() != rows_ || columns.size() > 64) throw Error("CAM array: load_rows takes one value per row, <= 64 bits");
  std::fill(values.begin(), values.end(), 0);
  for (std::size_t b = 0; b < columns.size(); ++b) {
    check_column(columns[b]);
    shift(columns[b]);
    const std::uint64_t* p = plane(columns[b]);
    for (std::size_t r = 0; r < rows_; ++r) values[r] |= ((p[r / 64] >> (r % 64)) & 1U) << b;
  }
  counts_.row_reads += rows_;
  counts_.row_read_bits += rows_ * columns.size();
}

}  // namespace mbi::ap
