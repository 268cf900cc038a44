#pragma once
// Joules per counted event, each with its source: the one place a ledger (ledger.hpp) meets
// physics. Tables are read from the config files under configs/ (io/energy_table_json.hpp)
// or derived by a hardware model from its own config (hw::sram_energy_table), never written
// into code.
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "mbi/eval/ledger.hpp"

namespace mbi::eval {

struct EnergyCost {
  double joules = 0;              // per event
  std::string source;             // where the number comes from (paper, datasheet, model and its config)
  std::optional<double> seconds;  // the event's latency on the critical path, when the table knows it
};

// A ledger priced: joules per image by event, and the events the table has no cost for
// (their energy is unknown, not zero). Where the table gives latencies, also the time the
// events take one after another, per image (a system that runs many images at once, like an
// associative processor, divides its program's time among them).
struct EnergyEstimate {
  double joules_per_image = 0;  // of the priced events
  std::vector<std::pair<std::string, double>> joules_by_event;  // per image, in event order
  std::vector<std::string> unpriced;
  bool timed = false;            // some priced event has a latency
  double seconds_per_image = 0;  // of the timed events
  std::vector<std::pair<std::string, double>> seconds_by_event;  // per image, timed events only
  std::vector<std::string> untimed;  // priced events without a latency (when timed)
  bool complete() const { return unpriced.empty(); }
};

class EnergyTable {
 public:
  // Sets the cost of `event` (and its latency). Throws mbi::Error unless joules (and seconds)
  // are finite and >= 0 and the source is given.
  void set(const std::string& event, double joules, const std::string& source,
           std::optional<double> seconds = std::nullopt);
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
