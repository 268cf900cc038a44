#include "mbi/io/energy_table_json.hpp"

#include <optional>
#include <string>

#include "mbi/core/error.hpp"
#include "mbi/io/json_file.hpp"

namespace mbi::io {
namespace {

bool is_note(const std::string& key) { return !key.empty() && key[0] == '_'; }

}  // namespace

eval::EnergyTable parse_energy_table(const nlohmann::json& document) {
  if (!document.is_object()) throw Error("an energy table must be a JSON object");
  eval::EnergyTable table;
  for (const auto& [key, value] : document.items()) {
    if (is_note(key)) continue;
    if (key != "events") throw Error("unknown key '" + key + "' (expected events)");
    if (!value.is_object()) throw Error("events: expected an object of event -> {pj, source}");
    for (const auto& [event, cost] : value.items()) {
      if (is_note(event)) continue;
      if (!cost.is_object()) throw Error("events." + event + ": expected {\"pj\": ..., \"source\": ...}");
      double pj = -1;
      std::string source;
      std::optional<double> ns;
      for (const auto& [field, v] : cost.items()) {
        if (is_note(field)) continue;
        if (field == "pj" && v.is_number())
          pj = v.get<double>();
        else if (field == "source" && v.is_string())
          source = v.get<std::string>();
        else if (field == "ns" && v.is_number())
          ns = v.get<double>();
        else
          throw Error("events." + event + "." + field +
                      ": unknown key or wrong type (expected pj: number, source: text, optional ns: number)");
      }
      try {
        table.set(event, pj * 1e-12, source, ns ? std::optional<double>(*ns * 1e-9) : std::nullopt);
      } catch (const Error& e) {
        throw Error("events." + event + ": " + e.what());
      }
    }
  }
  return table;
}

eval::EnergyTable load_energy_table(const std::filesystem::path& file) {
  return parse_json_file(file, [](const nlohmann::json& document) { return parse_energy_table(document); });
}

nlohmann::json energy_table_to_json(const eval::EnergyTable& table) {
  nlohmann::json out = nlohmann::json::object();
  for (const auto& [event, cost] : table.costs()) {
    out[event] = {{"pj", cost.joules * 1e12}, {"source", cost.source}};
    if (cost.seconds) out[event]["ns"] = *cost.seconds * 1e9;
  }
  return out;
}

}  // namespace mbi::io
