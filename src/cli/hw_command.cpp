// `mbi hw`: the in-memory search hardware of paper sec. III-D, modelled behaviourally.
//   array        nominal readout of one array and how each coding's distance departs from
//                the Manhattan distance (alone, and through the whole array model)
//   variability  Monte Carlo of the sum-line voltages under V_TH mismatch (Fig. 6(b)):
//                margins between distance levels and the ADC bits they imply
//   energy       energy per match (Fig. 6(c)), per inference, and Table I; with --table the
//                comparisons per image, accuracy and storage are measured by lookups
//   accuracy     lookup inference through the arrays, binary vs thermometer (hw_lookup_command.cpp)
//   noise        the published distance-noise study and emerging-memory keys, with mitigations
// Each writes CSV (and plots, when gnuplot is present) to --out and prints a summary; with
// --json the summary is one JSON object on stdout. The experiments live in mbi_hw and
// mbi_experiment; this file parses, calls them and prints.
#include <cstdio>
#include <iostream>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "commands.hpp"
#include "config_path.hpp"
#include "validators.hpp"
#include "hw_lookup_command.hpp"
#include "mbi/core/error.hpp"
#include "mbi/hw/experiments.hpp"
#include "mbi/hw/hw_config.hpp"

namespace mbi::cli {
namespace {


struct HwArgs {
  std::filesystem::path config;  // empty: the shipped configs/hw/sram16nm.json
  std::filesystem::path out = "results/hw";
  bool json = false;
  std::uint64_t seed = 1;

