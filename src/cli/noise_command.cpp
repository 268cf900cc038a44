// `mbi noise`: device noise of emerging memories (issue 17).
//   mbi noise pcm        what the PCM model (aihwkit's) does to conductances over time;
//   mbi noise crossbar   a ternary network on crossbars of PCM cells: accuracy against the
//                        time since programming, over many devices;
//   mbi noise analog     float networks on analog PCM crossbars: accuracy and energy per
//                        inference under weight scaling, decomposition, repeated reads, time.
#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <fstream>
#include <thread>

#include "commands.hpp"
#include "config_path.hpp"
#include "mbi/cim/float_network_file.hpp"
#include "mbi/cim/generated_float.hpp"
#include "mbi/core/error.hpp"
#include "mbi/experiment/analog_noise.hpp"
#include "mbi/experiment/crossbar_noise.hpp"
#include "mbi/io/energy_table_json.hpp"
#include "mbi/experiment/device_studies.hpp"
#include "mbi/io/device_json.hpp"
#include "mbi/mlg/network_file.hpp"
#include "mbi/ternary/network_file.hpp"
#include "mbi/train/teacher_on_pcm.hpp"
#include "mbi/train/threads.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

constexpr const char* kAnalogEnergy = "configs/energy/analog_pcm.json";

struct NoisePcmArgs {
  std::filesystem::path config;
  std::filesystem::path out = "results/noise/pcm";
  std::vector<double> levels = {0, 2.5, 5, 10, 15, 20, 25};
  std::vector<double> seconds = {1, 3600, 86400, 2592000, 31536000};
  std::size_t cells = 10000;
  std::uint64_t seed = 1;
  bool json = false;
};

void register_noise_pcm(CLI::App& noise) {
  auto a = std::make_shared<NoisePcmArgs>();
  auto* cmd = noise.add_subcommand("pcm", "PCM conductances over time: programming noise, drift, 1/f read noise");
  cmd->add_option("--config", a->config, std::string("PCM model parameters (default: ") + kPcmConfig + ")");
  add_out(*cmd, a->out, "folder for pcm_statistics.csv, the pcm_drift plot and summary.json");
  cmd->add_option("--levels", a->levels, "target conductances in uS (0..g_max)")
      ->check(finite_number(0, 1e6))
      ->capture_default_str();
  cmd->add_option("--seconds", a->seconds, "times since programming to read at (1 s to 1 year by default)")
      ->check(finite_number(0, 1e12))
      ->capture_default_str();
  cmd->add_option("--cells", a->cells, "cells programmed per level")->check(whole_number(1, 10000000))->capture_default_str();
  add_seed(*cmd, a->seed, "random seed of programming and reads");
  add_json(*cmd, a->json);
  cmd->callback([a] {
    const device::PcmModel model(io::load_pcm_parameters(given_or_shipped(a->config, kPcmConfig, "--config")));
    for (const double level : a->levels)
      if (level > model.parameters().g_max)
        throw CLI::ValidationError("--levels", fmt::format("{:g} uS is above g_max ({:g} uS)", level, model.parameters().g_max));
    const io::ResultFiles r = experiment::pcm_statistics(model, a->levels, a->seconds, a->cells, a->seed);
    r.write(a->out, "summary.json");
    if (!a->json)
      for (const std::string& line : r.notes) spdlog::info("{}", line);
    print_json(r.summary, a->json);
  });
}

struct NoiseCrossbarArgs {
  DataOptions data;
  std::string split = "test";
  std::filesystem::path net;
  std::filesystem::path config;
  std::filesystem::path out = "results/noise/crossbar";
  experiment::CrossbarNoiseOptions options;
  bool no_progress = false;
  bool json = false;
};

void register_noise_crossbar(CLI::App& noise) {
  auto a = std::make_shared<NoiseCrossbarArgs>();
  auto& o = a->options;
  auto* cmd = noise.add_subcommand("crossbar", "a ternary network on crossbars of PCM cells, against time since programming");
  a->data.add_to(*cmd);
  add_split(*cmd, a->split);
  cmd->add_option("--net", a->net, "ternary network file (.tnet, from mbi ap train)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--config", a->config, std::string("PCM model parameters (default: ") + kPcmConfig + ")");
  add_out(*cmd, a->out, "folder for crossbar_pcm.csv, its plot and summary.json");
  cmd->add_option("--seconds", o.seconds, "times since programming to evaluate at (1 s to 1 year by default)")
      ->check(finite_number(0, 1e12))
      ->capture_default_str()
      ->delimiter(',');
  cmd->add_option("--devices", o.seeds, "devices (programming seeds) per point")->check(whole_number(1, 100000))->capture_default_str();
  add_seed(*cmd, o.seed, "seed of the first device (device d uses seed + d)");
  cmd->add_option("--adc-bits", o.crossbar.adc_bits, "bits of the ADCs (counts above 2^bits - 1 clip)")
      ->check(whole_number(1, 32))
      ->capture_default_str();
  cmd->add_option("--rows", o.crossbar.rows, "word lines per array")->check(whole_number(1, 65536))->capture_default_str();
  cmd->add_option("--columns", o.crossbar.columns, "bit lines per array (even: two per output)")
      ->check(whole_number(2, 65536))
      ->capture_default_str();
  add_no_progress(*cmd, a->no_progress);
  add_json(*cmd, a->json);
  cmd->callback([a] {
    if (a->options.crossbar.columns % 2 != 0)
      throw CLI::ValidationError("--columns", "must be even (a differential pair per output), not " +
                                                  std::to_string(a->options.crossbar.columns));
    a->options.pcm = io::load_pcm_parameters(given_or_shipped(a->config, kPcmConfig, "--config"));
    a->options.progress = !a->no_progress;
    const ternary::Network network = ternary::load_network(a->net);
    const ImageSet images = a->data.load(a->split);
    spdlog::info("{} images of {} on PCM crossbars: {} times x {} devices, with and without drift compensation",
                 images.count(), a->split, a->options.seconds.size(), a->options.seeds);
    const io::ResultFiles r = experiment::crossbar_pcm_study(network, images, a->options);
    r.write(a->out, "summary.json");
    if (!a->json)
      for (const std::string& line : r.notes) spdlog::info("{}", line);
    print_json(r.summary, a->json);
  });
}

