// `mbi train`: trains a RAM teacher and writes a model file with a record beside it.
#include <spdlog/spdlog.h>

#include <iostream>

#include "commands.hpp"
#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/train/distributed.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/teacher_run.hpp"
#include "mbi/train/threads.hpp"
#include "mbi/train/trainer.hpp"
#include "mbi/io/ram_config_json.hpp"
#include "mbi/lookup/glimpse_geometry.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

struct TrainArgs {
  DataOptions data;
  RamConfig config;
  train::TrainOptions train;
  train::DistributedOptions distributed;
  std::filesystem::path out = "models/ram.pt";
  std::filesystem::path init;
  std::string start = "fixed";
  std::string device = "auto";
  int threads = 0;
  bool json = false;
  bool no_progress = false;
  std::string command;
  // Set when the user gave the flag; the others follow the image size (glimpse_geometry.hpp).
  bool patch_given = false, patches_given = false, scale_given = false;
};

// The glimpse geometry the flags leave open, from the image size (documented rule).
void fit_glimpse_geometry(TrainArgs& a, const ImageSet& images) {
  const GlimpseGeometry g = default_glimpse_geometry(static_cast<int>(images.rows), static_cast<int>(images.cols));
  if (!a.patch_given) a.config.patch = g.patch;
  if (!a.patches_given) a.config.patches = g.patches;
  if (!a.scale_given) a.config.scale = g.scale;
  spdlog::info("glimpse geometry: patch {}, {} patches, scale {}{}", a.config.patch, a.config.patches, a.config.scale,
               a.patch_given && a.patches_given && a.scale_given ? "" : " (fitted to the image size where not given)");
}

void run(TrainArgs& a) {
  check_not_an_input("--out", a.out, {a.init});
  check_output_file("--out", a.out);
  train::set_threads(a.threads);
  if (a.start != "fixed" && a.start != "random") throw Error("--start: expected fixed or random");
  a.config.start = a.start == "random" ? StartPolicy::kRandom : StartPolicy::kFixed;
  if (a.train.run_dir.empty()) a.train.run_dir = std::filesystem::path("runs") / a.out.stem();
  a.train.progress = !a.no_progress;
  a.train.command = a.command;
  // Meets the other ranks (when there are any) before the data loads: a bad rank or an
  // unreachable master fails in seconds, not after minutes of loading.
  const train::Distributed distributed(a.distributed);
  a.train.distributed = &distributed;
  // Only rank 0 reports and writes; the others train and exit quietly.
  if (!distributed.is_main()) {
    spdlog::set_level(spdlog::level::warn);
    a.train.progress = false;
  }

  const ImageSet train_set = a.data.load("train");
  const ImageSet val_set = a.data.load("val");
  spdlog::info("training on {} images, validating on {} ({}x{}, {} classes)", train_set.count(), val_set.count(),
               train_set.rows, train_set.cols, train_set.classes);
  fit_glimpse_geometry(a, train_set);
  train::TrainedTeacher trained = train::train_teacher({a.config, a.train, a.init, a.device}, train_set, val_set);
  const train::TrainResult& result = trained.result;
  if (!distributed.is_main()) return;

  const ImageSet test_set = a.data.load("test");
  const double test_accuracy = train::evaluate_accuracy(trained.model, test_set);
  const nlohmann::json record = {{"command", a.command},
                                 {"seed", a.train.seed},
                                 {"epochs_run", result.epochs_run},
                                 {"best_epoch", result.best_epoch},
                                 {"val_accuracy", result.best_val_accuracy},
                                 {"test_accuracy", test_accuracy},
                                 {"train_images", train_set.count()},
                                 {"val_images", val_set.count()},
                                 {"split_seed", a.data.split_seed},
                                 {"train_random_start", a.train.random_start},
                                 {"init", a.init.string()},
                                 {"augment_shift", a.train.augment_shift},
                                 {"device", trained.device},
                                 {"threads", train::threads()},
                                 {"world_size", distributed.world_size()},
                                 {"seconds_per_epoch", result.mean_epoch_seconds()}};
  train::save_model(a.out, trained.model, record);
  nlohmann::json summary = record;
  summary["config"] = io::config_to_json(trained.model->config());
  write_file_atomic(a.out.string() + ".json", summary.dump(2) + "\n");
  if (a.json)
    std::cout << record.dump() << std::endl;
  else
    spdlog::info("wrote {}: validation {:.2f}%, test {:.2f}%", a.out.string(), result.best_val_accuracy, test_accuracy);
}

}  // namespace

