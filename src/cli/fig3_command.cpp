// `mbi experiment fig3`: paper Fig. 3, the teacher's design sweeps (experiment/fig3.hpp), each
// point trained, distilled and looked up, on the sweep runner (sweep/sweep.hpp): resumable,
// spread over local workers (--workers N) or the ranks of `mpirun -np N mbi experiment fig3`.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <map>

#include "commands.hpp"
#include "config_path.hpp"
#include "mbi/core/error.hpp"
#include "mbi/experiment/fig3.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/lookup/glimpse_geometry.hpp"
#include "mbi/sweep/sweep.hpp"
#include "mbi/train/teacher_table.hpp"
#include "mbi/train/threads.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

namespace fs = std::filesystem;

struct Fig3Args {
  DataOptions data;
  std::string panels = "abc";
  std::vector<std::string> only_series;
  std::vector<std::string> only_points;
  train::TeacherTableRecipe recipe;
  experiment::Fig3Lookups lookups;
  std::uint64_t seed = 1;
  fs::path hw_config;
  int workers = 1;
  fs::path out_dir = "results/fig3";
  bool json = false;
  bool no_progress = false;
};

// Everything a point's result depends on besides its architecture: a stored result made with
// other settings is refused (trial_store.hpp). Threads are left out: they change timings.
nlohmann::json recipe_json(const Fig3Args& a, const ImageSet& train, const ImageSet& val, const ImageSet& test) {
  const train::TrainOptions& t = a.recipe.train;
  return {{"train",
           {{"epochs", t.epochs}, {"early_stop", t.early_stop}, {"lr", t.lr}, {"lr_patience", t.lr_patience},
            {"lr_factor", t.lr_factor}, {"batch", t.batch}, {"augment_shift", t.augment_shift},
            {"random_start", t.random_start}, {"reinforce_weight", t.reinforce_weight}, {"seed", a.seed},
            {"device", a.recipe.device}}},
          {"table",
           {{"images", a.recipe.table_images}, {"dagger_rounds", a.recipe.dagger_rounds},
            {"augment_shift", a.recipe.augment_shift}, {"dagger_weights", a.recipe.dagger_weights}}},
          {"lookups",
           {{"budget", a.lookups.budget}, {"search", "tree, 1 leaf, budget 400 comparisons per step"},
            {"branching", a.lookups.tree.branching}, {"leaf_size", a.lookups.tree.max_leaf_size},
            {"hw", a.hw_config.empty() ? std::string(kHwConfig) : a.hw_config.string()}}},
          {"data",
           {{"dir", fs::absolute(a.data.dir).lexically_normal().filename().string()},
            {"split_seed", a.data.split_seed}, {"val_fraction", a.data.val_fraction},
            {"train", train.count()}, {"val", val.count()}, {"test", test.count()},
            {"rows", train.rows}, {"cols", train.cols}, {"classes", train.classes}}}};
}

void run(Fig3Args& a) {
  const auto start = std::chrono::steady_clock::now();
  auto series = experiment::fig3_series_of(a.panels);
  if (!a.only_series.empty()) {
    std::vector<experiment::Fig3Series> kept;
    for (const auto& s : series)
      if (std::find(a.only_series.begin(), a.only_series.end(), s.name) != a.only_series.end()) kept.push_back(s);
    for (const auto& name : a.only_series)
      if (std::none_of(series.begin(), series.end(), [&](const auto& s) { return s.name == name; }))
        throw Error("--series: no series '" + name + "' in panels " + a.panels);
    series = kept;
  }
  const hw::HwConfig hw = hw::load_hw_config(given_or_shipped(a.hw_config, kHwConfig, "--hw-config"));
  const ImageSet train_set = a.data.load("train");
  const ImageSet val = a.data.load("val");
  const ImageSet test = a.data.load("test");
  RamConfig base;
  base.classes = static_cast<int>(train_set.classes);
  base.image_rows = static_cast<int>(train_set.rows);
  base.image_cols = static_cast<int>(train_set.cols);
  const GlimpseGeometry g = default_glimpse_geometry(base.image_rows, base.image_cols);
  base.patch = g.patch, base.patches = g.patches, base.scale = g.scale;

  auto points = experiment::fig3_points(base, series);
  if (!a.only_points.empty()) {
    for (const auto& id : a.only_points)
      if (std::none_of(points.begin(), points.end(), [&](const auto& p) { return p.id == id; }))
        throw Error("--points: no point '" + id + "' in the series swept (ids as fig3-points.csv names them)");
    std::erase_if(points, [&](const auto& p) {
      return std::find(a.only_points.begin(), a.only_points.end(), p.id) == a.only_points.end();
    });
  }
  // The ranks once the settings are checked (a refusal is printed once) and before any thread
  // starts: local workers are forked here and share the images read above.
  std::unique_ptr<sweep::Ranks> ranks = sweep::make_ranks(a.workers);
  if (!ranks->is_main()) spdlog::set_level(spdlog::level::warn);
  train::set_threads(a.lookups.threads);
  a.recipe.threads = a.lookups.threads;
  a.recipe.train.seed = a.seed;
  a.recipe.train.progress = false;
  a.lookups.seed = a.seed;
  a.lookups.hw = &hw;

  const nlohmann::json recipe = recipe_json(a, train_set, val, test);
  const auto trials = experiment::fig3_trials(points, recipe);
  const sweep::TrialStore store(a.out_dir / "trials");
  for (const auto& t : trials) store.read(t);  // a corrupt or foreign result is refused before anything is said
  if (ranks->is_main())
    spdlog::info("fig3: {} points, {} distinct teachers, on {} rank(s); results in {}", points.size(), trials.size(),
                 ranks->size(), (a.out_dir / "trials").string());
  std::map<std::string, RamConfig> config_of;
  for (const auto& p : points) config_of.emplace(p.id, p.config);

  const auto work = [&](const sweep::Trial& trial) {
    train::TeacherTableRecipe r = a.recipe;
    r.train.run_dir = a.out_dir / "runs" / trial.id;  // a killed trial resumes its training
    r.model_out = a.out_dir / "teachers" / (trial.id + ".pt");
    train::TeacherTable t = train::train_teacher_and_table(config_of.at(trial.id), r, train_set, val, test);
    std::error_code ec;
    fs::remove_all(r.train.run_dir, ec);
    experiment::Fig3Trained trained{t.config,           t.val_accuracy,  t.test_accuracy, t.training.epochs_run,
                                    t.training.best_epoch, t.train_seconds, t.table_seconds, t.table_images,
                                    std::move(t.table)};
    return experiment::fig3_trial_record(std::move(trained), val, test, a.lookups).dump(1) + "\n";
  };
  sweep::SweepOptions options;
  options.progress = !a.no_progress;
  const sweep::SweepOutcome outcome = sweep::run_sweep(trials, store, *ranks, work, options);
  if (!outcome.main) return;
  std::error_code ec;
  fs::remove(a.out_dir / "runs", ec);  // only when empty: every trial's training folder went with it

  std::map<std::string, nlohmann::json> records;
  for (std::size_t i = 0; i < trials.size(); ++i) records[trials[i].id] = nlohmann::json::parse(outcome.results[i]);
  io::ResultFiles files = experiment::fig3_results(base, points, records);
  files.summary["recipe"] = recipe;
  files.summary["ranks"] = ranks->size();
  files.summary["threads_per_rank"] = a.lookups.threads;
  files.summary["trials"] = {{"total", trials.size()}, {"found", outcome.found}, {"ran_by_rank_0", outcome.ran_here}};
  files.summary["wall_seconds"] = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  files.summary["command"] = invocation();
  files.write(a.out_dir, "summary.json");
  print_json(files.summary, a.json);
}

}  // namespace

