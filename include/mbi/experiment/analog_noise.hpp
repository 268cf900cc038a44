#pragma once
// Float networks on analog crossbars of PCM cells (issue 17): accuracy over many devices
// against the ways of fighting the device's noise, each with its energy per inference.
//
// Every network given is run for every combination of weight scaling (devices per weight),
// low-fluctuation decomposition (slices), repeated reads and time since programming, each on
// `seeds` devices (programming and read-noise draws), with global drift compensation (and
// without, when asked). Beside each: the network's clean accuracy (float, digital) and the
// crossbar's with ideal devices (only the DAC and ADC rounding), the energy per image priced by
// `energy`, split into the devices' read charge, the ADC conversions and the rest.
#include <cstdint>
#include <string>
#include <vector>

#include "mbi/cim/analog_crossbar.hpp"
#include "mbi/cim/float_network.hpp"
#include "mbi/core/image_set.hpp"
#include "mbi/device/pcm.hpp"
#include "mbi/eval/energy_table.hpp"
#include "mbi/io/result_files.hpp"

namespace mbi::experiment {

struct AnalogNetwork {
  std::string label;  // how it was trained ("plain", "pcm-aware", ...)
  cim::FloatNetwork network;
};

struct AnalogNoiseOptions {
  cim::AnalogConfig crossbar;  // rows, DAC, ADC; devices, slices, reads come from the lists
  device::PcmParameters pcm;
  eval::EnergyTable energy;
  std::vector<int> devices = {1};
  std::vector<int> slices = {0};
  std::vector<int> reads = {1};
  std::vector<double> seconds = {86400};
  bool uncompensated = false;  // also without drift compensation
  int seeds = 10;              // devices per point
  std::uint64_t seed = 1;      // device d of a point uses seed + d
  int threads = 1;             // devices evaluated at once
  bool progress = false;
};

// Table analog_pcm (one row per network and point), plots analog_pcm_energy (accuracy
// against energy per image) and, with several times, analog_pcm_time (accuracy against time
// since programming); the summary with every point and its accuracies. Throws mbi::Error for
// empty lists, no devices, or networks made for other images.
io::ResultFiles analog_pcm_study(const std::vector<AnalogNetwork>& networks, const ImageSet& images,
                                 const AnalogNoiseOptions& options);

}  // namespace mbi::experiment
