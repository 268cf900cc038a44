// `mbi ap`: CAM-only inference of ternary networks (issue 15).
//   mbi ap train    trains a ternary network (or the same network in float) and writes its
//                   integer form (.tnet) with a record beside it;
//   mbi ap compile  what each compiler pass does to the network's AP program;
//   mbi ap run      the AP classifies a split beside the integer reference and the crossbar
//                   compute-in-memory baseline: mismatches, accuracy, energy and latency
//                   per inference of each;
//   mbi ap crossbar the crossbar baseline alone over a split, against its ADC width;
//   mbi ap report   training records side by side, accuracy against activation bits.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <optional>

#include "commands.hpp"
#include "config_path.hpp"
#include "mbi/experiment/ap_studies.hpp"
#include "mbi/experiment/crossbar_study.hpp"
#include "mbi/io/energy_table_json.hpp"
#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/cim/crossbar.hpp"
#include "mbi/cim/float_network_file.hpp"
#include "mbi/device/pcm_weight_noise.hpp"
#include "mbi/io/device_json.hpp"
#include "mbi/ternary/network_file.hpp"
#include "mbi/ternary/reference.hpp"
#include "mbi/train/threads.hpp"
#include "mbi/train/ternary_training.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {


struct ApTrainArgs {
  DataOptions data;
  std::string train_noise = "none";
  double train_noise_seconds = 86400;
  int train_slices = 0;
  double train_noise_scale = 1;  // pcm: the device's spread amplified in training
  std::filesystem::path pcm_config;
  train::TernaryArchitecture architecture;
  train::TernaryTrainOptions options;
  std::filesystem::path out = "models/ternary-cnn.tnet";
  int threads = 0;
  bool json = false;
  bool no_progress = false;
};

nlohmann::json architecture_json(const train::TernaryArchitecture& a) {
  return {{"kind", a.kind},
          {"conv_channels", a.kind == "cnn" ? a.conv_channels : std::vector<int>{}},
          {"hidden", a.hidden},
          {"activation_bits", a.float_baseline ? 32 : a.activation_bits},
          {"weights", a.float_baseline ? "float" : "ternary"}};
}

