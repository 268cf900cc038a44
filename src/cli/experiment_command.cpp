// `mbi experiment`: reproductions of the paper's lookup figures, each writing CSV, a JSON
// summary and a rendered plot (the sweeps themselves are in mbi_experiment).
//   tree      Fig. 4(c): tree vs exhaustive best-match distance, recall, comparisons
//   mixed     Fig. 5: accuracy and coverage of mixed mode against the threshold
// (Accuracy against table size, unweighted and tuned, is `mbi experiment fig4a`; speed is
// `mbi experiment speed`; accuracy against comparisons for forests, `mbi experiment forest`.)
#include "commands.hpp"
#include "mbi/experiment/mixed_threshold.hpp"
#include "mbi/experiment/tree_search.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "mbi/lookup/ram_keys.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/threads.hpp"
#include "mbi/train/trainer.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

struct Common {
  DataOptions data;
  std::filesystem::path table;
  std::filesystem::path out_dir;
  std::string split = "test";
  int threads = 0;
  bool json = false;
};

void add_common(CLI::App* cmd, Common& c, const std::string& default_out) {
  c.data.add_to(*cmd);
  c.out_dir = default_out;
  add_out(*cmd, c.out_dir, "folder for CSV, JSON and plots");
  add_split(*cmd, c.split);
  add_threads(*cmd, c.threads);
  add_json(*cmd, c.json, "print the summary as one JSON object");
  cmd->add_option("--table", c.table, "table file")->required();
}

// Writes the results and their summary.json, then prints the summary.
void finish(const Common& c, const io::ResultFiles& results) {
  results.write(c.out_dir, "summary.json");
  print_json(results.summary, c.json);
}

// ---------------------------------------------------------------- Fig. 4(c)
struct TreeArgs : Common {
  experiment::TreeSearchStudy options;
};

void run_tree(TreeArgs& a) {
  const Table table = Table::open(a.table);
  const io::TableInfo info = io::read_table_info(table);
  const ImageSet set = a.data.load(a.split);
  io::check_image_size(info, table, set, a.data.dir);
  a.options.split = a.split;
  a.options.progress = !a.json;
  finish(a, experiment::tree_search_experiment(table, info.config, set, a.options));
}

// ---------------------------------------------------------------- Fig. 5
struct MixedArgs : Common {
  std::filesystem::path model;
  SearchFlags search;
  experiment::MixedThresholdOptions options;
};

void run_mixed(MixedArgs& a) {
  train::set_threads(a.threads);
  const Table table = Table::open(a.table);
  const io::TableInfo info = io::read_table_info(table);
  auto teacher = train::load_model(a.model);
  io::check_same_teacher(info, table, teacher.checksum, a.model);
  const ImageSet set = a.data.load(a.split);
  io::check_image_size(info, table, set, a.data.dir);
  const LookupRun run = run_lookups(table, info.config, set, a.search.lookup_options(table), a.threads, !a.json);
  const std::vector<int> teacher_pred = train::predict(teacher.model, set);
  const double norm = eq1_normalizer(info.config, {table.segment_weights().begin(), table.segment_weights().end()});
  io::ResultFiles results = experiment::mixed_threshold_sweep(run, teacher_pred, set, norm, a.options);
  results.summary["search"] = a.search.search;
  results.summary["probes"] = a.search.probes;
  results.summary["max_comparisons"] = a.search.max_comparisons;
  finish(a, results);
}

}  // namespace

void register_experiment(CLI::App& app) {
  auto* exp = app.add_subcommand("experiment", "reproduce the paper's lookup figures (CSV + plots)");
  exp->require_subcommand(1);

  auto tree = std::make_shared<TreeArgs>();
  auto* t = exp->add_subcommand("tree", "Fig. 4(c): tree vs exhaustive search");
  tree->split = "val";
  add_common(t, *tree, "results/fig4c");
  t->add_option("--probes", tree->options.probes, "probe counts to compare")
      ->delimiter(',')
      ->check(whole_number(1, 1 << 20))
      ->capture_default_str();
  t->add_option("--max-comparisons", tree->options.max_comparisons,
                "comparison budgets, one per --probes entry (0 = scan that many leaves)")
      ->delimiter(',')
      ->check(whole_number(0, 1 << 30));
  t->add_option("--epsilon", tree->options.epsilons,
                "bounded searches to measure after the --probes entries, one per value: each match within a "
                "factor 1 + E of the nearest key the trees reach")
      ->delimiter(',')
      ->check(finite_number(0.0, kMaxSearchEpsilon));
  t->callback([tree] { run_tree(*tree); });

  auto mixed = std::make_shared<MixedArgs>();
  auto* m = exp->add_subcommand("mixed", "Fig. 5: mixed mode against the threshold");
  add_common(m, *mixed, "results/fig5");
  m->add_option("--model", mixed->model, "the teacher the table came from")->required();
  mixed->search.add_to(*m);
  m->add_option("--step", mixed->options.step, "threshold step")->check(finite_number(1e-3, 100.0))->capture_default_str();
  m->callback([mixed] {
    mixed->search.resolve();
    run_mixed(*mixed);
  });

  register_experiment_fig3(*exp);
  register_experiment_fig4a(*exp);
  register_experiment_speed(*exp);
  register_experiment_forest(*exp);
}

}  // namespace mbi::cli