void register_experiment_fig3(CLI::App& experiment) {
  auto a = std::make_shared<Fig3Args>();
  auto* cmd = experiment.add_subcommand(
      "fig3", "Fig. 3: the teacher's design sweeps, each point trained, distilled and looked up (resumable; "
              "--workers N or mpirun -np N spreads them)");
  a->data.add_to(*cmd);
  cmd->add_option("--panels", a->panels, "panels to sweep: any of a (glimpses, patch, scale, patches), b (bits), "
                                         "c (hidden width, added layers)")
      ->capture_default_str();
  cmd->add_option("--series", a->only_series,
                  "only these series of the panels: glimpses, patch, scale, patches, glimpse-bits, hidden-bits, hidden, "
                  "layers")
      ->delimiter(',');
  cmd->add_option("--points", a->only_points,
                  "only these points, by id (e.g. g5-p4-s4-n3-b2-h1-w64-l1: glimpses, patch, scale, patches, patch "
                  "bits, hidden bits, hidden width, added layers)")
      ->delimiter(',');
  // The sweep recipe: the shipped teachers' (mbi train's defaults) with fewer epochs and an
  // earlier stop on validation (docs/results.md checks its ranking against full training).
  train::TrainOptions& t = a->recipe.train;
  set_shipped_training_recipe(t);
  t.epochs = 12;
  t.lr = 1e-3;
  t.lr_patience = 3;
  t.early_stop = 4;
  a->recipe.table_images = 20000;
  a->recipe.device = "cpu";
  add_training_flags(*cmd, t);
  cmd->add_option("--table-images", a->recipe.table_images,
                  "training images distilled into each table (a seeded subset; 0 = all)")
      ->check(whole_number(0, 1u << 30))
      ->capture_default_str();
  cmd->add_option("--dagger-rounds", a->recipe.dagger_rounds, "DAgger rounds per table (mbi distill's default: 3)")
      ->check(whole_number(0, 16))
      ->capture_default_str();
  cmd->add_option("--budget", a->lookups.budget,
                  "BO evaluations of the eq. 1 weights per point on validation (0: keep the distillation's 30,16,10)")
      ->check(whole_number(0, 1000))
      ->capture_default_str();
  cmd->add_option("--device", a->recipe.device, "where teachers train: cpu, cuda or auto")
      ->check(CLI::IsMember({"auto", "cpu", "cuda"}))
      ->capture_default_str();
  cmd->add_option("--hw-config", a->hw_config, "hardware parameter file pricing the lookups (default: "
                                               "configs/hw/sram16nm.json)");
  add_seed(*cmd, a->seed, "seed of every teacher, table, tree and BO");
  cmd->add_option("--workers", a->workers,
                  "local processes sharing the trials (each with --threads threads); under mpirun leave it at 1")
      ->check(whole_number(1, 256))
      ->capture_default_str();
  a->lookups.threads = 1;
  add_threads(*cmd, a->lookups.threads, "threads per rank or worker (training and lookups; 0 = all cores)");
  add_out(*cmd, a->out_dir, "folder: trials/ (one result per point, resumable), teachers/, CSV, plots, summary.json");
  add_no_progress(*cmd, a->no_progress);
  add_json(*cmd, a->json, "print the summary as one JSON object");
  cmd->callback([a] { run(*a); });
}

}  // namespace mbi::cli
