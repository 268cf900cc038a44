// `mbi experiment forest`: lookup accuracy against comparisons for forests of 1, 2, 4... trees
// over one table (experiment/forest_curve.hpp), as CSV, JSON and a plot.
#include "commands.hpp"
#include "mbi/core/error.hpp"
#include "mbi/experiment/forest_curve.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/train/threads.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

namespace fs = std::filesystem;

struct ForestArgs {
  DataOptions data;
  fs::path table;
  fs::path out = "results/forest-curve";
  std::string split = "test";
  std::vector<std::string> forests = {"1", "2", "4"};
  experiment::ForestCurveOptions options;
  bool json = false;
};

void run(ForestArgs& a) {
  train::set_threads(a.options.threads);
  a.options.forests.clear();
  for (const std::string& spec : a.forests) a.options.forests.push_back(experiment::parse_forest(spec));
  TableData base;
  io::TableInfo info;
  ImageSet set;
  {
    const Table input = Table::open(a.table);
    info = io::read_table_info(input);
    set = a.data.load(a.split);
    io::check_image_size(info, input, set, a.data.dir);
    base = input.copy();
  }
  const std::optional<tune::TableSearch> search = tune::tree_search_from_meta(info.meta);
  if (!search) throw Error(a.table.string() + ": has no search tree to rebuild (distilled with --no-tree)");
  a.options.split = a.split;
  io::ResultFiles results = experiment::forest_curve(base, info.config, *search, set, a.options);
  results.summary["table"] = a.table.string();
  results.write(a.out, "summary.json");
  if (a.json) print_json(results.summary, true);
}

}  // namespace

void register_experiment_forest(CLI::App& experiment) {
  auto a = std::make_shared<ForestArgs>();
  auto* cmd = experiment.add_subcommand(
      "forest", "lookup accuracy against comparisons for forests of 1, 2, 4... trees over one table");
  a->data.add_to(*cmd);
  cmd->add_option("--table", a->table, "table file (its rows, weights and tree settings are kept)")->required();
  add_out(*cmd, a->out, "folder for forest.csv, summary.json and plots");
  add_split(*cmd, a->split);
  cmd->add_option("--trees", a->forests,
                  "forests: N trees split by step like the table's, or N:M with the last M spanning all steps")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--budgets", a->options.budgets,
                  "search budgets per step, split between the trees (0 = one leaf each)")
      ->delimiter(',')
      ->check(whole_number(0, 1 << 30))
      ->capture_default_str();
  add_threads(*cmd, a->options.threads, "threads for the lookups (images/s is per this many; 0 = all cores)");
  add_json(*cmd, a->json, "print the summary as one JSON object");
  cmd->callback([a] { run(*a); });
}

}  // namespace mbi::cli
