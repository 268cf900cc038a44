#pragma once
// Lookups priced on the 10T-SRAM search memory of the paper: every comparison reads the
// arrays its key spans, each read one "sram.array_match" event of the memory's energy table.
#include <cstddef>
#include <string>

#include "mbi/eval/energy_table.hpp"
#include "mbi/hw/coding.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/lookup/classifier.hpp"
#include "mbi/lookup/ram_config.hpp"

namespace mbi::experiment {

// Arrays of config.array.cols columns one key of `layout` spans in `coding`.
std::size_t sram_arrays_per_key(const RamConfig& ram, const hw::HwConfig& config, hw::Coding coding);

// Makes `lookups` count hw::kArrayMatchEvent per comparison (arrays per key, thermometer
// coding as the paper's arrays) and returns the memory's energy table for it; `source` names
// the hardware config file. A graph walk's link-list reads (kLinkReadEvent) are priced too:
// its key matches cost what a tree's do, one array match per array a key spans, whichever
// rows they are in, and each link entry read costs energy.link_read_pj.
eval::EnergyTable price_on_sram(LookupClassifier& lookups, const RamConfig& ram, const hw::HwConfig& config,
                                const std::string& source);

}  // namespace mbi::experiment
