#pragma once
// mbi::hw - a behavioural model of the in-memory nearest-key search of the MBI paper
// (sec. III-D): 10T-SRAM arrays that compute a Manhattan-like distance by charge sharing.
//
//   coding.hpp                binary (paper) vs thermometer column codes of a value
//   array_map.hpp             how a key is split over 32x32 arrays
//   device_model.hpp          transistor physics behind one bit line (alpha-power, RC)
//   sram_array.hpp            one fabricated array: precharge, discharge, charge sharing
//   adc.hpp                   the readout ADC
//   noise.hpp                 read noise, unreliable storage, repeated reads
//   array_distance_model.hpp  the distance a lookup loop gets from the hardware
//   distance_error.hpp        error of a coding or of the hardware against the exact distance
//   variability.hpp           Monte Carlo sum-line margins (Fig. 6(b))
//   energy.hpp, table1.hpp    energy per match and per inference (Fig. 6(c), Table I)
//   hw_config.hpp             the JSON parameter file (configs/hw/sram16nm.json)
//   experiments.hpp           the `mbi hw` experiments, as JSON summaries and CSV tables
#include "mbi/hw/adc.hpp"
#include "mbi/hw/array_config.hpp"
#include "mbi/hw/array_distance_model.hpp"
#include "mbi/hw/array_map.hpp"
#include "mbi/hw/coding.hpp"
#include "mbi/hw/distance_error.hpp"
#include "mbi/hw/energy.hpp"
#include "mbi/hw/experiments.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/hw/noise.hpp"
#include "mbi/hw/sram_array.hpp"
#include "mbi/hw/table1.hpp"
#include "mbi/hw/variability.hpp"
