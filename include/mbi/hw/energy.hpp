#pragma once
// Energy of one key/query match on one array (paper Fig. 6(c)) and of one inference.
//
// Per match, four parts, each a small physical formula (parameters and their sources in
// configs/hw/sram16nm.json):
//   ADC          SAR converter, one conversion per match. Comparator decisions scale with
//                the bits and the capacitive DAC's switching with 2^bits, the scaling used
//                by Jiang et al. 2021 (ADC design exploration for compute-in-memory):
//                  E = bits * E_comparator + 2^bits * E_dac_unit
//   peripherals  query-line drivers (2 per column, a fraction toggling), the word line,
//                PCH/CSUM control lines (C V_DD^2 each), plus a fixed overhead for decoding,
//                timing and sampling onto the ADC.
//   precharge    restoring the charge the discharged lines lost (eqs. 2a/2b: a fraction of
//                the 2*cols lines, each C_BL V_P,max), drawn from V_DD through the linear
//                regulator that makes V_P:  E = n_discharged C_BL V_P,max V_DD.
//   logic        step 4: weight multiply, accumulate, compare with the running minimum,
//                pipeline registers.
// Per inference: the ledger's array matches (key comparisons x arrays per key) x the energy
// of one match, through the search memory's energy table (sram_energy_table).
#include <string>
#include <vector>

#include "mbi/eval/energy_table.hpp"
#include "mbi/hw/array_config.hpp"

namespace mbi::hw {

struct EnergyParams {
  double discharged_line_fraction = 0.25;  // of the 2*cols lines, per match
  double query_line_cap_ff = 5.0;
  double query_toggle_fraction = 0.5;
  double wordline_cap_ff = 8.0;
  double control_cap_ff = 20.0;
  double peripheral_overhead_pj = 2.18376;
  double adc_comparator_pj_per_bit = 0.12;
  double adc_dac_pj_per_unit = 0.05;
  double logic_multiply_pj = 0.056;
  double logic_add_pj = 0.014;
  double logic_compare_pj = 0.014;
  double logic_register_pj = 0.030;
  // One 32-bit entry of a proximity graph's link lists read from a small SRAM (a graph walk
  // reads a node's neighbour list before it matches the neighbours' keys).
  double link_read_pj = 1.4;
};

struct MatchEnergy {
  double adc_pj = 0.0;
  double peripherals_pj = 0.0;
  double precharge_pj = 0.0;
  double logic_pj = 0.0;
  double total_pj() const { return adc_pj + peripherals_pj + precharge_pj + logic_pj; }
};

// One match on one array of config.rows x config.cols.
MatchEnergy match_energy(const ArrayConfig& config, const EnergyParams& params);

// How many key comparisons one image needs under tree search (Table I footnote **).
struct SearchWorkload {
  double glimpses = 5.0;
  double tree_levels = 3.5;     // average levels visited in the LUT tree
  double keys_per_node = 32.0;  // keys (or centroids) compared per level
  double key_splits = 5.0;      // arrays one key is spread over
  double comparisons_per_image() const { return glimpses * tree_levels * keys_per_node; }
};

// The ledger event of the search memory: one key/query match on one 32x32 array. A key
// comparison reads as many arrays as the key spans (ArrayMap::arrays_per_key).
inline constexpr const char* kArrayMatchEvent = "sram.array_match";

// The search memory's energy table: kArrayMatchEvent costs match_energy(config, params), with
// `source` (the config file the parameters came from) named beside it.
eval::EnergyTable sram_energy_table(const ArrayConfig& config, const EnergyParams& params, const std::string& source);

// Energy of one image in nJ: every key comparison reads arrays_per_key arrays, each match
// costing `match_pj` (the kArrayMatchEvent of an energy table from sram_energy_table).
double inference_energy_nj(double key_comparisons_per_image, double arrays_per_key, double match_pj);

// Projection of energy measured at node_nm to target_nm: E * (target / node)^2 (paper).
double project_energy(double energy, double node_nm, double target_nm = 16.0);

}  // namespace mbi::hw
