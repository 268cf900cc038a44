// `mbi hw accuracy` and `mbi hw noise`: lookup inference with the nearest-key search of every
// glimpse step running through the hardware model (experiment/hw_studies.hpp).
#include "hw_lookup_command.hpp"

#include <iostream>

#include "commands.hpp"
#include "config_path.hpp"
#include "validators.hpp"
#include "mbi/core/error.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/io/device_json.hpp"

namespace mbi::cli {
namespace {


struct Common {
  std::filesystem::path config;
  std::filesystem::path out = "results/hw";
  bool json = false;
  std::uint64_t seed = 1;
  void add_to(CLI::App& cmd) {
    cmd.add_option("--config", config, "hardware parameter file (JSON; default: configs/hw/sram16nm.json)");
    add_out(cmd, out, "directory for CSV and plots");
    add_json(cmd, json, "print one JSON summary object on stdout");
    add_seed(cmd, seed, "random seed (fabrication, read noise)");
  }
};

void finish(const Common& c, const io::ResultFiles& results) {
  results.write(c.out);
  if (c.json) {
    std::cout << results.summary.dump() << std::endl;
    return;
  }
  for (const auto& l : results.notes) std::cout << l << "\n";
  std::cout << "wrote CSV (and plots, if gnuplot is present) to " << c.out.string() << std::endl;
}

struct AccuracyArgs {
  Common common;
  HwLookupSource source;
  experiment::HwAccuracyOptions options;
  std::optional<double> sigma_vth_mv;
  std::optional<std::uint32_t> adc_bits;
};

void run_accuracy(AccuracyArgs& a) {
  hw::HwConfig config = hw::load_hw_config(given_or_shipped(a.common.config, kHwConfig, "--config"));
  if (a.sigma_vth_mv) config.array.device.sigma_vth_mv = *a.sigma_vth_mv;
  if (a.adc_bits) config.array.adc_bits = *a.adc_bits;
  const auto opened = open_lookups(a.source);
  a.options.seed = a.common.seed;
  finish(a.common, experiment::hw_accuracy_study(opened->lookups(a.source), config, a.options));
}

struct NoiseArgs {
  Common common;
  HwLookupSource source;
  experiment::HwNoiseOptions options;
  bool no_emerging = false;
  std::filesystem::path pcm_config;
  bool no_drift_compensation = false;
};

void run_noise(NoiseArgs& a) {
  const hw::HwConfig config = hw::load_hw_config(given_or_shipped(a.common.config, kHwConfig, "--config"));
  if (!a.options.pcm_seconds.empty())
    a.options.pcm = io::load_pcm_parameters(given_or_shipped(a.pcm_config, kPcmConfig, "--pcm-config"));
  a.options.pcm_drift_compensation = !a.no_drift_compensation;
  const auto opened = open_lookups(a.source);
  a.options.seed = a.common.seed;
  a.options.emerging = !a.no_emerging;
  finish(a.common, experiment::hw_noise_study(opened->lookups(a.source), config, a.options));
}

}  // namespace

void HwLookupSource::add_to(CLI::App& cmd, bool table_required) {
  auto* t = cmd.add_option("--table", table, "lookup table file");
  if (table_required) t->required();
  data.add_to(cmd);
  add_split(cmd, split);
  cmd.add_option("--search", search, "tree (leaves as array tiles) or exhaustive (every row; needs --limit)")
      ->check(CLI::IsMember({"tree", "exhaustive"}))
      ->capture_default_str();
  cmd.add_option("--probes", probes, "tree leaves scanned per step")->check(whole_number(1, 1 << 20))->capture_default_str();
  cmd.add_option("--descent", descent, "tree descent: circuit (centroids compared in the arrays too) or digital (exact)")
      ->check(CLI::IsMember({"circuit", "digital"}))
      ->capture_default_str();
  cmd.add_option("--vote", vote,
                 "k nearest candidates vote on each step's value (hidden state and location by median, prediction "
                 "by plurality); 1 = the nearest alone")
      ->check(whole_number(1, 1024))
      ->capture_default_str();
  add_threads(cmd, threads, "lookup threads (0 = all cores)");
  cmd.add_flag("--progress", progress, "show a progress bar");
}

experiment::HwLookups OpenedLookups::lookups(const HwLookupSource& s) const {
  experiment::HwLookups l{table, info.config, images};
  l.split = s.split;
  l.exhaustive = s.search == "exhaustive";
  l.probes = s.probes;
  l.descent = s.descent == "digital" ? hw::Descent::digital : hw::Descent::circuit;
  l.vote = s.vote;
  l.threads = s.threads;
  l.progress = s.progress;
  return l;
}

std::unique_ptr<OpenedLookups> open_lookups(const HwLookupSource& s) {
  if (s.table.empty()) throw Error("--table is required");
  if (s.search == "exhaustive" && (s.data.limit == 0 || s.data.limit > 2000))
    throw Error("--search exhaustive: give --limit N with N <= 2000 (every row goes through the circuit model)");
  auto opened = std::unique_ptr<OpenedLookups>(new OpenedLookups{Table::open(s.table), {}, {}});
  opened->info = io::read_table_info(opened->table);
  opened->images = s.data.load(s.split);
  io::check_image_size(opened->info, opened->table, opened->images, s.data.dir);
  return opened;
}

void register_hw_lookup(CLI::App& hw) {
  auto acc = std::make_shared<AccuracyArgs>();
  auto* acc_cmd = hw.add_subcommand("accuracy", "lookup inference through the array model: binary vs thermometer coding");
  acc->common.add_to(*acc_cmd);
  acc->source.add_to(*acc_cmd, true);
  acc_cmd->add_option("--coding", acc->options.coding, "binary, thermometer or both")
      ->check(CLI::IsMember({"binary", "thermometer", "both"}))
      ->capture_default_str();
  acc_cmd->add_option("--sigma-vth", acc->sigma_vth_mv, "V_TH mismatch sigma in mV (default: from the config)")
      ->check(finite_number(0, 1000));
  acc_cmd->add_option("--adc-bits", acc->adc_bits, "ADC bits, 0 = unquantised readout (default: from the config)")
      ->check(whole_number(0, 16));
  acc_cmd->callback([acc] { run_accuracy(*acc); });

  auto noise = std::make_shared<NoiseArgs>();
  auto* noise_cmd = hw.add_subcommand("noise", "lookup accuracy under distance noise and unreliable key storage, "
                                               "with read mitigations");
  experiment::HwNoiseOptions& o = noise->options;
  noise->common.add_to(*noise_cmd);
  noise->source.add_to(*noise_cmd, true);
  noise_cmd->add_option("--sigmas", o.sigmas, "distance-noise sigmas (Manhattan units per component)")
      ->delimiter(',')
      ->check(finite_number(0, 1e6))
      ->capture_default_str();
  noise_cmd->add_option("--mitigation", o.mitigations, "mitigations to compare: reads:K, median:K, topk:K:R")
      ->delimiter(',')
      ->capture_default_str();
  noise_cmd->add_option("--flip-probs", o.flip_probabilities, "stored-cell bit-flip probabilities per read")
      ->delimiter(',')
      ->check(finite_number(0, 0.999999))
      ->capture_default_str();
  noise_cmd->add_option("--conductance-sigmas", o.conductance_sigmas,
                        "relative conductance fluctuations of stored cells per read")
      ->delimiter(',')
      ->check(finite_number(0, 1000))
      ->capture_default_str();
  noise_cmd->add_option("--coding", o.coding, "binary or thermometer")
      ->check(CLI::IsMember({"binary", "thermometer"}))
      ->capture_default_str();
  noise_cmd->add_option("--devices", o.devices,
                        "ideal (matched devices, lossless readout: exact distance plus the noise) or circuit "
                        "(the config's mismatch and ADC)")
      ->check(CLI::IsMember({"ideal", "circuit"}))
      ->capture_default_str();
  noise_cmd->add_flag("--no-emerging", noise->no_emerging, "skip the bit-flip and conductance sweeps");
  noise_cmd->add_option("--pcm-seconds", o.pcm_seconds,
                        "keys stored in PCM 2T2R cells, read these times after programming (s; none by default)")
      ->delimiter(',')
      ->check(finite_number(0, 1e10));
  noise_cmd->add_option("--pcm-config", noise->pcm_config, "PCM model parameters (default: configs/device/pcm_aihwkit.json)");
  noise_cmd->add_flag("--no-drift-compensation", noise->no_drift_compensation,
                      "PCM keys: read without the global drift compensation");
  noise_cmd->callback([noise] { run_noise(*noise); });
}

}  // namespace mbi::cli