void run_train(ApTrainArgs& a) {
  check_output_file("--out", a.out);
  train::set_threads(a.threads);
  a.options.progress = !a.no_progress;
  if (a.train_noise != "none" && !a.architecture.float_baseline)
    throw CLI::ValidationError("--train-noise", "weight noise in training is for float networks (--float)");
  if (a.options.energy_regularization > 0 && !a.architecture.float_baseline)
    throw CLI::ValidationError("--energy-reg", "the energy regularization is for float networks (--float)");
  if (a.train_noise == "gaussian") a.options.weight_noise.kind = train::WeightNoise::Kind::gaussian;
  if (a.train_noise_scale != 1 && a.train_noise != "pcm")
    throw CLI::ValidationError("--train-noise-scale", "amplifies the device's read-back spread: it needs --train-noise pcm");
  if (a.train_slices > 0 && a.train_noise != "pcm")
    throw CLI::ValidationError("--train-slices", "the decomposition's read-back statistics need --train-noise pcm");
  if (a.train_noise == "pcm") {
    // The device's own read-back statistics by weight magnitude (device-enhanced training), for
    // the mapping the network will be read through: one analog pair, or binary slices (a
    // staircase of 2^S - 1 levels, sampled finely enough that the steps stay steps).
    const device::PcmModel model(io::load_pcm_parameters(given_or_shipped(a.pcm_config, kPcmConfig, "--pcm-config")));
    const int points = a.train_slices > 0 ? 8 * ((1 << a.train_slices) - 1) + 1 : 51;
    const device::WeightNoiseTable t =
        device::pcm_weight_noise(model, a.train_noise_seconds, true, points, 20000, a.options.seed, a.train_slices);
    a.options.weight_noise.kind = train::WeightNoise::Kind::device;
    a.options.weight_noise.mean = t.mean;
    a.options.weight_noise.stddev = t.stddev;
    // Training with more noise than inference will see (aihwkit users amplify it too): the
    // device's spread a day on is 0.06-0.09 of max, less than the classic 0.1 x max.
    for (double& s : a.options.weight_noise.stddev) s *= a.train_noise_scale;
    const std::size_t half = t.mean.size() / 2;
    spdlog::info("PCM weight noise {:g} s after programming ({}): at |w| = max {:.3f} +- {:.3f}, at |w| = max/2 {:.3f} +- "
                 "{:.3f}, at 0 {:.3f} +- {:.3f} (compensation {:.3f})",
                 a.train_noise_seconds, a.train_slices > 0 ? std::to_string(a.train_slices) + " slices" : "one pair",
                 t.mean.back(), t.stddev.back(), t.mean[half], t.stddev[half], t.mean[0], t.stddev[0], t.compensation);
    if (a.train_noise_scale != 1) spdlog::info("trained with that spread amplified {:g} times", a.train_noise_scale);
  }
  const ImageSet train_set = a.data.load("train");
  const ImageSet val_set = a.data.load("val");
  const ImageSet test_set = a.data.load("test");
  spdlog::info("training a {} {} on {} images, validating on {} ({}x{}, {} classes)",
               a.architecture.float_baseline ? "float" : "ternary", a.architecture.kind, train_set.count(),
               val_set.count(), train_set.rows, train_set.cols, train_set.classes);
  train::TernaryTrainResult r = train::train_ternary(a.architecture, a.options, train_set, val_set);
  const double test_accuracy = train::ternary_accuracy(r.model, test_set);
  nlohmann::json record = {{"command", invocation()},
                           {"data", a.data.dir.string()},
                           {"architecture", architecture_json(a.architecture)},
                           {"seed", a.options.seed},
                           {"epochs", a.options.epochs},
                           {"batch", a.options.batch},
                           {"lr", a.options.lr},
                           {"weight_decay", a.options.weight_decay},
                           {"augment_shift", a.options.augment_shift},
                           {"from_float_epochs", a.options.from_float_epochs},
                           {"train_noise", a.train_noise},
                           {"energy_regularization", a.options.energy_regularization},
                           {"best_epoch", r.best_epoch},
                           {"val_accuracy", r.best_val_accuracy},
                           {"test_accuracy", test_accuracy},
                           {"train_images", train_set.count()},
                           {"val_images", val_set.count()},
                           {"test_images", test_set.count()},
                           {"split_seed", a.data.split_seed},
                           {"threads", train::threads()}};
  nlohmann::json log = nlohmann::json::array();
  double seconds = 0;
  for (const auto& e : r.log) {
    log.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"train_accuracy", e.train_accuracy},
                   {"val_accuracy", e.val_accuracy}, {"seconds", e.seconds}});
    if (a.architecture.float_baseline) log.back()["mapped_conductance"] = e.mapped_conductance;
    seconds += e.seconds;
  }
  if (a.train_noise == "gaussian") record["train_noise_sigma"] = a.options.weight_noise.sigma;
  if (a.train_noise == "pcm") {
    record["train_noise_seconds"] = a.train_noise_seconds;
    record["train_slices"] = a.train_slices;
    record["train_noise_scale"] = a.train_noise_scale;
  }
  if (r.float_model) {
    // The float network the ternary one started from and learned from: the same network in
    // float, trained in the same run.
    nlohmann::json float_log = nlohmann::json::array();
    for (const auto& e : r.float_log) {
      float_log.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"train_accuracy", e.train_accuracy},
                           {"val_accuracy", e.val_accuracy}, {"seconds", e.seconds}});
      seconds += e.seconds;
    }
    record["distill_alpha"] = a.options.distill_alpha;
    record["distill_temperature"] = a.options.distill_temperature;
    record["float_start"] = {{"val_accuracy", r.float_val_accuracy},
                             {"test_accuracy", train::ternary_accuracy(r.float_model, test_set)},
                             {"log", float_log}};
  }
  record["training_seconds"] = seconds;
  record["log"] = log;
  if (!a.architecture.float_baseline) {
    // The integer network, and how well it agrees with the LibTorch model it came from.
    const ternary::Network network = r.model->export_network(a.architecture.kind);
    ternary::ReferenceClassifier reference(network);
    std::vector<int> predictions(test_set.count());
    eval::Ledger ledger;
    reference.classify(test_set, predictions, ledger);
    std::size_t correct = 0;
    for (std::size_t i = 0; i < test_set.count(); ++i) correct += predictions[i] == test_set.labels[i] ? 1 : 0;
    record["integer_test_accuracy"] = 100.0 * static_cast<double>(correct) / static_cast<double>(test_set.count());
    record["nonzero_weights"] = network.nonzero_weights();
    record["weight_bytes"] = network.weight_bytes();
    ternary::save_network(a.out, network);
  } else {
    // The float network as plain numbers (batch norms folded), for the analog crossbar, and
    // how well it agrees with the LibTorch model it came from.
    const cim::FloatNetwork network = r.model->export_float_network(a.architecture.kind);
    record["exported_test_accuracy"] = cim::float_accuracy(network, test_set);
    record["mean_mapped_conductance"] = cim::mean_mapped_conductance(network);  // per weight, in units of g_max
    record["weights"] = network.weight_count();
    cim::save_float_network(a.out, network);
  }
  write_file_atomic(a.out.string() + ".json", record.dump(2) + "\n");
  if (a.json) {
    std::cout << record.dump() << std::endl;
  } else if (a.architecture.float_baseline) {
    spdlog::info("wrote {}: validation {:.2f}%, test {:.2f}% (LibTorch), {:.2f}% (exported float network)", a.out.string(),
                 r.best_val_accuracy, test_accuracy, record["exported_test_accuracy"].get<double>());
  } else {
    spdlog::info("wrote {}: validation {:.2f}%, test {:.2f}% (LibTorch), {:.2f}% (integer network)", a.out.string(),
                 r.best_val_accuracy, test_accuracy, record["integer_test_accuracy"].get<double>());
  }
}

