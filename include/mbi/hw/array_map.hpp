#pragma once
// Where each bit of a key lives when the key is wider than one array.
//
// A key is split into slices of at most `cols` columns, one slice per array; the arrays
// of one key work in parallel, each digitising its own distance, and the digital logic
// weights and adds them (paper sec. III-D, step 4). Because one ADC reading gets one
// weight, an array only ever holds columns of one distance component (a group of segments
// sharing a weight, e.g. the three glimpse scales of phi, or the two location axes). In
// binary coding it also holds values of one bit width only, since the precharge ladder
// V_P,max / 2^(p-j-1) depends on p.
//
// Packing rule, component by component in order of first appearance, segments in key
// order: values are placed whole, left to right; a value that does not fit in the space
// left opens a new array; only a value wider than a whole array (thermometer code of more
// than cols+1 levels) is cut, filling arrays column by column. Unused columns at the end
// of an array are still precharged and connected but never discharge.
//
// Example, the paper's key (phi: 3 x 16 values of 2 bits, h: 64 x 1 bit, l: 2 values in
// 0..28) on 32-column arrays: binary needs 3 + 2 + 1 = 6 arrays, thermometer
// (phi 48 x 3 columns, 10 values per array) 5 + 2 + 2 = 9 arrays.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mbi/hw/coding.hpp"
#include "mbi/search/key_layout.hpp"

namespace mbi::hw {

// Consecutive columns of one array that hold bits [first_bit, first_bit + bits) of one value.
struct ValueRun {
  std::uint32_t value;         // index into the concatenated key values
  std::uint32_t levels;        // the value lies in [0, levels)
  std::uint32_t first_bit;
  std::uint32_t bits;
  std::uint32_t first_column;  // column of first_bit within the array
};

// What one array of a key holds.
struct ArraySlice {
  std::uint32_t component;     // distance component (weight) its reading belongs to
  std::uint32_t ladder_bits;   // binary: p of its values (precharge ladder); thermometer: 1
  std::uint32_t columns_used;
  std::uint32_t max_distance;  // largest coded distance the slice can produce
  std::vector<ValueRun> runs;
};

class ArrayMap {
 public:
  // component_of_segment: one entry per segment (components numbered from 0, none empty);
  // empty means every segment is its own component.
  ArrayMap(const std::vector<SegmentSpec>& segments, std::span<const std::uint32_t> component_of_segment,
           std::uint32_t cols, Coding coding);

  const std::vector<ArraySlice>& arrays() const { return arrays_; }
  std::size_t arrays_per_key() const { return arrays_.size(); }
  std::uint32_t total_values() const { return total_values_; }
  std::uint32_t components() const { return components_; }
  std::uint32_t component_of_segment(std::size_t segment) const { return component_of_segment_[segment]; }
  std::uint32_t cols() const { return cols_; }
  Coding coding() const { return coding_; }
  // Columns holding key bits, over all arrays.
  std::uint32_t columns_used() const;
  // One line per array, e.g. "array 0: component 0, 30/32 columns, values 0..9".
  std::string describe() const;

 private:
  std::vector<ArraySlice> arrays_;
  std::vector<std::uint32_t> component_of_segment_;
  std::uint32_t total_values_ = 0;
  std::uint32_t components_ = 0;
  std::uint32_t cols_ = 0;
  Coding coding_ = Coding::thermometer;
};

// Validates and completes a segment-to-component assignment (empty: one per segment).
std::vector<std::uint32_t> resolve_components(std::size_t segments, std::span<const std::uint32_t> given);

}  // namespace mbi::hw
