// `mbi mlg`: memory-efficient networks by multi-level in-situ weight generation (issue 16).
//   mbi mlg train   trains a network stored as generated layers (or a peer: float, k-bit,
//                   low rank), optionally fitted to a memory ratio and distilled from a float
//                   teacher, and writes it (.gnet) with a record beside it (<out>.json);
//   mbi mlg eval    runs a .gnet by in-situ generation over a split: accuracy, bytes read,
//                   generation MACs and energy per inference beside the float network;
//   mbi mlg report  the records side by side: the ablation table and accuracy against memory;
//   mbi mlg ram     the RAM teacher with its inference weights stored as generated weights.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "config_path.hpp"
#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/eval/report.hpp"
#include "mbi/experiment/mlg_study.hpp"
#include "mbi/io/energy_table_json.hpp"
#include "mbi/io/report_json.hpp"
#include "mbi/mlg/architecture.hpp"
#include "mbi/mlg/classifier.hpp"
#include "mbi/mlg/in_situ.hpp"
#include "mbi/mlg/network_file.hpp"
#include "mbi/train/generated_training.hpp"
#include "mbi/train/image_tensors.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/ram_generation.hpp"
#include "mbi/train/teacher_classifier.hpp"
#include "mbi/train/threads.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

// The energy table of generated networks: the shipped (or given) memory and generation costs
// merged with the digital MAC's.
eval::EnergyTable mlg_energy_table(const std::filesystem::path& given) {
  eval::EnergyTable table = io::load_energy_table(given_or_shipped(given, kMlgEnergy, "--energy-config"));
  table.merge(io::load_energy_table(given_or_shipped({}, kDigitalEnergy, "--energy-config")));
  return table;
}

nlohmann::json policy_json(const mlg::StoragePolicy& p) {
  return {{"method", p.method},   {"describe", p.describe()},  {"level1", p.level1},
          {"level2", p.level2},   {"basis_in", p.basis_in},    {"basis_out", p.basis_out},
          {"bits_basis", p.bits_basis}, {"bits_coefficients", p.bits_coefficients}, {"bits_mixing", p.bits_mixing},
          {"bits", p.bits},       {"rank", p.rank},            {"generate_last", p.generate_last}};
}

// How weights are stored: --method, --levels, --bi, --bo, --qb, --qu, --qv, --bits, --rank,
// --generate-last.
void add_storage_flags(CLI::App* cmd, mlg::StoragePolicy& policy, std::string& levels) {
  cmd->add_option("--method", policy.method, "how weights are stored: full (float32), quant (k-bit), lowrank, mlg")
      ->check(CLI::IsMember({"full", "quant", "lowrank", "mlg"}))
      ->capture_default_str();
  cmd->add_option("--levels", levels, "mlg: the levels of generation used, 12 (both), 1 or 2")
      ->check(CLI::IsMember({"12", "1", "2"}))
      ->capture_default_str();
  cmd->add_option("--bi", policy.basis_in, "mlg: basis kernels per group (level 1)")->check(whole_number(1, 4096))->capture_default_str();
  cmd->add_option("--bo", policy.basis_out, "mlg: groups (level 2's inner size)")->check(whole_number(1, 4096))->capture_default_str();
  cmd->add_option("--qb", policy.bits_basis, "mlg: bits of the bases B (1..8, 32 = float)")->check(whole_number(1, 32))->capture_default_str();
  cmd->add_option("--qu", policy.bits_coefficients, "mlg: bits of the coefficients U")->check(whole_number(1, 32))->capture_default_str();
  cmd->add_option("--qv", policy.bits_mixing, "mlg: bits of the mixing V")->check(whole_number(1, 32))->capture_default_str();
  cmd->add_option("--bits", policy.bits, "quant: bits per weight; lowrank: bits of the factors (32 = float)")
      ->check(whole_number(1, 32))
      ->capture_default_str();
  cmd->add_option("--rank", policy.rank, "lowrank: rank of each layer")->check(whole_number(1, 4096))->capture_default_str();
  cmd->add_flag("--generate-last", policy.generate_last, "store the last layer as the others (else float32)");
}