void register_ap_train(CLI::App& ap) {
  auto args = std::make_shared<ApTrainArgs>();
  auto* cmd = ap.add_subcommand("train", "train a ternary network (or the same network in float) and write its integer form");
  args->data.add_to(*cmd);
  auto& arch = args->architecture;
  auto& o = args->options;
  add_out(*cmd, args->out,
          "network file to write (.tnet; with --float a float network, .fnet), its record beside it (<out>.json)");
  cmd->add_option("--arch", arch.kind, "cnn (5x5 convolutions, each followed by a 2x2 max pool) or mlp")
      ->check(CLI::IsMember({"cnn", "mlp"}))
      ->capture_default_str();
  cmd->add_option("--conv-channels", arch.conv_channels, "output channels of each convolution (cnn)")
      ->check(whole_number(1, 4096))
      ->capture_default_str();
  cmd->add_option("--hidden", arch.hidden, "widths of the dense hidden layers")
      ->check(whole_number(1, 65536))
      ->capture_default_str();
  cmd->add_option("--activation-bits", arch.activation_bits, "bits of every activation (levels = 2^bits)")
      ->check(whole_number(1, 8))
      ->capture_default_str();
  auto* float_flag = cmd->add_flag("--float", arch.float_baseline, "train the same network with float weights and ReLUs (the baseline)");
  cmd->add_option("--epochs", o.epochs, "epochs (cosine learning-rate decay over them)")
      ->check(whole_number(1, 100000))
      ->capture_default_str();
  cmd->add_option("--batch", o.batch, "batch size")->check(whole_number(1, 65536))->capture_default_str();
  cmd->add_option("--lr", o.lr, "Adam learning rate")->check(finite_number(1e-7, 1.0))->capture_default_str();
  cmd->add_option("--weight-decay", o.weight_decay, "Adam weight decay of the weights")
      ->check(finite_number(0, 1.0))
      ->capture_default_str();
  cmd->add_option("--augment-shift", o.augment_shift, "shift training images by up to N pixels (0 = off)")
      ->check(whole_number(0, 8))
      ->capture_default_str();
  cmd->add_option("--from-float", o.from_float_epochs,
                  "train the same network in float for N epochs first, start from its weights and distill from it (0 = off)")
      ->check(whole_number(0, 100000))
      ->capture_default_str()
      ->excludes(float_flag);
  cmd->add_option("--distill-alpha", o.distill_alpha, "weight of the distillation loss with --from-float (the rest: cross-entropy)")
      ->check(finite_number(0, 1))
      ->capture_default_str();
  cmd->add_option("--distill-temperature", o.distill_temperature, "softmax temperature of the distillation with --from-float")
      ->check(finite_number(0.01, 100))
      ->capture_default_str();
  cmd->add_option("--train-noise", args->train_noise,
                  "float networks: weight noise in training, none, gaussian (--train-noise-sigma) or pcm (the PCM model's own "
                  "read-back statistics --train-noise-seconds after programming)")
      ->check(CLI::IsMember({"none", "gaussian", "pcm"}))
      ->capture_default_str();
  cmd->add_option("--train-noise-sigma", o.weight_noise.sigma,
                  "gaussian weight noise: standard deviation relative to the largest |weight| of each output")
      ->check(finite_number(0, 10))
      ->capture_default_str();
  cmd->add_option("--train-noise-seconds", args->train_noise_seconds, "pcm weight noise: seconds since programming")
      ->check(finite_number(0, 1e12))
      ->capture_default_str();
  cmd->add_option("--train-slices", args->train_slices,
                  "pcm weight noise: of the low-fluctuation decomposition into S binary slices (0 = one analog pair)")
      ->check(whole_number(0, 8))
      ->capture_default_str();
  cmd->add_option("--train-noise-scale", args->train_noise_scale,
                  "pcm weight noise: the device's read-back spread multiplied by this in training (amplified noise)")
      ->check(finite_number(0, 100))
      ->capture_default_str();
  cmd->add_option("--pcm-config", args->pcm_config, std::string("PCM model parameters (default: ") + kPcmConfig + ")");
  cmd->add_option("--energy-reg", o.energy_regularization,
                  "float networks: weight of the energy regularization (mean mapped conductance per multiply-accumulate)")
      ->check(finite_number(0, 1e6))
      ->capture_default_str();
  add_seed(*cmd, o.seed, "random seed");
  add_threads(*cmd, args->threads, "CPU threads (0 = all cores)");
  add_no_progress(*cmd, args->no_progress);
  add_json(*cmd, args->json, "print the training record as JSON");
  cmd->callback([args] { run_train(*args); });
}

