#pragma once
// Device-level physics behind one bit line: how fast a transistor stack charges or
// discharges it, and how a threshold shift changes that.
//
// Assumptions (each a deliberate simplification, chosen so every effect has one knob):
//  * Drive current follows the alpha-power law (Sakurai & Newton 1990):
//      I = I_on * ((V_DD - V_TH0 - dV_TH) / (V_DD - V_TH0))^alpha,
//    with the overdrive clamped at 1 mV: a device pushed below threshold is treated as off,
//    since subthreshold conduction of LSTP devices moves a few fF by well under 1 mV in ns.
//  * A switching device acts as a resistor R_eq = req_factor * V_DD / I (Rabaey's
//    equivalent resistance, 3/4 V_DD / I_dsat), so a line settles exponentially with
//    tau = R_eq * C. This is linear in the voltage, so nominal devices give a readout that
//    is exactly linear in the distance, and mismatch shows up as a change of tau.
//  * Devices in series (the 10T read stack: the stored-bit device and the query/row device)
//    add their resistances: I_stack = 1 / sum(1 / I_i).
//  * V_TH mismatch scales with device area (Pelgrom): a device w times wider has
//    sigma / sqrt(w) and w times the current.
//  * Leakage of the 31 unselected cells on a bit line is neglected (LSTP off-current,
//    ~pA per cell, moves an 8 fF line by well under 0.1 mV within the discharge window).
#include "mbi/hw/array_config.hpp"
#include "mbi/core/random.hpp"

namespace mbi::hw {

// Current in microamps of a device `width` minimum sizes wide whose V_TH is shifted by dvth_v.
double drive_current_ua(const DeviceParams& device, double dvth_v, double width = 1.0);

// Time constant in ns of a line of cap_ff femtofarads driven through a device carrying current_ua.
double settle_tau_ns(const DeviceParams& device, double cap_ff, double current_ua);

// Fraction of its precharge a bit line keeps after the discharge window, when the read stack
// of the selected cell conducts. Draws the stack devices' V_TH shifts from `mismatch` (scaled
// by sigma_vth_mv) or uses nominal devices when `mismatch` is null.
double discharge_residual(const DeviceParams& device, double cap_ff, Random* mismatch);

// Fraction of its target a bit line reaches in the precharge window, starting from 0 V (the
// worst case after a full discharge).
double precharge_fraction(const DeviceParams& device, double cap_ff, Random* mismatch);

}  // namespace mbi::hw