// --levels 12, 1 or 2 into the policy.
void apply_levels(mlg::StoragePolicy& policy, const std::string& levels) {
  policy.level1 = levels.find('1') != std::string::npos;
  policy.level2 = levels.find('2') != std::string::npos;
}

struct MlgTrainArgs {
  DataOptions data;
  mlg::Architecture architecture;
  mlg::StoragePolicy policy;
  std::string levels = "12";
  double memory_ratio = 0;
  std::filesystem::path teacher;
  train::GeneratedTrainOptions options;
  std::filesystem::path out = "models/mlg-lenet.gnet";
  std::filesystem::path energy_config;
  int tile = 16;
  int threads = 0;
  bool json = false;
  bool no_progress = false;
};

void run_train(MlgTrainArgs& a) {
  check_output_file("--out", a.out);
  if (!a.teacher.empty()) check_not_an_input("--out", a.out, {a.teacher});
  train::set_threads(a.threads);
  a.options.progress = !a.no_progress;
  a.options.checkpoint = a.out.string() + ".ckpt";
  apply_levels(a.policy, a.levels);
  const eval::EnergyTable energy = mlg_energy_table(a.energy_config);  // refused before training, not after
  const ImageSet train_set = a.data.load("train");
  const ImageSet val_set = a.data.load("val");
  const ImageSet test_set = a.data.load("test");
  const mlg::Shape input{1, train_set.rows, train_set.cols};
  const int classes = std::max({train_set.classes, val_set.classes, test_set.classes});
  std::unique_ptr<mlg::GeneratedNetwork> teacher;
  if (!a.teacher.empty()) {
    teacher = std::make_unique<mlg::GeneratedNetwork>(mlg::load_generated_network(a.teacher));
    if (teacher->input != input || teacher->name != a.architecture.name || teacher->classes() != classes)
      throw Error(a.teacher.string() + ": a " + teacher->name + " for " + std::to_string(teacher->input.rows) + "x" +
                  std::to_string(teacher->input.cols) + " images and " + std::to_string(teacher->classes()) +
                  " classes, not the " + a.architecture.name + " these data need");
  }
  if (a.memory_ratio > 0) {
    a.policy = mlg::fit_to_ratio(a.architecture, input, classes, a.policy, a.memory_ratio);
    spdlog::info("fitted to memory ratio {}: {}", a.memory_ratio, a.policy.describe());
  }
  const mlg::GeneratedNetwork layout = mlg::lay_out(a.architecture, input, classes, a.policy);
  spdlog::info("{} {} on {}x{} images, {} classes: {} bytes stored, memory ratio {:.5f} of {} float bytes",
               a.architecture.name, a.policy.describe(), input.rows, input.cols, classes, layout.memory().total_bytes(),
               layout.memory_ratio(), (layout.float_bits() + 7) / 8);
  train::GeneratedTrainResult r = train::train_generated(layout, a.options, train_set, val_set, teacher.get());
  if (static_cast<int>(r.log.size()) < a.options.epochs) {
    spdlog::info("stopped after epoch {} of {}: {} holds the run; go on with --resume", r.log.size(), a.options.epochs,
                 a.options.checkpoint.string());
    return;
  }
  const double test_accuracy = train::generated_accuracy(r.model, test_set);
  const mlg::GeneratedNetwork network = r.model->export_network();
  // The exported network by in-situ generation, and how closely it follows LibTorch.
  const mlg::InSituOptions in_situ{.tile = a.tile};
  mlg::InSituClassifier classifier(network, in_situ, a.threads);
  const eval::Report report = eval::evaluate(classifier, test_set, {a.data.dir.string(), "test"});
  double largest_difference = 0;
  {
    torch::NoGradGuard no_grad;
    const ImageSet probe = test_set.first(200);
    const torch::Tensor logits = r.model->forward(train::to_pixels(probe)).contiguous();
    for (std::size_t i = 0; i < probe.count(); ++i) {
      const std::vector<float> ours = mlg::in_situ_logits(network, probe.image(i), in_situ);
      for (std::size_t k = 0; k < ours.size(); ++k)
        largest_difference = std::max(largest_difference, static_cast<double>(std::abs(
                                          ours[k] - logits[static_cast<std::int64_t>(i)][static_cast<std::int64_t>(k)].item<float>())));
    }
  }
  nlohmann::json log = nlohmann::json::array();
  double seconds = 0;
  for (const auto& e : r.log) {
    log.push_back({{"epoch", e.epoch}, {"loss", e.loss}, {"train_accuracy", e.train_accuracy},
                   {"val_accuracy", e.val_accuracy}, {"seconds", e.seconds}});
    seconds += e.seconds;
  }
  nlohmann::json record = {
      {"command", invocation()},
      {"data", a.data.dir.string()},
      {"architecture", {{"name", a.architecture.name}, {"width", a.architecture.width}, {"blocks", a.architecture.blocks}}},
      {"policy", policy_json(a.policy)},
      {"memory_ratio_asked", a.memory_ratio},
      {"memory", experiment::mlg_memory_json(network)},
      {"teacher", a.teacher.string()},
      {"seed", a.options.seed},
      {"epochs", a.options.epochs},
      {"batch", a.options.batch},
      {"lr", a.options.lr},
      {"weight_decay", a.options.weight_decay},
      {"augment_shift", a.options.augment_shift},
      {"distill_alpha", a.options.distill_alpha},
      {"distill_temperature", a.options.distill_temperature},
      {"orthonormality", a.options.orthonormality},
      {"init", a.options.init},
      {"projection_steps", a.options.projection_steps},
      {"best_epoch", r.best_epoch},
      {"resumed_from_epoch", r.resumed_from},
      {"val_accuracy", r.best_val_accuracy},
      {"test_accuracy", test_accuracy},
      {"in_situ_test_accuracy", report.accuracy()},
      {"in_situ_largest_logit_difference", largest_difference},
      {"energy", experiment::mlg_energy_comparison(network, in_situ, energy)},
      {"train_images", train_set.count()},
      {"val_images", val_set.count()},
      {"test_images", test_set.count()},
      {"split_seed", a.data.split_seed},
      {"threads", train::threads()},
      {"training_seconds", seconds},
      {"seconds_per_epoch", r.log.empty() ? 0.0 : seconds / static_cast<double>(r.log.size())},
      {"log", log}};
  mlg::save_generated_network(a.out, network);
  write_file_atomic(a.out.string() + ".json", record.dump(2) + "\n");
  std::error_code ignored;
  std::filesystem::remove(a.options.checkpoint, ignored);  // the run is finished: nothing to resume
  if (a.json) {
    std::cout << record.dump() << std::endl;
  } else {
    spdlog::info("wrote {}: memory ratio {:.5f} ({} bytes), validation {:.2f}%, test {:.2f}% (LibTorch), {:.2f}% (in situ)",
                 a.out.string(), network.memory_ratio(), network.memory().total_bytes(), r.best_val_accuracy, test_accuracy,
                 report.accuracy());
  }
}

