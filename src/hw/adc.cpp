#include "mbi/hw/adc.hpp"

#include <algorithm>
#include <cmath>

#include "mbi/core/error.hpp"

namespace mbi::hw {

Adc::Adc(std::uint32_t bits, double lsb_v)
    : bits_(bits), lsb_v_(lsb_v), max_code_(bits == 0 ? 0.0 : std::ldexp(1.0, static_cast<int>(bits)) - 1.0) {
  if (bits > 16) throw Error("ADC resolution above 16 bits is not supported");
  if (!(lsb_v > 0.0)) throw Error("ADC LSB must be positive");
}

double Adc::convert(double drop_v) const {
  const double code = drop_v / lsb_v_;
  if (bits_ == 0) return code;
  return std::clamp(std::round(code), 0.0, max_code_);
}

}  // namespace mbi::hw
