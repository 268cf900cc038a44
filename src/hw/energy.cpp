#include "mbi/hw/energy.hpp"

#include <cstdio>

#include <cmath>

namespace mbi::hw {

MatchEnergy match_energy(const ArrayConfig& config, const EnergyParams& p) {
  const DeviceParams& d = config.device;
  const double lines = 2.0 * config.cols;
  const double vdd2 = d.vdd_v * d.vdd_v;
  constexpr double kFemtoToPico = 1e-3;  // fF * V^2 = fJ

  MatchEnergy e;
  e.adc_pj = config.adc_bits * p.adc_comparator_pj_per_bit +
             std::ldexp(1.0, static_cast<int>(config.adc_bits)) * p.adc_dac_pj_per_unit;
  e.peripherals_pj = kFemtoToPico * (lines * p.query_line_cap_ff * p.query_toggle_fraction * vdd2 +
                                     p.wordline_cap_ff * vdd2 + p.control_cap_ff * vdd2) +
                     p.peripheral_overhead_pj;
  e.precharge_pj = kFemtoToPico * lines * p.discharged_line_fraction * d.bitline_cap_ff * config.v_precharge_max_v * d.vdd_v;
  e.logic_pj = p.logic_multiply_pj + p.logic_add_pj + p.logic_compare_pj + p.logic_register_pj;
  return e;
}

eval::EnergyTable sram_energy_table(const ArrayConfig& config, const EnergyParams& params, const std::string& source) {
  const MatchEnergy e = match_energy(config, params);
  char text[512];
  std::snprintf(text, sizeof text,
                "one %ux%u array match of the 10T-SRAM search memory, the Fig. 6(c) model of %s: ADC %.3f + "
                "peripherals %.3f (with a %.3f pJ calibration term to the published 4.7 pJ) + precharge %.3f + "
                "logic %.3f pJ",
                config.rows, config.cols, source.c_str(), e.adc_pj, e.peripherals_pj, params.peripheral_overhead_pj,
                e.precharge_pj, e.logic_pj);
  eval::EnergyTable table;
  table.set(kArrayMatchEvent, e.total_pj() * 1e-12, text);
  return table;
}

double inference_energy_nj(double key_comparisons_per_image, double arrays_per_key, double match_pj) {
  return key_comparisons_per_image * arrays_per_key * match_pj * 1e-3;
}

double project_energy(double energy, double node_nm, double target_nm) {
  const double ratio = target_nm / node_nm;
  return energy * ratio * ratio;
}

}  // namespace mbi::hw