void register_mlg_train(CLI::App& mlg) {
  auto args = std::make_shared<MlgTrainArgs>();
  MlgTrainArgs& a = *args;
  auto* cmd = mlg.add_subcommand("train", "train a network stored as generated layers (or a peer) and write it (.gnet)");
  a.data.add_to(*cmd);
  cmd->add_option("--arch", a.architecture.name, "architecture: lenet or resnet20")
      ->check(CLI::IsMember({"lenet", "resnet20"}))
      ->capture_default_str();
  cmd->add_option("--width", a.architecture.width, "channels of the first layer (lenet: w, 2w, dense 8w; resnet20: w, 2w, 4w)")
      ->check(whole_number(1, 1024))
      ->capture_default_str();
  cmd->add_option("--blocks", a.architecture.blocks, "resnet20: residual blocks per stage")->check(whole_number(1, 64))->capture_default_str();
  add_storage_flags(cmd, a.policy, a.levels);
  cmd->add_option("--memory-ratio", a.memory_ratio,
                  "fit the method's main knob (mlg: --bo, or --bi with --levels 1; quant: --bits; lowrank: --rank) to the "
                  "largest value whose memory ratio is at most this (0 = use the flags as given)")
      ->check(finite_number(0, 1));
  cmd->add_option("--teacher", a.teacher, "a float network of the same architecture (.gnet of --method full) to distill from")
      ->check(CLI::ExistingFile);
  auto& o = a.options;
  cmd->add_option("--epochs", o.epochs, "training epochs")->check(whole_number(1, 100000))->capture_default_str();
  cmd->add_option("--batch", o.batch, "images per step")->check(whole_number(1, 1 << 20))->capture_default_str();
  cmd->add_option("--lr", o.lr, "Adam learning rate (cosine decay)")->check(finite_number(1e-9, 10))->capture_default_str();
  cmd->add_option("--weight-decay", o.weight_decay, "weight decay of the weights")->check(finite_number(0, 1))->capture_default_str();
  cmd->add_option("--augment-shift", o.augment_shift, "random shifts of up to N pixels")->check(whole_number(0, 16))->capture_default_str();
  add_seed(*cmd, o.seed, "seed of the initialisation, the order and the shifts");
  cmd->add_option("--alpha", o.distill_alpha, "weight of the distillation loss (the rest: cross-entropy)")
      ->check(finite_number(0, 1))
      ->capture_default_str();
  cmd->add_option("--temperature", o.distill_temperature, "softmax temperature of the distillation")
      ->check(finite_number(1e-3, 1000))
      ->capture_default_str();
  cmd->add_option("--orthonormality", o.orthonormality, "weight of the orthonormality loss of the generation factors")
      ->check(finite_number(0, 1000))
      ->capture_default_str();
  cmd->add_option("--init", o.init, "start from the teacher by projection, svd (level 2 alone) or random")
      ->check(CLI::IsMember({"projection", "svd", "random"}))
      ->capture_default_str();
  cmd->add_option("--projection-steps", o.projection_steps, "Adam steps of the projection onto the teacher, per layer")
      ->check(whole_number(0, 1000000))
      ->capture_default_str();
  cmd->add_flag("--resume", o.resume, "go on from <out>.ckpt, written after every epoch, when it is there");
  cmd->add_option("--stop-after", o.stop_after,
                  "stop after this many epochs of the schedule, keeping <out>.ckpt to --resume later (0 = all)")
      ->check(whole_number(0, 100000));
  cmd->add_option("--tile", a.tile, "output channels generated at once by the in-situ inference")
      ->check(whole_number(1, 1 << 16))
      ->capture_default_str();
  cmd->add_option("--energy-config", a.energy_config,
                  std::string("memory and generation energies (default: ") + kMlgEnergy + ", with " + kDigitalEnergy + ")")
      ->check(CLI::ExistingFile);
  add_out(*cmd, a.out, "network file to write (.gnet), its record beside it (<out>.json)");
  add_threads(*cmd, a.threads);
  add_json(*cmd, a.json);
  add_no_progress(*cmd, a.no_progress);
  cmd->callback([args] { run_train(*args); });
}

