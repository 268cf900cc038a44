// `mbi experiment speed`: the speed claims, measured side by side in one run on the same
// images and thread count (experiment/speed.hpp): the teacher's LibTorch forward pass at
// batch 1 and 256 against lookup inference, and the teacher's training time per epoch.
#include <unistd.h>

#include <optional>

#include "commands.hpp"
#include "mbi/experiment/mixed_threshold.hpp"
#include "mbi/experiment/speed.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/teacher_classifier.hpp"
#include "mbi/train/teacher_run.hpp"
#include "mbi/train/threads.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

struct SpeedArgs {
  DataOptions data;
  std::filesystem::path model;
  std::filesystem::path table;
  std::filesystem::path out = "results/speed";
  experiment::SpeedOptions options;
  bool train_epoch = true;
  int train_threads = 0;
  double mixed_max_loss = -1;  // >= 0: mixed mode timed, its threshold chosen on validation
  bool json = false;
};

// One epoch of the default configuration from scratch, on all cores; its seconds.
double train_one_epoch(const SpeedArgs& a, nlohmann::json& record) {
  train::set_threads(a.train_threads);
  const ImageSet train_set = a.data.load("train");
  const ImageSet val_set = a.data.load("val").first(1);
  train::TeacherRun run;
  run.train.epochs = 1;
  run.train.progress = !a.json;
  run.train.run_dir = std::filesystem::temp_directory_path() / ("mbi-speed-" + std::to_string(::getpid()));
  run.device = "cpu";
  std::filesystem::remove_all(run.train.run_dir);
  const train::TrainedTeacher trained = train::train_teacher(run, train_set, val_set);
  std::filesystem::remove_all(run.train.run_dir);
  record["train_threads"] = train::threads();
  record["train_images"] = train_set.count();
  return trained.result.log.front().seconds;
}

void run(const SpeedArgs& a) {
  train::set_threads(a.options.threads);
  auto teacher = train::load_model(a.model);
  const ImageSet test = a.data.load("test");
  std::optional<Table> table;
  io::TableInfo info;
  if (!a.table.empty()) {
    table.emplace(Table::open(a.table));
    info = io::read_table_info(*table);
    io::check_same_teacher(info, *table, teacher.checksum, a.model);
    io::check_image_size(info, *table, test, a.data.dir);
  }
  train::TeacherClassifier batch1(teacher.model, 1);
  train::TeacherClassifier batch256(teacher.model, 256);
  experiment::SpeedOptions options = a.options;
  nlohmann::json choice;
  if (a.mixed_max_loss >= 0) {
    if (!table) throw Error("--mixed-max-loss: mixed mode needs --table");
    // As `mbi eval --mode mixed`: the largest threshold that keeps the teacher's accuracy
    // within the loss on the validation split, with the lookups searching as they will be timed.
    const ImageSet val = a.data.load("val");
    io::check_image_size(info, *table, val, a.data.dir);
    LookupOptions search;
    search.search.max_comparisons = options.mixed_budget;
    experiment::MixedThresholdOptions o;
    o.max_loss = a.mixed_max_loss;
    const experiment::ThresholdChoice c =
        experiment::choose_threshold_on(*table, info.config, val, search, batch256, o, options.threads);
    options.mixed_threshold = c.point.threshold;
    choice = {{"split", "val"},          {"images", c.images},
              {"max_loss", c.max_loss},  {"teacher_accuracy", c.teacher_accuracy},
              {"accuracy", c.point.accuracy}, {"coverage", c.point.coverage}};
  }
  nlohmann::json training;
  experiment::SpeedPeers peers{batch1, batch256, nullptr};
  if (a.train_epoch) peers.train_epoch_seconds = [&] { return train_one_epoch(a, training); };
  io::ResultFiles results =
      experiment::speed_experiment(peers, table ? &*table : nullptr, info.config, test, options);
  if (training.is_object()) results.summary.update(training);
  if (!choice.is_null()) results.summary["mixed"]["threshold_chosen_on"] = choice;
  if (table) results.summary["table_bytes"] = std::filesystem::file_size(a.table);
  results.write(a.out, "speed.json");
  print_json(results.summary, a.json);
}

}  // namespace

void register_experiment_speed(CLI::App& experiment) {
  auto a = std::make_shared<SpeedArgs>();
  experiment::SpeedOptions& o = a->options;
  auto* cmd = experiment.add_subcommand("speed", "teacher vs lookup images/s side by side, training s/epoch");
  a->data.add_to(*cmd);
  cmd->add_option("--model", a->model, "teacher model file")->required();
  cmd->add_option("--table", a->table, "table distilled from it (omit to time the teacher only)");
  add_out(*cmd, a->out, "folder for speed.json");
  add_threads(*cmd, o.threads, "threads for inference, teacher and lookups alike (0 = all cores)");
  cmd->add_option("--budgets", o.budgets, "tree search budgets to time (0 = one leaf)")
      ->delimiter(',')
      ->check(whole_number(0, 1 << 30))
      ->capture_default_str();
  cmd->add_option("--batch1-images", o.batch1_images, "images timed at batch 1")
      ->check(whole_number(1, 10000000))
      ->capture_default_str();
  cmd->add_option("--repeats", o.repeats, "runs of each timed path; the fastest is reported")
      ->check(whole_number(1, 100))
      ->capture_default_str();
  cmd->add_option("--exhaustive-images", o.exhaustive_images, "images timed with exhaustive search")
      ->check(whole_number(1, 10000000))
      ->capture_default_str();
  cmd->add_option("--train-threads", a->train_threads, "threads for the training epoch (0 = all cores)")
      ->check(whole_number(0, 1024))
      ->capture_default_str();
  auto* threshold = cmd->add_option("--mixed-threshold", o.mixed_threshold,
                                    "also time mixed mode (lookups, the teacher at batch 256 for the images whose "
                                    "best match at some step is farther than this, eq. 1 units)")
                         ->check(CLI::Range(0.0, 1e9));
  cmd->add_option("--mixed-max-loss", a->mixed_max_loss,
                  "also time mixed mode at the largest threshold whose accuracy on the validation split stays within "
                  "this many points of the teacher's (as mbi eval --mode mixed)")
      ->check(CLI::Range(0.0, 100.0))
      ->excludes(threshold);
  cmd->add_option("--mixed-budget", o.mixed_budget, "mixed mode's tree search budget per step (0 = one leaf)")
      ->check(whole_number(0, 1 << 30))
      ->capture_default_str();
  cmd->add_flag("!--no-train", a->train_epoch, "skip the training epoch");
  add_json(*cmd, a->json);
  cmd->callback([a] { run(*a); });
}

}  // namespace mbi::cli
