#include "mbi/eval/energy_table.hpp"

#include <cmath>

#include "mbi/core/error.hpp"

namespace mbi::eval {

void EnergyTable::set(const std::string& event, double joules, const std::string& source,
                      std::optional<double> seconds) {
  if (event.empty()) throw Error("energy table: an event without a name");
  if (!std::isfinite(joules) || joules < 0)
    throw Error("energy table: event " + event + " costs " + std::to_string(joules) + " J (must be finite and >= 0)");
  if (source.empty()) throw Error("energy table: event " + event + " has no source");
  if (seconds && (!std::isfinite(*seconds) || *seconds < 0))
    throw Error("energy table: event " + event + " takes " + std::to_string(*seconds) + " s (must be finite and >= 0)");
  costs_[event] = {joules, source, seconds};
}

const EnergyCost* EnergyTable::find(std::string_view event) const {
  const auto it = costs_.find(event);
  return it == costs_.end() ? nullptr : &it->second;
}

EnergyTable& EnergyTable::merge(const EnergyTable& other) {
  for (const auto& [event, cost] : other.costs_) {
    if (const EnergyCost* mine = find(event); mine != nullptr && (mine->joules != cost.joules || mine->seconds != cost.seconds))
      throw Error("energy tables disagree on event " + event + ": " + std::to_string(mine->joules) + " J (" +
                  mine->source + ") against " + std::to_string(cost.joules) + " J (" + cost.source + ")");
    costs_[event] = cost;
  }
  return *this;
}

double EnergyTable::joules(std::string_view event, double count) const {
  const EnergyCost* cost = find(event);
  if (cost == nullptr) throw Error("energy table: no cost for event " + std::string(event));
  return count * cost->joules;
}

EnergyEstimate EnergyTable::price(const Ledger& ledger, double images) const {
  EnergyEstimate e;
  const double per = images > 0 ? 1.0 / images : 0.0;
  for (const auto& [event, count] : ledger.events()) {
    const EnergyCost* cost = find(event);
    if (cost == nullptr) {
      e.unpriced.push_back(event);
      continue;
    }
    const double joules = static_cast<double>(count) * cost->joules * per;
    e.joules_by_event.emplace_back(event, joules);
    e.joules_per_image += joules;
    if (cost->seconds) {
      const double seconds = static_cast<double>(count) * *cost->seconds * per;
      e.seconds_by_event.emplace_back(event, seconds);
      e.seconds_per_image += seconds;
      e.timed = true;
    } else {
      e.untimed.push_back(event);
    }
  }
  if (!e.timed) e.untimed.clear();
  return e;
}

}  // namespace mbi::eval