struct MlgEvalArgs {
  DataOptions data;
  std::filesystem::path net;
  std::string split = "test";
  std::filesystem::path energy_config;
  int tile = 16;
  int threads = 0;
  bool json = false;
};

void register_mlg_eval(CLI::App& mlg) {
  auto a = std::make_shared<MlgEvalArgs>();
  auto* cmd = mlg.add_subcommand("eval", "run a generated network by in-situ generation: accuracy, bytes, MACs, energy");
  cmd->add_option("--net", a->net, "generated network (.gnet, from mbi mlg train)")->required()->check(CLI::ExistingFile);
  a->data.add_to(*cmd);
  add_split(*cmd, a->split);
  cmd->add_option("--tile", a->tile, "output channels generated at once")->check(whole_number(1, 1 << 16))->capture_default_str();
  cmd->add_option("--energy-config", a->energy_config,
                  std::string("memory and generation energies (default: ") + kMlgEnergy + ", with " + kDigitalEnergy + ")")
      ->check(CLI::ExistingFile);
  add_threads(*cmd, a->threads);
  add_json(*cmd, a->json);
  cmd->callback([a] {
    const mlg::GeneratedNetwork network = mlg::load_generated_network(a->net);
    const eval::EnergyTable energy = mlg_energy_table(a->energy_config);
    const ImageSet images = a->data.load(a->split);
    const mlg::InSituOptions options{.tile = a->tile};
    eval::Provenance p = provenance();
    p.inputs = {{"network", a->net.string()}, {"data", a->data.dir.string()}};
    const nlohmann::json out = experiment::mlg_evaluation(network, a->net.string(), images,
                                                          {a->data.dir.string(), a->split}, options, energy, p, a->threads);
    if (!a->json) {
      const auto& e = out["per_inference"];
      spdlog::info("{} on {} {} images: {:.2f}%, {} bytes stored (memory ratio {:.5f}); per inference {:.1f} nJ against "
                   "{:.1f} nJ for the float network read from memory ({:.1f}x less)",
                   a->net.string(), out["images"].get<std::size_t>(), a->split, out["accuracy"].get<double>(),
                   network.memory().total_bytes(),
                   network.memory_ratio(), e["generated"]["joules"].get<double>() * 1e9,
                   e["float_network"]["joules"].get<double>() * 1e9, e["energy_saving"].get<double>());
    }
    print_json(out, a->json);
  });
}