// The points and devices of a study of weights in PCM pairs: --devices-per-weight, --slices,
// --seconds, --uncompensated, --devices, --seed.
void add_pcm_points(CLI::App& cmd, std::vector<int>& devices, std::vector<int>& slices, std::vector<double>& seconds,
                    bool& uncompensated, int& seeds, std::uint64_t& seed) {
  cmd.add_option("--devices-per-weight", devices, "weight scaling: devices per weight polarity, each at the full conductance")
      ->check(whole_number(1, 1024))
      ->capture_default_str()
      ->delimiter(',');
  cmd.add_option("--slices", slices, "low-fluctuation decomposition: binary devices per polarity (0 = one analog device)")
      ->check(whole_number(0, 16))
      ->capture_default_str()
      ->delimiter(',');
  cmd.add_option("--seconds", seconds, "times since programming (one day by default)")
      ->check(finite_number(0, 1e12))
      ->capture_default_str()
      ->delimiter(',');
  cmd.add_flag("--uncompensated", uncompensated, "also evaluate without global drift compensation");
  cmd.add_option("--devices", seeds, "devices (programming seeds) per point")->check(whole_number(1, 100000))->capture_default_str();
  add_seed(cmd, seed, "seed of the first device (device d uses seed + d)");
}

// A float network file, or a generated one (told by its magic) as the float network its
// bases generate.
cim::FloatNetwork load_crossbar_network(const std::filesystem::path& path) {
  char magic[8] = {};
  std::ifstream(path, std::ios::binary).read(magic, sizeof magic);
  if (std::string(magic, sizeof magic) != "MBIGNET1") return cim::load_float_network(path);
  const mlg::GeneratedNetwork generated = mlg::load_generated_network(path);
  try {
    return cim::float_network_from_generated(generated);
  } catch (const Error& e) {
    throw Error(path.string() + ": " + e.what());
  }
}

struct NoiseAnalogArgs {
  DataOptions data;
  std::string split = "test";
  std::vector<std::filesystem::path> nets;
  std::vector<std::string> labels;
  std::filesystem::path config;
  std::vector<std::filesystem::path> energy;
  std::filesystem::path out = "results/noise/analog";
  experiment::AnalogNoiseOptions options;
  int threads = 1;
  bool no_progress = false;
  bool json = false;
};

