#pragma once
// Per-event energy tables (eval/energy_table.hpp) in config files, each constant beside its
// source:
//   {"_notes": {...},
//    "events": {"digital.mac": {"pj": 0.25, "source": "Horowitz, ISSCC 2014 ..."}, ...}}
// Keys starting with "_" are documentation; any other unknown key is an error.
#include <nlohmann/json.hpp>

#include <filesystem>

#include "mbi/eval/energy_table.hpp"

namespace mbi::io {

// Throws mbi::Error with a one-line message naming the file (and the key at fault).
eval::EnergyTable load_energy_table(const std::filesystem::path& file);
// Throws mbi::Error naming the key at fault.
eval::EnergyTable parse_energy_table(const nlohmann::json& document);
// {"event": {"pj": ..., "source": ...}, ...}
nlohmann::json energy_table_to_json(const eval::EnergyTable& table);

}  // namespace mbi::io