  std::filesystem::path config_file() const { return given_or_shipped(config, kHwConfig, "--config"); }
};

void add_common(CLI::App& cmd, HwArgs& a) {
  cmd.add_option("--config", a.config, std::string("hardware parameter file (JSON; default: ") + kHwConfig + ")");
  add_out(cmd, a.out, "directory for CSV, Markdown and plots");
  add_json(cmd, a.json, "print one JSON summary object on stdout");
  add_seed(cmd, a.seed, "random seed (fabrication, sampling)");
}

// Tables are written (and plotted) before the summary is printed.
std::size_t write_tables(const HwArgs& a, const io::ResultFiles& out) { return out.write(a.out).size(); }

void finish(const HwArgs& a, const io::ResultFiles& out, std::size_t written, const std::vector<std::string>& lines) {
  if (a.json) {
    std::cout << out.summary.dump() << std::endl;
    return;
  }
  for (const auto& line : lines) std::cout << line << "\n";
  std::cout << "wrote " << written << " files (and plots, if gnuplot is present) to " << a.out.string() << std::endl;
}

std::string fixed(double v, int digits = 2) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

struct ArrayArgs {
  HwArgs common;
  std::size_t queries = 400;
  std::size_t pool = 32;
};

void run_array(const ArrayArgs& a) {
  const hw::HwConfig config = hw::load_hw_config(a.common.config_file());
  hw::ArrayExperimentOptions options;
  options.queries = a.queries;
  options.pool = a.pool;
  options.seed = a.common.seed;
  const io::ResultFiles out = hw::array_experiment(config, options);
  const std::size_t written = write_tables(a.common, out);

  const auto& s = out.summary;
  std::vector<std::string> lines;
  for (const char* coding : {"binary", "thermometer"}) {
    const auto& c = s["coding_error"][coding]["key"];
    const auto& m = s["hardware_error"][coding]["mismatch"];
    lines.push_back(std::string(coding) + ": coding alone: mean |error| " + fixed(c["mean_abs_error"].get<double>()) +
                    " (mean distance " + fixed(c["mean_exact"].get<double>()) + "), rank corr " +
                    fixed(c["rank_correlation"].get<double>(), 3) + ", NN agreement " +
                    fixed(c["nn_agreement"].get<double>(), 3) + "; hardware (" +
                    std::to_string(m["arrays_per_key"].get<std::size_t>()) + " arrays/key): mean |error| " +
                    fixed(m["mean_abs_error"].get<double>()) + ", NN agreement " +
                    fixed(m["nn_agreement"].get<double>(), 3) + ", ADC saturated " +
                    fixed(100 * m["adc_saturated_fraction"].get<double>(), 2) + " %");
  }
  finish(a.common, out, written, lines);
}

struct VariabilityArgs {
  HwArgs common;
  std::optional<std::size_t> trials;
  std::optional<double> sigma_mv;
  bool no_sweep = false;
};

void run_variability(const VariabilityArgs& a) {
  const hw::HwConfig config = hw::load_hw_config(a.common.config_file());
  hw::VariabilityExperimentOptions options;
  options.trials = a.trials;
  options.sigma_vth_mv = a.sigma_mv;
  options.seed = a.common.seed;
  options.sweep = !a.no_sweep;
  const io::ResultFiles out = hw::variability_experiment(config, options);
  const std::size_t written = write_tables(a.common, out);
  const auto& s = out.summary;
  const std::string sigma = fixed(s["sigma_vth_mv"].get<double>(), 0);

  const auto& sl = s["sum_line"];
  const auto& ro = s["readout"];
  finish(a.common, out, written,
         {"sigma_VTH " + sigma + " mV, " + std::to_string(s["trials"].get<std::size_t>()) + " arrays: sum line " +
              "nominal spacing " + fixed(sl["nominal_spacing_mv"].get<double>()) + " mV, min mean spacing " +
              fixed(sl["min_mean_spacing_mv"].get<double>()) + " mV, worst gap " +
              fixed(sl["worst_gap_mv"].get<double>()) + " mV (published: >= 28 mV)",
          "readout (V_SLP+V_SLN)/2: spacing " + fixed(ro["nominal_spacing_mv"].get<double>()) + " mV, worst gap " +
              fixed(ro["worst_gap_mv"].get<double>()) + " mV",
          "levels resolved " + std::to_string(sl["levels_resolved"].get<int>()) + " of " +
              std::to_string(s["levels"].get<int>()) + " -> ADC bits needed " +
              std::to_string(sl["adc_bits_needed"].get<int>()) +
              " (published: 5; a 5-bit ADC saturates only the all-mismatch level)"});
}

// The data set's name as Table I prints it: the folder's ("../shared/data/mnist/" -> "mnist").
std::string data_name(const std::filesystem::path& dir) {
  std::filesystem::path p = dir.lexically_normal();
  if (!p.has_filename()) p = p.parent_path();
  return p.filename().string();
}

struct EnergyArgs {
  HwArgs common;
  std::optional<double> comparisons;
  std::optional<double> key_splits;
  std::optional<double> links_read;
  std::optional<double> accuracy;
  std::optional<double> storage_mb;
  HwLookupSource lookup;  // with --table: the workload is measured by lookups through the arrays
  std::string coding = "thermometer";
};

void run_energy(const EnergyArgs& a) {
  const std::filesystem::path config_file = a.common.config_file();
  const hw::HwConfig config = hw::load_hw_config(config_file);
  hw::EnergyExperimentOptions options;
  options.config_source = config_file.string();
  options.comparisons_per_image = a.comparisons;
  options.arrays_per_key = a.key_splits;
  options.links_read_per_image = a.links_read;
  options.accuracy_pct = a.accuracy;
  options.storage_mb = a.storage_mb;
  nlohmann::json measured;
  if (!a.lookup.table.empty()) {
    const auto opened = open_lookups(a.lookup);
    const experiment::MeasuredWorkload m =
        experiment::measure_workload(opened->lookups(a.lookup), config, a.coding, a.common.seed);
    options.comparisons_per_image = a.comparisons.value_or(m.comparisons_per_image);
    options.arrays_per_key = a.key_splits.value_or(m.arrays_per_key);
    options.accuracy_pct = a.accuracy.value_or(m.accuracy_pct);
    options.storage_mb = a.storage_mb.value_or(m.storage_mb);
    options.key = m.key;
    options.data = data_name(a.lookup.data.dir);
    measured = m.summary;
  }
  io::ResultFiles out = hw::energy_experiment(config, options);
  if (!measured.is_null()) out.summary["measured"] = measured;
  const std::size_t written = write_tables(a.common, out);

  const auto& s = out.summary;
  const auto& m = s["match_pj"];
  std::vector<std::string> lines = {
      "match: " + fixed(m["total"].get<double>(), 3) + " pJ = ADC " + fixed(m["adc"].get<double>(), 3) +
          " + peripherals " + fixed(m["peripherals"].get<double>(), 3) + " + precharge " +
          fixed(m["precharge"].get<double>(), 3) + " + logic " + fixed(m["logic"].get<double>(), 3) +
          " (published ~4.7 pJ)",
      "inference: " + fixed(s["inference"]["comparisons_per_image"].get<double>(), 1) + " comparisons x " +
          fixed(s["inference"]["arrays_per_key"].get<double>(), 1) + " arrays -> " +
          fixed(s["inference"]["energy_nj"].get<double>(), 3) + " nJ" +
          (a.links_read ? " with " + fixed(*a.links_read, 1) + " link reads (" +
                              fixed(s["inference"]["link_energy_nj"].get<double>(), 3) + " nJ)"
                        : std::string()) +
          " (published 13.16 nJ)",
      ""};
  if (!measured.is_null())
    lines.insert(lines.begin() + 2,
                 "measured by " + std::to_string(measured["source"]["images"].get<std::size_t>()) + " " +
                     measured["source"]["split"].get<std::string>() + " lookups through the " +
                     measured["coding"].get<std::string>() + " arrays: " +
                     fixed(measured["centroid_comparisons_per_image"].get<double>(), 1) + " centroid + " +
                     fixed(measured["key_comparisons_per_image"].get<double>(), 1) + " key comparisons/image, " +
                     fixed(measured["array_reads_per_image"].get<double>(), 0) + " array reads/image, accuracy " +
                     fixed(measured["accuracy"].get<double>()) + " %, table " +
                     fixed(measured["storage_mb"].get<double>()) + " MB");
  for (const auto& [name, text] : out.texts)
    if (name == "table1.md") lines.push_back(text);
  finish(a.common, out, written, lines);
}

}  // namespace

void register_hw(CLI::App& app) {
  auto* hw = app.add_subcommand("hw", "in-memory search hardware model (10T-SRAM distance arrays)");
  hw->require_subcommand(1);

  auto array = std::make_shared<ArrayArgs>();
  auto* array_cmd = hw->add_subcommand("array", "nominal array behaviour and each coding's distance error");
  add_common(*array_cmd, array->common);
  array_cmd->add_option("--queries", array->queries, "random queries for the error statistics")
      ->check(whole_number(1, 1000000))
      ->capture_default_str();
  array_cmd->add_option("--pool", array->pool, "keys per query (one tree leaf)")
      ->check(whole_number(1, 65536))
      ->capture_default_str();
  array_cmd->callback([array] { run_array(*array); });

  auto var = std::make_shared<VariabilityArgs>();
  auto* var_cmd = hw->add_subcommand("variability", "Monte Carlo sum-line margins under V_TH mismatch (Fig. 6(b))");
  add_common(*var_cmd, var->common);
  var_cmd->add_option("--trials", var->trials, "fabricated arrays (default: from the config)")
      ->check(whole_number(1, 1000000));
  var_cmd->add_option("--sigma-mv", var->sigma_mv, "V_TH sigma in mV (default: from the config)")
      ->check(finite_number(0, 1000));
  var_cmd->add_flag("--no-sweep", var->no_sweep, "skip the sweep over the config's sigma values");
  var_cmd->callback([var] { run_variability(*var); });

  auto energy = std::make_shared<EnergyArgs>();
  auto* energy_cmd = hw->add_subcommand("energy", "energy per match (Fig. 6(c)), per inference, and Table I");
  add_common(*energy_cmd, energy->common);
  energy_cmd->add_option("--comparisons-per-image", energy->comparisons,
                         "key comparisons per image (default: 5 glimpses x 3.5 levels x 32 keys = 560)")
      ->check(finite_number(0, 1e12));
  energy_cmd->add_option("--key-splits", energy->key_splits, "arrays each key is spread over (default: 5, the paper's)")
      ->check(finite_number(1, 1e6));
  energy_cmd->add_option("--links-read-per-image", energy->links_read,
                         "a graph walk's link-list entries read per image, priced beside the matches (mbi eval --search "
                         "graph reports links_read_per_image; default 0, a tree's)")
      ->check(finite_number(0, 1e12));
  energy_cmd->add_option("--accuracy", energy->accuracy, "MBI accuracy in % for Table I (default: 93.04)")
      ->check(finite_number(0, 100));
  energy_cmd->add_option("--storage-mb", energy->storage_mb, "MBI table size in MB for Table I (default: 6.21)")
      ->check(finite_number(0, 1e9));
  energy->lookup.add_to(*energy_cmd, false);
  energy_cmd->add_option("--coding", energy->coding, "with --table: binary or thermometer arrays")
      ->check(CLI::IsMember({"binary", "thermometer"}))
      ->capture_default_str();
  energy_cmd->callback([energy] { run_energy(*energy); });
  register_hw_lookup(*hw);
}

}  // namespace mbi::cli
