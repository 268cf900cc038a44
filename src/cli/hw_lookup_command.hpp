#pragma once
// `mbi hw accuracy|noise` and the measured workload of `mbi hw energy --table`: lookup
// inference over an image split with the nearest-key search running through the hardware
// model (mbi/hw/hw_lookup.hpp). Needs the image loader and the lookup runner, hence the full
// CLI; the LibTorch-free mbi_hw_demo leaves these out (MBI_HW_DEMO).
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <string>

#include "mbi/hw/hw_config.hpp"
#include "options.hpp"

namespace mbi::cli {

// Where the lookups come from and how the candidates are chosen.
struct HwLookupSource {
  DataOptions data;
  std::filesystem::path table;
  std::string split = "test";
  std::string search = "tree";
  std::uint32_t probes = 1;
  std::string descent = "circuit";
  int threads = 1;
  bool progress = false;
  // Adds --table (required when `table_required`), --split, --search, --probes, --descent,
  // --threads, --progress and the data options (--data, --limit, ...).
  void add_to(CLI::App& cmd, bool table_required);
};

// Energy inputs measured by lookup inference through the circuit model.
struct MeasuredWorkload {
  double comparisons_per_image = 0;  // centroids + leaf keys (+ re-checks), per image
  double arrays_per_key = 0;
  double accuracy_pct = 0;           // of the same run
  double storage_mb = 0;             // table file bytes / 1e6
  nlohmann::json summary;
};
MeasuredWorkload measure_workload(const HwLookupSource& source, const hw::HwConfig& config,
                                  const std::string& coding, std::uint64_t seed);

// Adds `accuracy` and `noise` under `mbi hw`.
void register_hw_lookup(CLI::App& hw);

}  // namespace mbi::cli
