#pragma once
// One weight matrix stored in differential pairs of PCM devices, as the analog crossbar
// (analog_crossbar.hpp) maps every layer and as any other network read from PCM (the RAM
// teacher, train/teacher_on_pcm.hpp) maps its own: column-wise scaling (the largest |w| of
// an output at g_max), plain pairs, weight scaling by k devices or the low-fluctuation
// decomposition into binary slices, each device programmed, drifted and read as aihwkit
// evaluates, with global drift compensation over the matrix. Standard library only.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "mbi/device/pcm.hpp"

namespace mbi::cim {

struct AnalogConfig {
  int rows = 128;           // word lines per tile
  int dac_bits = 8;         // input pulse resolution (aihwkit's preset: 254 levels)
  int adc_bits = 8;         // output resolution
  double adc_range = 10.0;  // +- full scale in units of g_max x a full pulse (aihwkit's out_bound)
  int devices = 1;          // weight scaling: devices per polarity, each at the full conductance
  int slices = 0;           // low-fluctuation decomposition: binary devices per polarity (0 = off)
  int reads = 1;            // repeated reads, averaged
  // Throws mbi::Error naming the field that is out of range.
  void validate() const;
  // Devices per weight polarity: devices x max(slices, 1).
  int cells_per_weight() const { return devices * (slices > 0 ? slices : 1); }
};

// The devices under the crossbar.
struct AnalogCells {
  device::PcmParameters pcm;
  double seconds = 86400;  // since programming (one day)
  bool drift_compensation = true;
  bool ideal = false;      // every device reads its target exactly
  std::uint64_t seed = 1;  // programming and read-noise draws
};

// What one matrix reads back.
struct PcmMatrix {
  std::size_t fan_in = 0, outputs = 0;
  // The read differential conductance of each weight in units of g_max, its devices' reads
  // summed by significance: [input row][output]. (Compensation acts after the ADC.)
  std::vector<float> effective;
  std::vector<float> scale;         // per output: max_j |w_oj| / devices (back to weights)
  std::vector<double> read_charge;  // per input row: pS of every device it drives, by significance
  double compensation = 1;          // global drift compensation (1 when off or ideal)
  std::uint64_t devices = 0;

  // The weight the digital periphery computes with: effective x scale x compensation.
  float weight(std::size_t output, std::size_t input) const {
    return static_cast<float>(effective[input * outputs + output] * scale[output] * compensation);
  }
};

// Programs `weights` (outputs x fan_in, an output's weights together) into PCM pairs. Draws
// come from Random(cells.seed, 2 stream) for programming and 2 stream + 1 for reads, so each
// matrix of a network (stream = its index) has its own devices. Throws mbi::Error for an
// invalid configuration, cells or non-finite weight.
PcmMatrix program_pcm_matrix(const float* weights, std::size_t outputs, std::size_t fan_in, const AnalogConfig& config,
                             const AnalogCells& cells, std::uint64_t stream);

}  // namespace mbi::cim
