#pragma once
// In-place functions of a few columns, the associative processor's one way to compute: for
// each input pattern the function changes, one pass (compare the pattern, write the changed
// bits into the tagged rows). Rows rewritten by one pass must not match a later one, so each
// pattern is handled before any pass writes rows into it.
#include <cstdint>
#include <span>
#include <vector>

#include "mbi/ap/cam_array.hpp"

namespace mbi::ap {

// A pattern over the table's columns (bit i of the pattern is column i of the list) and what
// the function makes of it.
struct PatternChange {
  std::uint32_t from;
  std::uint32_t to;
};

// The changes in an order safe to apply in place: a change that writes rows into a pattern
// another change handles runs after that one. Unchanged patterns (from == to) are dropped. Throws mbi::Error when
// no order exists (two patterns turning into each other need a scratch column).
std::vector<PatternChange> in_place_order(std::vector<PatternChange> changes);

// Applies ordered `changes` over `columns` (at most 32) in the rows that also match `condition`:
// one compare and one write per change, writing only the bits that change.
void apply_changes(CamArray& cam, std::span<const std::uint32_t> columns, std::span<const PatternChange> ordered,
                   std::span<const ColumnBit> condition = {});

}  // namespace mbi::ap
