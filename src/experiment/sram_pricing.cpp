#include "mbi/experiment/sram_pricing.hpp"

#include <vector>

#include "mbi/hw/array_map.hpp"
#include "mbi/hw/energy.hpp"
#include "mbi/lookup/ram_keys.hpp"

namespace mbi::experiment {

std::size_t sram_arrays_per_key(const RamConfig& ram, const hw::HwConfig& config, hw::Coding coding) {
  std::vector<std::uint32_t> components;
  for (const KeyComponent k : ram_key_components(ram)) components.push_back(static_cast<std::uint32_t>(k));
  return hw::ArrayMap(ram_key_layout(ram).segments(), components, config.array.cols, coding).arrays_per_key();
}

eval::EnergyTable price_on_sram(LookupClassifier& lookups, const RamConfig& ram, const hw::HwConfig& config,
                                const std::string& source) {
  lookups.count_per_comparison(hw::kArrayMatchEvent, sram_arrays_per_key(ram, config, hw::Coding::thermometer));
  eval::EnergyTable table = hw::sram_energy_table(config.array, config.energy, source);
  table.set(kLinkReadEvent, config.energy.link_read_pj * 1e-12,
            "one 32-bit entry of a graph's link lists read from SRAM (energy.link_read_pj of " + source + ")");
  return table;
}

}  // namespace mbi::experiment
