// `mbi hw accuracy` and `mbi hw noise`: lookup inference with the nearest-key search of every
// glimpse step running through the hardware model; and the measured workload behind
// `mbi hw energy --table`.
//   accuracy  binary vs thermometer coding through fabricated arrays (V_TH mismatch, ADC),
//             and through matched devices with a lossless readout (the coding alone), beside
//             the exact digital lookup with the same candidate selection
//   noise     the published noise study (Gaussian noise of std sigma added to each
//             component's Manhattan distance) and a stored-key model for emerging memories
//             (bit flips, conductance fluctuation), each with read mitigations
#include "hw_lookup_command.hpp"
#include "hw_guarded.hpp"

#include <spdlog/spdlog.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <memory>
#include <iterator>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "lookup_eval.hpp"
#include "mbi/error.hpp"
#include "mbi/hw/csv_table.hpp"
#include "mbi/hw/experiments.hpp"
#include "mbi/hw/hw_lookup.hpp"
#include "mbi/ram_keys.hpp"
#include "plot.hpp"
#include "table_meta.hpp"

namespace mbi::cli {
namespace {

using hw::cell;
using nlohmann::json;

// Published pure-MBI accuracy (100 % of rows, BO weights) under distance noise sigma = 0..5
// (author's noise CSV; reference notes).
constexpr double kPublishedNoise[] = {89.19, 87.83, 83.56, 78.09, 72.82, 66.94};

struct Common {
  std::filesystem::path config = "configs/hw/sram16nm.json";
  std::filesystem::path out = "results/hw";
  bool json = false;
  std::uint64_t seed = 1;
  void add_to(CLI::App& cmd) {
    cmd.add_option("--config", config, "hardware parameter file (JSON)")->capture_default_str();
    cmd.add_option("--out", out, "directory for CSV and plots")->capture_default_str();
    cmd.add_flag("--json", json, "print one JSON summary object on stdout");
    cmd.add_option("--seed", seed, "random seed (fabrication, read noise)")->capture_default_str();
  }
};

std::string fixed(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

std::string gp_path(const std::filesystem::path& p) {
  std::string out;
  for (char c : p.string()) out += c == '\'' ? std::string("''") : std::string(1, c);
  return "'" + out + "'";
}

// An opened table with its teacher configuration and the images to run.
struct Session {
  MappedTable table;
  TableInfo info;
  data::ImageSet set;
  std::vector<std::uint32_t> components;
  std::uintmax_t table_bytes = 0;
};

std::unique_ptr<Session> open_session(const HwLookupSource& s) {
  if (s.table.empty()) throw Error("--table is required");
  if (s.search == "tree" && s.probes == 0) throw Error("--probes must be at least 1");
  auto session = std::unique_ptr<Session>(new Session{MappedTable(s.table), {}, {}, {}, 0});
  session->info = read_table_info(session->table);
  if (s.search == "tree" && session->table.tree() == nullptr)
    throw Error(s.table.string() + ": has no search tree (distilled with --no-tree); use --search exhaustive");
  // The arrays hold one tree's leaves; a forest's digital reference would search all its trees.
  if (session->table.tree_count() > 1)
    throw Error(s.table.string() + ": a forest of " + std::to_string(session->table.tree_count()) +
                " trees; the hardware model maps one tree onto its arrays (rebuild it with mbi index --trees 1)");
  if (s.search == "exhaustive" && (s.data.limit == 0 || s.data.limit > 2000))
    throw Error("--search exhaustive: give --limit N with N <= 2000 (every row goes through the circuit model)");
  session->set = s.data.load(s.split);
  check_image_size(session->info, s.table, session->set, s.data.dir);
  const RamConfig& c = session->info.config;
  for (const KeyComponent k : ram_key_components(c)) session->components.push_back(static_cast<std::uint32_t>(k));
  session->table_bytes = std::filesystem::file_size(s.table);
  return session;
}

LookupOptions digital_options(const HwLookupSource& s) {
  LookupOptions o;
  o.exhaustive = s.search == "exhaustive";
  o.probes = s.probes;
  return o;
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

HwRun run_hw(const Session& s, const HwLookupSource& src, hw::HwLookupOptions o, const std::vector<int>* reference) {
  o.exhaustive = src.search == "exhaustive";
  o.probes = src.probes;
  o.descent = src.descent == "digital" ? hw::Descent::digital : hw::Descent::circuit;
  hw::HwNearestPool pool(s.table, s.components, std::move(o));
  LookupOptions lo = digital_options(src);
  lo.nearest = pool.function();
  HwRun r;
  r.run = run_lookups(s.table, s.info.config, s.set, lo, src.threads, src.progress);
  r.counters = pool.counters();
  r.arrays_per_key = pool.arrays_per_key();
  r.accuracy = r.run.accuracy(s.set);
  if (reference != nullptr) r.agreement = agreement(r.run.prediction, *reference);
  return r;
}

double per_image(std::uint64_t count, const Session& s) {
  return s.set.count() == 0 ? 0.0 : static_cast<double>(count) / static_cast<double>(s.set.count());
}

json counters_json(const HwRun& r, const Session& s) {
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

void print(const Common& c, const json& summary, const std::vector<std::string>& lines) {
  if (c.json) {
    std::cout << summary.dump() << std::endl;
    return;
  }
  for (const auto& l : lines) std::cout << l << "\n";
  std::cout << "wrote CSV (and plots, if gnuplot is present) to " << c.out.string() << std::endl;
}

json source_json(const HwLookupSource& s, const Session& session) {
  return {{"table", s.table.string()},       {"table_rows", session.table.rows()}, {"split", s.split},
          {"images", session.set.count()},   {"search", s.search},                 {"probes", s.probes},
          {"descent", s.descent}};
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

// ---- accuracy ------------------------------------------------------------------------------

struct AccuracyArgs {
  Common common;
  HwLookupSource source;
  std::string coding = "both";
  std::optional<double> sigma_vth_mv;
  std::optional<std::uint32_t> adc_bits;
};

void run_accuracy(const AccuracyArgs& a) {
  hw::HwConfig config = hw::load_hw_config(a.common.config);
  if (a.sigma_vth_mv) config.array.device.sigma_vth_mv = *a.sigma_vth_mv;
  if (a.adc_bits) config.array.adc_bits = *a.adc_bits;
  const auto session = open_session(a.source);
  const Session& s = *session;

  // The exact digital lookup (the table's own search): the reference.
  const LookupRun digital = run_lookups(s.table, s.info.config, s.set, digital_options(a.source), a.source.threads,
                                        a.source.progress);
  const double digital_acc = digital.accuracy(s.set);

  hw::CsvTable csv({"variant", "coding", "accuracy_pct", "agreement_with_digital_pct", "centroid_comparisons_per_image",
                    "key_comparisons_per_image", "arrays_per_key", "array_reads_per_image", "adc_saturated_fraction"});
  json variants = json::array();
  std::vector<std::string> lines = {"exact digital lookup (table search): " + fixed(digital_acc) + " % on " +
                                    std::to_string(s.set.count()) + " " + a.source.split + " images, " +
                                    fixed(per_image(digital.comparisons, s), 1) + " comparisons/image"};
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
    lines.push_back(variant + " " + std::string(hw::coding_name(coding)) + ": " + fixed(r.accuracy) + " % (same class as digital on " +
                    fixed(r.agreement) + " %), " + fixed(c["array_reads_per_image"].get<double>(), 0) +
                    " array reads/image (" + std::to_string(r.arrays_per_key) + " arrays/key), ADC saturated " +
                    fixed(100 * c["adc_saturated_fraction"].get<double>(), 3) + " %");
  };

  // Same candidate selection, exact distances: must reproduce the digital lookup.
  {
    hw::HwLookupOptions o;
    o.mode = hw::HwLookupMode::ideal;
    o.array = config.array;
    o.seed = a.common.seed;
    add("ideal (exact distance, hw search path)", hw::Coding::thermometer, run_hw(s, a.source, o, &digital.prediction));
  }
  for (const hw::Coding coding : codings(a.coding)) {
    hw::HwLookupOptions o;
    o.coding = coding;
    o.seed = a.common.seed;
    o.array = lossless(config.array);
    add("coding only (matched devices, lossless readout)", coding, run_hw(s, a.source, o, &digital.prediction));
    o.array = config.array;
    add("circuit (sigma_VTH " + fixed(config.array.device.sigma_vth_mv, 0) + " mV, " +
            std::to_string(config.array.adc_bits) + "-bit ADC)",
        coding, run_hw(s, a.source, o, &digital.prediction));
  }

  std::filesystem::create_directories(a.common.out);
  csv.write(a.common.out / "hw_accuracy.csv");
  json summary = {{"experiment", "hw accuracy"},
                  {"source", source_json(a.source, s)},
                  {"sigma_vth_mv", config.array.device.sigma_vth_mv},
                  {"adc_bits", config.array.adc_bits},
                  {"adc_range", config.array.adc_range == hw::AdcRange::unit_step     ? "unit_step"
                                : config.array.adc_range == hw::AdcRange::array_span ? "array_span"
                                                                                     : "fixed_volts"},
                  {"tiles", config.array.tiles},
                  {"seed", a.common.seed},
                  {"digital",
                   {{"accuracy", digital_acc}, {"comparisons_per_image", per_image(digital.comparisons, s)}}},
                  {"variants", variants}};
  print(a.common, summary, lines);
}

// ---- noise ---------------------------------------------------------------------------------

struct NoiseArgs {
  Common common;
  HwLookupSource source;
  std::vector<double> sigmas = {0, 1, 2, 3, 4, 5};
  std::vector<std::string> mitigations = {"reads:4", "topk:4:4"};
  std::vector<double> flip_probabilities = {0, 0.001, 0.003, 0.01, 0.03, 0.1};
  std::vector<double> conductance_sigmas = {0, 0.1, 0.2, 0.3, 0.5, 0.8};
  std::string coding = "thermometer";
  std::string devices = "ideal";
  bool no_emerging = false;
};

struct Point {
  double accuracy;
  double agreement;
  double reads_per_image;
  double seconds;
};

void run_noise(const NoiseArgs& a) {
  const hw::HwConfig config = hw::load_hw_config(a.common.config);
  const auto session = open_session(a.source);
  const Session& s = *session;
  std::vector<hw::HwMitigation> mitigations = {hw::HwMitigation{}};
  for (const auto& m : a.mitigations) {
    try {
      mitigations.push_back(hw::parse_mitigation(m));
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
  if (a.devices != "ideal" && a.devices != "circuit") throw Error("--devices: expected ideal or circuit");

  hw::ArrayConfig array = config.array;
  if (a.devices == "ideal") array = lossless(array);
  const hw::Coding coding = hw::parse_coding(a.coding);
  const LookupRun digital = run_lookups(s.table, s.info.config, s.set, digital_options(a.source), a.source.threads,
                                        a.source.progress);

  hw::CsvTable runs({"study", "level", "mitigation", "accuracy_pct", "agreement_with_digital_pct",
                     "array_reads_per_image", "seconds"});
  // One noise setting under every mitigation; a noiseless setting is run once (reads repeat
  // only when they differ).
  auto sweep = [&](const std::string& study, const std::vector<double>& levels, auto apply) {
    std::vector<std::vector<Point>> out(levels.size());
    for (std::size_t i = 0; i < levels.size(); ++i) {
      for (std::size_t m = 0; m < mitigations.size(); ++m) {
        hw::HwLookupOptions o;
        o.array = array;
        o.coding = coding;
        o.seed = a.common.seed;
        o.mitigation = mitigations[m];
        apply(o.noise, levels[i]);
        if (!o.noise.random() && m > 0) {
          out[i].push_back(out[i][0]);
        } else {
          const HwRun r = run_hw(s, a.source, o, &digital.prediction);
          out[i].push_back({r.accuracy, r.agreement, per_image(r.counters.array_reads, s), r.run.seconds});
          if (!a.common.json)
            spdlog::info("{} {} {}: {:.2f} %", study, levels[i], mitigations[m].name(), r.accuracy);
        }
        const Point& p = out[i].back();
        runs.add({study, cell(levels[i]), mitigations[m].name(), cell(p.accuracy), cell(p.agreement),
                  cell(p.reads_per_image), cell(p.seconds)});
      }
    }
    return out;
  };
  auto wide = [&](const std::string& level_name, const std::vector<double>& levels,
                  const std::vector<std::vector<Point>>& points, bool published) {
    std::vector<std::string> header = {level_name};
    if (published) header.push_back("published");
    for (const auto& m : mitigations) header.push_back(m.name());
    hw::CsvTable t(header);
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
    const std::string f = gp_path(a.common.out / (stem + ".csv"));
    render_plot(a.common.out / stem,
                "set datafile separator ','\nset grid\nset key autotitle columnhead bottom left\n"
                "set title '" + title + "'\nset xlabel '" + xlabel + "'\nset ylabel 'test accuracy (%)'\n"
                "plot for [i=2:" + std::to_string(columns) + "] " + f + " using 1:i with linespoints pt 7\n");
  };

  std::filesystem::create_directories(a.common.out);
  const auto distance = sweep("distance_sigma", a.sigmas, [](hw::NoiseOptions& n, double v) { n.distance_sigma = v; });
  const hw::CsvTable distance_csv = wide("sigma", a.sigmas, distance, true);
  distance_csv.write(a.common.out / "noise_distance.csv");
  plot("noise_distance",
       "Lookup accuracy under Gaussian distance noise (std sigma per component distance, Manhattan units)", "sigma",
       mitigations.size() + 2);

  json summary = {{"experiment", "hw noise"},
                  {"source", source_json(a.source, s)},
                  {"coding", a.coding},
                  {"devices", a.devices},
                  {"seed", a.common.seed},
                  {"digital_accuracy", digital.accuracy(s.set)},
                  {"sigma_definition",
                   "Gaussian noise of std sigma added independently, per comparison, to each of the three component "
                   "distances of eq. 1 (M(phi): sum of |level differences| over the 48 2-bit glimpse values; M(h): "
                   "Hamming distance of the 64 hidden bits; M(l): |dx|+|dy| in pixels) before they are weighted, as "
                   "the published study (author's distance_metric.py); applied at every comparison, centroids "
                   "included when --descent circuit. Units: one level step / one bit / one pixel."},
                  {"distance_noise", curve_json(a.sigmas, distance)},
                  {"published", {{"sigma", {0, 1, 2, 3, 4, 5}},
                                 {"accuracy", std::vector<double>(std::begin(kPublishedNoise), std::end(kPublishedNoise))}}}};
  std::vector<std::string> lines;
  lines.push_back("digital lookup: " + fixed(digital.accuracy(s.set)) + " % on " + std::to_string(s.set.count()) +
                  " images (published pure MBI: 89.19 %)");
  for (std::size_t i = 0; i < a.sigmas.size(); ++i) {
    std::string l = "sigma " + fixed(a.sigmas[i], 2) + ":";
    for (std::size_t m = 0; m < mitigations.size(); ++m)
      l += " " + mitigations[m].name() + " " + fixed(distance[i][m].accuracy) + " %";
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

  if (!a.no_emerging) {
    const auto flips = sweep("bit_flip_probability", a.flip_probabilities,
                             [](hw::NoiseOptions& n, double v) { n.bit_flip_probability = v; });
    wide("bit_flip_probability", a.flip_probabilities, flips, false).write(a.common.out / "noise_bit_flip.csv");
    plot("noise_bit_flip", "Emerging-memory keys: each stored cell read wrong with probability p",
         "bit-flip probability per cell and read", mitigations.size() + 1);
    const auto conductance = sweep("conductance_sigma", a.conductance_sigmas,
                                   [](hw::NoiseOptions& n, double v) { n.conductance_sigma = v; });
    wide("conductance_sigma", a.conductance_sigmas, conductance, false).write(a.common.out / "noise_conductance.csv");
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
          l += " " + mitigations[m].name() + " " + fixed((*points)[i][m].accuracy) + " %";
        lines.push_back(l);
      }
    }
  }
  runs.write(a.common.out / "noise_runs.csv");
  print(a.common, summary, lines);
}

}  // namespace

void HwLookupSource::add_to(CLI::App& cmd, bool table_required) {
  auto* t = cmd.add_option("--table", table, "lookup table file");
  if (table_required) t->required();
  data.add_to(cmd);
  cmd.add_option("--split", split, "test, val, train or train-all")
      ->check(CLI::IsMember({"test", "val", "train", "train-all"}))
      ->capture_default_str();
  cmd.add_option("--search", search, "tree (leaves as array tiles) or exhaustive (every row; needs --limit)")
      ->check(CLI::IsMember({"tree", "exhaustive"}))
      ->capture_default_str();
  cmd.add_option("--probes", probes, "tree leaves scanned per step")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  cmd.add_option("--descent", descent, "tree descent: circuit (centroids compared in the arrays too) or digital (exact)")
      ->check(CLI::IsMember({"circuit", "digital"}))
      ->capture_default_str();
  cmd.add_option("--threads", threads, "lookup threads (0 = all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
  cmd.add_flag("--progress", progress, "show a progress bar");
}

MeasuredWorkload measure_workload(const HwLookupSource& source, const hw::HwConfig& config, const std::string& coding,
                                  std::uint64_t seed) {
  const auto session = open_session(source);
  const Session& s = *session;
  hw::HwLookupOptions o;
  o.array = config.array;
  o.coding = hw::parse_coding(coding);
  o.seed = seed;
  const HwRun r = run_hw(s, source, o, nullptr);
  MeasuredWorkload m;
  const auto& c = r.counters;
  m.comparisons_per_image = per_image(c.centroid_comparisons + c.key_comparisons + c.recheck_comparisons, s);
  m.arrays_per_key = static_cast<double>(r.arrays_per_key);
  m.accuracy_pct = r.accuracy;
  m.storage_mb = static_cast<double>(s.table_bytes) / 1e6;
  m.summary = {{"source", source_json(source, s)},
               {"coding", coding},
               {"accuracy", r.accuracy},
               {"comparisons_per_image", m.comparisons_per_image},
               {"steps_per_image", per_image(c.searches, s)},
               {"storage_mb", m.storage_mb},
               {"table_bytes", s.table_bytes}};
  m.summary.update(counters_json(r, s));
  return m;
}

void register_hw_lookup(CLI::App& hw) {
  auto acc = std::make_shared<AccuracyArgs>();
  auto* acc_cmd = hw.add_subcommand("accuracy", "lookup inference through the array model: binary vs thermometer coding");
  acc->common.add_to(*acc_cmd);
  acc->source.add_to(*acc_cmd, true);
  acc_cmd->add_option("--coding", acc->coding, "binary, thermometer or both")
      ->check(CLI::IsMember({"binary", "thermometer", "both"}))
      ->capture_default_str();
  acc_cmd->add_option("--sigma-vth", acc->sigma_vth_mv, "V_TH mismatch sigma in mV (default: from the config)");
  acc_cmd->add_option("--adc-bits", acc->adc_bits, "ADC bits, 0 = unquantised readout (default: from the config)")
      ->check(CLI::Range(0, 16));
  acc_cmd->callback([acc] { guarded([&] { run_accuracy(*acc); }); });

  auto noise = std::make_shared<NoiseArgs>();
  auto* noise_cmd = hw.add_subcommand("noise", "lookup accuracy under distance noise and unreliable key storage, "
                                               "with read mitigations");
  noise->common.add_to(*noise_cmd);
  noise->source.add_to(*noise_cmd, true);
  noise_cmd->add_option("--sigmas", noise->sigmas, "distance-noise sigmas (Manhattan units per component)")
      ->delimiter(',')
      ->capture_default_str();
  noise_cmd->add_option("--mitigation", noise->mitigations, "mitigations to compare: reads:K, median:K, topk:K:R")
      ->delimiter(',')
      ->capture_default_str();
  noise_cmd->add_option("--flip-probs", noise->flip_probabilities, "stored-cell bit-flip probabilities per read")
      ->delimiter(',')
      ->capture_default_str();
  noise_cmd->add_option("--conductance-sigmas", noise->conductance_sigmas,
                        "relative conductance fluctuations of stored cells per read")
      ->delimiter(',')
      ->capture_default_str();
  noise_cmd->add_option("--coding", noise->coding, "binary or thermometer")
      ->check(CLI::IsMember({"binary", "thermometer"}))
      ->capture_default_str();
  noise_cmd->add_option("--devices", noise->devices,
                        "ideal (matched devices, lossless readout: exact distance plus the noise) or circuit "
                        "(the config's mismatch and ADC)")
      ->check(CLI::IsMember({"ideal", "circuit"}))
      ->capture_default_str();
  noise_cmd->add_flag("--no-emerging", noise->no_emerging, "skip the bit-flip and conductance sweeps");
  noise_cmd->callback([noise] { guarded([&] { run_noise(*noise); }); });
}

}  // namespace mbi::cli