constexpr const char* kApEnergy = "configs/energy/ap_rtm.json";

// The racetrack geometry flags (--domains, --ports), RTSim's by default.
void add_racetrack(CLI::App& cmd, ap::RacetrackGeometry& g) {
  cmd.add_option("--domains", g.domains_per_track, "domains per racetrack track (0: a plain CAM, no shifts)")
      ->check(whole_number(0, 4096))
      ->capture_default_str();
  cmd.add_option("--ports", g.ports_per_track, "access ports per track (evenly spaced; must divide --domains)")
      ->check(whole_number(1, 4096))
      ->capture_default_str();
}

void check_racetrack(const ap::RacetrackGeometry& g) {
  if (g.domains_per_track != 0 && (g.ports_per_track > g.domains_per_track || g.domains_per_track % g.ports_per_track != 0))
    throw CLI::ValidationError("--ports", std::to_string(g.ports_per_track) + " ports cannot be spaced evenly on tracks of " +
                                              std::to_string(g.domains_per_track) + " domains");
}

struct ApCompileArgs {
  std::filesystem::path net;
  std::filesystem::path out = "results/ap-compile";
  ap::RacetrackGeometry racetrack{.domains_per_track = 64, .ports_per_track = 2};
  bool json = false;
};

void register_ap_compile(CLI::App& ap) {
  auto a = std::make_shared<ApCompileArgs>();
  auto* cmd = ap.add_subcommand("compile", "what each compiler pass (folding, CSE, RTM layout) does to the AP program");
  cmd->add_option("--net", a->net, "ternary network file (.tnet, from mbi ap train)")->required()->check(CLI::ExistingFile);
  add_out(*cmd, a->out, "folder for ap_passes.csv, its plot and summary.json");
  add_racetrack(*cmd, a->racetrack);
  add_json(*cmd, a->json);
  cmd->callback([a] {
    check_racetrack(a->racetrack);
    const ternary::Network network = ternary::load_network(a->net);
    const io::ResultFiles r = experiment::ap_compiler_study(network, a->racetrack);
    r.write(a->out, "summary.json");
    if (!a->json)
      for (const std::string& line : r.notes) spdlog::info("{}", line);
    print_json(r.summary, a->json);
  });
}

struct ApRunArgs {
  DataOptions data;
  std::string split = "test";
  std::filesystem::path net;
  std::filesystem::path energy;
  std::filesystem::path out = "results/ap-run";
  ap::CompileOptions compile;
  ap::RunOptions run;
  bool no_fold = false, no_cse = false, no_rtm_layout = false;
  std::filesystem::path crossbar_energy;
  cim::CrossbarConfig crossbar;
  bool no_crossbar = false;
  bool json = false;
};