struct MlgReportArgs {
  std::vector<std::filesystem::path> records;
  std::filesystem::path out = "results/mlg-report";
  bool json = false;
};

void register_mlg_report(CLI::App& mlg) {
  auto a = std::make_shared<MlgReportArgs>();
  auto* cmd = mlg.add_subcommand("report", "the records of mbi mlg train side by side: ablation table, accuracy against memory");
  cmd->add_option("--records", a->records, "records written by mbi mlg train (<net>.gnet.json)")->required()->check(CLI::ExistingFile);
  add_out(*cmd, a->out, "folder for mlg_records.csv, the per-method tables, the plots and summary.json");
  add_json(*cmd, a->json);
  cmd->callback([a] {
    const std::vector<nlohmann::json> records = read_json_records(a->records);
    std::vector<std::string> names;
    for (const auto& path : a->records) names.push_back(path.string());
    const io::ResultFiles r = experiment::mlg_records_report(records, names);
    r.write(a->out, "summary.json");
    if (!a->json) spdlog::info("{} records side by side in {}", records.size(), a->out.string());
    print_json(r.summary, a->json);
  });
}

struct MlgRamArgs {
  DataOptions data;
  std::filesystem::path model;
  std::filesystem::path out;
  mlg::StoragePolicy policy;
  std::string levels = "2";
  std::string init = "projection";
  int projection_steps = 1000;
  double projection_lr = 2e-2;
  std::string split = "test";
  std::uint64_t seed = 1;
  int threads = 0;
  bool json = false;
};

