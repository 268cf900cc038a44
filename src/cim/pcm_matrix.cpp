#include "mbi/cim/pcm_matrix.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"

namespace mbi::cim {
namespace {

constexpr double kPicoPerMicro = 1e6;  // pS per uS

}  // namespace

void AnalogConfig::validate() const {
  if (rows < 1 || rows > 65536) throw Error("analog crossbar: rows must be 1 to 65536, not " + std::to_string(rows));
  if (dac_bits < 1 || dac_bits > 16) throw Error("analog crossbar: DAC bits must be 1 to 16, not " + std::to_string(dac_bits));
  if (adc_bits < 2 || adc_bits > 24) throw Error("analog crossbar: ADC bits must be 2 to 24, not " + std::to_string(adc_bits));
  if (!(adc_range > 0 && std::isfinite(adc_range))) throw Error("analog crossbar: the ADC range must be > 0");
  if (devices < 1 || devices > 1024) throw Error("analog crossbar: devices per weight must be 1 to 1024");
  if (slices < 0 || slices > 16) throw Error("analog crossbar: slices must be 0 (off) to 16");
  if (reads < 1 || reads > 1024) throw Error("analog crossbar: reads must be 1 to 1024");
  if (cells_per_weight() > rows)
    throw Error("analog crossbar: " + std::to_string(cells_per_weight()) + " devices per weight do not fit in " +
                std::to_string(rows) + " rows");
}

PcmMatrix program_pcm_matrix(const float* weights, std::size_t outputs, std::size_t fan_in, const AnalogConfig& config,
                             const AnalogCells& cells, std::uint64_t stream) {
  config.validate();
  cells.pcm.validate();
  if (!(cells.seconds >= 0 && std::isfinite(cells.seconds)))
    throw Error("analog crossbar: seconds since programming must be >= 0");
  const device::PcmModel model(cells.pcm);
  const double g_max = cells.pcm.g_max;
  const int levels = config.slices > 0 ? (1 << config.slices) - 1 : 0;
  PcmMatrix m;
  m.fan_in = fan_in;
  m.outputs = outputs;
  m.effective.assign(fan_in * outputs, 0.0F);
  m.read_charge.assign(fan_in, 0.0);
  m.scale.resize(outputs);
  Random programming(cells.seed, 2 * stream), noise(cells.seed, 2 * stream + 1);
  double programmed_sum = 0, read_sum = 0;
  for (std::size_t o = 0; o < outputs; ++o) {
    const float* w = &weights[o * fan_in];
    float largest = 0;
    for (std::size_t j = 0; j < fan_in; ++j) {
      if (!std::isfinite(w[j])) throw Error("analog crossbar: a weight is not a finite number");
      largest = std::max(largest, std::abs(w[j]));
    }
    m.scale[o] = largest / static_cast<float>(config.devices);
    for (std::size_t j = 0; j < fan_in; ++j) {
      const double u = largest > 0 ? std::abs(w[j]) / largest : 0.0;
      const int level = levels > 0 ? static_cast<int>(std::lround(u * levels)) : 0;
      double differential = 0;
      for (int polarity = 0; polarity < 2; ++polarity) {
        const bool holds = polarity == 0 ? w[j] > 0 : w[j] < 0;
        const double sign = polarity == 0 ? 1.0 : -1.0;
        for (int d = 0; d < config.devices; ++d)
          for (int slice = 0; slice < std::max(config.slices, 1); ++slice) {
            double target, significance;
            if (levels > 0) {
              target = holds && ((level >> slice) & 1) ? g_max : 0.0;
              significance = static_cast<double>(1 << slice) / levels;
            } else {
              target = holds ? u * g_max : 0.0;
              significance = 1.0;
            }
            double read = target;
            if (!cells.ideal) {
              const device::PcmCell cell = model.program(target, programming);
              read = 0;
              for (int r = 0; r < config.reads; ++r) read += model.read(cell, cells.seconds, noise);
              read /= config.reads;
              programmed_sum += cell.programmed;
              read_sum += read;
            }
            differential += sign * significance * read / g_max;
            m.read_charge[j] += significance * read * kPicoPerMicro;
            ++m.devices;
          }
      }
      m.effective[j * outputs + o] = static_cast<float>(differential);
    }
  }
  m.compensation = cells.drift_compensation && !cells.ideal && read_sum > 0 ? programmed_sum / read_sum : 1.0;
  return m;
}

}  // namespace mbi::cim
