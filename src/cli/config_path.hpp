#pragma once
// Finding the config files mbi ships (configs/...) from wherever it runs.
#include <filesystem>
#include <optional>
#include <string>

namespace mbi::cli {

// The parameter files mbi ships, each with the sources of its numbers.
inline constexpr const char* kHwConfig = "configs/hw/sram16nm.json";
inline constexpr const char* kPcmConfig = "configs/device/pcm_aihwkit.json";
inline constexpr const char* kCrossbarEnergy = "configs/energy/crossbar_isaac.json";
inline constexpr const char* kDigitalEnergy = "configs/energy/digital16nm.json";
inline constexpr const char* kMlgEnergy = "configs/energy/mlg_memory.json";

// `relative` (e.g. "configs/hw/sram16nm.json") as found from the working folder, else from
// the folder of the mbi binary and its parents (a build folder sits in the repository);
// nullopt when neither has it.
std::optional<std::filesystem::path> find_shipped_file(const std::string& relative);

// `given` when the user named a file, else the shipped `relative` as find_shipped_file finds
// it. Throws mbi::Error naming `flag` when neither is there.
std::filesystem::path given_or_shipped(const std::filesystem::path& given, const std::string& relative,
                                       const std::string& flag);

}  // namespace mbi::cli
