#include "mbi/experiment/forest_curve.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>

#include "mbi/core/error.hpp"
#include "mbi/lookup/lookup_run.hpp"

namespace mbi::experiment {

Forest parse_forest(const std::string& spec, const std::string& flag) {
  std::uint32_t n = 0, m = 0;
  char extra = 0;
  const int got = std::sscanf(spec.c_str(), "%u:%u%c", &n, &m, &extra);
  if ((got != 1 && got != 2) || n < 1 || n > kMaxTrees || m >= n)
    throw Error(flag + ": '" + spec + "' is not N or N:M with 1 <= N <= " + std::to_string(kMaxTrees) + " and M < N");
  return {n, m};
}

io::ResultFiles forest_curve(const TableData& base, const RamConfig& config, const tune::TableSearch& tree,
                             const ImageSet& images, const ForestCurveOptions& o) {
  io::ResultFiles out;
  nlohmann::json rows = nlohmann::json::array();
  CsvTable csv({"trees", "global_trees", "max_comparisons", "accuracy", "comparisons_per_image",
                "median_comparisons_per_step", "images_per_second", "table_bytes", "resident_bytes"});
  for (const Forest& f : o.forests) {
    tune::TableSearch forest = tree;
    forest.trees = f.trees;
    forest.global_trees = f.global_trees;
    tune::TrialEvaluator evaluator(base, config, forest, o.threads);
    const auto t0 = std::chrono::steady_clock::now();
    const Table& table = evaluator.prepare(base.segment_weights);
    const double build_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // Its file's size: the forest's copies of the keys are made on load, in memory only.
    const std::size_t table_bytes = table.resident_bytes() - table.forest()->copied_bytes();
    spdlog::info("{} tree(s), {} across steps: built in {:.1f} s, {} bytes in memory", f.trees, f.global_trees,
                 build_seconds, table.resident_bytes());
    for (const std::uint32_t budget : o.budgets) {
      LookupOptions lo;
      lo.search.max_comparisons = budget;
      const LookupRun r = run_lookups(table, config, images, lo, o.threads, false);
      const double n = static_cast<double>(images.count());
      const double accuracy = r.accuracy(images);
      const double comparisons = static_cast<double>(r.comparisons) / n;
      const double median = r.median_step_comparisons();
      const double speed = n / r.seconds;
      spdlog::info("  budget {:>5}: {:.2f}%  {:.0f} comparisons/image  {:.0f} images/s", budget, accuracy, comparisons,
                   speed);
      csv.add({cell(f.trees), cell(f.global_trees), cell(budget), cell(accuracy), cell(comparisons), cell(median),
               cell(speed), cell(table_bytes), cell(table.resident_bytes())});
      rows.push_back({{"trees", f.trees},
                      {"global_trees", f.global_trees},
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
  out.tables.emplace_back("forest", std::move(csv));
  std::string plot =
      "set datafile separator ','\nset title 'Lookup accuracy against comparisons: forests of k-means trees'\n"
      "set xlabel 'comparisons per image'\nset ylabel 'accuracy on the " + o.split +
      " split (%)'\nset logscale x\nset key bottom right\nplot ";
  for (std::size_t i = 0; i < o.forests.size(); ++i) {
    const auto [n, m] = o.forests[i];
    const std::string title =
        std::to_string(n) + (n == 1 ? " tree" : " trees") + (m > 0 ? " (" + std::to_string(m) + " across steps)" : "");
    plot += (i ? ", " : "") + fmt::format("'forest.csv' every ::1 using ($1=={} && $2=={} ? $5 : 1/0):4 with "
                                          "linespoints title '{}'", n, m, title);
  }
  out.plots.emplace_back("forest_accuracy", plot + "\n");
  out.summary = {{"split", o.split},
                 {"images", images.count()},
                 {"threads", o.threads},
                 {"tree", {{"branching", tree.tree_params.branching},
                           {"max_leaf_size", tree.tree_params.max_leaf_size},
                           {"per_step", tree.per_step}}},
                 {"by_forest", rows}};
  return out;
}

}  // namespace mbi::experiment
