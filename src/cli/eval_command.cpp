// `mbi eval`: accuracy, bytes, events, energy and speed of the teacher, of lookups alone, or
// of the mix, through the evaluation contract (eval/report.hpp).
#include <spdlog/spdlog.h>

#include <chrono>
#include <optional>

#include "commands.hpp"
#include "config_path.hpp"
#include "mbi/core/error.hpp"
#include "mbi/eval/report.hpp"
#include "mbi/experiment/lookup_evaluation.hpp"
#include "mbi/experiment/mixed_threshold.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/io/energy_table_json.hpp"
#include "mbi/io/report_json.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/teacher_classifier.hpp"
#include "mbi/train/threads.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

struct EvalArgs {
  DataOptions data;
  std::string mode = "teacher";
  std::filesystem::path model;
  std::filesystem::path table;
  std::string split = "test";
  SearchFlags search;
  double threshold = -1;
  double max_loss = 0.5;  // mixed mode without --threshold: chosen on the validation split
  std::filesystem::path hw_config;
  std::filesystem::path energy_config;
  bool no_progress = false;
  int batch = 256;
  int threads = 0;
  bool json = false;
};

// The energy tables the report prices its events with: the search memory's (lookups) and
// digital compute's (the teacher). A file the user named must exist; a default that cannot be
// found (mbi run from elsewhere than the repository) leaves the report without energy.
struct Pricing {
  std::optional<hw::HwConfig> hw;
  std::string hw_source;
  eval::EnergyTable table;
};

Pricing load_pricing(const EvalArgs& a) {
  Pricing p;
  const auto locate = [](const std::filesystem::path& given, const char* shipped) -> std::optional<std::filesystem::path> {
    if (!given.empty()) return given;
    const auto found = find_shipped_file(shipped);
    if (!found) spdlog::warn("{} not found: the report carries no energy for the events it prices", shipped);
    return found;
  };
  if (const auto path = locate(a.hw_config, kHwConfig)) {
    p.hw = hw::load_hw_config(*path);
    p.hw_source = path->string();
  }
  if (const auto path = locate(a.energy_config, kDigitalEnergy)) p.table.merge(io::load_energy_table(*path));
  return p;
}

eval::EvaluationInput input_of(const EvalArgs& a) { return {a.data.dir.string(), a.split}; }

nlohmann::json eval_teacher(const EvalArgs& a, Pricing& pricing) {
  if (a.model.empty()) throw Error("--model is required for --mode teacher");
  auto loaded = train::load_model(a.model);
  const ImageSet set = a.data.load(a.split);
  const RamConfig& c = loaded.model->config();
  if (set.rows != c.image_rows || set.cols != c.image_cols)
    throw Error(a.data.dir.string() + ": images are " + std::to_string(set.rows) + "x" + std::to_string(set.cols) +
                " but " + a.model.string() + " was trained on " + std::to_string(c.image_rows) + "x" +
                std::to_string(c.image_cols));
  if (set.classes > c.classes)
    throw Error(a.data.dir.string() + ": labels go up to " + std::to_string(set.classes - 1) + " but " +
                a.model.string() + " classifies " + std::to_string(c.classes) + " classes");
  train::TeacherClassifier teacher(loaded.model, a.batch);
  eval::Provenance from = provenance();
  from.inputs = {{"model", a.model.string()}};
  const eval::Report report = eval::evaluate(teacher, set, input_of(a), &pricing.table, from);
  return {{"mode", "teacher"},
          {"split", a.split},
          {"accuracy", report.accuracy()},
          {"images", set.count()},
          {"seconds", report.seconds},
          {"images_per_second", report.images_per_second()},
          {"batch", a.batch},
          {"threads", train::threads()},
          {"model", a.model.string()},
          {"report", io::report_to_json(report)}};
}

