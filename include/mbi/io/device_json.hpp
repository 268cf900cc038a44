#pragma once
// Device noise parameters from their config files (configs/device/*.json): a section per
// model, each parameter {"value": number, "source": text}, every parameter of the model
// required and nothing else accepted ("_" keys are documentation). Errors name the file and
// the key at fault.
#include <nlohmann/json.hpp>

#include <filesystem>

#include "mbi/device/pcm.hpp"
#include "mbi/device/simple_noise.hpp"

namespace mbi::io {

// Section "pcm" (configs/device/pcm_aihwkit.json).
device::PcmParameters load_pcm_parameters(const std::filesystem::path& file);
device::PcmParameters parse_pcm_parameters(const nlohmann::json& document);
// Section "telegraph" (configs/device/telegraph_and_faults.json).
device::TelegraphNoise load_telegraph_noise(const std::filesystem::path& file);
device::TelegraphNoise parse_telegraph_noise(const nlohmann::json& document);
// Section "digital" (configs/device/telegraph_and_faults.json).
device::DigitalFaults load_digital_faults(const std::filesystem::path& file);
device::DigitalFaults parse_digital_faults(const nlohmann::json& document);

}  // namespace mbi::io
