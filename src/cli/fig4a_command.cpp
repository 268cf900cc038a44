// `mbi experiment fig4a`: paper Fig. 4(a), pure-lookup test accuracy against the share of
// training rows kept in the table, unweighted and BO-tuned (experiment/fig4a.hpp). The
// teacher distils the tables; the experiment library tunes and scores them.
#include <spdlog/spdlog.h>

#include <chrono>

#include "commands.hpp"
#include "mbi/core/error.hpp"
#include "mbi/sweep/sweep.hpp"
#include "mbi/experiment/fig4a.hpp"
#include "mbi/train/distill.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/threads.hpp"
#include "mbi/tune/weight_space.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

namespace fs = std::filesystem;

struct Fig4aArgs {
  DataOptions data;
  fs::path model;
  experiment::Fig4aOptions options;
  SearchFlags search;
  bool global_tree = false;
  int augment_shift = 2;
  fs::path out_dir = "results/fig4a";
  int workers = 1;
  bool json = false;
  bool no_progress = false;
};

void run(Fig4aArgs& a) {
  const auto start = std::chrono::steady_clock::now();
  // The ranks before anything is loaded: local workers are forked here (sweep/ranks.hpp).
  std::unique_ptr<sweep::Ranks> ranks = sweep::make_ranks(a.workers);
  if (!ranks->is_main()) spdlog::set_level(spdlog::level::warn);
  train::set_threads(a.options.threads);
  auto teacher = train::load_model(a.model);
  const RamConfig& c = teacher.model->config();
  // --limit caps the images scored (val, test); the table always comes from the whole train split.
  DataOptions all = a.data;
  all.limit = 0;
  const ImageSet train_set = all.load("train");
  const ImageSet val = a.data.load("val");
  const ImageSet test = a.data.load("test");
  if (train_set.rows != c.image_rows || train_set.cols != c.image_cols)
    throw Error(a.data.dir.string() + ": images are " + std::to_string(train_set.rows) + "x" +
                std::to_string(train_set.cols) + ", teacher " + a.model.string() + " expects " +
                std::to_string(c.image_rows) + "x" + std::to_string(c.image_cols));
  // Trees built as `mbi distill --seed` builds them, searched as the flags say.
  experiment::Fig4aOptions& o = a.options;
  a.search.apply(o.search);
  o.search.tree_params.seed = o.seed;
  o.search.per_step = !a.global_tree;
  o.progress = !a.no_progress && ranks->size() == 1;
  experiment::Fig4aTeacher distiller;
  distiller.distill = [&](const ImageSet& images, double fraction) {
    train::DistillOptions d;
    d.seed = o.seed;
    d.progress = false;
    d.fraction = fraction;
    return train::distill(teacher.model, images, d);
  };
  distiller.add_dagger_rows = [&](const ImageSet& images, TableData& table, const KMeansTreeParams& tree) {
    train::DaggerOptions d;
    d.rounds = o.dagger_rounds;
    d.augment_shift = a.augment_shift;
    d.seed = o.seed;
    d.tree = tree;
    d.progress = false;
    train::add_lookup_path_rows(teacher.model, images, table, d);
  };
  // One trial per fraction, stored under <out>/trials: a killed run resumes, and local
  // workers or MPI ranks share the fractions. The description holds everything a fraction's
  // result depends on, so a folder of other settings is refused instead of mixed in.
  const experiment::Fig4aSplits splits{train_set, val, test};
  const nlohmann::json recipe = {{"teacher", {{"file", a.model.filename().string()}, {"checksum", teacher.checksum}}},
                                 {"budget", o.budget},
                                 {"seed", o.seed},
                                 {"spaces", o.spaces},
                                 {"search", tune::describe(o.search)},
                                 {"dagger_rounds", o.dagger_rounds},
                                 {"dagger_weights", o.dagger_weights},
                                 {"augment_shift", a.augment_shift},
                                 {"data", {{"train", train_set.count()}, {"val", val.count()}, {"test", test.count()},
                                           {"split_seed", a.data.split_seed}}}};
  const auto trials = experiment::fig4a_trials(o, recipe);
  const sweep::TrialStore store(a.out_dir / "trials");
  for (const auto& t : trials) store.read(t);  // refuse a corrupt or foreign result before any work
  sweep::SweepOptions sweep_options;
  sweep_options.progress = false;  // the BO trials' own progress bar runs instead
  sweep_options.log = ranks->size() > 1;
  const sweep::SweepOutcome outcome = sweep::run_sweep(
      trials, store, *ranks,
      [&](const sweep::Trial& trial) {
        const double fraction = nlohmann::json::parse(trial.description).at("fraction").get<double>();
        return experiment::fig4a_fraction(distiller, c, splits, o, fraction).dump(1) + "\n";
      },
      sweep_options);
  if (!outcome.main) return;
  std::vector<nlohmann::json> fractions;
  for (const auto& r : outcome.results) fractions.push_back(nlohmann::json::parse(r));
  io::ResultFiles results = experiment::fig4a_results(
      o, splits, fractions, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  results.summary["model"] = a.model.string();
  results.summary["augment_shift"] = a.augment_shift;
  results.summary["ranks"] = ranks->size();
  results.summary["trials"] = {{"total", trials.size()}, {"found", outcome.found}};
  results.write(a.out_dir, "summary.json");
  print_json(results.summary, a.json);
}

}  // namespace

