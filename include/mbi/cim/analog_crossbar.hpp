#pragma once
// A float network (float_network.hpp) on analog crossbars of PCM cells, as IBM's aihwkit maps
// and evaluates one (issue 17): how accurate it stays on a real device, and what each way of
// fighting the device's noise costs in energy.
//
// Mapping. Each convolution and dense layer is a matrix of fan-in rows by outputs. Each
// output owns a differential pair of columns; its weights are scaled column by column
// (aihwkit's column-wise weight scaling): a weight w of output o becomes the conductance
// |w| / max_j |w_oj| x g_max on the column of its sign and 0 uS on the other. What each
// polarity of a weight holds is made of `devices x cells` PCM devices on separate rows of the
// column:
//   - plain (slices = 0): one device at the weight's conductance;
//   - weight scaling (devices = k, a classic fix): k devices, each at the weight's full
//     conductance, so the signal grows k times, the device noise sqrt(k) times, the read
//     energy k times (a tile then holds rows / k weights of k times the current, whose sum
//     spreads sqrt(k) times wider: the ADC's range grows sqrt(k) times);
//   - low-fluctuation decomposition (slices = S): |w| / max is rounded to 2^S - 1 levels, and
//     bit k of the level is a device at g_max (1) or 0 uS (0), the two states whose relative
//     fluctuation is lowest; the bits are read in S time steps whose durations are in
//     proportion to their significance (2^k / (2^S - 1) of a full pulse), and the column
//     integrates the charge of all steps into one conversion. A weight costs S devices but its
//     read charge is that of the single device it replaces.
// A column's rows are cut into tiles of `rows` word lines (the devices of one weight stay in
// one tile); every tile converts each output on its own ADC and the digital periphery adds
// the tiles.
//
// Reading. Inputs are non-negative (pixels, ReLU outputs). One product (one output position)
// scales its input vector by its largest value (aihwkit's abs-max noise management) and
// drives each word line with a pulse of `dac_bits` resolution (the input's level over
// 2^dac_bits - 1 of a full pulse). A tile's differential column current in units of g_max x a
// full pulse is clipped to +-adc_range x sqrt(devices / max(slices, 1)) and rounded to 2^adc_bits - 1 steps; the
// digital periphery multiplies by the input's scale and the column's weight scale, applies the
// drift compensation factor, adds the bias (the folded batch norm), the ReLU, the max pool.
//
// Devices. As aihwkit evaluates a network `seconds` after programming, each device is
// programmed, drifted and read once per evaluation (one 1/f read-noise draw; `reads` draws
// averaged when the arrays are read that many times, a classic fix that costs `reads` times
// the reads and conversions); global drift compensation per layer (programmed over read sum of
// its devices). With `ideal` cells every device reads exactly its target: what is left is the
// DAC and ADC rounding.
//
// Energy per image is counted as events (eval::Ledger):
//   pcm.read_ps_pulse       read charge: conductance in pS x the fraction of a full pulse, summed
//                           over every device read (priced at g V^2 t by configs/energy)
//   xbar.read_cycle         one read of the tiles of a product (the latency: tiles of a layer
//                           read in parallel, products and layers one after another)
//   xbar.dac_drive          one word line driven for one read
//   xbar.sample_hold, xbar.adc_conversion_<b>bit   one output of one tile converted
//   xbar.shift_add          one converted value added to its output (tiles, reads)
//   xbar.buffer_read_bit, xbar.buffer_write_bit   the 8-bit activations in and out of buffers
//   xbar.digital_op         input maximum, scaling, bias, ReLU, pool compares, per value
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mbi/cim/float_network.hpp"
#include "mbi/cim/pcm_matrix.hpp"
#include "mbi/core/image_set.hpp"
#include "mbi/eval/classifier.hpp"

namespace mbi::cim {

class AnalogCrossbarClassifier final : public eval::Classifier {
 public:
  // Programs, drifts and reads every device once (as `cells` says). Throws mbi::Error when
  // the network or the configuration is invalid. Keeps a reference to `network`.
  AnalogCrossbarClassifier(const FloatNetwork& network, const AnalogConfig& config, const AnalogCells& cells);
  std::string system() const override { return "analog-pcm"; }
  // The devices (one byte of analog state each, counted as bytes) and the digital biases and
  // column scales (4 bytes each).
  eval::Footprint footprint() const override;
  void classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) override;
  // devices, tiles, clipped_conversions_percent (of the last classify()), the drift
  // compensation factor of each mapped layer.
  std::vector<std::pair<std::string, double>> metrics() const override;
  const std::vector<std::vector<float>>& last_logits() const { return logits_; }

 private:
  struct Mapped {
    std::size_t layer = 0, positions = 0, weights_per_tile = 0, tiles = 0;
    PcmMatrix matrix;  // effective conductances, column scales, read charge, compensation
  };
  // The logits of one image; adds its read charge (pS x pulse) to `charge`.
  std::vector<float> run(const std::uint8_t* pixels, double& charge);

  const FloatNetwork& network_;
  AnalogConfig config_;
  std::vector<ternary::Shape> shapes_;
  std::vector<Mapped> mapped_;
  eval::Ledger events_per_image_;  // every event but the read charge, which depends on the pixels
  std::vector<std::vector<float>> logits_;
  std::uint64_t conversions_ = 0, clipped_ = 0, devices_ = 0;
};

}  // namespace mbi::cim
