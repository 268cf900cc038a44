#pragma once
// The ADC that digitises the readout (V_SLP + V_SLN) / 2 of one array (step 4).
//
// Its input is the drop of the readout below the level a zero distance would give on a
// nominal array; thresholds sit half an LSB either side of each code, so an ideal array
// whose drop is exactly n LSBs reads code n. Both the zero level and the LSB are fixed at
// design time from nominal devices: mismatch on a fabricated array is not calibrated out.
#include <cstdint>

namespace mbi::hw {

class Adc {
 public:
  // bits == 0 gives an ideal converter: the code is the input in LSBs, unrounded, unclamped.
  Adc(std::uint32_t bits, double lsb_v);

  // Code for a readout drop of drop_v volts: round(drop_v / lsb), clamped to [0, 2^bits - 1].
  double convert(double drop_v) const;

  std::uint32_t bits() const { return bits_; }
  double lsb_v() const { return lsb_v_; }
  double max_code() const { return max_code_; }

 private:
  std::uint32_t bits_;
  double lsb_v_;
  double max_code_;
};

}  // namespace mbi::hw
