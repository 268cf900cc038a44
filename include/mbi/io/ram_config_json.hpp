#pragma once
// RamConfig <-> JSON, for model files and for the teacher description tables carry.
#include <nlohmann/json.hpp>

#include "mbi/lookup/ram_config.hpp"

namespace mbi::io {

nlohmann::json config_to_json(const RamConfig& config);
// Reads a config; keys that are absent keep their defaults, unknown keys are refused.
RamConfig config_from_json(const nlohmann::json& j);

}  // namespace mbi::io
