#pragma once
// Joules per counted event, each with its source: the one place a ledger (ledger.hpp) meets
// physics. Tables are read from the config files under configs/ (io/energy_table_json.hpp)
// or derived by a hardware model from its own config (hw::sram_energy_table), never written
// into code.
#include <map>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mbi/eval/ledger.hpp"

namespace mbi::eval {

struct EnergyCost {
  double joules = 0;   // per event
  std::string source;  // where the number comes from (paper, datasheet, model and its config)
};

// A ledger priced: joules per image by event, and the events the table has no cost for
// (their energy is unknown, not zero).
struct EnergyEstimate {
  double joules_per_image = 0;  // of the priced events
  std::vector<std::pair<std::string, double>> joules_by_event;  // per image, in event order
  std::vector<std::string> unpriced;
  bool complete() const { return unpriced.empty(); }
};

class EnergyTable {
 public:
  // Sets the cost of `event`. Throws mbi::Error unless joules is finite and >= 0 and the
  // source is given.
  void set(const std::string& event, double joules, const std::string& source);
  // The cost of `event`, or nullptr.
  const EnergyCost* find(std::string_view event) const;
  const std::map<std::string, EnergyCost, std::less<>>& costs() const { return costs_; }
  bool empty() const { return costs_.empty(); }
  // Adds `other`'s costs. Throws mbi::Error when both price an event differently.
  EnergyTable& merge(const EnergyTable& other);
  // The energy of `ledger` over `images` images, per image.
  EnergyEstimate price(const Ledger& ledger, double images) const;
  // Joules of `count` events `event` (a count may be an average, e.g. per image). Throws
  // mbi::Error when the table has no cost for it.
  double joules(std::string_view event, double count) const;

 private:
  std::map<std::string, EnergyCost, std::less<>> costs_;
};

}  // namespace mbi::eval
