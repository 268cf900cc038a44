#pragma once
// `mbi eval --mode mbi|mixed` as one function: lookups (and, in mixed mode, a fallback
// classifier behind them) through the evaluation contract, priced and reported as the JSON
// record the command prints. The command line and the Python package (python/) both call it,
// so that the same table, images and settings give the same record, field for field, from
// either (only the times and the command line differ).
#include <nlohmann/json.hpp>

#include <cstdint>
#include <string>

#include "mbi/core/image_set.hpp"
#include "mbi/eval/classifier.hpp"
#include "mbi/eval/energy_table.hpp"
#include "mbi/eval/report.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/lookup/engine.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "mbi/lookup/table.hpp"

namespace mbi::experiment {

// How each glimpse step searches the table: what `--search`, `--probes`, `--max-comparisons`
// and `--epsilon` say.
struct LookupSearch {
  // "tree" (the table's trees), "exhaustive" (every row) or "graph" (a proximity graph over
  // the table's keys, graph/hnsw_index.hpp, which the caller builds and sets below)
  std::string search = "tree";
  std::uint32_t probes = 1;                              // tree: leaves; graph: the walk's breadth
  std::uint32_t max_comparisons = kDefaultSearchBudget;  // tree: 0 scans `probes` leaves
  double epsilon = -1;                                   // tree: >= 0 is a bounded search
  const NearestIndex* graph = nullptr;                   // search "graph": the graph index
  std::size_t graph_bytes = 0;                           // what its links take (reported)

  bool exhaustive() const { return search == "exhaustive"; }
  bool graph_search() const { return search == "graph"; }
  // The lookup options these settings give on `table`. Throws mbi::Error naming the table when
  // a tree search is asked of a table without one, a graph search without a graph, or the
  // search is none of the three.
  LookupOptions options(const Table& table) const;
};

struct LookupEvaluation {
  LookupSearch search;
  double threshold = -1;  // mixed mode: fall back above this eq. 1 distance (>= 0); < 0: lookups alone
  int threads = 1;        // 0: all cores
  bool progress = false;
  eval::EvaluationInput input;   // data set name and split, as the report gives them
  eval::Provenance provenance;   // the inputs are added (table, and model for mixed mode)
  std::string model;             // mixed mode: the fallback teacher's file, for the record
  // Prices every comparison on the 10T-SRAM arrays (experiment/sram_pricing.hpp) when set;
  // `hw_source` names its file.
  const hw::HwConfig* hw = nullptr;
  std::string hw_source;
  eval::EnergyTable energy;  // other events' energies (the teacher's digital compute)
};

// What a per-step comparison budget asked and what the steps spent: a search checks its
// budget between leaves and finishes the leaf it is in, so steps overshoot by up to a leaf.
// {"asked_per_step", "spent_per_step": {"mean", "median", "p90", "max"}, "steps_over_budget"
// (fraction), "note"}; asked 0 (no budget) gives the spend alone.
nlohmann::json comparison_budget_json(const LookupRun& run, std::uint32_t asked_per_step);

// Evaluates the table on `images` (already checked to be the size its teacher takes) and
// returns the record of `mbi eval --mode mbi` (fallback null, threshold < 0) or `--mode mixed`
// (fallback and threshold given). Throws mbi::Error when mixed mode lacks either.
nlohmann::json evaluate_lookups(const Table& table, const ImageSet& images, const LookupEvaluation& settings,
                                eval::Classifier* fallback = nullptr);

}  // namespace mbi::experiment
