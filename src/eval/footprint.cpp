#include "mbi/eval/footprint.hpp"

#include <algorithm>

namespace mbi::eval {

void Footprint::add(const std::string& kind, std::uint64_t bytes) {
  const auto it = std::find_if(bytes_by_kind.begin(), bytes_by_kind.end(), [&](const auto& e) { return e.first == kind; });
  if (it == bytes_by_kind.end())
    bytes_by_kind.emplace_back(kind, bytes);
  else
    it->second += bytes;
}

Footprint& Footprint::operator+=(const Footprint& other) {
  for (const auto& [kind, bytes] : other.bytes_by_kind) add(kind, bytes);
  return *this;
}

std::uint64_t Footprint::total() const {
  std::uint64_t sum = 0;
  for (const auto& entry : bytes_by_kind) sum += entry.second;
  return sum;
}

}  // namespace mbi::eval
