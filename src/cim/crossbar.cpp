#include "mbi/cim/crossbar.hpp"

#include <algorithm>
#include <bit>
#include <cmath>
#include <string>

#include "mbi/core/error.hpp"

namespace mbi::cim {
namespace {

using ternary::Layer;
using ternary::LayerKind;
using ternary::Network;
using ternary::Shape;

constexpr std::uint64_t kLogitBits = 32;  // the last layer's sums leave as 32-bit words

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

// Comparisons of a binary search over the levels' thresholds (as the reference counts them).
std::uint64_t threshold_compares(const Network& n) {
  return static_cast<std::uint64_t>(std::bit_width(static_cast<unsigned>(n.levels() - 1)));
}

}  // namespace

void CrossbarConfig::validate() const {
  if (rows < 1 || rows > 65536) throw Error("crossbar: rows must be 1 to 65536, not " + std::to_string(rows));
  if (columns < 2 || columns > 65536 || columns % 2 != 0)
    throw Error("crossbar: columns must be even (a differential pair per output), 2 to 65536, not " +
                std::to_string(columns));
  if (adc_bits < 1 || adc_bits > 32) throw Error("crossbar: ADC bits must be 1 to 32, not " + std::to_string(adc_bits));
  if (dac_bits < 1 || dac_bits > 8) throw Error("crossbar: DAC bits must be 1 to 8, not " + std::to_string(dac_bits));
}

std::vector<LayerMapping> map_network(const Network& network, const CrossbarConfig& config) {
  config.validate();
  network.validate();
  const std::vector<Shape> shapes = network.shapes();
  std::vector<LayerMapping> out;
  Shape in = network.input;
  for (std::size_t i = 0; i < network.layers.size(); ++i) {
    const Layer& l = network.layers[i];
    const Shape& s = shapes[i];
    if (l.kind != LayerKind::max_pool) {
      LayerMapping m;
      m.layer = i;
      m.fan_in = l.kind == LayerKind::conv ? static_cast<std::size_t>(in.channels) * l.kernel * l.kernel : in.size();
      m.outputs = static_cast<std::size_t>(l.out_channels);
      m.positions = static_cast<std::size_t>(s.rows) * s.cols;
      m.row_tiles = ceil_div(m.fan_in, static_cast<std::size_t>(config.rows));
      m.column_tiles = ceil_div(2 * m.outputs, static_cast<std::size_t>(config.columns));
      m.arrays = m.row_tiles * m.column_tiles;
      m.cells = 2 * m.fan_in * m.outputs;
      m.slices = (network.activation_bits + config.dac_bits - 1) / config.dac_bits;
      out.push_back(m);
    }
    in = s;
  }
  return out;
}

eval::Ledger crossbar_events_per_image(const Network& network, const CrossbarConfig& config) {
  const std::vector<LayerMapping> mapping = map_network(network, config);
  const std::vector<Shape> shapes = network.shapes();
  const auto bits = static_cast<std::uint64_t>(network.activation_bits);
  std::uint64_t cycles = 0, array_reads = 0, dac = 0, conversions = 0, shift_adds = 0;
  std::uint64_t read_bits = 0, write_bits = 0, digital = 0;
  // The pixels: read as bytes, quantized to levels by the digital unit, written as levels.
  read_bits += 8 * network.input.size();
  digital += threshold_compares(network) * network.input.size();
  write_bits += bits * network.input.size();
  std::size_t next = 0;
  Shape in = network.input;
  for (std::size_t i = 0; i < network.layers.size(); ++i) {
    const Layer& l = network.layers[i];
    const Shape& s = shapes[i];
    if (l.kind == LayerKind::max_pool) {
      read_bits += bits * in.size();
      digital += s.size() * static_cast<std::uint64_t>(l.kernel * l.kernel - 1);
      write_bits += bits * s.size();
    } else {
      const LayerMapping& m = mapping[next++];
      const std::uint64_t reads = m.positions * static_cast<std::uint64_t>(m.slices);
      cycles += reads;
      array_reads += reads * m.arrays;
      dac += reads * m.fan_in * m.column_tiles;
      const std::uint64_t converted = reads * m.row_tiles * 2 * m.outputs;
      conversions += converted;
      shift_adds += converted + m.positions * m.outputs;
      read_bits += m.positions * m.fan_in * bits;
      if (l.has_activation) {
        digital += m.positions * m.outputs * threshold_compares(network);
        write_bits += m.positions * m.outputs * bits;
      } else {
        write_bits += m.positions * m.outputs * kLogitBits;
      }
    }
    in = s;
  }
  eval::Ledger ledger;
  ledger.add("xbar.read_cycle", cycles);
  ledger.add("xbar.array_read", array_reads);
  ledger.add("xbar.dac_drive", dac);
  ledger.add("xbar.sample_hold", conversions);
  ledger.add("xbar.adc_conversion_" + std::to_string(config.adc_bits) + "bit", conversions);
  ledger.add("xbar.shift_add", shift_adds);
  ledger.add("xbar.buffer_read_bit", read_bits);
  ledger.add("xbar.buffer_write_bit", write_bits);
  ledger.add("xbar.digital_op", digital);
  return ledger;
}

CrossbarClassifier::CrossbarClassifier(const Network& network, const CrossbarConfig& config)
    : network_(network), config_(config), shapes_(network.shapes()), mapping_(map_network(network, config)) {
  words_per_tile_ = ceil_div(static_cast<std::size_t>(config_.rows), 64);
  for (const LayerMapping& m : mapping_) {
    const Layer& l = network_.layers[m.layer];
    std::vector<std::uint64_t> masks(m.outputs * 2 * m.row_tiles * words_per_tile_, 0);
    for (std::size_t o = 0; o < m.outputs; ++o)
      for (std::size_t j = 0; j < m.fan_in; ++j) {
        const std::int8_t w = l.weights[o * m.fan_in + j];
        if (w == 0) continue;
        const std::size_t polarity = w > 0 ? 0 : 1;
        const std::size_t tile = j / static_cast<std::size_t>(config_.rows);
        const std::size_t row = j % static_cast<std::size_t>(config_.rows);
        masks[((o * 2 + polarity) * m.row_tiles + tile) * words_per_tile_ + row / 64] |= std::uint64_t{1} << (row % 64);
      }
    masks_.push_back(std::move(masks));
  }
}

CrossbarClassifier::CrossbarClassifier(const Network& network, const CrossbarConfig& config, const PcmCells& cells)
    : CrossbarClassifier(network, config) {
  if (!(cells.seconds >= 0 && std::isfinite(cells.seconds))) throw Error("crossbar: seconds since programming must be >= 0");
  const device::PcmModel model(cells.pcm);
  const double g_max = cells.pcm.g_max;
  for (std::size_t index = 0; index < mapping_.size(); ++index) {
    const LayerMapping& m = mapping_[index];
    const Layer& l = network_.layers[m.layer];
    Random programming(cells.seed, 2 * index), reads(cells.seed, 2 * index + 1);
    std::vector<float> g(m.fan_in * m.outputs * 2);
    double programmed_sum = 0, read_sum = 0;
    for (std::size_t j = 0; j < m.fan_in; ++j)
      for (std::size_t o = 0; o < m.outputs; ++o) {
        const std::int8_t w = l.weights[o * m.fan_in + j];
        for (std::size_t polarity = 0; polarity < 2; ++polarity) {
          const bool on = polarity == 0 ? w > 0 : w < 0;
          const device::PcmCell cell = model.program(on ? g_max : 0.0, programming);
          const double read = model.read(cell, cells.seconds, reads);
          programmed_sum += cell.programmed;
          read_sum += read;
          g[j * m.outputs * 2 + o * 2 + polarity] = static_cast<float>(read / g_max);
        }
      }
    const double factor = cells.drift_compensation && read_sum > 0 ? programmed_sum / read_sum : 1.0;
    for (float& x : g) x = static_cast<float>(x * factor);
    analog_.push_back(std::move(g));
    compensation_.push_back(factor);
  }
}

eval::Footprint CrossbarClassifier::footprint() const {
  std::uint64_t cells = 0;
  for (const LayerMapping& m : mapping_) cells += m.cells;
  eval::Footprint f;
  f.add("crossbar.cells", (cells + 7) / 8);
  f.add("crossbar.thresholds", network_.threshold_bytes());
  return f;
}

std::vector<std::int64_t> CrossbarClassifier::run(const std::uint8_t* pixels) {
  const int bits = network_.activation_bits;
  const int tpc = network_.levels() - 1;
  const std::int64_t adc_max = config_.adc_bits >= 63 ? INT64_MAX : (std::int64_t{1} << config_.adc_bits) - 1;
  std::vector<std::int64_t> a(network_.input.size());
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = ternary::level_of(pixels[i], network_.input_thresholds.data(), tpc, true);
  Shape in = network_.input;
  std::size_t next = 0;
  std::vector<std::int64_t> field;
  std::vector<std::uint64_t> planes;  // [row tile][bit][word]
  std::vector<float> currents;        // PCM cells: [row tile][bit][output x 2 + polarity]
  for (std::size_t li = 0; li < network_.layers.size(); ++li) {
    const Layer& l = network_.layers[li];
    const Shape& s = shapes_[li];
    std::vector<std::int64_t> y(s.size(), 0);
    if (l.kind == LayerKind::max_pool) {
      const int k = l.kernel;
      for (int ch = 0; ch < s.channels; ++ch)
        for (int r = 0; r < s.rows; ++r)
          for (int c = 0; c < s.cols; ++c) {
            std::int64_t best = 0;  // levels are >= 0
            for (int dr = 0; dr < k; ++dr)
              for (int dc = 0; dc < k; ++dc)
                best = std::max(best, a[(static_cast<std::size_t>(ch) * in.rows + r * k + dr) * in.cols + c * k + dc]);
            y[(static_cast<std::size_t>(ch) * s.rows + r) * s.cols + c] = best;
          }
    } else {
      const LayerMapping& m = mapping_[next];
      const std::vector<std::uint64_t>& masks = masks_[next];
      const float* conductances = analog_.empty() ? nullptr : analog_[next].data();
      ++next;
      const std::size_t columns = 2 * m.outputs;
      const bool conv = l.kind == LayerKind::conv;
      const int k = conv ? l.kernel : 1;
      field.resize(m.fan_in);
      planes.resize(m.row_tiles * static_cast<std::size_t>(bits) * words_per_tile_);
      for (int r = 0; r < s.rows; ++r)
        for (int c = 0; c < s.cols; ++c) {
          // The input vector of this product: the receptive field, zeros where the padding is.
          if (conv) {
            std::size_t j = 0;
            for (int i = 0; i < in.channels; ++i)
              for (int kr = 0; kr < k; ++kr)
                for (int kc = 0; kc < k; ++kc) {
                  const int ir = r + kr - l.padding, ic = c + kc - l.padding;
                  field[j++] = ir < 0 || ic < 0 || ir >= in.rows || ic >= in.cols
                                   ? 0
                                   : a[(static_cast<std::size_t>(i) * in.rows + ir) * in.cols + ic];
                }
          } else {
            std::copy(a.begin(), a.end(), field.begin());
          }
          // Its bit planes per row tile: what the DACs put on the word lines, bit by bit.
          std::fill(planes.begin(), planes.end(), 0);
          for (std::size_t j = 0; j < m.fan_in; ++j) {
            const std::size_t tile = j / static_cast<std::size_t>(config_.rows);
            const std::size_t row = j % static_cast<std::size_t>(config_.rows);
            const auto v = static_cast<std::uint64_t>(field[j]);
            for (int b = 0; b < bits; ++b)
              if ((v >> b) & 1U)
                planes[(tile * bits + static_cast<std::size_t>(b)) * words_per_tile_ + row / 64] |= std::uint64_t{1} << (row % 64);
          }
          if (conductances) {
            // Each column's current for each input bit: the sum of the conductances of the rows
            // whose input has that bit set (in units of g_max).
            currents.assign(m.row_tiles * static_cast<std::size_t>(bits) * columns, 0.0F);
            for (std::size_t j = 0; j < m.fan_in; ++j) {
              const auto v = static_cast<std::uint64_t>(field[j]);
              if (v == 0) continue;
              const std::size_t tile = j / static_cast<std::size_t>(config_.rows);
              const float* row = conductances + j * columns;
              for (int b = 0; b < bits; ++b)
                if ((v >> b) & 1U) {
                  float* sum = &currents[(tile * bits + static_cast<std::size_t>(b)) * columns];
                  for (std::size_t col = 0; col < columns; ++col) sum[col] += row[col];
                }
            }
          }
          const std::size_t position = static_cast<std::size_t>(r) * s.cols + c;
          for (std::size_t o = 0; o < m.outputs; ++o) {
            std::int64_t column_sums[2] = {0, 0};
            for (std::size_t polarity = 0; polarity < 2; ++polarity)
              for (std::size_t t = 0; t < m.row_tiles; ++t) {
                const std::uint64_t* mask = &masks[((o * 2 + polarity) * m.row_tiles + t) * words_per_tile_];
                for (int slice = 0; slice < m.slices; ++slice) {
                  // The column's count for this read: each DAC bit weighs its power of two.
                  std::int64_t count = 0;
                  const int first = slice * config_.dac_bits;
                  if (conductances) {
                    // The ADC rounds the analog current to a count.
                    double current = 0;
                    for (int b = first; b < std::min(bits, first + config_.dac_bits); ++b)
                      current += std::ldexp(currents[(t * bits + static_cast<std::size_t>(b)) * columns + o * 2 + polarity],
                                            b - first);
                    count = static_cast<std::int64_t>(std::llround(std::max(current, 0.0)));
                  } else {
                    for (int b = first; b < std::min(bits, first + config_.dac_bits); ++b) {
                      const std::uint64_t* plane = &planes[(t * bits + static_cast<std::size_t>(b)) * words_per_tile_];
                      std::int64_t ones = 0;
                      for (std::size_t w = 0; w < words_per_tile_; ++w) ones += std::popcount(plane[w] & mask[w]);
                      count += ones << (b - first);
                    }
                  }
                  ++conversions_;
                  if (count > adc_max) {
                    count = adc_max;
                    ++clipped_;
                  }
                  column_sums[polarity] += count << first;
                }
              }
            y[o * m.positions + position] = column_sums[0] - column_sums[1];
          }
        }
      if (l.has_activation)
        for (std::size_t o = 0; o < m.outputs; ++o) {
          const std::int64_t* t = l.thresholds.data() + o * static_cast<std::size_t>(tpc);
          for (std::size_t p = 0; p < m.positions; ++p) {
            std::int64_t& v = y[o * m.positions + p];
            v = ternary::level_of(v, t, tpc, l.rising[o] != 0);
          }
        }
    }
    a = std::move(y);
    in = s;
  }
  return a;
}

void CrossbarClassifier::classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) {
  if (images.rows != network_.input.rows || images.cols != network_.input.cols || network_.input.channels != 1)
    throw Error("crossbar: the network is made for " + std::to_string(network_.input.rows) + "x" +
                std::to_string(network_.input.cols) + " images, given " + std::to_string(images.rows) + "x" +
                std::to_string(images.cols));
  if (predictions.size() != images.count()) throw Error("crossbar: one prediction per image");
  conversions_ = clipped_ = 0;
  logits_.resize(images.count());
  for (std::size_t i = 0; i < images.count(); ++i) {
    logits_[i] = run(images.image(i));
    predictions[i] = static_cast<int>(std::max_element(logits_[i].begin(), logits_[i].end()) - logits_[i].begin());
  }
  const eval::Ledger per_image = crossbar_events_per_image(network_, config_);
  for (const auto& [event, count] : per_image.events()) ledger.add(event, count * images.count());
}

std::vector<std::pair<std::string, double>> CrossbarClassifier::metrics() const {
  std::uint64_t arrays = 0, cells = 0;
  for (const LayerMapping& m : mapping_) {
    arrays += m.arrays;
    cells += m.cells;
  }
  std::vector<std::pair<std::string, double>> out = {
      {"arrays", static_cast<double>(arrays)},
      {"cells", static_cast<double>(cells)},
      {"clipped_conversions_percent",
       conversions_ ? 100.0 * static_cast<double>(clipped_) / static_cast<double>(conversions_) : 0.0}};
  for (std::size_t i = 0; i < compensation_.size(); ++i)
    out.emplace_back("compensation_" + std::to_string(mapping_[i].layer), compensation_[i]);
  return out;
}

}  // namespace mbi::cim
