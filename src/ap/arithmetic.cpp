#include "mbi/ap/arithmetic.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <initializer_list>
#include <string>
#include <vector>

#include "mbi/ap/truth_table.hpp"
#include "mbi/core/error.hpp"

namespace mbi::ap {
namespace {

bool overlaps(Field f, std::uint32_t column) {
  if (column < f.first_column || (column - f.first_column) % f.stride != 0) return false;
  return (column - f.first_column) / f.stride < f.bits;
}

bool overlaps(Field a, Field b) {
  for (std::uint32_t i = 0; i < b.bits; ++i)
    if (overlaps(a, b.column(i))) return true;
  return false;
}

void check_field(const CamArray& cam, Field f, const char* what) {
  if (f.bits == 0 || f.bits > 64 || f.stride == 0 || f.first_column >= cam.columns() ||
      std::uint64_t{f.bits - 1} * f.stride >= cam.columns() - f.first_column)
    throw Error(std::string("AP arithmetic: ") + what + " field of " + std::to_string(f.bits) + " bits at column " +
                std::to_string(f.first_column) + " does not fit " + std::to_string(cam.columns()) + " columns");
}

// The in-place changes of one bit position of a full adder (or subtractor) over the columns
// (a, b, c) = (source bit, destination bit, carry), pattern bit 0 = a, 1 = b, 2 = c; without a
// source column the columns are (b, c) and the source bit is 0. With `carry_in_zero` the
// patterns with c = 1 cannot occur and are left out.
std::vector<PatternChange> adder_changes(bool subtract, bool has_source, bool carry_in_zero) {
  std::vector<PatternChange> changes;
  for (std::uint32_t a = 0; a <= (has_source ? 1U : 0U); ++a)
    for (std::uint32_t b = 0; b <= 1; ++b)
      for (std::uint32_t c = 0; c <= (carry_in_zero ? 0U : 1U); ++c) {
        const int r = subtract ? static_cast<int>(b) - static_cast<int>(a) - static_cast<int>(c)
                               : static_cast<int>(a + b + c);
        const std::uint32_t b2 = static_cast<std::uint32_t>(r) & 1U;
        const std::uint32_t c2 = subtract ? (r < 0 ? 1U : 0U) : static_cast<std::uint32_t>(r) >> 1;
        const auto pattern = [&](std::uint32_t bb, std::uint32_t cc) {
          return has_source ? a | bb << 1 | cc << 2 : bb | cc << 1;
        };
        changes.push_back({pattern(b, c), pattern(b2, c2)});
      }
  return in_place_order(std::move(changes));
}

void add_or_subtract(CamArray& cam, Field dst, Field src, std::uint32_t carry, std::span<const ColumnBit> condition,
                     bool subtract) {
  check_field(cam, dst, "destination");
  check_field(cam, src, "source");
  if (src.bits > dst.bits) throw Error("AP arithmetic: a source wider than its destination");
  if (carry >= cam.columns() || overlaps(dst, carry) || overlaps(src, carry) || overlaps(dst, src))
    throw Error("AP arithmetic: destination, source and carry must be distinct columns");
  // The four tables an operation needs, ordered once.
  const std::array<std::vector<PatternChange>, 4> tables = {
      adder_changes(subtract, true, true), adder_changes(subtract, true, false),
      adder_changes(subtract, false, true), adder_changes(subtract, false, false)};
  for (std::uint32_t i = 0; i < dst.bits; ++i) {
    const std::uint32_t b = dst.column(i);
    const bool reaches = i < src.bits || src.is_signed;  // else the source bit is 0
    const std::uint32_t a = src.column(i < src.bits ? i : src.bits - 1);
    const std::array<std::uint32_t, 3> with_source = {a, b, carry};
    const std::array<std::uint32_t, 2> without = {b, carry};
    const std::size_t table = (reaches ? 0 : 2) + (i == 0 ? 0 : 1);
    if (reaches)
      apply_changes(cam, with_source, tables[table], condition);
    else
      apply_changes(cam, without, tables[table], condition);
  }
  // The carry out of the top bit is dropped (the result wraps): clear it for the next operation.
  std::vector<ColumnBit> key(condition.begin(), condition.end());
  key.push_back({carry, true});
  cam.compare(key);
  const ColumnBit zero{carry, false};
  cam.write({&zero, 1});
}

}  // namespace

void add(CamArray& cam, Field dst, Field src, std::uint32_t carry, std::span<const ColumnBit> condition) {
  add_or_subtract(cam, dst, src, carry, condition, false);
}

void subtract(CamArray& cam, Field dst, Field src, std::uint32_t carry, std::span<const ColumnBit> condition) {
  add_or_subtract(cam, dst, src, carry, condition, true);
}

std::uint64_t add_passes(Field dst, Field src) {
  std::uint64_t passes = 2 + 1;  // bit 0, and clearing the carry
  for (std::uint32_t i = 1; i < dst.bits; ++i) passes += i < src.bits || src.is_signed ? 4 : 2;
  return passes;
}

void relu(CamArray& cam, Field field, std::span<const ColumnBit> condition) {
  check_field(cam, field, "ReLU");
  if (!field.is_signed) throw Error("AP arithmetic: ReLU of an unsigned field");
  std::vector<ColumnBit> key(condition.begin(), condition.end());
  key.push_back({field.column(field.bits - 1), true});
  cam.compare(key);
  std::vector<ColumnBit> zeros;
  for (std::uint32_t i = 0; i < field.bits; ++i) zeros.push_back({field.column(i), false});
  cam.write(zeros);
}

void clear(CamArray& cam, Field field, std::span<const ColumnBit> condition) {
  check_field(cam, field, "cleared");
  cam.compare(condition);
  std::vector<ColumnBit> zeros;
  for (std::uint32_t i = 0; i < field.bits; ++i) zeros.push_back({field.column(i), false});
  cam.write(zeros);
}

void copy(CamArray& cam, Field dst, Field src, std::span<const ColumnBit> condition) {
  check_field(cam, dst, "destination");
  check_field(cam, src, "source");
  if (overlaps(dst, src)) throw Error("AP arithmetic: copy between overlapping fields");
  clear(cam, dst, condition);
  std::vector<ColumnBit> key(condition.begin(), condition.end());
  const std::size_t fixed = key.size();
  for (std::uint32_t i = 0; i < dst.bits; ++i) {
    if (i >= src.bits && !src.is_signed) break;  // zero extension: the clear did it
    key.resize(fixed);
    key.push_back({src.column(std::min(i, src.bits - 1)), true});
    cam.compare(key);
    const ColumnBit one{dst.column(i), true};
    cam.write({&one, 1});
  }
}

namespace {

// One compare-and-write of requantize(): the rows matching `key` (together with the caller's
// condition) take level `level`.
struct LevelPass {
  std::vector<ColumnBit> key;
  std::uint64_t level;
};

// The key bit of column `first + j` that stands for bit j of a value in unsigned order (a
// signed field's order is its bits with the sign bit flipped).
ColumnBit ordered_bit(Field f, std::uint32_t j, std::uint64_t ordered_value) {
  const bool bit = ((ordered_value >> j) & 1U) != 0;
  return {f.column(j), f.is_signed && j == f.bits - 1 ? !bit : bit};
}

// The prefix patterns of `value` >= t (rising) or <= t (falling), in unsigned order `t_ordered`
// with t strictly inside the field's range: for rising, bits at or above the lowest 1 of t
// decide (below it t is 0, so every row passes there); one pattern per 0 of t up there ("equal
// above, 1 here") and one for the whole prefix equal. Falling is the mirror image.
std::vector<std::vector<ColumnBit>> threshold_patterns(Field value, std::uint64_t t_ordered, bool rising) {
  const std::uint64_t decided = rising ? t_ordered : ~t_ordered;  // the lowest deciding bit is its lowest 1
  const auto low = static_cast<std::uint32_t>(std::countr_zero(decided));
  std::vector<std::vector<ColumnBit>> patterns;
  std::vector<ColumnBit> prefix;  // bits above the current one, equal to t
  for (std::uint32_t j = value.bits; j-- > low;) {
    const bool t_bit = ((t_ordered >> j) & 1U) != 0;
    if (t_bit != rising) {  // rising: a 1 where t has 0 is greater; falling: a 0 where t has 1 is smaller
      std::vector<ColumnBit> pattern = prefix;
      pattern.push_back(ordered_bit(value, j, rising ? t_ordered | std::uint64_t{1} << j
                                                     : t_ordered & ~(std::uint64_t{1} << j)));
      patterns.push_back(std::move(pattern));
    }
    prefix.push_back(ordered_bit(value, j, t_ordered));
  }
  patterns.push_back(std::move(prefix));
  return patterns;
}

// requantize()'s passes in order: the level every row reaches (the thresholds no value can miss),
// then, per threshold that some value can reach and that differs from the next one, its patterns.
std::vector<LevelPass> requantize_plan(Field value, std::span<const std::int64_t> thresholds, bool rising) {
  if (value.bits == 0 || value.bits > 63) throw Error("AP requantize: a value field of 1 to 63 bits");
  for (std::size_t k = 1; k < thresholds.size(); ++k)
    if (rising ? thresholds[k] < thresholds[k - 1] : thresholds[k] > thresholds[k - 1])
      throw Error(std::string("AP requantize: thresholds must be ") + (rising ? "non-decreasing" : "non-increasing"));
  const std::int64_t lowest = value.is_signed ? -(std::int64_t{1} << (value.bits - 1)) : 0;
  const std::int64_t highest = value.is_signed ? (std::int64_t{1} << (value.bits - 1)) - 1
                                               : (std::int64_t{1} << value.bits) - 1;
  const auto always = [&](std::int64_t t) { return rising ? t <= lowest : t >= highest; };
  const auto never = [&](std::int64_t t) { return rising ? t > highest : t < lowest; };
  std::uint64_t base = 0;
  while (base < thresholds.size() && always(thresholds[base])) ++base;
  std::vector<LevelPass> plan{{{}, base}};
  for (std::size_t k = base; k < thresholds.size() && !never(thresholds[k]); ++k) {
    if (k + 1 < thresholds.size() && thresholds[k + 1] == thresholds[k]) continue;  // level k + 2 supersedes
    const std::uint64_t t_ordered = static_cast<std::uint64_t>(thresholds[k] - lowest);
    for (std::vector<ColumnBit>& pattern : threshold_patterns(value, t_ordered, rising))
      plan.push_back({std::move(pattern), k + 1});
  }
  return plan;
}

void check_scratch(const CamArray& cam, std::initializer_list<Field> fields, std::uint32_t a, std::uint32_t b) {
  if (a >= cam.columns() || b >= cam.columns() || a == b)
    throw Error("AP arithmetic: two distinct scratch columns inside the array");
  for (const Field& f : fields)
    if (overlaps(f, a) || overlaps(f, b)) throw Error("AP arithmetic: a scratch column inside an operand");
}

}  // namespace

void requantize(CamArray& cam, Field dst, Field value, std::span<const std::int64_t> thresholds, bool rising,
                std::span<const ColumnBit> condition) {
  check_field(cam, dst, "requantized");
  check_field(cam, value, "value");
  if (dst.is_signed || dst.bits > 63 || thresholds.size() >= std::uint64_t{1} << dst.bits)
    throw Error("AP requantize: " + std::to_string(thresholds.size()) + " thresholds need more than an unsigned " +
                std::to_string(dst.bits) + "-bit field");
  if (overlaps(dst, value)) throw Error("AP requantize: the value and its level overlap");
  std::vector<ColumnBit> key, level;
  for (const LevelPass& pass : requantize_plan(value, thresholds, rising)) {
    key.assign(condition.begin(), condition.end());
    key.insert(key.end(), pass.key.begin(), pass.key.end());
    cam.compare(key);
    level.clear();
    for (std::uint32_t i = 0; i < dst.bits; ++i) level.push_back({dst.column(i), ((pass.level >> i) & 1U) != 0});
    cam.write(level);
  }
}

std::uint64_t requantize_passes(Field value, std::span<const std::int64_t> thresholds, bool rising) {
  return requantize_plan(value, thresholds, rising).size();
}

void max_into(CamArray& cam, Field dst, Field src, std::uint32_t greater, std::uint32_t equal,
              std::span<const ColumnBit> on_greater, std::span<const ColumnBit> condition) {
  check_field(cam, dst, "destination");
  check_field(cam, src, "source");
  if (dst.bits != src.bits || dst.is_signed != src.is_signed)
    throw Error("AP max: fields of the same width and signedness");
  if (overlaps(dst, src)) throw Error("AP max: overlapping fields");
  check_scratch(cam, {dst, src}, greater, equal);
  for (const ColumnBit& b : on_greater)
    if (b.column == greater || b.column == equal || overlaps(dst, b.column) || overlaps(src, b.column))
      throw Error("AP max: what is written on greater must lie outside the operands and the scratch columns");
  // Rows in the condition start "equal so far"; only they take part from here on.
  cam.compare(condition);
  const ColumnBit start{equal, true};
  cam.write({&start, 1});
  // Most significant bit first: the first bit where the fields differ decides.
  for (std::uint32_t i = dst.bits; i-- > 0;) {
    const bool sign = src.is_signed && i == src.bits - 1;  // there a 0 is the larger bit
    const std::array<ColumnBit, 3> src_larger = {{{equal, true}, {src.column(i), !sign}, {dst.column(i), sign}}};
    const std::array<ColumnBit, 2> decided_greater = {{{greater, true}, {equal, false}}};
    cam.compare(src_larger);
    cam.write(decided_greater);
    const std::array<ColumnBit, 3> dst_larger = {{{equal, true}, {src.column(i), sign}, {dst.column(i), !sign}}};
    const ColumnBit decided{equal, false};
    cam.compare(dst_larger);
    cam.write({&decided, 1});
  }
  // Where src was greater, its bits replace dst's.
  for (std::uint32_t i = 0; i < dst.bits; ++i)
    for (const bool bit : {true, false}) {
      const std::array<ColumnBit, 3> differs = {{{greater, true}, {src.column(i), bit}, {dst.column(i), !bit}}};
      const ColumnBit take{dst.column(i), bit};
      cam.compare(differs);
      cam.write({&take, 1});
    }
  if (!on_greater.empty()) {
    const ColumnBit was_greater{greater, true};
    cam.compare({&was_greater, 1});
    cam.write(on_greater);
  }
  const std::array<ColumnBit, 2> scratch_clear = {{{greater, false}, {equal, false}}};
  cam.compare({});
  cam.write(scratch_clear);
}

std::uint64_t max_passes(Field field, bool writes_on_greater) {
  return 4ULL * field.bits + 2 + (writes_on_greater ? 1 : 0);
}

void argmax(CamArray& cam, std::span<const Field> values, Field index, Field best, std::uint32_t greater,
            std::uint32_t equal, std::span<const ColumnBit> condition) {
  if (values.empty()) throw Error("AP argmax: no values");
  check_field(cam, index, "index");
  if (index.is_signed || (index.bits < 64 && values.size() - 1 >= std::uint64_t{1} << index.bits))
    throw Error("AP argmax: an index of " + std::to_string(index.bits) + " unsigned bits cannot count " +
                std::to_string(values.size()) + " values");
  for (const Field& v : values)
    if (overlaps(v, index) || overlaps(v, best)) throw Error("AP argmax: the index or best field overlaps a value");
  if (overlaps(index, best)) throw Error("AP argmax: the index and best fields overlap");
  clear(cam, index, condition);
  copy(cam, best, values[0], condition);
  std::vector<ColumnBit> index_bits;
  for (std::size_t j = 1; j < values.size(); ++j) {
    index_bits.clear();
    for (std::uint32_t i = 0; i < index.bits; ++i) index_bits.push_back({index.column(i), ((j >> i) & 1U) != 0});
    max_into(cam, best, values[j], greater, equal, index_bits, condition);
  }
}

void store_value(CamArray& cam, std::size_t row, Field field, std::int64_t value) {
  check_field(cam, field, "stored");
  bool fits = field.is_signed || value >= 0;
  if (field.bits < 64) {
    const std::int64_t top = std::int64_t{1} << (field.is_signed ? field.bits - 1 : field.bits);
    fits = value < top && value >= (field.is_signed ? -top : 0);
  }
  if (!fits)
    throw Error("AP arithmetic: " + std::to_string(value) + " does not fit a " + std::to_string(field.bits) + "-bit " +
                (field.is_signed ? "signed" : "unsigned") + " field");
  cam.store(row, field.first_column, field.bits, static_cast<std::uint64_t>(value), field.stride);
}

std::int64_t load_value(CamArray& cam, std::size_t row, Field field) {
  check_field(cam, field, "loaded");
  return field.value_of(cam.load(row, field.first_column, field.bits, field.stride));
}

}  // namespace mbi::ap
