#include "mbi/cim/analog_crossbar.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "mbi/core/error.hpp"

namespace mbi::cim {
namespace {

using ternary::LayerKind;
using ternary::Shape;

std::size_t ceil_div(std::size_t a, std::size_t b) { return (a + b - 1) / b; }

}  // namespace

AnalogCrossbarClassifier::AnalogCrossbarClassifier(const FloatNetwork& network, const AnalogConfig& config,
                                                   const AnalogCells& cells)
    : network_(network), config_(config) {
  config_.validate();
  network_.validate();
  cells.pcm.validate();
  if (!(cells.seconds >= 0 && std::isfinite(cells.seconds)))
    throw Error("analog crossbar: seconds since programming must be >= 0");
  shapes_ = network_.shapes();
  const int per_weight = config_.cells_per_weight();
  const auto dac_bits = static_cast<std::uint64_t>(config_.dac_bits);
  std::uint64_t cycles = 0, drives = 0, conversions = 0, shift_adds = 0, read_bits = 0, write_bits = 0, digital = 0;
  read_bits += 8 * network_.input.size();
  Shape in = network_.input;
  for (std::size_t li = 0; li < network_.layers.size(); ++li) {
    const FloatLayer& l = network_.layers[li];
    const Shape& s = shapes_[li];
    if (l.kind == LayerKind::max_pool) {
      digital += s.size() * static_cast<std::uint64_t>(l.kernel * l.kernel - 1);
      in = s;
      continue;
    }
    Mapped m;
    m.layer = li;
    m.positions = static_cast<std::size_t>(s.rows) * s.cols;
    m.matrix = program_pcm_matrix(l.weights.data(), static_cast<std::size_t>(l.out_channels), fan_in(l, in), config_,
                                  cells, li);
    devices_ += m.matrix.devices;
    m.weights_per_tile = static_cast<std::size_t>(config_.rows / per_weight);
    m.tiles = ceil_div(m.matrix.fan_in, m.weights_per_tile);
    const std::size_t fan = m.matrix.fan_in, outputs = m.matrix.outputs;
    // The events of this layer per image.
    const auto reads = static_cast<std::uint64_t>(config_.reads);
    cycles += m.positions * reads;
    drives += m.positions * reads * fan * static_cast<std::uint64_t>(per_weight);
    conversions += m.positions * reads * outputs * m.tiles;
    shift_adds += m.positions * reads * outputs * m.tiles;
    read_bits += m.positions * fan * dac_bits;
    write_bits += m.positions * outputs * dac_bits;
    digital += m.positions * (fan + 3 * outputs);  // input maximum; scale, bias, ReLU
    mapped_.push_back(std::move(m));
    in = s;
  }
  events_per_image_.add("xbar.read_cycle", cycles);
  events_per_image_.add("xbar.dac_drive", drives);
  events_per_image_.add("xbar.sample_hold", conversions);
  events_per_image_.add("xbar.adc_conversion_" + std::to_string(config_.adc_bits) + "bit", conversions);
  events_per_image_.add("xbar.shift_add", shift_adds);
  events_per_image_.add("xbar.buffer_read_bit", read_bits);
  events_per_image_.add("xbar.buffer_write_bit", write_bits);
  events_per_image_.add("xbar.digital_op", digital);
}

eval::Footprint AnalogCrossbarClassifier::footprint() const {
  std::uint64_t scales = 0;
  for (const Mapped& m : mapped_) scales += 2 * m.matrix.outputs;  // column scale and bias
  eval::Footprint f;
  f.add("analog.devices", devices_);
  f.add("analog.scales_and_biases", 4 * scales);
  return f;
}

std::vector<float> AnalogCrossbarClassifier::run(const std::uint8_t* pixels, double& charge) {
  const double input_levels = static_cast<double>((1 << config_.dac_bits) - 1);
  const int steps = (1 << (config_.adc_bits - 1)) - 1;  // codes -steps..steps
  // With k devices per weight a tile sums rows / k weights of k times the current: terms of
  // mixed sign that cancel less, so its current spreads sqrt(k) times wider (measured: a
  // range fixed at k = 1 clips 3 % of the conversions at k = 16; one growing k times
  // wastes the ADC's levels and loses as much to rounding). With S slices a tile sums
  // rows / S weights of the plain current: sqrt(S) times narrower.
  const double range =
      config_.adc_range * std::sqrt(static_cast<double>(config_.devices) / std::max(config_.slices, 1));
  const double step = range / steps;
  std::vector<float> a(network_.input.size());
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = static_cast<float>(pixels[i]) * network_.input_scale;
  Shape in = network_.input;
  std::vector<float> field, level, acc;
  std::size_t next = 0;
  for (std::size_t li = 0; li < network_.layers.size(); ++li) {
    const FloatLayer& l = network_.layers[li];
    const Shape& s = shapes_[li];
    std::vector<float> y(s.size(), 0.0F);
    if (l.kind == LayerKind::max_pool) {
      max_pool(l, in, a.data(), y.data());
    } else {
      const Mapped& m = mapped_[next++];
      const PcmMatrix& x = m.matrix;
      field.resize(x.fan_in);
      level.resize(x.fan_in);
      acc.resize(m.tiles * x.outputs);
      for (int r = 0; r < s.rows; ++r)
        for (int c = 0; c < s.cols; ++c) {
          if (l.kind == LayerKind::conv)
            receptive_field(l, in, a.data(), r, c, field.data());
          else
            std::copy(a.begin(), a.end(), field.begin());
          // The DACs: the input vector over its largest value, in pulse levels.
          float largest = 0;
          for (const float v : field) largest = std::max(largest, v);
          std::fill(acc.begin(), acc.end(), 0.0F);
          if (largest > 0) {
            for (std::size_t j = 0; j < x.fan_in; ++j) {
              level[j] = std::nearbyint(std::max(field[j], 0.0F) / largest * static_cast<float>(input_levels));
              if (level[j] == 0) continue;
              charge += x.read_charge[j] * level[j] / input_levels;
              const float* g = &x.effective[j * x.outputs];
              float* sum = &acc[(j / m.weights_per_tile) * x.outputs];
              const float v = level[j];
              for (std::size_t o = 0; o < x.outputs; ++o) sum[o] += g[o] * v;
            }
          }
          const std::size_t position = static_cast<std::size_t>(r) * s.cols + c;
          for (std::size_t o = 0; o < x.outputs; ++o) {
            double total = 0;
            for (std::size_t t = 0; t < m.tiles; ++t) {
              // The ADC: the tile's column current in units of g_max x a full pulse.
              const double current = acc[t * x.outputs + o] / input_levels;
              double code = std::nearbyint(current / step);
              ++conversions_;
              if (code > steps || code < -steps) {
                code = std::clamp(code, -static_cast<double>(steps), static_cast<double>(steps));
                ++clipped_;
              }
              total += code * step;
            }
            double v = total * largest * x.scale[o] * x.compensation;
            if (!l.bias.empty()) v += l.bias[o];
            if (l.relu) v = std::max(v, 0.0);
            y[o * m.positions + position] = static_cast<float>(v);
          }
        }
    }
    a = std::move(y);
    in = s;
  }
  return a;
}

void AnalogCrossbarClassifier::classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) {
  if (images.rows != network_.input.rows || images.cols != network_.input.cols || network_.input.channels != 1)
    throw Error("analog crossbar: the network is made for " + std::to_string(network_.input.rows) + "x" +
                std::to_string(network_.input.cols) + " images, given " + std::to_string(images.rows) + "x" +
                std::to_string(images.cols));
  if (predictions.size() != images.count()) throw Error("analog crossbar: one prediction per image");
  conversions_ = clipped_ = 0;
  logits_.resize(images.count());
  double charge = 0;
  for (std::size_t i = 0; i < images.count(); ++i) {
    logits_[i] = run(images.image(i), charge);
    predictions[i] = static_cast<int>(std::max_element(logits_[i].begin(), logits_[i].end()) - logits_[i].begin());
  }
  for (const auto& [event, count] : events_per_image_.events()) ledger.add(event, count * images.count());
  ledger.add("pcm.read_ps_pulse", static_cast<std::uint64_t>(std::llround(charge * config_.reads)));
}

std::vector<std::pair<std::string, double>> AnalogCrossbarClassifier::metrics() const {
  std::uint64_t tiles = 0;
  for (const Mapped& m : mapped_) tiles += m.tiles;
  std::vector<std::pair<std::string, double>> out = {
      {"devices", static_cast<double>(devices_)},
      {"tiles", static_cast<double>(tiles)},
      {"clipped_conversions_percent",
       conversions_ ? 100.0 * static_cast<double>(clipped_) / static_cast<double>(conversions_) : 0.0}};
  for (const Mapped& m : mapped_) out.emplace_back("compensation_" + std::to_string(m.layer), m.matrix.compensation);
  return out;
}

}  // namespace mbi::cim
