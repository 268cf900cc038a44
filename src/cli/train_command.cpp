// `mbi train`: trains a RAM teacher and writes a model file with a record beside it.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <iostream>

#include "commands.hpp"
#include "mbi/atomic_file.hpp"
#include "mbi/error.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/trainer.hpp"
#include "options.hpp"

namespace mbi::cli {
namespace {

struct TrainArgs {
  DataOptions data;
  RamConfig config;
  train::TrainOptions train;
  std::filesystem::path out = "models/ram.pt";
  std::filesystem::path init;
  std::string start = "fixed";
  std::string device = "auto";
  int threads = 0;
  bool json = false;
  bool no_progress = false;
  std::string command;
};

void run(TrainArgs& a) {
  set_threads(a.threads);
  if (a.start != "fixed" && a.start != "random") throw Error("--start: expected fixed or random");
  a.config.start = a.start == "random" ? StartPolicy::kRandom : StartPolicy::kFixed;
  if (a.train.run_dir.empty()) a.train.run_dir = std::filesystem::path("runs") / a.out.stem();
  a.train.progress = !a.no_progress;
  a.train.command = a.command;

  const data::ImageSet train_set = a.data.load("train");
  const data::ImageSet val_set = a.data.load("val");
  train::fit_input_statistics(a.config, train_set);
  spdlog::info("training on {} images, validating on {} ({}x{}, {} classes)", train_set.count(), val_set.count(),
               train_set.rows, train_set.cols, train_set.classes);

  torch::Device device(torch::kCPU);
  if (a.device == "cuda" || (a.device == "auto" && torch::cuda::is_available())) {
    if (!torch::cuda::is_available()) throw Error("--device cuda: no CUDA device available");
    device = torch::Device(torch::kCUDA);
  }
  torch::manual_seed(a.train.seed);
  train::RamModel model(a.config);
  if (!a.init.empty()) {
    // Start from another model's weights (e.g. quantisation-aware fine-tuning of a float
    // teacher); only the tensor shapes must agree.
    train::load_parameters_into(a.init, model);
    spdlog::info("initialised from {}", a.init.string());
  }
  model->to(device);
  const auto result = train::train_ram(model, train_set, val_set, a.train);

  const data::ImageSet test_set = a.data.load("test");
  const double test_accuracy = train::evaluate_accuracy(model, test_set);
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
                                 {"device", device.str()},
                                 {"threads", torch::get_num_threads()},
                                 {"seconds_per_epoch",
                                  result.log.empty() ? 0.0 : result.log.back().seconds}};
  model->to(torch::kCPU);
  train::save_model(a.out, model, record);
  nlohmann::json summary = record;
  summary["config"] = train::config_to_json(model->config());
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
  cmd->add_option("--out", args->out, "model file to write")->capture_default_str();
  cmd->add_option("--init", args->init, "start from this model file's weights (same architecture)");
  cmd->add_option("--run-dir", t.run_dir, "folder for checkpoints and the epoch log (default runs/<out stem>); "
                                          "an interrupted run resumes from it");
  cmd->add_option("--glimpses", c.glimpses, "glimpses per image")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_option("--patch", c.patch, "patch side in pixels")->check(CLI::Range(1, 64))->capture_default_str();
  cmd->add_option("--patches", c.patches, "patches per glimpse")->check(CLI::Range(1, 8))->capture_default_str();
  cmd->add_option("--scale", c.scale, "size ratio of successive patches")->check(CLI::Range(1, 16))->capture_default_str();
  cmd->add_option("--glimpse-hidden", c.glimpse_hidden, "width of phi -> fc")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--loc-hidden", c.loc_hidden, "width of l -> fc")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--glimpse-out", c.glimpse_out, "glimpse network output width")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--core-width", c.core_width, "core (i2h/h2h) width")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--added-core-layers", c.added_core_layers, "extra core layers down to the hidden state")
      ->check(CLI::Range(0, 8))->capture_default_str();
  cmd->add_option("--hidden", c.hidden, "hidden-state width")->check(CLI::Range(1, 4096))->capture_default_str();
  cmd->add_option("--glimpse-bits", c.glimpse_bits, "glimpse quantisation bits (0 = float)")
      ->check(CLI::Range(0, 8))->capture_default_str();
  cmd->add_option("--hidden-bits", c.hidden_bits, "hidden-state quantisation bits (0 = float)")
      ->check(CLI::Range(0, 8))->capture_default_str();
  cmd->add_option("--policy-std", c.policy_std, "std of the Gaussian location policy")
      ->check(CLI::Range(1e-4, 1.0))->capture_default_str();
  cmd->add_option("--start", args->start, "the model's first location: fixed (at --start-x/--start-y) or random")
      ->capture_default_str();
  cmd->add_flag("--train-random-start", t.random_start,
                "draw first locations uniformly while training (as published); evaluation still uses --start");
  cmd->add_option("--augment-shift", t.augment_shift, "shift training images by up to N pixels (0 = off)")
      ->check(CLI::Range(0, 8))->capture_default_str();
  cmd->add_option("--start-x", c.start_x, "fixed start x in [-1, 1]")->check(CLI::Range(-1.0, 1.0))->capture_default_str();
  cmd->add_option("--start-y", c.start_y, "fixed start y in [-1, 1]")->check(CLI::Range(-1.0, 1.0))->capture_default_str();
  cmd->add_option("--epochs", t.epochs, "maximum epochs")->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--batch", t.batch, "batch size")->check(CLI::Range(1, 65536))->capture_default_str();
  cmd->add_option("--lr", t.lr, "Adam learning rate")->check(CLI::Range(1e-7, 1.0))->capture_default_str();
  cmd->add_option("--lr-patience", t.lr_patience, "epochs without improvement before the lr is cut")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--lr-factor", t.lr_factor, "lr multiplier on plateau")->check(CLI::Range(1e-3, 1.0))->capture_default_str();
  cmd->add_option("--early-stop", t.early_stop, "epochs without improvement before stopping")
      ->check(CLI::Range(1, 100000))->capture_default_str();
  cmd->add_option("--reinforce-weight", t.reinforce_weight, "weight of the REINFORCE term")->capture_default_str();
  cmd->add_option("--seed", t.seed, "random seed")->capture_default_str();
  cmd->add_option("--threads", args->threads, "CPU threads (0 = all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
  cmd->add_option("--device", args->device, "auto, cpu or cuda")->check(CLI::IsMember({"auto", "cpu", "cuda"}))->capture_default_str();
  cmd->add_flag("--no-progress", args->no_progress, "no progress bar");
  cmd->add_flag("--json", args->json, "print the training record as JSON");
  cmd->callback([args] {
    args->command = invocation();
    run(*args);
  });
}

}  // namespace mbi::cli
