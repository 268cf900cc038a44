#include "mbi/experiment/hw_studies.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iterator>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "mbi/core/error.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "mbi/lookup/ram_keys.hpp"

namespace mbi::experiment {
namespace {

using nlohmann::json;

// Published pure-MBI accuracy (100 % of rows, BO weights) under distance noise sigma = 0..5
// (author's noise CSV; reference notes).
constexpr double kPublishedNoise[] = {89.19, 87.83, 83.56, 78.09, 72.82, 66.94};

std::string fixed(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::vector<std::uint32_t> components(const RamConfig& c) {
  std::vector<std::uint32_t> out;
  for (const KeyComponent k : ram_key_components(c)) out.push_back(static_cast<std::uint32_t>(k));
  return out;
}

// The exact digital lookup with the same candidates: the table's own search, one leaf or
// `probes` of them per step, or every row.
LookupOptions digital_options(const HwLookups& s) {
  LookupOptions o;
  o.index = s.exhaustive ? &s.table.exhaustive() : nullptr;
  o.search.probes = s.probes;
  return o;
}

void check(const HwLookups& s) {
  if (s.probes == 0) throw Error("--probes must be at least 1");
  if (s.vote == 0) throw Error("--vote must be at least 1");
  if (!s.exhaustive && s.table.tree() == nullptr)
    throw Error(s.table.name() + ": has no search tree (distilled with --no-tree); use --search exhaustive");
  if (s.table.tree_count() > 1)
    throw Error(s.table.name() + ": a forest of " + std::to_string(s.table.tree_count()) +
                " trees; the hardware model maps one tree onto its arrays (rebuild it with mbi index --trees 1)");
}

struct HwRun {
  LookupRun run;
  hw::HwLookupCounters counters;
  std::size_t arrays_per_key = 0;
  double accuracy = 0;
  double agreement = 0;  // % of images predicted as the reference run predicts them
};

double agreement(const std::vector<int>& a, const std::vector<int>& b) {
  if (a.empty()) return 0;
  std::size_t same = 0;
  for (std::size_t i = 0; i < a.size(); ++i) same += a[i] == b[i] ? 1 : 0;
  return 100.0 * static_cast<double>(same) / static_cast<double>(a.size());
}

HwRun run_hw(const HwLookups& s, hw::HwLookupOptions o, const std::vector<int>* reference) {
  o.descent = s.descent;
  hw::HwKeys keys{s.table.name(), s.table.key_layout(), s.table.segment_weights(), s.table.keys(),
                  s.exhaustive ? nullptr : s.table.forest()};
  const hw::HwIndex index(std::move(keys), components(s.config), std::move(o));
  LookupOptions lo = digital_options(s);
  lo.index = &index;
  lo.vote = s.vote;
  HwRun r;
  r.run = run_lookups(s.table, s.config, s.images, lo, s.threads, s.progress);
  r.counters = index.counters();
  r.arrays_per_key = index.arrays_per_key();
  r.accuracy = r.run.accuracy(s.images);
  if (reference != nullptr) r.agreement = agreement(r.run.prediction, *reference);
  return r;
}

double per_image(std::uint64_t count, const HwLookups& s) {
  return s.images.count() == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(s.images.count());
}

json counters_json(const HwRun& r, const HwLookups& s) {
  const auto& c = r.counters;
  return {{"centroid_comparisons_per_image", per_image(c.centroid_comparisons, s)},
          {"key_comparisons_per_image", per_image(c.key_comparisons, s)},
          {"recheck_comparisons_per_image", per_image(c.recheck_comparisons, s)},
          {"array_reads_per_image", per_image(c.array_reads, s)},
          {"arrays_per_key", r.arrays_per_key},
          {"adc_saturated_fraction",
           c.array_reads == 0 ? 0.0 : static_cast<double>(c.saturated_reads) / static_cast<double>(c.array_reads)}};
}

std::vector<hw::Coding> codings(const std::string& name) {
  if (name == "both") return {hw::Coding::binary, hw::Coding::thermometer};
  return {hw::parse_coding(name)};
}

json source_json(const HwLookups& s) {
  return {{"table", s.table.name()},
          {"table_rows", s.table.rows()},
          {"split", s.split},
          {"images", s.images.count()},
          {"search", s.exhaustive ? "exhaustive" : "tree"},
          {"probes", s.probes},
          {"descent", s.descent == hw::Descent::digital ? "digital" : "circuit"},
          {"vote", s.vote}};
}

// Matched devices and an 8-bit unit-step ADC: integer codes that never saturate (an array of
// 32 columns holds at most 6 x 31 = 186 units, binary location values), so the readout is
// exactly the coded distance and ties break as in the digital search.
hw::ArrayConfig lossless(const hw::ArrayConfig& array) {
  hw::ArrayConfig a = without_mismatch(array);
  a.adc_bits = 8;
  a.adc_range = hw::AdcRange::unit_step;
  return a;
}

struct Point {
  double accuracy;
  double agreement;
  double reads_per_image;
  double seconds;
};

}  // namespace

io::ResultFiles hw_accuracy_study(const HwLookups& s, const hw::HwConfig& config, const HwAccuracyOptions& a) {
  check(s);
  // The exact digital lookup (the table's own search): the reference.
  const LookupRun digital = run_lookups(s.table, s.config, s.images, digital_options(s), s.threads, s.progress);
  const double digital_acc = digital.accuracy(s.images);

  io::ResultFiles out;
  CsvTable csv({"variant", "coding", "accuracy_pct", "agreement_with_digital_pct", "centroid_comparisons_per_image",
                "key_comparisons_per_image", "arrays_per_key", "array_reads_per_image", "adc_saturated_fraction"});
  json variants = json::array();
  std::vector<std::string>& lines = out.notes;
  lines.push_back("exact digital lookup (table search): " + fixed(digital_acc) + " % on " +
                  std::to_string(s.images.count()) + " " + s.split + " images, " +
                  fixed(per_image(digital.comparisons, s), 1) + " comparisons/image");
  auto add = [&](const std::string& variant, hw::Coding coding, const HwRun& r) {
    const json c = counters_json(r, s);
    csv.add({variant, std::string(hw::coding_name(coding)), cell(r.accuracy), cell(r.agreement),
             cell(c["centroid_comparisons_per_image"].get<double>()), cell(c["key_comparisons_per_image"].get<double>()),
             cell(r.arrays_per_key), cell(c["array_reads_per_image"].get<double>()),
             cell(c["adc_saturated_fraction"].get<double>())});
    json v = {{"variant", variant}, {"coding", hw::coding_name(coding)}, {"accuracy", r.accuracy},
              {"agreement_with_digital", r.agreement}};
    v.update(c);
    variants.push_back(v);
    lines.push_back(variant + " " + std::string(hw::coding_name(coding)) + ": " + fixed(r.accuracy) +
                    " % (same class as digital on " + fixed(r.agreement) + " %), " +
                    fixed(c["array_reads_per_image"].get<double>(), 0) + " array reads/image (" +
                    std::to_string(r.arrays_per_key) + " arrays/key), ADC saturated " +
                    fixed(100 * c["adc_saturated_fraction"].get<double>(), 3) + " %");
  };

  // Same candidate selection, exact distances: must reproduce the digital lookup.
  {
    hw::HwLookupOptions o;
    o.mode = hw::HwLookupMode::ideal;
    o.array = config.array;
    o.seed = a.seed;
    add("ideal (exact distance, hw search path)", hw::Coding::thermometer, run_hw(s, o, &digital.prediction));
  }
  for (const hw::Coding coding : codings(a.coding)) {
    hw::HwLookupOptions o;
    o.coding = coding;
    o.seed = a.seed;
    o.array = lossless(config.array);
    add("coding only (matched devices, lossless readout)", coding, run_hw(s, o, &digital.prediction));
    o.array = config.array;
    add("circuit (sigma_VTH " + fixed(config.array.device.sigma_vth_mv, 0) + " mV, " +
            std::to_string(config.array.adc_bits) + "-bit ADC)",
        coding, run_hw(s, o, &digital.prediction));
  }

  out.tables.emplace_back("hw_accuracy", std::move(csv));
  out.summary = {{"experiment", "hw accuracy"},
                 {"source", source_json(s)},
                 {"sigma_vth_mv", config.array.device.sigma_vth_mv},
                 {"adc_bits", config.array.adc_bits},
                 {"adc_range", config.array.adc_range == hw::AdcRange::unit_step     ? "unit_step"
                               : config.array.adc_range == hw::AdcRange::array_span ? "array_span"
                                                                                    : "fixed_volts"},
                 {"tiles", config.array.tiles},
                 {"seed", a.seed},
                 {"digital", {{"accuracy", digital_acc}, {"comparisons_per_image", per_image(digital.comparisons, s)}}},
                 {"variants", variants}};
  return out;
}

namespace {

// The published distance noise on matched devices with a lossless readout, one read.
hw::HwLookupOptions published_noise(const hw::HwConfig& config, double sigma, std::uint64_t seed) {
  if (!(sigma >= 0 && std::isfinite(sigma))) throw Error("noise sigma must be finite and >= 0");
  hw::HwLookupOptions o;
  o.array = lossless(config.array);
  o.coding = hw::Coding::thermometer;
  o.noise.distance_sigma = sigma;
  o.seed = seed;
  return o;
}

}  // namespace

double noisy_lookup_accuracy(const HwLookups& s, const hw::HwConfig& config, double sigma, std::uint64_t seed) {
  check(s);
  return run_hw(s, published_noise(config, sigma, seed), nullptr).accuracy;  // run_hw sets the descent
}

std::unique_ptr<NearestIndex> noisy_index(const Table& table, const RamConfig& config, const hw::HwConfig& hw,
                                          double sigma, hw::Descent descent, std::uint64_t seed) {
  if (table.tree() == nullptr || table.tree_count() != 1)
    throw Error(table.name() + ": the hardware model searches one tree (per step)");
  hw::HwLookupOptions o = published_noise(hw, sigma, seed);
  o.descent = descent;
  hw::HwKeys keys{table.name(), table.key_layout(), table.segment_weights(), table.keys(), table.forest()};
  return std::make_unique<hw::HwIndex>(std::move(keys), components(config), std::move(o));
}

io::ResultFiles hw_noise_study(const HwLookups& s, const hw::HwConfig& config, const HwNoiseOptions& a) {
  check(s);
  std::vector<hw::HwMitigation> mitigations = {hw::HwMitigation{}};
  for (const auto& m : a.mitigations) {
    try {
      const hw::HwMitigation parsed = hw::parse_mitigation(m);
      // Each mitigation once: `none` (or reads:1) is always run.
      const bool listed = std::any_of(mitigations.begin(), mitigations.end(),
                                      [&](const hw::HwMitigation& x) { return x.name() == parsed.name(); });
      if (!listed) mitigations.push_back(parsed);
    } catch (const Error& e) {
      throw Error(std::string("--mitigation: ") + e.what());
    }
  }
  for (const double v : a.sigmas)
    if (!(v >= 0)) throw Error("--sigmas: values must be >= 0");
  for (const double v : a.flip_probabilities)
    if (!(v >= 0 && v < 1)) throw Error("--flip-probs: values must lie in [0, 1)");
  for (const double v : a.conductance_sigmas)
    if (!(v >= 0)) throw Error("--conductance-sigmas: values must be >= 0");
  for (const double v : a.pcm_seconds)
    if (!(v >= 0 && std::isfinite(v))) throw Error("--pcm-seconds: values must be finite and >= 0");
  if (a.devices != "ideal" && a.devices != "circuit") throw Error("--devices: expected ideal or circuit");

  hw::ArrayConfig array = config.array;
  if (a.devices == "ideal") array = lossless(array);
  const hw::Coding coding = hw::parse_coding(a.coding);
  const LookupRun digital = run_lookups(s.table, s.config, s.images, digital_options(s), s.threads, s.progress);

  io::ResultFiles out;
  CsvTable runs({"study", "level", "mitigation", "accuracy_pct", "agreement_with_digital_pct",
                     "array_reads_per_image", "seconds"});
  // One noise setting under every mitigation; a noiseless setting is run once (reads repeat
  // only when they differ).
  auto sweep = [&](const std::string& study, const std::vector<double>& levels, auto apply) {
    std::vector<std::vector<Point>> points(levels.size());
    for (std::size_t i = 0; i < levels.size(); ++i) {
      for (std::size_t m = 0; m < mitigations.size(); ++m) {
        hw::HwLookupOptions o;
        o.array = array;
        o.coding = coding;
        o.seed = a.seed;
        o.mitigation = mitigations[m];
        apply(o.noise, levels[i]);
        if (!o.noise.random() && m > 0) {
          points[i].push_back(points[i][0]);
        } else {
          const HwRun r = run_hw(s, o, &digital.prediction);
          points[i].push_back({r.accuracy, r.agreement, per_image(r.counters.array_reads, s), r.run.seconds});
          spdlog::info("{} {} {}: {:.2f} %", study, levels[i], mitigations[m].name(), r.accuracy);
        }
        const Point& p = points[i].back();
        runs.add({study, cell(levels[i]), mitigations[m].name(), cell(p.accuracy), cell(p.agreement),
                  cell(p.reads_per_image), cell(p.seconds)});
      }
    }
    return points;
  };
  auto wide = [&](const std::string& level_name, const std::vector<double>& levels,
                  const std::vector<std::vector<Point>>& points, bool published) {
    std::vector<std::string> header = {level_name};
    if (published) header.push_back("published");
    for (const auto& m : mitigations) header.push_back(m.name());
    CsvTable t(header);
    for (std::size_t i = 0; i < levels.size(); ++i) {
      std::vector<std::string> row = {cell(levels[i])};
      if (published) {
        const double r = std::round(levels[i]);
        row.push_back(std::abs(levels[i] - r) < 1e-9 && r >= 0 && r <= 5 ? cell(kPublishedNoise[static_cast<int>(r)])
                                                                         : std::string("nan"));
      }
      for (const Point& p : points[i]) row.push_back(cell(p.accuracy));
      t.add(row);
    }
    return t;
  };
  auto curve_json = [&](const std::vector<double>& levels, const std::vector<std::vector<Point>>& points) {
    json curves = json::object();
    for (std::size_t m = 0; m < mitigations.size(); ++m) {
      json c = json::array();
      for (std::size_t i = 0; i < levels.size(); ++i)
        c.push_back({{"level", levels[i]},
                     {"accuracy", points[i][m].accuracy},
                     {"array_reads_per_image", points[i][m].reads_per_image}});
      curves[mitigations[m].name()] = c;
    }
    return curves;
  };
  auto plot = [&](const std::string& stem, const std::string& title, const std::string& xlabel, std::size_t columns) {
    out.plots.emplace_back(stem, "set datafile separator ','\nset grid\nset key autotitle columnhead bottom left\n"
                                 "set title '" + title + "'\nset xlabel '" + xlabel +
                                     "'\nset ylabel 'test accuracy (%)'\nplot for [i=2:" + std::to_string(columns) +
                                     "] '" + stem + ".csv' using 1:i with linespoints pt 7\n");
  };

  const auto distance = sweep("distance_sigma", a.sigmas, [](hw::NoiseOptions& n, double v) { n.distance_sigma = v; });
  out.tables.emplace_back("noise_distance", wide("sigma", a.sigmas, distance, true));
  plot("noise_distance",
       "Lookup accuracy under Gaussian distance noise (std sigma per component distance, Manhattan units)", "sigma",
       mitigations.size() + 2);

  json& summary = out.summary;
  summary = {{"experiment", "hw noise"},
                  {"source", source_json(s)},
                  {"coding", a.coding},
                  {"devices", a.devices},
                  {"seed", a.seed},
                  {"digital_accuracy", digital.accuracy(s.images)},
                  {"sigma_definition",
                   "Gaussian noise of std sigma added independently, per comparison, to each of the three component "
                   "distances of eq. 1 (M(phi): sum of |level differences| over the 48 2-bit glimpse values; M(h): "
                   "Hamming distance of the 64 hidden bits; M(l): |dx|+|dy| in pixels) before they are weighted, as "
                   "the published study (author's distance_metric.py); applied at every comparison, centroids "
                   "included when --descent circuit. Units: one level step / one bit / one pixel."},
                  {"distance_noise", curve_json(a.sigmas, distance)},
                  {"published", {{"sigma", {0, 1, 2, 3, 4, 5}},
                                 {"accuracy", std::vector<double>(std::begin(kPublishedNoise), std::end(kPublishedNoise))}}}};
  std::vector<std::string>& lines = out.notes;
  lines.push_back("digital lookup: " + fixed(digital.accuracy(s.images)) + " % on " + std::to_string(s.images.count()) +
                  " images (published pure MBI: 89.19 %)");
  for (std::size_t i = 0; i < a.sigmas.size(); ++i) {
    std::string l = "sigma " + fixed(a.sigmas[i], 2) + ":";
    for (std::size_t m = 0; m < mitigations.size(); ++m)
      l += fmt::format(" {} {:.2f} %", mitigations[m].name(), distance[i][m].accuracy);
    const double r = std::round(a.sigmas[i]);
    if (std::abs(a.sigmas[i] - r) < 1e-9 && r <= 5) l += " (published " + fixed(kPublishedNoise[static_cast<int>(r)]) + " %)";
    lines.push_back(l);
  }
  // Recovery at sigma 2 and 4.
  json recovery = json::object();
  const auto find = [&](double v) -> std::optional<std::size_t> {
    for (std::size_t i = 0; i < a.sigmas.size(); ++i)
      if (std::abs(a.sigmas[i] - v) < 1e-9) return i;
    return std::nullopt;
  };
  const auto clean = find(0.0);
  for (const double v : {2.0, 4.0}) {
    const auto i = find(v);
    if (!i) continue;
    json r = json::object();
    for (std::size_t m = 1; m < mitigations.size(); ++m) {
      const double gain = distance[*i][m].accuracy - distance[*i][0].accuracy;
      json g = {{"accuracy", distance[*i][m].accuracy}, {"gain_points", gain},
                {"array_reads_per_image", distance[*i][m].reads_per_image}};
      if (clean) {
        const double loss = distance[*clean][0].accuracy - distance[*i][0].accuracy;
        g["share_of_loss_recovered"] = loss > 0 ? gain / loss : 0.0;
      }
      r[mitigations[m].name()] = g;
      lines.push_back("  sigma " + fixed(v, 0) + ": " + mitigations[m].name() + " recovers " + fixed(gain) +
                      " points (" + fixed(distance[*i][0].accuracy) + " -> " + fixed(distance[*i][m].accuracy) + " %)");
    }
    recovery[fixed(v, 0)] = r;
  }
  summary["recovery"] = recovery;

  if (a.emerging) {
    const auto flips = sweep("bit_flip_probability", a.flip_probabilities,
                             [](hw::NoiseOptions& n, double v) { n.bit_flip_probability = v; });
    out.tables.emplace_back("noise_bit_flip", wide("bit_flip_probability", a.flip_probabilities, flips, false));
    plot("noise_bit_flip", "Emerging-memory keys: each stored cell read wrong with probability p",
         "bit-flip probability per cell and read", mitigations.size() + 1);
    const auto conductance = sweep("conductance_sigma", a.conductance_sigmas,
                                   [](hw::NoiseOptions& n, double v) { n.conductance_sigma = v; });
    out.tables.emplace_back("noise_conductance", wide("conductance_sigma", a.conductance_sigmas, conductance, false));
    plot("noise_conductance", "Emerging-memory keys: cell discharge scaled by (1 + sigma N(0,1)) per read",
         "relative conductance fluctuation sigma", mitigations.size() + 1);
    summary["bit_flip"] = curve_json(a.flip_probabilities, flips);
    summary["conductance"] = curve_json(a.conductance_sigmas, conductance);
    for (const auto& [name, levels, points] :
         {std::tuple{std::string("bit flip p"), &a.flip_probabilities, &flips},
          std::tuple{std::string("conductance sigma"), &a.conductance_sigmas, &conductance}}) {
      for (std::size_t i = 0; i < levels->size(); ++i) {
        std::string l = name + " " + cell((*levels)[i]) + ":";
        for (std::size_t m = 0; m < mitigations.size(); ++m)
          l += fmt::format(" {} {:.2f} %", mitigations[m].name(), (*points)[i][m].accuracy);
        lines.push_back(l);
      }
    }
  }
  if (!a.pcm_seconds.empty()) {
    const auto pcm = sweep("pcm_seconds", a.pcm_seconds, [&](hw::NoiseOptions& n, double v) {
      n.pcm = hw::PcmKeys{a.pcm, v, a.pcm_drift_compensation};
    });
    out.tables.emplace_back("noise_pcm", wide("seconds", a.pcm_seconds, pcm, false));
    out.plots.emplace_back(
        "noise_pcm", "set datafile separator ','\nset grid\nset key autotitle columnhead bottom left\nset logscale x\n"
                     "set title 'Keys in PCM 2T2R cells (aihwkit model), drift compensation " +
                         std::string(a.pcm_drift_compensation ? "on" : "off") +
                         "'\nset xlabel 'time since programming (s)'\nset ylabel 'test accuracy (%)'\n"
                         "plot for [i=2:" + std::to_string(mitigations.size() + 1) +
                         "] 'noise_pcm.csv' using 1:i with linespoints pt 7\n");
    summary["pcm_keys"] = curve_json(a.pcm_seconds, pcm);
    summary["pcm_drift_compensation"] = a.pcm_drift_compensation;
    for (std::size_t i = 0; i < a.pcm_seconds.size(); ++i) {
      std::string l = "PCM keys " + cell(a.pcm_seconds[i]) + " s after programming:";
      for (std::size_t m = 0; m < mitigations.size(); ++m)
        l += fmt::format(" {} {:.2f} %", mitigations[m].name(), pcm[i][m].accuracy);
      lines.push_back(l);
    }
  }
  out.tables.emplace_back("noise_runs", std::move(runs));
  return out;
}

MeasuredWorkload measure_workload(const HwLookups& s, const hw::HwConfig& config, const std::string& coding,
                                  std::uint64_t seed) {
  check(s);
  hw::HwLookupOptions o;
  o.array = config.array;
  o.coding = hw::parse_coding(coding);
  o.seed = seed;
  const HwRun r = run_hw(s, o, nullptr);
  MeasuredWorkload m;
  const auto& c = r.counters;
  m.comparisons_per_image = per_image(c.centroid_comparisons + c.key_comparisons + c.recheck_comparisons, s);
  m.arrays_per_key = static_cast<double>(r.arrays_per_key);
  m.accuracy_pct = r.accuracy;
  m.storage_mb = static_cast<double>(s.table.resident_bytes()) / 1e6;
  m.key.segments = s.table.key_layout().segments();
  m.key.components = components(s.config);
  m.summary = {{"source", source_json(s)},
               {"coding", coding},
               {"accuracy", r.accuracy},
               {"comparisons_per_image", m.comparisons_per_image},
               {"steps_per_image", per_image(c.searches, s)},
               {"storage_mb", m.storage_mb},
               {"table_bytes", s.table.resident_bytes()}};
  m.summary.update(counters_json(r, s));
  return m;
}

}  // namespace mbi::experiment
