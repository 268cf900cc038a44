#pragma once
// A crossbar compute-in-memory (CIM) accelerator running a ternary network (ternary/network.hpp):
// the baseline the CAM-only inference paper (seed 002) measures its associative processor
// against, modelled after ISAAC (Shafiee et al., ISCA 2016).
//
// Mapping. Every convolution and dense layer is a matrix of fan-in rows by outputs: each
// output owns two columns, one holding a cell for every weight +1 and one for every weight -1
// (a differential pair of 1-bit cells), so a column's current counts the inputs on its cells.
// The matrix is cut into arrays of `rows` x `columns`; row tiles see different inputs, column
// tiles different outputs.
//
// One matrix-vector product (one output position of a layer) streams the input activations
// through `dac_bits`-bit DACs, `dac_bits` bits at a time (bit-serial, as ISAAC does), so each
// array is read ceil(activation_bits / dac_bits) times. After every read an ADC of `adc_bits`
// converts each used column: the count it sees is clipped to 2^adc_bits - 1 (a too-coarse ADC
// loses information, exactly as the model computes). Shift-and-add units combine the slices
// and the row tiles, the negative column is subtracted from the positive one, and digital
// units compare the sums with the thresholds, pool and quantize the input pixels.
//
// The simulation computes every column count from bit planes (popcounts), so with an ADC wide
// enough for a whole array (2^adc_bits > rows x (2^dac_bits - 1)) the logits equal the integer
// reference's bit for bit.
//
// With PCM cells (PcmCells below) every cell is a device of device/pcm.hpp: a +1 or -1 weight
// programmed to g_max on its column, every other cell of the arrays to 0 uS (it still
// conducts a little after programming). As aihwkit evaluates a network `seconds` after
// programming, each cell is programmed, drifted and read once (one 1/f read-noise draw per
// evaluation, not per image); global drift compensation (per layer: programmed over read sum
// of its cells) rescales the currents; the ADC then rounds the column current in units of
// g_max to a count and clips it. Noise-free, this is the ideal crossbar exactly.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/device/pcm.hpp"
#include "mbi/eval/classifier.hpp"
#include "mbi/ternary/network.hpp"

namespace mbi::cim {

struct CrossbarConfig {
  int rows = 128;     // word lines per array (ISAAC: 128 x 128)
  int columns = 128;  // bit lines per array
  int adc_bits = 8;   // ISAAC's 8-bit ADC
  int dac_bits = 1;   // input bits applied per read (ISAAC: 1-bit DACs)
  // Throws mbi::Error naming the field that is out of range.
  void validate() const;
};

// The crossbar's cells as PCM devices.
struct PcmCells {
  device::PcmParameters pcm;
  double seconds = 86400;         // since programming (one day)
  bool drift_compensation = true;
  std::uint64_t seed = 1;         // the devices: programming and the read-noise draw
};

// How one convolution or dense layer sits on the arrays.
struct LayerMapping {
  std::size_t layer = 0;       // index in network.layers
  std::size_t fan_in = 0;      // matrix rows: inputs of one output
  std::size_t outputs = 0;     // output channels (two columns each)
  std::size_t positions = 0;   // matrix-vector products per image (output rows x columns)
  std::size_t row_tiles = 0;   // ceil(fan_in / rows)
  std::size_t column_tiles = 0;  // ceil(2 outputs / columns)
  std::size_t arrays = 0;      // row_tiles x column_tiles
  std::size_t cells = 0;       // programmed cells: 2 x fan_in x outputs (one per polarity)
  int slices = 0;              // reads per product: ceil(activation_bits / dac_bits)
};

std::vector<LayerMapping> map_network(const ternary::Network& network, const CrossbarConfig& config);

// The events of one image on the crossbar, by ledger name. They depend on the network's shape
// only, never on the pixels (every array is read whatever its inputs):
//   xbar.read_cycle           one read of the arrays of one product (its latency: the arrays of
//                             a layer read in parallel, products and layers one after another)
//   xbar.array_read           one array read (all its cells biased)
//   xbar.dac_drive            one word line driven for one read
//   xbar.sample_hold          one bit line sampled for its ADC
//   xbar.adc_conversion_<b>bit  one column converted by a b-bit ADC
//   xbar.shift_add            one converted count shifted and added (slices, row tiles) and
//                             the subtraction of each output's negative column
//   xbar.buffer_read_bit      one activation bit read from the buffer into the input register
//   xbar.buffer_write_bit     one output activation bit written back
//   xbar.digital_op           one comparison of a digital unit: threshold compares (binary
//                             search over the levels), max-pool compares, pixel quantization
//   xbar.logit_write_bit      the last layer's sums (32 bits each) written out
eval::Ledger crossbar_events_per_image(const ternary::Network& network, const CrossbarConfig& config);

// The crossbar as a classifier of the evaluation contract: logits computed as the hardware
// would (column counts, ADC clipping, shift-and-add), events from crossbar_events_per_image.
class CrossbarClassifier final : public eval::Classifier {
 public:
  // Throws mbi::Error when the network or the configuration is invalid. Keeps a reference to
  // `network`, which must outlive the classifier.
  CrossbarClassifier(const ternary::Network& network, const CrossbarConfig& config);
  // The same crossbar with PCM cells programmed, drifted and read as `cells` says.
  CrossbarClassifier(const ternary::Network& network, const CrossbarConfig& config, const PcmCells& cells);
  std::string system() const override { return "crossbar"; }
  // The programmed cells (1 bit each, counted in bytes) and the thresholds.
  eval::Footprint footprint() const override;
  void classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) override;
  // arrays, cells, clipped_conversions_percent (of the last classify()); with PCM cells also
  // the drift compensation factor of each layer (compensation_<layer>).
  std::vector<std::pair<std::string, double>> metrics() const override;
  // The last classify()'s logits, per image.
  const std::vector<std::vector<std::int64_t>>& last_logits() const { return logits_; }
  const std::vector<LayerMapping>& mapping() const { return mapping_; }

 private:
  std::vector<std::int64_t> run(const std::uint8_t* pixels);

  const ternary::Network& network_;
  CrossbarConfig config_;
  std::vector<ternary::Shape> shapes_;
  std::vector<LayerMapping> mapping_;   // of the convolution and dense layers, in order
  // Per mapped layer, the cells as bit masks: [output][polarity (+1, -1)][row tile][word].
  std::vector<std::vector<std::uint64_t>> masks_;
  // With PCM cells, per mapped layer, each cell's read conductance in units of g_max (times
  // the compensation): [input row][output x 2 + polarity]. Empty for ideal cells.
  std::vector<std::vector<float>> analog_;
  std::vector<double> compensation_;
  std::size_t words_per_tile_ = 0;
  std::vector<std::vector<std::int64_t>> logits_;
  std::uint64_t conversions_ = 0, clipped_ = 0;
};

}  // namespace mbi::cim
