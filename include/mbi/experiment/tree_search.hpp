#pragma once
// Fig. 4(c): how close the tree search gets to the exhaustive best, on the queries lookup
// inference really meets (each image's trajectory under exhaustive search), for several
// search settings: leaves (probes), comparison budgets and bounded searches (epsilon).
#include <cstdint>
#include <string>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/lookup/ram_config.hpp"
#include "mbi/lookup/table.hpp"

namespace mbi::experiment {

struct TreeSearchStudy {
  std::vector<std::uint32_t> probes = {1, 2, 4, 8, 16};
  std::vector<std::uint32_t> max_comparisons;  // one per probes entry when given (0 = leaf count)
  std::vector<double> epsilons;                // bounded searches, measured after the probes entries
  std::string split = "val";                   // named in the summary
  bool progress = false;
};

// Summary: recall of the exhaustive best and gaps per setting (by_probes); table
// tree_vs_exhaustive (one row per query and setting); plot fig4c_tree_vs_exhaustive. Throws
// mbi::Error when the table has no tree or the budgets do not match the probes.
io::ResultFiles tree_search_experiment(const Table& table, const RamConfig& config, const ImageSet& images,
                                       const TreeSearchStudy& options);

}  // namespace mbi::experiment