void register_ap_run(CLI::App& ap) {
  auto a = std::make_shared<ApRunArgs>();
  auto* cmd = ap.add_subcommand("run", "classify a split on the simulated AP beside the integer reference");
  a->data.add_to(*cmd);
  add_split(*cmd, a->split);
  cmd->add_option("--net", a->net, "ternary network file (.tnet, from mbi ap train)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--energy", a->energy, std::string("per-event energies and latencies of the AP (default: ") + kApEnergy + ")");
  add_out(*cmd, a->out, "folder for summary.json, reports.csv, ap_energy.csv and its plot");
  cmd->add_option("--batch", a->run.batch, "images per CAM array (rows = images x positions)")
      ->check(whole_number(1, 1000000))
      ->capture_default_str();
  add_racetrack(*cmd, a->run.racetrack);
  cmd->add_flag("--no-fold", a->no_fold, "store the weights and apply them by condition instead of folding them");
  cmd->add_flag("--no-cse", a->no_cse, "no shared partial sums");
  cmd->add_flag("--no-rtm-layout", a->no_rtm_layout, "fields contiguous on the tracks instead of bit-sliced");
  cmd->add_option("--crossbar-energy", a->crossbar_energy,
                  std::string("per-event energies and latencies of the crossbar baseline (default: ") + kCrossbarEnergy + ")");
  cmd->add_option("--crossbar-rows", a->crossbar.rows, "word lines per crossbar array")
      ->check(whole_number(1, 65536))
      ->capture_default_str();
  cmd->add_option("--crossbar-columns", a->crossbar.columns, "bit lines per crossbar array (even: two per output)")
      ->check(whole_number(2, 65536))
      ->capture_default_str();
  cmd->add_option("--adc-bits", a->crossbar.adc_bits, "bits of the crossbar's ADCs (counts above 2^bits - 1 clip)")
      ->check(whole_number(1, 32))
      ->capture_default_str();
  cmd->add_option("--dac-bits", a->crossbar.dac_bits, "input bits the crossbar's DACs apply per read")
      ->check(whole_number(1, 8))
      ->capture_default_str();
  cmd->add_flag("--no-crossbar", a->no_crossbar, "leave out the crossbar compute-in-memory baseline");
  add_json(*cmd, a->json);
  cmd->callback([a] {
    check_racetrack(a->run.racetrack);
    if (a->crossbar.columns % 2 != 0)
      throw CLI::ValidationError("--crossbar-columns", "must be even (a differential pair per output), not " +
                                                            std::to_string(a->crossbar.columns));
    a->compile.fold_constants = !a->no_fold;
    a->compile.cse = !a->no_cse;
    a->compile.rtm_layout = !a->no_rtm_layout;
    a->compile.domains_per_track = a->run.racetrack.domains_per_track == 0 ? 64 : a->run.racetrack.domains_per_track;
    const ternary::Network network = ternary::load_network(a->net);
    const eval::EnergyTable energy = io::load_energy_table(given_or_shipped(a->energy, kApEnergy, "--energy"));
    const ImageSet images = a->data.load(a->split);
    spdlog::info("{} images of {} through the AP ({} a batch)", images.count(), a->split, a->run.batch);
    eval::Provenance provenance = cli::provenance();
    provenance.inputs = {{"network", a->net.string()}, {"data", a->data.dir.string()}};
    std::optional<experiment::CrossbarBaseline> baseline;
    if (!a->no_crossbar)
      baseline = experiment::CrossbarBaseline{
          a->crossbar, io::load_energy_table(given_or_shipped(a->crossbar_energy, kCrossbarEnergy, "--crossbar-energy"))};
    const experiment::ApEvaluation e = experiment::ap_evaluate(network, images, a->compile, a->run, energy,
                                                               {a->data.dir.string(), a->split}, provenance,
                                                               baseline ? &*baseline : nullptr);
    const io::ResultFiles r = experiment::ap_evaluation_files(e);
    r.write(a->out, "summary.json");
    if (!a->json) {
      for (const std::string& line : r.notes) spdlog::info("{}", line);
      spdlog::info("mismatches against the integer reference: {} logits, {} predictions (of {} images)", e.logit_mismatches,
                   e.prediction_mismatches, images.count());
    } else {
      print_json(r.summary, true);
    }
    if (e.logit_mismatches != 0 || e.prediction_mismatches != 0)
      throw Error("the AP disagreed with the integer reference on " + std::to_string(e.logit_mismatches) + " images");
    // A crossbar whose ADC clips may differ from the reference: that is what it measures.
    // With an ADC wide enough for a whole array, a difference is a defect.
    if (e.crossbar && e.crossbar_logit_mismatches != 0 && e.crossbar->metric("clipped_conversions_percent").value_or(0) == 0)
      throw Error("the crossbar disagreed with the integer reference on " + std::to_string(e.crossbar_logit_mismatches) +
                  " images without clipping a conversion");
  });
}

