// `mbi experiment speed`: the speed claims, measured side by side in one run on the same
// images and thread count (experiment/speed.hpp): the teacher's LibTorch forward pass at
// batch 1 and 256 against lookup inference, and the teacher's training time per epoch.
#include <unistd.h>

#include <optional>

#include "commands.hpp"
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
  nlohmann::json training;
  experiment::SpeedPeers peers{batch1, batch256, nullptr};
  if (a.train_epoch) peers.train_epoch_seconds = [&] { return train_one_epoch(a, training); };
  io::ResultFiles results =
      experiment::speed_experiment(peers, table ? &*table : nullptr, info.config, test, a.options);
  if (training.is_object()) results.summary.update(training);
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
  cmd->add_flag("!--no-train", a->train_epoch, "skip the training epoch");
  add_json(*cmd, a->json);
  cmd->callback([a] { run(*a); });
}

}  // namespace mbi::cli