void register_train(CLI::App& app) {
  auto args = std::make_shared<TrainArgs>();
  auto* cmd = app.add_subcommand("train", "train a recurrent attention model (the teacher)");
  args->data.add_to(*cmd);
  auto& c = args->config;
  auto& t = args->train;
  add_out(*cmd, args->out, "model file to write");
  cmd->add_option("--init", args->init, "start from this model file's weights (same architecture)");
  cmd->add_option("--run-dir", t.run_dir, "folder for checkpoints and the epoch log (default runs/<out stem>); "
                                          "an interrupted run resumes from it");
  cmd->add_option("--glimpses", c.glimpses, "glimpses per image")->check(whole_number(1, 64))->capture_default_str();
  cmd->add_option_function<int>(
         "--patch", [args](int v) { args->config.patch = v, args->patch_given = true; },
         "patch side in pixels (default: round(longer image side / 7), 4 on 28x28)")
      ->check(whole_number(1, 64));
  cmd->add_option_function<int>(
         "--patches", [args](int v) { args->config.patches = v, args->patches_given = true; },
         "patches per glimpse (default 3)")
      ->check(whole_number(1, 8));
  cmd->add_option_function<int>(
         "--scale", [args](int v) { args->config.scale = v, args->scale_given = true; },
         "size ratio of successive patches (default: the smallest from 2 whose coarsest patch is twice the longer "
         "image side, 4 on 28x28)")
      ->check(whole_number(1, 16));
  cmd->add_option("--glimpse-hidden", c.glimpse_hidden, "width of phi -> fc")->check(whole_number(1, 4096))->capture_default_str();
  cmd->add_option("--loc-hidden", c.loc_hidden, "width of l -> fc")->check(whole_number(1, 4096))->capture_default_str();
  cmd->add_option("--glimpse-out", c.glimpse_out, "glimpse network output width")->check(whole_number(1, 4096))->capture_default_str();
  cmd->add_option("--core-width", c.core_width, "core (i2h/h2h) width")->check(whole_number(1, 4096))->capture_default_str();
  cmd->add_option("--added-core-layers", c.added_core_layers, "extra core layers down to the hidden state")
      ->check(whole_number(0, 8))->capture_default_str();
  cmd->add_option("--hidden", c.hidden, "hidden-state width")->check(whole_number(1, 4096))->capture_default_str();
  cmd->add_option("--glimpse-bits", c.glimpse_bits, "glimpse quantisation bits (0 = float)")
      ->check(whole_number(0, 8))->capture_default_str();
  cmd->add_option("--hidden-bits", c.hidden_bits, "hidden-state quantisation bits (0 = float)")
      ->check(whole_number(0, 8))->capture_default_str();
  cmd->add_option("--policy-std", c.policy_std, "std of the Gaussian location policy")
      ->check(finite_number(1e-4, 1.0))->capture_default_str();
  cmd->add_option("--start", args->start, "the model's first location: fixed (at --start-x/--start-y) or random")
      ->capture_default_str();
  // Defaults: the recipe of the shipped MNIST teachers (docs/teachers.md gives Fashion-MNIST's).
  set_shipped_training_recipe(t);
  add_training_flags(*cmd, t, "batch size (the global batch: each of N ranks takes 1/N of it)");
  cmd->add_option("--start-x", c.start_x, "fixed start x in [-1, 1]")->check(finite_number(-1.0, 1.0))->capture_default_str();
  cmd->add_option("--start-y", c.start_y, "fixed start y in [-1, 1]")->check(finite_number(-1.0, 1.0))->capture_default_str();
  add_seed(*cmd, t.seed, "random seed");
  add_threads(*cmd, args->threads, "CPU threads (0 = all cores)");
  cmd->add_option("--device", args->device, "auto, cpu or cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}))->capture_default_str();
  auto& d = args->distributed;
  cmd->add_option("--world-size", d.world_size,
                  "processes training together, data-parallel (default: WORLD_SIZE, else 1; docs/distributed.md)")
      ->check(whole_number(1, 65536));
  cmd->add_option("--rank", d.rank, "this process's rank, 0 to world size - 1 (default: RANK, else 0)")
      ->check(whole_number(0, 65535));
  cmd->add_option("--master-addr", d.master_addr, "address of rank 0's rendezvous (default: MASTER_ADDR)");
  cmd->add_option("--master-port", d.master_port, "TCP port of rank 0's rendezvous (default: MASTER_PORT, else 29500)")
      ->check(whole_number(1, 65535));
  cmd->add_option("--dist-timeout", d.timeout_seconds,
                  "seconds to wait for the other ranks at the rendezvous and at every step")
      ->check(whole_number(1, 86400))
      ->capture_default_str();
  add_no_progress(*cmd, args->no_progress);
  add_json(*cmd, args->json, "print the training record as JSON");
  cmd->callback([args] {
    args->command = invocation();
    run(*args);
  });
}

}  // namespace mbi::cli
