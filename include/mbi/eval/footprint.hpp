#pragma once
// What a classifier stores to do its work, in bytes by kind ("table.keys", "model.weights",
// "table.forest_copies", ...): the memory side of the comparison between systems.
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

namespace mbi::eval {

struct Footprint {
  std::vector<std::pair<std::string, std::uint64_t>> bytes_by_kind;  // in the order added

  // Adds `bytes` to kind `kind` (a new kind goes last).
  void add(const std::string& kind, std::uint64_t bytes);
  Footprint& operator+=(const Footprint& other);
  std::uint64_t total() const;
};

}  // namespace mbi::eval
