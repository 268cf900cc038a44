// `mbi eval`: accuracy and speed of the teacher, of lookups alone, or of the mix.
#include <spdlog/spdlog.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>

#include "commands.hpp"
#include "lookup_eval.hpp"
#include "mbi/error.hpp"
#include "mbi/ram_keys.hpp"
#include "mbi/train/model_file.hpp"
#include "table_meta.hpp"
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
  std::uint32_t probes = 1;
  std::uint32_t max_comparisons = kDefaultSearchBudget;
  double epsilon = -1;  // < 0: no bounded search
  bool no_progress = false;
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

// Lookups alone (mbi) or lookups with the teacher behind them (mixed).
nlohmann::json eval_lookup(const EvalArgs& a) {
  if (a.table.empty()) throw Error("--table is required for --mode " + a.mode);
  const MappedTable table(a.table);
  const TableInfo info = read_table_info(table);
  const data::ImageSet set = a.data.load(a.split);
  check_image_size(info, a.table, set, a.data.dir);
  const bool mixed = a.mode == "mixed";
  train::LoadedModel teacher;
  if (mixed) {
    if (a.model.empty()) throw Error("--model is required for --mode mixed (the fallback teacher)");
    if (a.threshold < 0) throw Error("--threshold is required for --mode mixed");
    teacher = train::load_model(a.model);
    check_same_teacher(info, table, teacher.checksum, a.model);
  }
  if (a.search == "tree" && table.tree() == nullptr)
    throw Error(a.table.string() + ": has no search tree (distilled with --no-tree); use --search exhaustive");
  const double normalizer = eq1_normalizer(info.config, {table.segment_weights().begin(), table.segment_weights().end()});
  LookupOptions options;
  options.exhaustive = a.search == "exhaustive";
  options.probes = a.probes;
  options.max_comparisons = a.max_comparisons;
  options.epsilon = a.epsilon;
  if (mixed) options.stop_above = static_cast<std::uint32_t>(std::min(4e9, std::floor(a.threshold * normalizer)));

  const LookupRun run = run_lookups(table, info.config, set, options, a.threads, !a.no_progress && !a.json);
  std::vector<std::size_t> fallback;
  for (std::size_t i = 0; i < set.count(); ++i)
    if (run.completed[i] == 0) fallback.push_back(i);
  double teacher_seconds = 0;
  std::vector<int> prediction = run.prediction;
  if (!fallback.empty()) {
    const auto t0 = std::chrono::steady_clock::now();
    const auto answered = train::predict(teacher.model, set, a.batch, &fallback);
    for (std::size_t k = 0; k < fallback.size(); ++k) prediction[fallback[k]] = answered[k];
    teacher_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  std::size_t correct = 0;
  for (std::size_t i = 0; i < set.count(); ++i) correct += prediction[i] == set.labels[i] ? 1 : 0;
  const double n = static_cast<double>(set.count());
  const double seconds = run.seconds + teacher_seconds;
  nlohmann::json out = {{"mode", a.mode},
                        {"split", a.split},
                        {"search", a.search},
                        {"probes", a.probes},
                        {"max_comparisons", a.max_comparisons},
                        {"epsilon", a.epsilon >= 0 ? nlohmann::json(a.epsilon) : nlohmann::json()},
                        {"tree_per_step", table.tree_per_step()},
                        {"trees", table.tree_count()},
                        {"every_tree_per_step", table.every_tree_per_step()},
                        {"accuracy", 100.0 * static_cast<double>(correct) / n},
                        {"coverage", static_cast<double>(set.count() - fallback.size()) / n},
                        {"lookup_accuracy", run.accuracy(set)},
                        {"images", set.count()},
                        {"comparisons_per_image", static_cast<double>(run.comparisons) / n},
                        {"median_comparisons_per_step", run.median_step_comparisons()},
                        {"seconds", seconds},
                        {"images_per_second", n / seconds},
                        {"table_bytes", std::filesystem::file_size(a.table)},
                        // The file plus the forest's reordered copies of the keys.
                        {"resident_bytes", table.resident_bytes()},
                        {"table_rows", table.rows()},
                        {"weights", info.meta.value("weights", nlohmann::json{})},
                        {"threads", a.threads}};
  if (mixed) {
    out["threshold"] = a.threshold;
    out["teacher_images"] = fallback.size();
    out["teacher_seconds"] = teacher_seconds;
  }
  return out;
}

void run(const EvalArgs& a) {
  set_threads(a.threads);
  const nlohmann::json result = a.mode == "teacher" ? eval_teacher(a) : eval_lookup(a);
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
  auto* probes = cmd->add_option("--probes", args->probes, "tree leaves scanned per step")->check(CLI::Range(1, 1 << 20))->capture_default_str();
  auto* budget = cmd->add_option("--max-comparisons", args->max_comparisons,
                  "tree search budget per step: scan leaves best-first until this many distances are computed "
                  "(0 = scan --probes leaves; giving --probes alone implies 0)")
      ->check(CLI::Range(0, 1 << 30))
      ->capture_default_str();
  auto* epsilon = cmd->add_option("--epsilon", args->epsilon,
                                  "bounded tree search: every step's match is within a factor 1 + E of the nearest "
                                  "key its trees reach (bounds on every tree node prune the rest); no budget unless "
                                  "--max-comparisons is given too")
                       ->check(CLI::Range(0.0, kMaxSearchEpsilon));
  cmd->add_flag("--no-progress", args->no_progress, "no progress bar");
  cmd->add_option("--batch", args->batch, "teacher batch size")->check(CLI::Range(1, 65536))->capture_default_str();
  cmd->add_option("--threads", args->threads, "threads (0 = all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
  cmd->add_flag("--json", args->json, "print one JSON object");
  cmd->callback([args, probes, budget, epsilon] {
    // An explicit --probes alone asks for that many leaves, not the default budget, and a
    // bounded search goes as far as its bound needs unless a budget is given with it.
    if ((probes->count() > 0 || epsilon->count() > 0) && budget->count() == 0) args->max_comparisons = 0;
    if (epsilon->count() > 0 && probes->count() > 0)
      throw CLI::ValidationError("--epsilon", "a bounded search does not count leaves; drop --probes");
    if (epsilon->count() > 0 && args->search == "exhaustive")
      throw CLI::ValidationError("--epsilon", "applies to the tree search, not --search exhaustive");
    run(*args);
  });
}

}  // namespace mbi::cli
