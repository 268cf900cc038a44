// `mbi experiment forest`: lookup accuracy against comparisons for forests of 1, 2, 4... trees
// over one table (same rows and weights), some of them optionally spanning all glimpse
// steps, at several budgets, as CSV, JSON and a plot.
//
// The trees are rebuilt for every forest size from the table's own tree settings, so the
// single-tree curve is measured the same way as the others (`mbi index --trees N`, then
// `mbi eval --max-comparisons B`, for every N and B).
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "commands.hpp"
#include "lookup_eval.hpp"
#include "mbi/atomic_file.hpp"
#include "mbi/error.hpp"
#include "options.hpp"
#include "plot.hpp"
#include "table_meta.hpp"
#include "weight_tuning.hpp"

namespace mbi::cli {
namespace {

namespace fs = std::filesystem;

struct ForestArgs {
  DataOptions data;
  fs::path table;
  fs::path out = "results/forest-curve";
  std::string split = "test";
  std::vector<std::string> forests = {"1", "2", "4"};
  std::vector<std::uint32_t> budgets = {200, 400, 800, 1600, 3200};
  int threads = 1;
  bool json = false;
};

void run(const ForestArgs& a) {
  set_threads(a.threads);
  // "N" is N trees split by step like the table's; "N:M" makes the last M of them span all steps.
  std::vector<std::pair<std::uint32_t, std::uint32_t>> forests;
  for (const std::string& spec : a.forests) {
    std::uint32_t n = 0, m = 0;
    char extra = 0;
    const int got = std::sscanf(spec.c_str(), "%u:%u%c", &n, &m, &extra);
    if ((got != 1 && got != 2) || n < 1 || n > kMaxTrees || m >= n)
      throw Error("--trees: '" + spec + "' is not N or N:M with 1 <= N <= " + std::to_string(kMaxTrees) + " and M < N");
    forests.emplace_back(n, m);
  }
  TableData base;
  TableInfo info;
  {
    const MappedTable input(a.table);
    info = read_table_info(input);
    base = copy_table(input);
  }
  const std::optional<TableSearch> search = tree_search_from_meta(info.meta);
  if (!search) throw Error(a.table.string() + ": has no search tree to rebuild (distilled with --no-tree)");
  const data::ImageSet set = a.data.load(a.split);
  check_image_size(info, a.table, set, a.data.dir);

  fs::create_directories(a.out);
  nlohmann::json rows = nlohmann::json::array();
  std::string csv = "trees,global_trees,max_comparisons,accuracy,comparisons_per_image,median_comparisons_per_step,"
                    "images_per_second,table_bytes,resident_bytes\n";
  for (const auto& [n, m] : forests) {
    TableSearch forest = *search;
    forest.trees = n;
    forest.global_trees = m;
    TrialEvaluator evaluator(base, info.config, forest, a.threads);  // removes its scratch table when done
    const auto t0 = std::chrono::steady_clock::now();
    const MappedTable& table = evaluator.prepare(base.segment_weights);
    const double build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const std::uintmax_t table_bytes = fs::file_size(table.path());
    spdlog::info("{} tree(s), {} across steps: built in {:.1f} s, {} bytes in memory", n, m, build_seconds,
                 table.resident_bytes());
    for (const std::uint32_t budget : a.budgets) {
      LookupOptions o;
      o.max_comparisons = budget;
      const LookupRun r = run_lookups(table, info.config, set, o, a.threads, false);
      const double images = static_cast<double>(set.count());
      const double accuracy = r.accuracy(set);
      const double comparisons = static_cast<double>(r.comparisons) / images;
      const double median = r.median_step_comparisons();
      const double speed = images / r.seconds;
      spdlog::info("  budget {:>5}: {:.2f}%  {:.0f} comparisons/image  {:.0f} images/s", budget, accuracy, comparisons,
                   speed);
      csv += fmt::format("{},{},{},{},{},{},{},{},{}\n", n, m, budget, accuracy, comparisons, median, speed, table_bytes,
                         table.resident_bytes());
      rows.push_back({{"trees", n},
                      {"global_trees", m},
                      {"max_comparisons", budget},
                      {"accuracy", accuracy},
                      {"comparisons_per_image", comparisons},
                      {"median_comparisons_per_step", median},
                      {"images_per_second", speed},
                      {"table_bytes", table_bytes},
                      {"resident_bytes", table.resident_bytes()},
                      {"build_seconds", build_seconds}});
    }
  }
  write_file_atomic(a.out / "forest.csv", csv);
  std::string plot =
      "set datafile separator ','\nset title 'Lookup accuracy against comparisons: forests of k-means trees'\n"
      "set xlabel 'comparisons per image'\nset ylabel 'accuracy on the " + a.split +
      " split (%)'\nset logscale x\nset key bottom right\nplot ";
  const std::string data = (a.out / "forest.csv").string();
  for (std::size_t i = 0; i < forests.size(); ++i) {
    const auto [n, m] = forests[i];
    const std::string title =
        std::to_string(n) + (n == 1 ? " tree" : " trees") + (m > 0 ? " (" + std::to_string(m) + " across steps)" : "");
    plot += (i ? ", " : "") + fmt::format("'{}' every ::1 using ($1=={} && $2=={} ? $5 : 1/0):4 with linespoints "
                                          "title '{}'", data, n, m, title);
  }
  render_plot(a.out / "forest_accuracy", plot + "\n");
  const nlohmann::json summary = {{"table", a.table.string()},
                                  {"split", a.split},
                                  {"images", set.count()},
                                  {"threads", a.threads},
                                  {"tree", {{"branching", search->tree_params.branching},
                                            {"max_leaf_size", search->tree_params.max_leaf_size},
                                            {"per_step", search->per_step}}},
                                  {"by_forest", rows}};
  write_file_atomic(a.out / "summary.json", summary.dump(2) + "\n");
  if (a.json) std::cout << summary.dump() << std::endl;
}

}  // namespace

void register_experiment_forest(CLI::App& experiment) {
  auto a = std::make_shared<ForestArgs>();
  auto* cmd = experiment.add_subcommand(
      "forest", "lookup accuracy against comparisons for forests of 1, 2, 4... trees over one table");
  a->data.add_to(*cmd);
  cmd->add_option("--table", a->table, "table file (its rows, weights and tree settings are kept)")->required();
  cmd->add_option("--out", a->out, "folder for forest.csv, summary.json and plots")->capture_default_str();
  cmd->add_option("--split", a->split, "images to evaluate")
      ->check(CLI::IsMember({"test", "val", "train", "train-all"}))
      ->capture_default_str();
  cmd->add_option("--trees", a->forests,
                  "forests: N trees split by step like the table's, or N:M with the last M spanning all steps")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--budgets", a->budgets, "search budgets per step, split between the trees (0 = one leaf each)")
      ->delimiter(',')
      ->capture_default_str();
  cmd->add_option("--threads", a->threads, "threads for the lookups (images/s is per this many)")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  cmd->add_flag("--json", a->json, "print the summary as one JSON object");
  cmd->callback([a] { run(*a); });
}

}  // namespace mbi::cli
