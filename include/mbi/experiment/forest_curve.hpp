#pragma once
// Lookup accuracy against comparisons for forests of 1, 2, 4... trees over one table (same
// rows and weights), some of them optionally spanning all glimpse steps, at several budgets.
// The trees are rebuilt for every forest size from the table's own tree settings, so the
// single-tree curve is measured the same way as the others (`mbi index --trees N`, then
// `mbi eval --max-comparisons B`, for every N and B).
#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/lookup/ram_config.hpp"
#include "mbi/lookup/table_data.hpp"
#include "mbi/tune/trial_evaluator.hpp"

namespace mbi::experiment {

struct Forest {
  std::uint32_t trees = 1;
  std::uint32_t global_trees = 0;  // of them, the last ones spanning all steps
};

// "N" (N trees split by step like the table's) or "N:M" (the last M spanning all steps).
// Throws mbi::Error naming `flag` for anything else.
Forest parse_forest(const std::string& spec, const std::string& flag = "--trees");

struct ForestCurveOptions {
  std::vector<Forest> forests = {{1, 0}, {2, 0}, {4, 0}};
  std::vector<std::uint32_t> budgets = {200, 400, 800, 1600, 3200};
  std::string split = "test";  // named in the summary and plot
  int threads = 1;
};

// `base`: the table's rows and weights; `tree`: its tree settings (tune::tree_search_from_meta).
// Summary by_forest; table forest; plot forest_accuracy.
io::ResultFiles forest_curve(const TableData& base, const RamConfig& config, const tune::TableSearch& tree,
                             const ImageSet& images, const ForestCurveOptions& options);

}  // namespace mbi::experiment