void register_experiment_fig4a(CLI::App& experiment) {
  auto a = std::make_shared<Fig4aArgs>();
  experiment::Fig4aOptions& o = a->options;
  auto* cmd = experiment.add_subcommand("fig4a", "Fig. 4(a): accuracy against table size, unweighted and BO-tuned");
  a->data.add_to(*cmd);
  cmd->add_option("--model", a->model, "quantised teacher")->required();
  cmd->add_option("--fractions", o.fractions, "shares of the training rows to keep")
      ->delimiter(',')
      ->check(finite_number(1e-6, 1.0))
      ->capture_default_str();
  cmd->add_option("--budget", o.budget,
                  "BO evaluations per fraction and space (published: 10; 0: unweighted accuracy against size only)")
      ->check(whole_number(0, 100000))
      ->capture_default_str();
  add_seed(*cmd, o.seed, "seed of distillation sampling, tree and BO");
  cmd->add_option("--spaces", o.spaces, "weight spaces to tune: eq1, scales, axes, full")
      ->delimiter(',')
      ->check(CLI::IsMember(tune::weight_space_names()))
      ->capture_default_str();
  a->search.add_to(*cmd);
  cmd->add_flag("--global-tree", a->global_tree, "one k-means tree over all rows (default: one subtree per step)");
  cmd->add_option("--dagger-rounds", o.dagger_rounds,
                  "DAgger rounds per table; fractions then select training images, not rows")
      ->check(whole_number(0, 16))
      ->capture_default_str();
  cmd->add_option("--augment-shift", a->augment_shift, "pixels: DAgger rounds run on images shifted by up to this much")
      ->check(whole_number(1, 8))
      ->capture_default_str();
  cmd->add_option("--dagger-weights", o.dagger_weights, "eq. 1 weights a,b,c the DAgger rounds search with")
      ->delimiter(',')
      ->expected(3)
      ->check(finite_number(1e-9, 1e9))
      ->capture_default_str();
  add_out(*cmd, a->out_dir, "folder for CSV, summary.json, plots and trials/ (one result per fraction, resumable)");
  cmd->add_option("--workers", a->workers,
                  "local processes sharing the fractions (docs/distributed.md); under mpirun leave it at 1")
      ->check(whole_number(1, 256))
      ->capture_default_str();
  add_threads(*cmd, o.threads);
  add_no_progress(*cmd, a->no_progress);
  add_json(*cmd, a->json, "print the summary as one JSON object");
  cmd->callback([a] {
    a->search.resolve();
    run(*a);
  });
}

}  // namespace mbi::cli