void register_mlg_ram(CLI::App& mlg) {
  auto a = std::make_shared<MlgRamArgs>();
  auto* cmd = mlg.add_subcommand(
      "ram", "the RAM teacher with generated layers: each inference weight fitted after training, bytes and accuracy");
  cmd->add_option("--model", a->model, "RAM teacher (.pt, from mbi train)")->required()->check(CLI::ExistingFile);
  add_storage_flags(cmd, a->policy, a->levels);
  cmd->add_option("--init", a->init, "fit each weight by projection or svd (level 2 alone)")
      ->check(CLI::IsMember({"projection", "svd"}))
      ->capture_default_str();
  cmd->add_option("--projection-steps", a->projection_steps, "Adam steps of the projection, per layer")
      ->check(whole_number(0, 1000000))
      ->capture_default_str();
  a->data.add_to(*cmd);
  add_split(*cmd, a->split, "images to evaluate the teacher on, before and after");
  add_seed(*cmd, a->seed, "seed of the factors' start");
  add_out(*cmd, a->out, "teacher to write (.pt) with the generated weights, its record beside it (<out>.json)")->required();
  add_threads(*cmd, a->threads);
  add_json(*cmd, a->json);
  cmd->callback([a] {
    check_output_file("--out", a->out);
    check_not_an_input("--out", a->out, {a->model});
    train::set_threads(a->threads);
    apply_levels(a->policy, a->levels);
    train::LoadedModel loaded = train::load_model(a->model);
    const ImageSet images = a->data.load(a->split);
    const RamConfig& c = loaded.model->config();
    if (images.rows != c.image_rows || images.cols != c.image_cols)
      throw Error(a->model.string() + ": trained on " + std::to_string(c.image_rows) + "x" + std::to_string(c.image_cols) +
                  " images, the data are " + std::to_string(images.rows) + "x" + std::to_string(images.cols));
    const auto accuracy = [&] {
      train::TeacherClassifier teacher(loaded.model);
      return eval::evaluate(teacher, images, {a->data.dir.string(), a->split}).accuracy();
    };
    const double before = accuracy();
    torch::manual_seed(a->seed);
    const train::RamGeneration g =
        train::generate_ram_layers(loaded.model, a->policy, a->projection_steps, a->projection_lr, a->init == "svd");
    const double after = accuracy();
    nlohmann::json meta = loaded.meta;
    meta["generated"] = {{"from", a->model.string()}, {"policy", policy_json(a->policy)}, {"memory_ratio", g.memory_ratio()}};
    train::save_model(a->out, loaded.model, meta);
    nlohmann::json record = {{"command", invocation()},
                             {"model", a->model.string()},
                             {"data", a->data.dir.string()},
                             {"split", a->split},
                             {"images", images.count()},
                             {"policy", policy_json(a->policy)},
                             {"init", a->init},
                             {"projection_steps", a->projection_steps},
                             {"seed", a->seed},
                             {"stored_bytes", (g.stored_bits + 7) / 8},
                             {"float_bytes", (g.float_bits + 7) / 8},
                             {"memory_ratio", g.memory_ratio()},
                             {"accuracy_before", before},
                             {"accuracy_after", after},
                             {"layers", g.layers}};
    write_file_atomic(a->out.string() + ".json", record.dump(2) + "\n");
    if (!a->json)
      spdlog::info("wrote {}: {} bytes stored of {} float bytes (memory ratio {:.4f}); {} accuracy {:.2f}% -> {:.2f}% "
                   "(fitted after training, not retrained)",
                   a->out.string(), (g.stored_bits + 7) / 8, (g.float_bits + 7) / 8, g.memory_ratio(), a->split, before, after);
    else
      print_json(record, true);
  });
}

}  // namespace

void register_mlg(CLI::App& app) {
  auto* mlg = app.add_subcommand("mlg", "memory-efficient networks: weights generated in situ from small quantized bases");
  mlg->require_subcommand(1);
  register_mlg_train(*mlg);
  register_mlg_eval(*mlg);
  register_mlg_report(*mlg);
  register_mlg_ram(*mlg);
}

}  // namespace mbi::cli
