// `mbi eval`: accuracy and speed of the teacher, of lookups alone, or of the mix.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "mbi/error.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/trainer.hpp"
#include "options.hpp"

namespace mbi::cli {
namespace {

struct EvalArgs {
  DataOptions data;
  std::string mode = "teacher";
  std::filesystem::path model;
  std::filesystem::path table;
  std::string split = "test";
  std::string search = "tree";
  double threshold = -1;
  int batch = 256;
  int threads = 0;
  bool json = false;
};

nlohmann::json eval_teacher(const EvalArgs& a) {
  if (a.model.empty()) throw Error("--model is required for --mode teacher");
  auto loaded = train::load_model(a.model);
  const data::ImageSet set = a.data.load(a.split);
  const RamConfig& c = loaded.model->config();
  if (set.rows != c.image_rows || set.cols != c.image_cols)
    throw Error(a.data.dir.string() + ": images are " + std::to_string(set.rows) + "x" + std::to_string(set.cols) +
                " but " + a.model.string() + " was trained on " + std::to_string(c.image_rows) + "x" +
                std::to_string(c.image_cols));
  const auto t0 = std::chrono::steady_clock::now();
  const double accuracy = train::evaluate_accuracy(loaded.model, set, a.batch);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return {{"mode", "teacher"},
          {"split", a.split},
          {"accuracy", accuracy},
          {"images", set.count()},
          {"seconds", seconds},
          {"images_per_second", static_cast<double>(set.count()) / seconds},
          {"batch", a.batch},
          {"threads", torch::get_num_threads()},
          {"model", a.model.string()}};
}

void run(const EvalArgs& a) {
  set_threads(a.threads);
  nlohmann::json result;
  if (a.mode == "teacher")
    result = eval_teacher(a);
  else
    throw Error("--mode " + a.mode + ": not available yet");
  if (a.json) {
    std::cout << result.dump() << std::endl;
  } else {
    std::cout << result.dump(2) << std::endl;
  }
}

}  // namespace

void register_eval(CLI::App& app) {
  auto args = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "measure accuracy and speed (teacher, lookups only, or mixed)");
  args->data.add_to(*cmd);
  cmd->add_option("--mode", args->mode, "teacher, mbi (lookups only) or mixed")
      ->check(CLI::IsMember({"teacher", "mbi", "mixed"}))
      ->capture_default_str();
  cmd->add_option("--model", args->model, "teacher model file");
  cmd->add_option("--table", args->table, "lookup table file (modes mbi and mixed)");
  cmd->add_option("--split", args->split, "test, val, train or train-all")
      ->check(CLI::IsMember({"test", "val", "train", "train-all"}))
      ->capture_default_str();
  cmd->add_option("--search", args->search, "tree or exhaustive")
      ->check(CLI::IsMember({"tree", "exhaustive"}))
      ->capture_default_str();
  cmd->add_option("--threshold", args->threshold, "mixed mode: fall back to the teacher when a step's best match "
                                                  "is farther than this (eq. 1 units)");
  cmd->add_option("--batch", args->batch, "teacher batch size")->check(CLI::Range(1, 65536))->capture_default_str();
  cmd->add_option("--threads", args->threads, "threads (0 = all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args] { run(*args); });
}

}  // namespace mbi::cli
