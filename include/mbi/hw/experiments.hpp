#pragma once
// The three hardware experiments behind `mbi hw array|variability|energy`. Each returns its
// results (io::ResultFiles: a JSON summary, CSV tables, Markdown texts and plots of the
// tables); the caller decides where to write them.
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "mbi/hw/hw_config.hpp"
#include "mbi/io/result_files.hpp"

namespace mbi::hw {

// Nominal behaviour of one array (readout and ADC code against distance, both codings), how
// each coding's distance departs from the Manhattan distance, and how the whole hardware
// model (mismatch + ADC) departs from it on the configured key.
struct ArrayExperimentOptions {
  std::size_t queries = 400;
  std::size_t pool = 32;
  std::uint64_t seed = 1;
};
io::ResultFiles array_experiment(const HwConfig& config, const ArrayExperimentOptions& options);

// Fig. 6(b): sum-line and readout voltage distributions per distance level on one array,
// margins between neighbouring levels, the ADC bits they imply, and margins against sigma.
struct VariabilityExperimentOptions {
  std::optional<std::size_t> trials;      // default: config.variability.trials
  std::optional<double> sigma_vth_mv;     // default: config.array.device.sigma_vth_mv
  std::uint64_t seed = 1;
  bool sweep = true;                      // also run config.variability.sigma_sweep_mv
};
io::ResultFiles variability_experiment(const HwConfig& config, const VariabilityExperimentOptions& options);

// Fig. 6(c) energy per match, energy per inference, and Table I.
struct EnergyExperimentOptions {
  std::optional<double> comparisons_per_image;  // default: config.workload (5 x 3.5 x 32 = 560)
  std::optional<double> arrays_per_key;         // default: config.workload.key_splits (paper: 5)
  // A graph walk's link-list entries read per image (mbi eval --search graph reports it), each
  // priced at energy.link_read_pj on top of the matches; default 0, a tree's.
  std::optional<double> links_read_per_image;
  std::optional<double> accuracy_pct;           // default: config.mbi.accuracy_pct
  std::optional<double> storage_mb;             // default: config.mbi.storage_mb
  // The key whose array mapping `inference.by_mapping` prices (default: config.key, the
  // paper's MNIST key); a measured table passes its own.
  std::optional<KeySpec> key;
  std::optional<std::string> data;              // data set of accuracy_pct (default: config.mbi.data)
  std::string config_source = "configs/hw/sram16nm.json";  // named as the energy table's source
};
io::ResultFiles energy_experiment(const HwConfig& config, const EnergyExperimentOptions& options);

}  // namespace mbi::hw
