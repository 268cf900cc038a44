#include "mbi/ap/truth_table.hpp"

#include <string>

#include "mbi/core/error.hpp"

namespace mbi::ap {

std::vector<PatternChange> in_place_order(std::vector<PatternChange> changes) {
  std::erase_if(changes, [](const PatternChange& c) { return c.from == c.to; });
  for (std::size_t i = 0; i < changes.size(); ++i)
    for (std::size_t j = i + 1; j < changes.size(); ++j)
      if (changes[i].from == changes[j].from)
        throw Error("truth table: pattern " + std::to_string(changes[i].from) + " changes twice");
  // Repeatedly take a change whose result no remaining change handles: the rows it writes
  // are then left alone by every later pass. Tables have a handful of entries: quadratic is fine.
  std::vector<PatternChange> ordered;
  while (!changes.empty()) {
    bool taken = false;
    for (std::size_t i = 0; i < changes.size() && !taken; ++i) {
      bool handled_later = false;
      for (std::size_t j = 0; j < changes.size(); ++j)
        if (j != i && changes[j].from == changes[i].to) handled_later = true;
      if (!handled_later) {
        ordered.push_back(changes[i]);
        changes.erase(changes.begin() + static_cast<std::ptrdiff_t>(i));
        taken = true;
      }
    }
    if (!taken) throw Error("truth table: the changes form a cycle; no in-place order exists");
  }
  return ordered;
}

void apply_changes(CamArray& cam, std::span<const std::uint32_t> columns, std::span<const PatternChange> ordered,
                   std::span<const ColumnBit> condition) {
  if (columns.size() > 32) throw Error("truth table: more than 32 columns");
  std::vector<ColumnBit> key(condition.begin(), condition.end());
  const std::size_t fixed = key.size();
  std::vector<ColumnBit> value;
  for (const PatternChange& c : ordered) {
    key.resize(fixed);
    value.clear();
    for (std::size_t i = 0; i < columns.size(); ++i) {
      const bool from = (c.from >> i) & 1U, to = (c.to >> i) & 1U;
      key.push_back({columns[i], from});
      if (from != to) value.push_back({columns[i], to});
    }
    cam.compare(key);
    cam.write(value);
  }
}

}  // namespace mbi::ap
