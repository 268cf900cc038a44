#pragma once
// Parameters of the 10T-SRAM distance array (paper sec. III-D) and of its devices.
// Defaults describe a 16 nm low-standby-power design; configs/hw/sram16nm.json holds the
// same numbers with the source or assumption behind each one.
#include <cstdint>

namespace mbi::hw {

// Transistor and wiring parameters that set the analogue behaviour of one array.
struct DeviceParams {
  double vdd_v = 0.8;                 // supply of drivers and read-stack gates
  double vth0_v = 0.45;               // nominal NMOS threshold (LSTP devices are high-V_TH)
  double alpha = 1.3;                 // alpha-power-law exponent (velocity saturation)
  double ion_ua = 20.0;               // minimum-size device current at V_GS = V_DS = V_DD
  double sigma_vth_mv = 60.0;         // V_TH mismatch of a minimum-size device (paper)
  double req_factor = 0.75;           // switch resistance R_eq = req_factor * V_DD / I_on
  std::uint32_t read_stack_devices = 2;  // series devices in each discharge path
  double precharge_width = 4.0;       // precharge switch width, in minimum-size devices
  double bitline_cap_ff = 8.0;        // one BL or BLB, 32 cells plus wire and CSUM gate
  double bitline_cap_sigma = 0.01;    // relative mismatch of bit-line capacitance
  double sumline_cap_ff = 4.0;        // SLP or SLN wire, reset to 0 V before charge sharing
  double precharge_ns = 1.0;          // step 1 window
  double discharge_ns = 2.4;          // step 2 window
};

// How the ADC's full scale is chosen.
enum class AdcRange : std::uint8_t {
  unit_step,    // one LSB per unit of distance; codes saturate at 2^bits - 1
  array_span,   // full scale spans the largest distance the array can produce
  fixed_volts,  // full scale given in volts (adc_full_scale_v)
};

struct ArrayConfig {
  std::uint32_t rows = 32;            // keys per array (one key per row)
  std::uint32_t cols = 32;            // columns per array (bits of one key slice)
  double v_precharge_max_v = 0.8;     // V_P,max: precharge of the most significant columns
  std::uint32_t adc_bits = 5;         // 0 = no quantisation (ideal analogue readout)
  AdcRange adc_range = AdcRange::unit_step;
  double adc_full_scale_v = 0.0;      // only for AdcRange::fixed_volts
  std::uint32_t tiles = 8;            // independently fabricated array sets the model holds
  DeviceParams device;
};

// The same array with matched devices: no V_TH or capacitance mismatch. The nominal
// readout is linear in the distance, so with this config the array is exact.
inline ArrayConfig without_mismatch(ArrayConfig config) {
  config.device.sigma_vth_mv = 0.0;
  config.device.bitline_cap_sigma = 0.0;
  return config;
}

}  // namespace mbi::hw