// Lookups alone (mbi) or lookups with the teacher behind them (mixed): the record
// experiment::evaluate_lookups writes, the one the Python package returns too.
nlohmann::json eval_lookup(EvalArgs& a, Pricing& pricing) {
  if (a.table.empty()) throw Error("--table is required for --mode " + a.mode);
  const Table table = Table::open(a.table);
  const io::TableInfo info = io::read_table_info(table);
  const ImageSet set = a.data.load(a.split);
  io::check_image_size(info, table, set, a.data.dir);
  a.search.prepare(table, info.config.glimpses, a.threads);
  const bool mixed = a.mode == "mixed";
  train::LoadedModel teacher;
  if (mixed) {
    if (a.model.empty()) throw Error("--model is required for --mode mixed (the fallback teacher)");
    teacher = train::load_model(a.model);
    io::check_same_teacher(info, table, teacher.checksum, a.model);
  }
  train::TeacherClassifier fallback(teacher.model, a.batch);
  double threshold = a.threshold;
  nlohmann::json choice;
  if (mixed && threshold < 0) {
    // No threshold given: the largest one that keeps the teacher's accuracy within --max-loss
    // points on the validation split (the test split only reports).
    const ImageSet val = a.data.load("val");
    io::check_image_size(info, table, val, a.data.dir);
    experiment::MixedThresholdOptions o;
    o.max_loss = a.max_loss;
    const experiment::ThresholdChoice c = experiment::choose_threshold_on(
        table, info.config, val, a.search.options(table), fallback, o, a.threads);
    threshold = c.point.threshold;
    choice = {{"split", "val"},
              {"images", c.images},
              {"max_loss", c.max_loss},
              {"step", o.step},
              {"teacher_accuracy", c.teacher_accuracy},
              {"accuracy", c.point.accuracy},
              {"coverage", c.point.coverage}};
    if (a.split == "val") spdlog::warn("--split val: the threshold was chosen on the images it is evaluated on");
  }
  experiment::LookupEvaluation settings;
  settings.search = a.search;
  settings.threshold = mixed ? threshold : -1;
  settings.threads = a.threads;
  settings.progress = !a.no_progress && !a.json;
  settings.input = input_of(a);
  settings.provenance = provenance();
  settings.model = a.model.string();
  if (pricing.hw) settings.hw = &*pricing.hw;
  settings.hw_source = pricing.hw_source;
  settings.energy = pricing.table;
  nlohmann::json record = experiment::evaluate_lookups(table, set, settings, mixed ? &fallback : nullptr);
  if (!choice.is_null()) record["threshold_chosen_on"] = choice;
  return record;
}

void run(EvalArgs& a) {
  train::set_threads(a.threads);
  Pricing pricing = load_pricing(a);
  print_json(a.mode == "teacher" ? eval_teacher(a, pricing) : eval_lookup(a, pricing), a.json);
}

}  // namespace

void register_eval(CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  auto* cmd = app.add_subcommand("eval", "accuracy, bytes, energy and speed of the teacher, lookups only, or mixed");
  a->data.add_to(*cmd);
  cmd->add_option("--mode", a->mode, "teacher, mbi (lookups only) or mixed")
      ->check(CLI::IsMember({"teacher", "mbi", "mixed"}))
      ->capture_default_str();
  cmd->add_option("--model", a->model, "teacher model file");
  cmd->add_option("--table", a->table, "lookup table file (modes mbi and mixed)");
  add_split(*cmd, a->split);
  a->search.add_to(*cmd, /*with_epsilon=*/true);
  auto* threshold = cmd->add_option("--threshold", a->threshold,
                                    "mixed mode: fall back to the teacher when a step's best match is farther than "
                                    "this (eq. 1 units; default: chosen on the validation split, see --max-loss)")
                        ->check(finite_number(0, 1e9));
  cmd->add_option("--max-loss", a->max_loss,
                  "mixed mode without --threshold: the largest threshold whose accuracy on the validation split "
                  "stays within this many points of the teacher's")
      ->check(finite_number(0, 100))
      ->excludes(threshold)
      ->capture_default_str();
  cmd->add_option("--hw-config", a->hw_config,
                  std::string("hardware parameters pricing the lookups (default: ") + kHwConfig + ")");
  cmd->add_option("--energy-config", a->energy_config,
                  std::string("per-event energies of digital compute (default: ") + kDigitalEnergy + ")");
  add_no_progress(*cmd, a->no_progress);
  cmd->add_option("--batch", a->batch, "teacher batch size")->check(whole_number(1, 65536))->capture_default_str();
  add_threads(*cmd, a->threads);
  add_json(*cmd, a->json);
  cmd->callback([a] {
    a->search.resolve();
    run(*a);
  });
}

}  // namespace mbi::cli
