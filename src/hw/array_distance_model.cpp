#include "mbi/hw/array_distance_model.hpp"

#include <algorithm>
#include <cmath>
#include <string>

#include "mbi/core/counter_normal.hpp"
#include "mbi/core/error.hpp"
#include "mbi/hw/sram_array.hpp"

namespace mbi::hw {
namespace {

// Precharge of each column of a slice (step 1). Unused columns sit at V_P,max and never
// discharge: they only add a constant to the readout.
std::vector<double> slice_precharge(const ArraySlice& slice, const ArrayConfig& config, Coding coding) {
  std::vector<double> levels(config.cols, config.v_precharge_max_v);
  for (const ValueRun& run : slice.runs)
    for (std::uint32_t b = 0; b < run.bits; ++b)
      levels[run.first_column + b] = config.v_precharge_max_v * column_significance(run.first_bit + b, coding) /
                                     std::ldexp(1.0, static_cast<int>(slice.ladder_bits) - 1);
  return levels;
}

double lsb_for(const ArrayConfig& config, const ArraySlice& slice, double unit_step_v) {
  if (config.adc_bits == 0) return unit_step_v;
  const double max_code = std::ldexp(1.0, static_cast<int>(config.adc_bits)) - 1.0;
  switch (config.adc_range) {
    case AdcRange::unit_step:
      return unit_step_v;
    case AdcRange::array_span:
      return std::max(1.0, slice.max_distance / max_code) * unit_step_v;
    case AdcRange::fixed_volts:
      if (!(config.adc_full_scale_v > 0.0)) throw Error("adc_full_scale_v must be positive with adc_range fixed_volts");
      return config.adc_full_scale_v / (max_code + 1.0);
  }
  return unit_step_v;
}

// Rows a tile may hold in the numbering of PCM devices by place (tile, row, array, column).
constexpr std::uint64_t kPcmPlaceRows = 4096;

std::uint32_t clamp_value(std::uint8_t v, std::uint32_t levels) { return std::min<std::uint32_t>(v, levels - 1); }

}  // namespace

ArrayDistanceModel::ArrayDistanceModel(const std::vector<SegmentSpec>& segments, const ArrayConfig& config,
                                       Coding coding, std::vector<double> segment_weights, std::uint64_t seed,
                                       std::vector<std::uint32_t> component_of_segment)
    : map_(segments, component_of_segment, config.cols, coding), config_(config),
      read_rng_(seed, 0x5EAD), device_seed_(seed) {
  if (config.rows == 0 || config.tiles == 0) throw Error("arrays need at least one row and one tile");
  if (segment_weights.size() != segments.size())
    throw Error("expected one weight per segment (" + std::to_string(segments.size()) + "), got " +
                std::to_string(segment_weights.size()));

  // One weight per component; its segments must agree, since their distances share ADCs.
  component_weights_.assign(map_.components(), std::nan(""));
  for (std::size_t s = 0; s < segments.size(); ++s) {
    double& w = component_weights_[map_.component_of_segment(s)];
    if (std::isnan(w))
      w = segment_weights[s];
    else if (std::abs(w - segment_weights[s]) > 1e-12 * std::max(1.0, std::abs(w)))
      throw Error("segment " + segments[s].name + " has a different weight from the rest of its component");
  }
  for (const SegmentSpec& s : segments)
    for (std::uint32_t i = 0; i < s.values; ++i) value_levels_.push_back(s.levels);

  const auto& arrays = map_.arrays();
  for (const ArraySlice& slice : arrays) {
    // Design-time calibration of the ADC from a nominal array. The readout is linear in
    // the precharge, so a unit column's drop follows from any used column's.
    const std::vector<double> precharge = slice_precharge(slice, config, coding);
    const SramArray nominal(config, precharge, nullptr);
    const ValueRun& run = slice.runs.front();
    const double per_significance = nominal.bl_drop_v(0, run.first_column) /
                                    static_cast<double>(column_significance(run.first_bit, coding));
    const double unit_step = 0.5 * per_significance;
    const double lsb = lsb_for(config, slice, unit_step);
    nominal_.push_back(NominalArray{0.5 * (nominal.slp_top_v() + nominal.sln_top_v()), unit_step, lsb / unit_step,
                                    Adc(config.adc_bits, lsb)});
  }

  // Fabrication: tile t's arrays draw their mismatch from stream t of `seed`.
  const std::uint32_t rows = config.rows;
  const std::uint32_t cols = config.cols;
  for (std::uint32_t t = 0; t < config.tiles; ++t) {
    Random mismatch(seed, t);
    for (std::size_t a = 0; a < arrays.size(); ++a) {
      const SramArray array(config, slice_precharge(arrays[a], config, coding), &mismatch);
      FabricatedArray f;
      f.top_offset_v = nominal_[a].top_v - 0.5 * (array.slp_top_v() + array.sln_top_v());
      f.bl_drop.resize(std::size_t{rows} * cols);
      f.blb_drop.resize(std::size_t{rows} * cols);
      f.bl_prefix.assign(std::size_t{rows} * (cols + 1), 0.0);
      f.blb_prefix = f.bl_prefix;
      f.bl_sq_prefix = f.bl_prefix;
      f.blb_sq_prefix = f.bl_prefix;
      for (std::uint32_t r = 0; r < rows; ++r) {
        for (std::uint32_t c = 0; c < cols; ++c) {
          const double bl = 0.5 * array.bl_drop_v(r, c);
          const double blb = 0.5 * array.blb_drop_v(r, c);
          f.bl_drop[r * cols + c] = bl;
          f.blb_drop[r * cols + c] = blb;
          const std::size_t p = std::size_t{r} * (cols + 1) + c;
          f.bl_prefix[p + 1] = f.bl_prefix[p] + bl;
          f.blb_prefix[p + 1] = f.blb_prefix[p] + blb;
          f.bl_sq_prefix[p + 1] = f.bl_sq_prefix[p] + bl * bl;
          f.blb_sq_prefix[p + 1] = f.blb_sq_prefix[p] + blb * blb;
        }
      }
      fabricated_.push_back(std::move(f));
    }
  }

  for (std::uint32_t a = 0; a < arrays.size(); ++a)
    for (const ValueRun& run : arrays[a].runs)
      for (std::uint32_t b = 0; b < run.bits; ++b)
        flat_columns_.push_back(FlatColumn{a, run.first_column + b, run.value, run.first_bit + b, run.levels});

  drop_.resize(arrays.size());
  drop_sq_.resize(arrays.size());
  scratch_.resize(map_.components());
}

void ArrayDistanceModel::set_noise(const NoiseOptions& noise) {
  if (noise.distance_sigma < 0 || noise.conductance_sigma < 0) throw Error("noise sigmas must not be negative");
  if (noise.bit_flip_probability < 0 || noise.bit_flip_probability >= 1)
    throw Error("bit_flip_probability must lie in [0, 1)");
  if (noise.reads == 0) throw Error("reads must be at least 1");
  pcm_model_.reset();
  if (noise.pcm) {
    if (noise.bit_flip_probability > 0 || noise.conductance_sigma > 0)
      throw Error("PCM keys are a storage model of their own: give no bit flips or conductance fluctuation with them");
    if (config_.rows > kPcmPlaceRows)
      throw Error("PCM keys: arrays of more than " + std::to_string(kPcmPlaceRows) + " rows are not numbered");
    if (!(noise.pcm->seconds >= 0 && std::isfinite(noise.pcm->seconds)))
      throw Error("PCM keys: the time since programming must be a finite number of seconds >= 0");
    pcm_model_.emplace(noise.pcm->parameters);
    // Statistics of 4,096 devices of each state, drawn from their own streams of the seed.
    constexpr std::size_t kDevices = 4096;
    const double g_max = noise.pcm->parameters.g_max;
    Random draws(device_seed_, 0x9C3);
    std::vector<device::PcmCell> set_cells(kDevices);
    for (auto& c : set_cells) c = pcm_model_->program(g_max, draws);
    pcm_compensation_ =
        noise.pcm->drift_compensation ? pcm_model_->drift_compensation(set_cells, noise.pcm->seconds, draws) : 1.0;
    double sum = 0, sum_sq = 0;
    for (std::size_t i = 0; i < kDevices; ++i) {
      const double g = pcm_model_->read(pcm_model_->program(0.0, draws), noise.pcm->seconds, draws) / g_max;
      sum += g;
      sum_sq += g * g;
    }
    pcm_leak_mean_ = pcm_compensation_ * sum / kDevices;
    pcm_leak_std_ = pcm_compensation_ * std::sqrt(std::max(sum_sq / kDevices - (sum / kDevices) * (sum / kDevices), 0.0));
  }
  noise_ = noise;
}

double ArrayDistanceModel::pcm_set_gain(std::size_t tile, std::size_t row, std::size_t array, std::size_t column) {
  // The device's place names its fixed draws: every read of it meets the same device.
  const std::uint64_t place =
      ((static_cast<std::uint64_t>(tile) * kPcmPlaceRows + row) * map_.arrays().size() + array) * config_.cols + column;
  const device::PcmCell cell = pcm_model_->program(noise_.pcm->parameters.g_max, counter_normal(device_seed_, 2 * place),
                                                   counter_normal(device_seed_, 2 * place + 1));
  return pcm_compensation_ * pcm_model_->read(cell, noise_.pcm->seconds, read_rng_) / noise_.pcm->parameters.g_max;
}

double ArrayDistanceModel::pcm_leak(double drop_sum, double drop_sq_sum) {
  // Each RESET device adds a tiny, independent drop: their sum as a Gaussian of the summed
  // mean and variance (~0.002 and ~0.003 of the cell's drop a day after programming).
  if (drop_sum == 0.0) return 0.0;
  return pcm_leak_mean_ * drop_sum + pcm_leak_std_ * std::sqrt(drop_sq_sum) * read_rng_.normal();
}

void ArrayDistanceModel::reseed_reads(std::uint64_t seed) { read_rng_ = Random(seed, 0x5EAD); }

void ArrayDistanceModel::read_once(std::span<const std::uint8_t> query, std::span<const std::uint8_t> key,
                                   std::size_t row, std::size_t tile, std::span<double> component_out) {
  const auto& arrays = map_.arrays();
  const std::size_t cols = config_.cols;
  const Coding coding = map_.coding();
  const FabricatedArray* fab = &fabricated_[(tile % config_.tiles) * arrays.size()];
  const std::size_t r = row % config_.rows;

  // Steps 2-3: the voltage each array's discharging cells remove from the readout.
  for (std::size_t a = 0; a < arrays.size(); ++a) {
    const FabricatedArray& f = fab[a];
    const double* bl = &f.bl_prefix[r * (cols + 1)];
    const double* blb = &f.blb_prefix[r * (cols + 1)];
    const double* bl_sq = &f.bl_sq_prefix[r * (cols + 1)];
    const double* blb_sq = &f.blb_sq_prefix[r * (cols + 1)];
    double drop = 0.0, drop_sq = 0.0;
    // Branch-free: key/query equality is data-dependent and mispredicts badly.
    for (const ValueRun& run : arrays[a].runs) {
      const std::uint32_t k = clamp_value(key[run.value], run.levels);
      const std::uint32_t q = clamp_value(query[run.value], run.levels);
      if (coding == Coding::thermometer) {
        // Bits j with min(k,q) <= j < max(k,q) differ, contiguously: BL discharges there if
        // k > q, BLB otherwise. Clamped to the run, an empty range costs nothing.
        const std::uint32_t end = run.first_bit + run.bits;
        const std::uint32_t lo = std::clamp(std::min(k, q), run.first_bit, end);
        const std::uint32_t hi = std::clamp(std::max(k, q), run.first_bit, end);
        const std::size_t c0 = run.first_column + (lo - run.first_bit);
        const std::size_t c1 = run.first_column + (hi - run.first_bit);
        if (pcm_model_) {
          const double* unit = (k > q ? f.bl_drop.data() : f.blb_drop.data()) + r * cols;
          for (std::size_t c = c0; c < c1; ++c) drop += unit[c] * pcm_set_gain(tile, r, a, c);
          const double cell = f.bl_drop[r * cols + run.first_column];
          const double matching = static_cast<double>(run.bits - (c1 - c0));
          drop += pcm_leak(matching * cell, matching * cell * cell);
          continue;
        }
        const double* p = k > q ? bl : blb;
        const double* p_sq = k > q ? bl_sq : blb_sq;
        drop += p[c1] - p[c0];
        drop_sq += p_sq[c1] - p_sq[c0];
      } else {
        const std::uint32_t differ = (k ^ q) >> run.first_bit;
        const std::uint32_t key_bits = k >> run.first_bit;
        const std::size_t c = r * cols + run.first_column;
        if (pcm_model_) {
          double leak_sum = 0.0, leak_sq = 0.0;
          for (std::uint32_t b = 0; b < run.bits; ++b) {
            const double unit = ((key_bits >> b) & 1U) != 0 ? f.bl_drop[c + b] : f.blb_drop[c + b];
            if (((differ >> b) & 1U) != 0) {
              drop += unit * pcm_set_gain(tile, r, a, run.first_column + b);
            } else {
              leak_sum += unit;
              leak_sq += unit * unit;
            }
          }
          drop += pcm_leak(leak_sum, leak_sq);
          continue;
        }
        for (std::uint32_t b = 0; b < run.bits; ++b) {
          // A differing bit discharges BL if the key holds the 1 (k=1, q=0), BLB otherwise.
          const double d = static_cast<double>((differ >> b) & 1U) *
                           (((key_bits >> b) & 1U) != 0 ? f.bl_drop[c + b] : f.blb_drop[c + b]);
          drop += d;
          drop_sq += d * d;
        }
      }
    }
    drop_[a] = drop;
    drop_sq_[a] = drop_sq;
  }

  // Stored-key bit flips: the flipped cell discharges as if it held the other bit.
  if (noise_.bit_flip_probability > 0.0) {
    const double log1m_p = std::log1p(-noise_.bit_flip_probability);
    const double n = static_cast<double>(flat_columns_.size());
    for (double pos = read_rng_.geometric(log1m_p); pos < n; pos += 1.0 + read_rng_.geometric(log1m_p)) {
      const FlatColumn& fc = flat_columns_[static_cast<std::size_t>(pos)];
      const bool kb = code_bit(clamp_value(key[fc.value], fc.levels), fc.bit, coding);
      const bool qb = code_bit(clamp_value(query[fc.value], fc.levels), fc.bit, coding);
      const std::size_t c = r * cols + fc.column;
      auto contribution = [&](bool k) {
        return discharges_bl(k, qb) ? fab[fc.array].bl_drop[c] : discharges_blb(k, qb) ? fab[fc.array].blb_drop[c] : 0.0;
      };
      const double before = contribution(kb), after = contribution(!kb);
      drop_[fc.array] += after - before;
      drop_sq_[fc.array] += after * after - before * before;
    }
  }

  // Step 4: digitise each array, add codes per component, add read noise.
  std::fill(component_out.begin(), component_out.end(), 0.0);
  for (std::size_t a = 0; a < arrays.size(); ++a) {
    double input = fab[a].top_offset_v + drop_[a];
    // A sum of independent Gaussian fluctuations of the discharging cells' drops.
    if (noise_.conductance_sigma > 0.0)
      input += noise_.conductance_sigma * std::sqrt(std::max(drop_sq_[a], 0.0)) * read_rng_.normal();
    const NominalArray& nominal = nominal_[a];
    const double code = nominal.adc.convert(input);
    if (nominal.adc.bits() > 0 && code >= nominal.adc.max_code()) ++saturated_reads_;
    component_out[arrays[a].component] += code * nominal.units_per_code;
  }
  array_reads_ += arrays.size();
  if (noise_.distance_sigma > 0.0)
    for (double& d : component_out) d += noise_.distance_sigma * read_rng_.normal();
}

void ArrayDistanceModel::read_combined(std::span<const std::uint8_t> query, std::span<const std::uint8_t> key,
                                       std::size_t row, std::size_t tile, std::span<double> component_out) {
  const std::uint32_t reads = noise_.random() ? noise_.reads : 1;  // identical reads need not repeat
  if (reads == 1) {
    read_once(query, key, row, tile, component_out);
    return;
  }
  const std::size_t m = component_out.size();
  reads_buffer_.resize(std::size_t{reads} * m);
  for (std::uint32_t i = 0; i < reads; ++i)
    read_once(query, key, row, tile, std::span<double>(reads_buffer_).subspan(i * m, m));
  for (std::size_t c = 0; c < m; ++c) {
    std::vector<double>& column = scratch_;
    column.resize(reads);
    for (std::uint32_t i = 0; i < reads; ++i) column[i] = reads_buffer_[i * m + c];
    if (noise_.combine == ReadCombine::mean) {
      double sum = 0.0;
      for (double v : column) sum += v;
      component_out[c] = sum / reads;
    } else {
      const auto mid = column.begin() + reads / 2;
      std::nth_element(column.begin(), mid, column.end());
      double median = *mid;
      if (reads % 2 == 0) median = 0.5 * (median + *std::max_element(column.begin(), mid));
      component_out[c] = median;
    }
  }
}

void ArrayDistanceModel::distances(std::span<const std::uint8_t> query, std::span<const std::uint8_t> keys,
                                   std::span<double> out, std::size_t tile) {
  const std::size_t n = out.size();
  const std::size_t width = map_.total_values();
  if (query.size() != width || keys.size() != n * width)
    throw Error("distances: expected a query of " + std::to_string(width) + " values and " + std::to_string(n) +
                " keys of as many");
  components_.resize(map_.components());
  for (std::size_t i = 0; i < n; ++i) {
    read_combined(query, keys.subspan(i * width, width), i, tile, components_);
    double total = 0.0;
    for (std::size_t c = 0; c < components_.size(); ++c) total += component_weights_[c] * components_[c];
    out[i] = total;
  }
}

void ArrayDistanceModel::component_distances(std::span<const std::uint8_t> query, std::span<const std::uint8_t> key,
                                             std::span<double> out, std::size_t row, std::size_t tile) {
  if (query.size() != map_.total_values() || key.size() != map_.total_values() || out.size() != map_.components())
    throw Error("component_distances: wrong span sizes");
  read_combined(query, key, row, tile, out);
}

void ArrayDistanceModel::ideal_distances(std::span<const std::uint8_t> query, std::span<const std::uint8_t> keys,
                                         std::span<double> out) const {
  const std::size_t width = map_.total_values();
  std::vector<std::uint32_t> component_of_value;
  component_of_value.reserve(width);
  for (const ArraySlice& a : map_.arrays())
    for (const ValueRun& run : a.runs)
      if (run.first_bit == 0) {
        if (component_of_value.size() <= run.value) component_of_value.resize(run.value + 1);
        component_of_value[run.value] = a.component;
      }
  for (std::size_t i = 0; i < out.size(); ++i) {
    double total = 0.0;
    for (std::size_t v = 0; v < width; ++v) {
      const std::uint32_t k = clamp_value(keys[i * width + v], value_levels_[v]);
      const std::uint32_t q = clamp_value(query[v], value_levels_[v]);
      total += component_weights_[component_of_value[v]] * (k > q ? k - q : q - k);
    }
    out[i] = total;
  }
}

void ArrayDistanceModel::coded_distances(std::span<const std::uint8_t> query, std::span<const std::uint8_t> keys,
                                         std::span<double> out) const {
  const std::size_t width = map_.total_values();
  for (std::size_t i = 0; i < out.size(); ++i) {
    double total = 0.0;
    for (const ArraySlice& a : map_.arrays())
      for (const ValueRun& run : a.runs) {
        if (run.first_bit != 0) continue;  // a cut value is counted once
        total += component_weights_[a.component] *
                 coded_distance(keys[i * width + run.value], query[run.value], run.levels, map_.coding());
      }
    out[i] = total;
  }
}

}  // namespace mbi::hw
