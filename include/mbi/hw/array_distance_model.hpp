#pragma once
// The distance a query gets from the in-memory search hardware, for use inside a lookup
// loop in place of the exact weighted Manhattan distance.
//
// A key is spread over arrays_per_key() arrays (see array_map.hpp); each array reads its
// slice's distance through charge sharing (sram_array.hpp) and an ADC (adc.hpp); the
// digital logic adds the codes of each component and weights them:
//     out = sum_c w_c * D_c,    D_c = sum over the component's arrays of code * units/code
// The weights are applied as given, without eq. 1's division by their sum (divide the
// weights beforehand if you want that form); ideal_distances() uses the same convention.
//
// Fabrication: the model holds config.tiles independently fabricated sets of arrays (one
// set = arrays_per_key() arrays of config.rows rows), sampled once from `seed`. A call's key
// i occupies row i % rows of tile `tile % tiles`: pass, e.g., the index of the tree leaf
// being searched as `tile`, so that one leaf always meets the same devices.
//
// Reads: with NoiseOptions (noise.hpp) every call draws fresh read noise from a stream
// seeded by `seed`; repeated calls therefore differ, and the sequence is reproducible.
// Not thread-safe: use one model per thread (construct each with its own seed, or call
// reseed_reads()).
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "mbi/hw/adc.hpp"
#include "mbi/hw/array_config.hpp"
#include "mbi/hw/array_map.hpp"
#include "mbi/hw/coding.hpp"
#include "mbi/hw/noise.hpp"
#include "mbi/core/random.hpp"
#include "mbi/device/pcm.hpp"
#include "mbi/search/key_layout.hpp"

namespace mbi::hw {

class ArrayDistanceModel {
 public:
  // segment_weights: one per segment; segments of one component must share their weight.
  // component_of_segment: empty = every segment its own component (see array_map.hpp).
  ArrayDistanceModel(const std::vector<SegmentSpec>& segments, const ArrayConfig& config, Coding coding,
                     std::vector<double> segment_weights, std::uint64_t seed,
                     std::vector<std::uint32_t> component_of_segment = {});

  void set_noise(const NoiseOptions& noise);
  const NoiseOptions& noise() const { return noise_; }
  // Restarts the read-noise stream (fabrication is unchanged).
  void reseed_reads(std::uint64_t seed);

  // Hardware distance of `query` (total_values() values) to each of the n keys stored
  // back to back in `keys` (n * total_values() values); out has n entries.
  void distances(std::span<const std::uint8_t> query, std::span<const std::uint8_t> keys, std::span<double> out,
                 std::size_t tile = 0);
  // Unweighted per-component distances of one key as the hardware reads them
  // (components() entries), with the key in `row` of `tile`.
  void component_distances(std::span<const std::uint8_t> query, std::span<const std::uint8_t> key,
                           std::span<double> out, std::size_t row = 0, std::size_t tile = 0);

  // Exact weighted Manhattan distance: sum_c w_c * sum_{values in c} |k - q|.
  void ideal_distances(std::span<const std::uint8_t> query, std::span<const std::uint8_t> keys,
                       std::span<double> out) const;
  // What matched devices and a lossless readout compute for this coding: equal to
  // ideal_distances() for thermometer, the bit-weighted Hamming distance for binary.
  void coded_distances(std::span<const std::uint8_t> query, std::span<const std::uint8_t> keys,
                       std::span<double> out) const;

  const ArrayMap& map() const { return map_; }
  std::size_t arrays_per_key() const { return map_.arrays_per_key(); }
  std::uint32_t total_values() const { return map_.total_values(); }
  std::uint32_t components() const { return map_.components(); }
  const std::vector<double>& component_weights() const { return component_weights_; }
  // Readout drop of one distance unit in array `array`, in volts (nominal devices).
  double unit_step_v(std::size_t array) const { return nominal_[array].unit_step_v; }
  const Adc& adc(std::size_t array) const { return nominal_[array].adc; }

  // Counters since construction: array conversions performed (each is one 32x32 match for
  // the energy model) and how many of them hit the ADC's top code.
  std::uint64_t array_reads() const { return array_reads_; }
  std::uint64_t saturated_reads() const { return saturated_reads_; }

 private:
  // Design-time view of one array: how its ADC is set up.
  struct NominalArray {
    double top_v;         // readout at zero distance
    double unit_step_v;   // readout drop per distance unit
    double units_per_code;
    Adc adc;
  };
  // One fabricated array, reduced to what a read needs. Drops are readout volts (half the
  // sum-line drop). Prefix tables run over the columns of each row: prefix[row*(cols+1)+c]
  // is the sum of drops of columns < c, so a thermometer run's discharging columns, always
  // contiguous, cost one subtraction.
  struct FabricatedArray {
    double top_offset_v;  // nominal zero-distance readout minus this array's
    std::vector<double> bl_drop, blb_drop;
    std::vector<double> bl_prefix, blb_prefix, bl_sq_prefix, blb_sq_prefix;
  };
  // A used column, in flattened order over the key's arrays (for drawing bit flips).
  struct FlatColumn {
    std::uint32_t array;
    std::uint32_t column;
    std::uint32_t value;
    std::uint32_t bit;
    std::uint32_t levels;
  };

  // Keys in PCM (NoiseOptions::pcm): the read conductance of the SET device of cell
  // `column` of array `array` at (tile, row), over g_max, drift-compensated.
  double pcm_set_gain(std::size_t tile, std::size_t row, std::size_t array, std::size_t column);
  // The drop the RESET devices of matching cells leak in one read, given the sum and the
  // sum of squares of those cells' nominal (SET) drops.
  double pcm_leak(double drop_sum, double drop_sq_sum);

  void read_once(std::span<const std::uint8_t> query, std::span<const std::uint8_t> key, std::size_t row,
                 std::size_t tile, std::span<double> component_out);
  void read_combined(std::span<const std::uint8_t> query, std::span<const std::uint8_t> key, std::size_t row,
                     std::size_t tile, std::span<double> component_out);

  ArrayMap map_;
  ArrayConfig config_;
  std::vector<double> component_weights_;
  std::vector<NominalArray> nominal_;
  std::vector<FabricatedArray> fabricated_;  // tiles x arrays
  std::vector<FlatColumn> flat_columns_;
  std::vector<std::uint32_t> value_levels_;  // levels of each key value
  NoiseOptions noise_;
  Random read_rng_;
  std::uint64_t device_seed_;  // fabrication seed: PCM devices' fixed draws too
  // Keys in PCM: the model, the global drift compensation, and the RESET devices' read
  // conductance over g_max (mean, std over devices and reads), which only leak.
  std::optional<device::PcmModel> pcm_model_;
  double pcm_compensation_ = 1.0;
  double pcm_leak_mean_ = 0.0, pcm_leak_std_ = 0.0;
  std::vector<double> drop_, drop_sq_, reads_buffer_, scratch_, components_;
  std::uint64_t array_reads_ = 0;
  std::uint64_t saturated_reads_ = 0;
};

}  // namespace mbi::hw
