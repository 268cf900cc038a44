#include "mbi/eval/ledger.hpp"

namespace mbi::eval {

void Ledger::add(std::string_view event, std::uint64_t count) {
  const auto it = events_.find(event);
  if (it == events_.end())
    events_.emplace(std::string(event), count);
  else
    it->second += count;
}

std::uint64_t Ledger::count(std::string_view event) const {
  const auto it = events_.find(event);
  return it == events_.end() ? 0 : it->second;
}

Ledger& Ledger::operator+=(const Ledger& other) {
  for (const auto& [event, count] : other.events_) add(event, count);
  return *this;
}

}  // namespace mbi::eval
