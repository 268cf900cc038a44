#pragma once
// Counted hardware events of an inference run, by name: what a system did, in the units its
// hardware pays for. Names are "<where>.<what>", for example
//   lookup.key_comparison   a key (or tree centroid) compared with a query
//   sram.array_match        one 32x32 array of the 10T-SRAM search memory read
//   digital.mac             a multiply-accumulate of a digital network
// An EnergyTable (energy_table.hpp) turns a ledger into joules.
#include <cstdint>
#include <map>
#include <string>
#include <string_view>

namespace mbi::eval {

class Ledger {
 public:
  // Adds `count` events of kind `event`.
  void add(std::string_view event, std::uint64_t count);
  // Events of kind `event` so far (0 when none).
  std::uint64_t count(std::string_view event) const;
  // Every event kind counted, in name order.
  const std::map<std::string, std::uint64_t, std::less<>>& events() const { return events_; }
  bool empty() const { return events_.empty(); }
  Ledger& operator+=(const Ledger& other);

 private:
  std::map<std::string, std::uint64_t, std::less<>> events_;
};

}  // namespace mbi::eval