void register_noise_analog(CLI::App& noise) {
  auto a = std::make_shared<NoiseAnalogArgs>();
  auto& o = a->options;
  auto* cmd = noise.add_subcommand(
      "analog", "float networks on analog PCM crossbars: accuracy and energy against weight scaling, decomposition, reads, time");
  a->data.add_to(*cmd);
  add_split(*cmd, a->split);
  cmd->add_option("--net", a->nets,
                  "float network files (.fnet, from mbi ap train --float) or generated ones (.gnet, from mbi mlg train: "
                  "the weights their bases generate), one or more")
      ->required()
      ->check(CLI::ExistingFile);
  cmd->add_option("--label", a->labels, "a name for each network (default: its file name)")
      ->delimiter(',');
  cmd->add_option("--config", a->config, std::string("PCM model parameters (default: ") + kPcmConfig + ")");
  cmd->add_option("--energy", a->energy,
                  std::string("energy tables, merged (default: ") + kCrossbarEnergy + " and " + kAnalogEnergy + ")");
  add_out(*cmd, a->out, "folder for analog_pcm.csv, its plots and summary.json");
  add_pcm_points(*cmd, o.devices, o.slices, o.seconds, o.uncompensated, o.seeds, o.seed);
  cmd->add_option("--reads", o.reads, "repeated reads averaged")->check(whole_number(1, 1024))->capture_default_str()
      ->delimiter(',');
  cmd->add_option("--rows", o.crossbar.rows, "word lines per tile")->check(whole_number(1, 65536))->capture_default_str();
  cmd->add_option("--dac-bits", o.crossbar.dac_bits, "input pulse resolution in bits")->check(whole_number(1, 16))->capture_default_str();
  cmd->add_option("--adc-bits", o.crossbar.adc_bits, "ADC resolution in bits")->check(whole_number(2, 24))->capture_default_str();
  cmd->add_option("--adc-range", o.crossbar.adc_range, "ADC full scale, +- in units of g_max x a full pulse")
      ->check(finite_number(1e-6, 1e9))
      ->capture_default_str();
  add_threads(*cmd, a->threads, "devices evaluated at once");
  add_no_progress(*cmd, a->no_progress);
  add_json(*cmd, a->json);
  cmd->callback([a] {
    if (!a->labels.empty() && a->labels.size() != a->nets.size())
      throw CLI::ValidationError("--label", "give one label per --net (" + std::to_string(a->nets.size()) + ")");
    auto& opt = a->options;
    const int widest = *std::max_element(opt.devices.begin(), opt.devices.end()) *
                       std::max(1, *std::max_element(opt.slices.begin(), opt.slices.end()));
    if (widest > opt.crossbar.rows)
      throw CLI::ValidationError("--rows", std::to_string(widest) + " devices per weight (--devices-per-weight x --slices) "
                                           "do not fit in " + std::to_string(opt.crossbar.rows) + " rows");
    opt.pcm = io::load_pcm_parameters(given_or_shipped(a->config, kPcmConfig, "--config"));
    if (a->energy.empty()) {
      opt.energy = io::load_energy_table(given_or_shipped({}, kCrossbarEnergy, "--energy"));
      opt.energy.merge(io::load_energy_table(given_or_shipped({}, kAnalogEnergy, "--energy")));
    } else {
      for (const auto& file : a->energy) opt.energy.merge(io::load_energy_table(file));
    }
    opt.threads = a->threads > 0 ? a->threads : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
    opt.progress = !a->no_progress;
    std::vector<experiment::AnalogNetwork> networks;
    for (std::size_t i = 0; i < a->nets.size(); ++i)
      networks.push_back({a->labels.empty() ? a->nets[i].stem().string() : a->labels[i], load_crossbar_network(a->nets[i])});
    const ImageSet images = a->data.load(a->split);
    spdlog::info("{} images of {} on analog PCM crossbars: {} network(s), {} devices a point", images.count(), a->split,
                 networks.size(), opt.seeds);
    const io::ResultFiles r = experiment::analog_pcm_study(networks, images, opt);
    r.write(a->out, "summary.json");
    if (!a->json)
      for (const std::string& line : r.notes) spdlog::info("{}", line);
    print_json(r.summary, a->json);
  });
}

struct NoiseTeacherArgs {
  DataOptions data;
  std::string split = "test";
  std::filesystem::path model;
  std::filesystem::path config;
  std::filesystem::path out = "results/noise/teacher";
  train::TeacherPcmOptions options;
  int threads = 1;
  bool no_progress = false;
  bool json = false;
};

void register_noise_teacher(CLI::App& noise) {
  auto a = std::make_shared<NoiseTeacherArgs>();
  auto& o = a->options;
  auto* cmd = noise.add_subcommand(
      "teacher", "the RAM teacher with its weights in PCM pairs: accuracy over devices against scaling, slices, time");
  a->data.add_to(*cmd);
  add_split(*cmd, a->split);
  cmd->add_option("--model", a->model, "teacher model file (.pt, from mbi train)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--config", a->config, std::string("PCM model parameters (default: ") + kPcmConfig + ")");
  add_out(*cmd, a->out, "folder for teacher_pcm.csv, its plot and summary.json");
  add_pcm_points(*cmd, o.devices, o.slices, o.seconds, o.uncompensated, o.seeds, o.seed);
  add_threads(*cmd, a->threads, "CPU threads of the teacher's forward pass (0 = all cores)");
  add_no_progress(*cmd, a->no_progress);
  add_json(*cmd, a->json);
  cmd->callback([a] {
    auto& opt = a->options;
    train::set_threads(a->threads);
    opt.pcm = io::load_pcm_parameters(given_or_shipped(a->config, kPcmConfig, "--config"));
    opt.progress = !a->no_progress;
    const ImageSet images = a->data.load(a->split);
    spdlog::info("{} images of {}: the teacher {} with its weights in PCM, {} devices a point", images.count(), a->split,
                 a->model.string(), opt.seeds);
    const io::ResultFiles r = train::teacher_pcm_study(a->model, images, opt);
    r.write(a->out, "summary.json");
    if (!a->json)
      for (const std::string& line : r.notes) spdlog::info("{}", line);
    print_json(r.summary, a->json);
  });
}

}  // namespace

void register_noise(CLI::App& app) {
  auto* noise = app.add_subcommand("noise", "device noise of emerging memories (PCM, telegraph noise, faults)");
  noise->require_subcommand(1);
  register_noise_pcm(*noise);
  register_noise_crossbar(*noise);
  register_noise_analog(*noise);
  register_noise_teacher(*noise);
}

}  // namespace mbi::cli
