#include "mbi/hw/device_model.hpp"

#include <algorithm>
#include <cmath>

namespace mbi::hw {

double drive_current_ua(const DeviceParams& device, double dvth_v, double width) {
  const double nominal_overdrive = device.vdd_v - device.vth0_v;
  const double overdrive = std::max(nominal_overdrive - dvth_v, 1e-3);
  return width * device.ion_ua * std::pow(overdrive / nominal_overdrive, device.alpha);
}

double settle_tau_ns(const DeviceParams& device, double cap_ff, double current_ua) {
  // R_eq [MOhm] = k * V / I[uA]; MOhm * fF = ns.
  return device.req_factor * device.vdd_v / current_ua * cap_ff;
}

double discharge_residual(const DeviceParams& device, double cap_ff, Random* mismatch) {
  const double sigma_v = device.sigma_vth_mv * 1e-3;
  double inverse_current = 0.0;
  for (std::uint32_t i = 0; i < device.read_stack_devices; ++i) {
    const double dvth = mismatch != nullptr ? sigma_v * mismatch->normal() : 0.0;
    inverse_current += 1.0 / drive_current_ua(device, dvth);
  }
  const double tau = settle_tau_ns(device, cap_ff, 1.0 / inverse_current);
  return std::exp(-device.discharge_ns / tau);
}

double precharge_fraction(const DeviceParams& device, double cap_ff, Random* mismatch) {
  const double width = device.precharge_width;
  const double sigma_v = device.sigma_vth_mv * 1e-3 / std::sqrt(width);
  const double dvth = mismatch != nullptr ? sigma_v * mismatch->normal() : 0.0;
  const double tau = settle_tau_ns(device, cap_ff, drive_current_ua(device, dvth, width));
  return 1.0 - std::exp(-device.precharge_ns / tau);
}

}  // namespace mbi::hw
