#pragma once
// Everything the hardware experiments read from a JSON parameter file
// (configs/hw/sram16nm.json). Keys starting with "_" (e.g. "_notes") are documentation and
// ignored; any other unknown key is an error, so a typo cannot silently fall back to a
// default. Missing keys keep the defaults below, which equal the shipped file.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <vector>

#include "mbi/hw/array_config.hpp"
#include "mbi/hw/energy.hpp"
#include "mbi/hw/table1.hpp"
#include "mbi/search/key_layout.hpp"

namespace mbi::hw {

// The key the experiments use: segments, their weights and their components (eq. 1's phi,
// h, l). Default: the paper's key with its BO weights.
struct KeySpec {
  std::vector<SegmentSpec> segments;
  std::vector<double> weights;
  std::vector<std::uint32_t> components;
};

struct VariabilitySettings {
  std::size_t trials = 1000;
  double histogram_bin_mv = 1.0;
  std::vector<double> sigma_sweep_mv = {0, 20, 40, 60, 80, 100, 120};
};

struct HwConfig {
  ArrayConfig array;
  EnergyParams energy;
  VariabilitySettings variability;
  KeySpec key;
  SearchWorkload workload;
  MbiEntry mbi;  // model, node, accuracy, storage; its energy inputs are filled by the experiment
  std::vector<CimBaseline> baselines;
};

KeySpec paper_key();
std::vector<CimBaseline> paper_baselines();
HwConfig default_hw_config();

// Throws mbi::Error with a one-line message naming the file (and the key at fault).
HwConfig load_hw_config(const std::filesystem::path& file);
// Throws mbi::Error naming the key at fault.
HwConfig parse_hw_config(const nlohmann::json& document);
nlohmann::json to_json(const HwConfig& config);

}  // namespace mbi::hw