struct ApCrossbarArgs {
  DataOptions data;
  std::string split = "test";
  std::filesystem::path net;
  std::filesystem::path energy;
  std::filesystem::path out = "results/ap-crossbar";
  cim::CrossbarConfig crossbar;
  std::vector<int> adc_bits = {4, 5, 6, 7, 8};
  bool json = false;
};

void register_ap_crossbar(CLI::App& ap) {
  auto a = std::make_shared<ApCrossbarArgs>();
  auto* cmd = ap.add_subcommand("crossbar", "the crossbar compute-in-memory baseline over a split, against its ADC width");
  a->data.add_to(*cmd);
  add_split(*cmd, a->split);
  cmd->add_option("--net", a->net, "ternary network file (.tnet, from mbi ap train)")->required()->check(CLI::ExistingFile);
  cmd->add_option("--energy", a->energy,
                  std::string("per-event energies and latencies of the crossbar (default: ") + kCrossbarEnergy + ")");
  add_out(*cmd, a->out, "folder for crossbar_adc.csv, its plot and summary.json");
  cmd->add_option("--adc-bits", a->adc_bits, "ADC widths to run (counts above 2^bits - 1 clip)")
      ->check(whole_number(1, 32))
      ->capture_default_str();
  cmd->add_option("--dac-bits", a->crossbar.dac_bits, "input bits the DACs apply per read")
      ->check(whole_number(1, 8))
      ->capture_default_str();
  cmd->add_option("--rows", a->crossbar.rows, "word lines per array")->check(whole_number(1, 65536))->capture_default_str();
  cmd->add_option("--columns", a->crossbar.columns, "bit lines per array (even: two per output)")
      ->check(whole_number(2, 65536))
      ->capture_default_str();
  add_json(*cmd, a->json);
  cmd->callback([a] {
    if (a->crossbar.columns % 2 != 0)
      throw CLI::ValidationError("--columns", "must be even (a differential pair per output), not " +
                                                  std::to_string(a->crossbar.columns));
    const eval::EnergyTable energy = io::load_energy_table(given_or_shipped(a->energy, kCrossbarEnergy, "--energy"));
    const ternary::Network network = ternary::load_network(a->net);
    const ImageSet images = a->data.load(a->split);
    spdlog::info("{} images of {} through the crossbar baseline, ADCs of {} widths", images.count(), a->split,
                 a->adc_bits.size());
    eval::Provenance provenance = cli::provenance();
    provenance.inputs = {{"network", a->net.string()}, {"data", a->data.dir.string()}};
    const io::ResultFiles r = experiment::crossbar_adc_study(network, images, a->crossbar, a->adc_bits, energy,
                                                             {a->data.dir.string(), a->split}, provenance);
    r.write(a->out, "summary.json");
    if (!a->json)
      for (const std::string& line : r.notes) spdlog::info("{}", line);
    print_json(r.summary, a->json);
  });
}

struct ApReportArgs {
  std::vector<std::filesystem::path> records;
  std::filesystem::path out = "results/ap-report";
  bool json = false;
};

void register_ap_report(CLI::App& ap) {
  auto a = std::make_shared<ApReportArgs>();
  auto* cmd = ap.add_subcommand("report", "the records of mbi ap train side by side: accuracy against activation bits");
  cmd->add_option("--records", a->records, "records written by mbi ap train (<net>.tnet.json, <float>.json)")
      ->required()
      ->check(CLI::ExistingFile);
  add_out(*cmd, a->out, "folder for ap_records.csv, the per-series tables, the plot and summary.json");
  add_json(*cmd, a->json);
  cmd->callback([a] {
    const std::vector<nlohmann::json> records = read_json_records(a->records);
    std::vector<std::string> names;
    for (const auto& path : a->records) names.push_back(path.string());
    const io::ResultFiles r = experiment::ap_records_report(records, names);
    r.write(a->out, "summary.json");
    if (!a->json) spdlog::info("{} records side by side in {}", records.size(), a->out.string());
    print_json(r.summary, a->json);
  });
}

}  // namespace

void register_ap(CLI::App& app) {
  auto* ap = app.add_subcommand("ap", "CAM-only inference: ternary networks on a simulated associative processor");
  ap->require_subcommand(1);
  register_ap_train(*ap);
  register_ap_compile(*ap);
  register_ap_run(*ap);
  register_ap_crossbar(*ap);
  register_ap_report(*ap);
}

}  // namespace mbi::cli
