#include "mbi/hw/experiments.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/hw/adc.hpp"
#include "mbi/hw/array_distance_model.hpp"
#include "mbi/hw/distance_error.hpp"
#include "mbi/hw/energy.hpp"
#include "mbi/hw/sram_array.hpp"
#include "mbi/hw/table1.hpp"
#include "mbi/hw/variability.hpp"

namespace mbi::hw {
namespace {

using nlohmann::json;

// Every plot reads its CSV table by name, from the folder the results are written to.
constexpr const char* kCsv = "set datafile separator ','\nset grid\n";

std::string fixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// Published reference points (paper sec. III-D and Table I).
constexpr double kPublishedMarginMv = 28.0;
constexpr std::uint32_t kPublishedAdcBits = 5;
constexpr double kPublishedMatchPj = 4.7;
constexpr double kPublishedInferenceNj = 13.16;

json stats_json(const DistanceErrorStats& s) {
  return {{"pairs", s.pairs},
          {"mean_exact", s.mean_exact},
          {"mean_abs_error", s.mean_abs_error},
          {"max_abs_error", s.max_abs_error},
          {"rank_correlation", s.rank_correlation},
          {"nn_agreement", s.nn_agreement}};
}

std::vector<std::string> stats_cells(const DistanceErrorStats& s) {
  return {cell(s.pairs),           cell(s.mean_exact),       cell(s.mean_abs_error),
          cell(s.max_abs_error),   cell(s.rank_correlation), cell(s.nn_agreement)};
}

// Readout of one nominal array against the distance it holds. Thermometer: 32 unit columns,
// mismatches alternating between BL and BLB. Binary: 2-bit values on a 2-bit ladder, each
// value's distance built from its largest bits first (k = d, q = 0).
void transfer_rows(const ArrayConfig& config, Coding coding, CsvTable& table) {
  const std::uint32_t cols = config.cols;
  const std::uint32_t ladder = coding == Coding::binary ? 2 : 1;
  std::vector<double> precharge(cols, config.v_precharge_max_v);
  if (coding == Coding::binary)
    for (std::uint32_t c = 0; c < cols; ++c) precharge[c] = config.v_precharge_max_v * ((c % 2 == 1) ? 1.0 : 0.5);
  const SramArray array(config, precharge, nullptr);
  const double unit = 0.5 * array.bl_drop_v(0, 0);  // column 0 has significance 1 in both layouts
  const Adc adc(config.adc_bits, unit);
  const double top = 0.5 * (array.slp_top_v() + array.sln_top_v());
  const std::uint32_t values = cols / (coding == Coding::binary ? ladder : 1);
  const std::uint32_t max_distance = coding == Coding::binary ? values * 3 : cols;
  std::vector<std::uint8_t> key(cols), query(cols);
  for (std::uint32_t d = 0; d <= max_distance; ++d) {
    std::fill(key.begin(), key.end(), 0);
    std::fill(query.begin(), query.end(), 0);
    if (coding == Coding::thermometer) {
      for (std::uint32_t c = 0; c < d; ++c) (c % 2 == 0 ? key : query)[c] = 1;
    } else {
      std::uint32_t left = d;
      for (std::uint32_t v = 0; v < values && left > 0; ++v) {
        const std::uint32_t here = std::min(left, 3U);
        key[2 * v] = here & 1U;
        key[2 * v + 1] = (here >> 1) & 1U;
        left -= here;
      }
    }
    const SumLines lines = array.match(0, key, query);
    const double code = adc.convert(top - lines.readout_v());
    table.add({std::string(coding_name(coding)), cell(d), cell(lines.slp_v), cell(lines.sln_v), cell(lines.readout_v()),
               cell(code)});
  }
}

std::vector<std::string> margin_header(const std::string& prefix) {
  return {prefix + "nominal_spacing_mv", prefix + "min_mean_spacing_mv", prefix + "worst_gap_mv",
          prefix + "three_sigma_gap_mv", prefix + "levels_resolved", prefix + "adc_bits_needed"};
}
std::vector<std::string> margin_cells(const MarginStats& m) {
  return {cell(m.nominal_spacing_mv), cell(m.min_mean_spacing_mv), cell(m.worst_gap_mv),
          cell(m.three_sigma_gap_mv), cell(m.levels_resolved),     cell(m.adc_bits_needed)};
}
json margin_json(const MarginStats& m) {
  return {{"nominal_spacing_mv", m.nominal_spacing_mv}, {"min_mean_spacing_mv", m.min_mean_spacing_mv},
          {"worst_gap_mv", m.worst_gap_mv},             {"worst_gap_between_levels", {m.worst_level, m.worst_level + 1}},
          {"three_sigma_gap_mv", m.three_sigma_gap_mv}, {"levels_resolved", m.levels_resolved},
          {"adc_bits_needed", m.adc_bits_needed}};
}

}  // namespace

io::ResultFiles array_experiment(const HwConfig& config, const ArrayExperimentOptions& options) {
  io::ResultFiles out;
  const KeySpec& key = config.key;
  ErrorSampling sampling;
  sampling.queries = options.queries;
  sampling.pool = options.pool;
  sampling.seed = options.seed;

  CsvTable transfer({"coding", "distance", "slp_v", "sln_v", "readout_v", "adc_code"});
  for (Coding coding : {Coding::thermometer, Coding::binary}) transfer_rows(without_mismatch(config.array), coding, transfer);

  // Each coding's own distance against the Manhattan distance: whole key with its weights,
  // and each component alone, unweighted.
  CsvTable coding_table({"coding", "scope", "pairs", "mean_exact", "mean_abs_error", "max_abs_error",
                         "rank_correlation", "nn_agreement"});
  json coding_json;
  const std::uint32_t components = *std::max_element(key.components.begin(), key.components.end()) + 1;
  for (Coding coding : {Coding::binary, Coding::thermometer}) {
    const std::string name(coding_name(coding));
    const DistanceErrorStats whole = coding_error(key.segments, key.weights, coding, sampling);
    auto row = stats_cells(whole);
    row.insert(row.begin(), {name, "key (weighted)"});
    coding_table.add(row);
    coding_json[name]["key"] = stats_json(whole);
    for (std::uint32_t c = 0; c < components; ++c) {
      std::vector<SegmentSpec> segments;
      std::string scope;
      for (std::size_t s = 0; s < key.segments.size(); ++s)
        if (key.components[s] == c) {
          segments.push_back(key.segments[s]);
          scope += (scope.empty() ? "" : "+") + key.segments[s].name;
        }
      const std::vector<double> ones(segments.size(), 1.0);
      const DistanceErrorStats part = coding_error(segments, ones, coding, sampling);
      auto prow = stats_cells(part);
      prow.insert(prow.begin(), {name, scope});
      coding_table.add(prow);
      coding_json[name][scope] = stats_json(part);
    }
  }

  // The whole hardware model against the exact distance.
  CsvTable hw_table({"coding", "devices", "arrays_per_key", "columns_used", "pairs", "mean_exact", "mean_abs_error",
                     "max_abs_error", "rank_correlation", "nn_agreement", "adc_saturated_fraction"});
  json hw_json;
  for (Coding coding : {Coding::binary, Coding::thermometer}) {
    // Matched devices, the configured mismatch, and 1.5 times it (to show where it bites).
    for (double scale : {0.0, 1.0, 1.5}) {
      const bool mismatch = scale > 0.0;
      ArrayConfig array = mismatch ? config.array : without_mismatch(config.array);
      array.device.sigma_vth_mv *= scale;
      ArrayDistanceModel model(key.segments, array, coding, key.weights, options.seed, key.components);
      std::size_t call = 0;
      auto approx = [&](std::span<const std::uint8_t> q, std::span<const std::uint8_t> k, std::span<double> d) {
        model.distances(q, k, d, call++);
      };
      const DistanceErrorStats s = measure_distance_error(key.segments, key.weights, approx, sampling);
      const double saturated =
          model.array_reads() ? static_cast<double>(model.saturated_reads()) / static_cast<double>(model.array_reads()) : 0.0;
      const std::string devices =
          mismatch ? "sigma_vth " + cell(array.device.sigma_vth_mv) + " mV" : std::string("matched");
      auto row = stats_cells(s);
      row.insert(row.begin(), {std::string(coding_name(coding)), devices, cell(model.arrays_per_key()),
                               cell(model.map().columns_used())});
      row.push_back(cell(saturated));
      hw_table.add(row);
      json entry = stats_json(s);
      entry["arrays_per_key"] = model.arrays_per_key();
      entry["columns_used"] = model.map().columns_used();
      entry["adc_saturated_fraction"] = saturated;
      const std::string label = !mismatch ? "matched" : scale == 1.0 ? "mismatch" : "mismatch_x1.5";
      entry["sigma_vth_mv"] = array.device.sigma_vth_mv;
      hw_json[std::string(coding_name(coding))][label] = entry;
      if (!mismatch) hw_json[std::string(coding_name(coding))]["layout"] = model.map().describe();
    }
  }

  out.summary = {{"experiment", "array"},
                 {"array", {{"rows", config.array.rows}, {"cols", config.array.cols},
                            {"v_precharge_max_v", config.array.v_precharge_max_v}, {"adc_bits", config.array.adc_bits}}},
                 {"coding_error", coding_json},
                 {"hardware_error", hw_json},
                 {"note", "coding_error: the coding alone against the Manhattan distance; hardware_error: the whole "
                          "array model (charge sharing, mismatch, ADC) on the configured key and weights"}};
  out.tables.emplace_back("array_transfer", std::move(transfer));
  const std::string f = "'array_transfer.csv'";
  out.plots.emplace_back(
      "array_transfer",
      std::string(kCsv) +
          "set title 'Nominal array readout against distance (one 32-column array)'\n"
          "set xlabel 'distance held by the array (units)'\nset ylabel '(V_SLP+V_SLN)/2 (V)'\n"
          "set y2label 'ADC code'\nset y2tics\nset ytics nomirror\nset key top right\n"
          "plot " + f + " every ::1 using (strcol(1) eq 'thermometer' ? $2 : 1/0):5 with linespoints pt 7 ps 0.5 title 'thermometer readout', \\\n"
          "  " + f + " every ::1 using (strcol(1) eq 'binary' ? $2 : 1/0):5 with linespoints pt 5 ps 0.5 title 'binary (2-bit) readout', \\\n"
          "  " + f + " every ::1 using (strcol(1) eq 'thermometer' ? $2 : 1/0):6 axes x1y2 with steps dt 2 title 'thermometer ADC code', \\\n"
          "  " + f + " every ::1 using (strcol(1) eq 'binary' ? $2 : 1/0):6 axes x1y2 with steps dt 3 title 'binary ADC code'\n");
  out.tables.emplace_back("coding_error", std::move(coding_table));
  out.tables.emplace_back("hw_distance_error", std::move(hw_table));
  return out;
}

io::ResultFiles variability_experiment(const HwConfig& config, const VariabilityExperimentOptions& options) {
  io::ResultFiles out;
  const std::size_t trials = options.trials.value_or(config.variability.trials);
  const double sigma = options.sigma_vth_mv.value_or(config.array.device.sigma_vth_mv);
  const double bin_v = config.variability.histogram_bin_mv * 1e-3;
  const VariabilityResult r = run_variability(config.array, sigma, trials, options.seed);

  CsvTable levels({"quantity", "level", "mean_v", "std_mv", "min_v", "max_v"});
  for (const auto& [name, stats] : {std::pair{"sum_line", &r.sum_line}, std::pair{"readout", &r.readout}})
    for (const LevelStats& s : *stats)
      levels.add({name, cell(s.level), cell(s.mean_v), cell(s.std_v * 1e3), cell(s.min_v), cell(s.max_v)});
  CsvTable sum_hist({"level", "bin_center_mv", "count"});
  CsvTable readout_hist({"level", "bin_center_mv", "count"});
  for (std::size_t m = 0; m < r.sum_line_v.size(); ++m) {
    for (const auto& [v, n] : histogram(r.sum_line_v[m], bin_v)) sum_hist.add({cell(m), cell(v * 1e3), cell(n)});
    for (const auto& [v, n] : histogram(r.readout_v[m], bin_v)) readout_hist.add({cell(m), cell(v * 1e3), cell(n)});
  }

  std::vector<std::string> header = {"sigma_vth_mv", "trials"};
  for (const auto& h : margin_header("sum_line_")) header.push_back(h);
  for (const auto& h : margin_header("readout_")) header.push_back(h);
  CsvTable sweep(header);
  json sweep_json = json::array();
  auto add_sweep = [&](const VariabilityResult& v) {
    std::vector<std::string> row = {cell(v.sigma_vth_mv), cell(v.trials)};
    for (const auto& c : margin_cells(v.sum_line_margin)) row.push_back(c);
    for (const auto& c : margin_cells(v.readout_margin)) row.push_back(c);
    sweep.add(row);
    sweep_json.push_back({{"sigma_vth_mv", v.sigma_vth_mv},
                          {"sum_line_worst_gap_mv", v.sum_line_margin.worst_gap_mv},
                          {"readout_worst_gap_mv", v.readout_margin.worst_gap_mv},
                          {"adc_bits_needed", v.sum_line_margin.adc_bits_needed}});
  };
  if (options.sweep) {
    for (double s : config.variability.sigma_sweep_mv) add_sweep(s == sigma ? r : run_variability(config.array, s, trials, options.seed));
  } else {
    add_sweep(r);
  }

  const MarginStats& m = r.sum_line_margin;
  out.summary = {
      {"experiment", "variability"},
      {"sigma_vth_mv", sigma},
      {"trials", trials},
      {"array", {{"rows", config.array.rows}, {"cols", config.array.cols}, {"v_precharge_max_v", config.array.v_precharge_max_v}}},
      {"sum_line", margin_json(m)},
      {"readout", margin_json(r.readout_margin)},
      {"levels", r.sum_line.size()},
      {"published", {{"min_sum_line_difference_mv", kPublishedMarginMv}, {"adc_bits", kPublishedAdcBits}}},
      {"sweep", sweep_json},
      {"note", "sum_line: V_SLP with m discharged bit lines (Fig. 6(b)); readout: (V_SLP+V_SLN)/2, half the swing. "
               "Nominal sum-line spacing is about V_P,max/cols; the published >= 28 mV needs V_P,max >= ~0.9 V. "
               "adc_bits_needed counts one code per resolved level (0..cols = cols+1 levels)."}};
  out.tables.emplace_back("sum_line_levels", std::move(levels));
  out.tables.emplace_back("sum_line_histogram", std::move(sum_hist));
  out.tables.emplace_back("readout_histogram", std::move(readout_hist));
  out.tables.emplace_back("margin_vs_sigma", std::move(sweep));
  const std::string sigma_text = fixed(sigma, 0);
  for (const std::string which : {"sum_line", "readout"}) {
    const std::string axis = which == "sum_line" ? "V_SLP (mV)" : "(V_SLP+V_SLN)/2 (mV)";
    out.plots.emplace_back(which + "_histogram",
                           std::string(kCsv) + "set title '" + axis + " per distance level, sigma_VTH = " + sigma_text +
                               " mV, " + std::to_string(config.array.rows) + "x" + std::to_string(config.array.cols) +
                               " array'\n" + "set xlabel '" + axis + "'\nset ylabel 'samples per bin'\nunset key\n" +
                               "plot for [L=0:" + std::to_string(config.array.cols) + "] '" + which +
                               "_histogram.csv' every ::1 using ($1==L ? $2 : 1/0):3 with impulses lw 2 lc L\n");
  }
  const std::string margins = "'margin_vs_sigma.csv'";
  out.plots.emplace_back("margin_vs_sigma",
                         std::string(kCsv) +
                             "set title 'Worst gap between neighbouring distance levels'\n"
                             "set xlabel 'sigma_VTH (mV)'\nset ylabel 'gap (mV)'\nset key bottom left\n"
                             "plot " + margins + " every ::1 using 1:5 with linespoints pt 7 title 'sum line, worst gap', \\\n"
                             "  " + margins + " every ::1 using 1:4 with linespoints pt 5 title 'sum line, min mean spacing', \\\n"
                             "  " + margins + " every ::1 using 1:11 with linespoints pt 9 title 'readout, worst gap', \\\n"
                             "  28 with lines dt 2 title 'published dSL >= 28 mV', 0 with lines lc 'black' notitle\n");
  return out;
}

io::ResultFiles energy_experiment(const HwConfig& config, const EnergyExperimentOptions& options) {
  io::ResultFiles out;
  const MatchEnergy e = match_energy(config.array, config.energy);
  // An inference costs its array matches (key comparisons x arrays per key) times the energy
  // table's price of one match.
  const eval::EnergyTable sram = sram_energy_table(config.array, config.energy, options.config_source);
  const double total = sram.joules(kArrayMatchEvent, 1.0) * 1e12;

  CsvTable breakdown({"component", "energy_pj", "share"});
  for (const auto& [name, pj] : {std::pair{"ADC", e.adc_pj}, std::pair{"row peripherals", e.peripherals_pj},
                                 std::pair{"precharge", e.precharge_pj}, std::pair{"logic", e.logic_pj}})
    breakdown.add({name, cell(pj), cell(pj / total)});
  breakdown.add({"total", cell(total), cell(1.0)});

  CsvTable adc_bits({"adc_bits", "adc_pj", "match_pj"});
  for (std::uint32_t b = 1; b <= 8; ++b) {
    ArrayConfig a = config.array;
    a.adc_bits = b;
    const MatchEnergy eb = match_energy(a, config.energy);
    adc_bits.add({cell(b), cell(eb.adc_pj), cell(eb.total_pj())});
  }

  const SearchWorkload& w = config.workload;
  const double comparisons = options.comparisons_per_image.value_or(w.comparisons_per_image());
  const double arrays = options.arrays_per_key.value_or(w.key_splits);
  const double links = options.links_read_per_image.value_or(0.0);
  const double link_nj = links * config.energy.link_read_pj * 1e-3;

  // Arrays per key this model's mapping gives the configured key, per coding.
  const KeySpec& key = options.key ? *options.key : config.key;
  std::vector<std::pair<std::string, double>> mapped;
  for (Coding coding : {Coding::binary, Coding::thermometer}) {
    const ArrayMap map(key.segments, key.components, config.array.cols, coding);
    mapped.emplace_back(std::string(coding_name(coding)), static_cast<double>(map.arrays_per_key()));
  }

  CsvTable inference({"scenario", "comparisons_per_image", "arrays_per_key", "match_pj", "energy_nj"});
  auto add_inference = [&](const std::string& name, double comp, double arr, double pj) {
    inference.add({name, cell(comp), cell(arr), cell(pj), cell(inference_energy_nj(comp, arr, pj))});
  };
  add_inference("paper (5 x 3.5 x 32 x 5 x 4.7 pJ)", w.comparisons_per_image(), w.key_splits, kPublishedMatchPj);
  add_inference("this model, paper workload", w.comparisons_per_image(), w.key_splits, total);
  add_inference("this model, given workload", comparisons, arrays, total);
  if (links > 0)
    inference.add({"this model, given workload and its graph link reads", cell(comparisons), cell(arrays), cell(total),
                   cell(inference_energy_nj(comparisons, arrays, total) + link_nj)});
  for (const auto& [name, n] : mapped) add_inference("this model, " + name + " mapping of the key", comparisons, n, total);

  MbiEntry mbi = config.mbi;
  mbi.comparisons_per_image = comparisons;
  mbi.arrays_per_key = arrays;
  mbi.match_pj = total;
  mbi.link_reads_per_image = links;
  mbi.link_read_pj = config.energy.link_read_pj;
  mbi.accuracy_pct = options.accuracy_pct.value_or(config.mbi.accuracy_pct);
  mbi.storage_mb = options.storage_mb.value_or(config.mbi.storage_mb);
  mbi.data = options.data.value_or(config.mbi.data);
  Table1 table = build_table1(mbi, config.baselines);

  json mapped_json;
  for (const auto& [name, n] : mapped) mapped_json[name] = {{"arrays_per_key", n}, {"energy_nj", inference_energy_nj(comparisons, n, total)}};
  mapped_json["key"] = options.key ? "the measured table's" : "the configured key (config.key)";
  json key_bits = json::array();
  for (const SegmentSpec& seg : key.segments) key_bits.push_back({{"name", seg.name}, {"values", seg.values}, {"levels", seg.levels}});
  mapped_json["segments"] = key_bits;
  out.summary = {{"experiment", "energy"},
                 {"match_pj",
                  {{"adc", e.adc_pj}, {"peripherals", e.peripherals_pj}, {"precharge", e.precharge_pj},
                   {"logic", e.logic_pj}, {"total", total}}},
                 {"match_pj_bottom_up", total - config.energy.peripheral_overhead_pj},
                 {"peripheral_overhead_pj", config.energy.peripheral_overhead_pj},
                 {"inference",
                  {{"comparisons_per_image", comparisons},
                   {"arrays_per_key", arrays},
                   {"events_per_image", {{kArrayMatchEvent, comparisons * arrays}}},
                   {"links_read_per_image", links},
                   {"link_energy_nj", link_nj},
                   {"energy_nj", sram.joules(kArrayMatchEvent, comparisons * arrays) * 1e9 + link_nj},
                   {"by_mapping", mapped_json}}},
                 {"energy_table",
                  {{kArrayMatchEvent,
                    {{"pj", total}, {"source", sram.find(kArrayMatchEvent)->source}}}}},
                 {"published", {{"match_pj", kPublishedMatchPj}, {"inference_nj", kPublishedInferenceNj}}},
                 {"table1", table.json},
                 {"note", "match_pj_bottom_up excludes peripheral_overhead_pj, the calibration term that brings the "
                          "default total to the published 4.7 pJ (the paper gives only the total)"}};
  out.tables.emplace_back("match_energy", std::move(breakdown));
  out.plots.emplace_back("match_energy",
                         std::string(kCsv) +
                             "set title 'Energy of one 32x32 key/query match'\nset ylabel 'pJ'\nunset key\n"
                             "set style fill solid 0.6\nset boxwidth 0.6\nset yrange [0:*]\nset offsets 0.5,0.5,0.5,0\n"
                             "plot 'match_energy.csv' every ::1::4 using 0:2:xtic(1) with boxes, \\\n"
                             "  'match_energy.csv' every ::1::4 using 0:2:(sprintf('%.2f pJ (%.0f%%)', $2, 100*$3)) "
                             "with labels offset 0,1\n");
  out.tables.emplace_back("adc_energy_vs_bits", std::move(adc_bits));
  out.tables.emplace_back("inference_energy", std::move(inference));
  out.tables.emplace_back("table1", std::move(table.csv));
  out.texts.emplace_back("table1.md", table.markdown);
  return out;
}

}  // namespace mbi::hw
