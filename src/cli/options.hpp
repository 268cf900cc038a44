#pragma once
// Flags shared by several subcommands, each declared once with one range and one meaning.
#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>

#include "mbi/core/image_set.hpp"
#include "mbi/experiment/lookup_evaluation.hpp"
#include "mbi/graph/hnsw_index.hpp"
#include "mbi/lookup/engine.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/lookup/table_data.hpp"
#include "mbi/search/kmeans_tree.hpp"
#include "mbi/tune/trial_evaluator.hpp"

namespace mbi::train {
struct TrainOptions;
}  // namespace mbi::train

namespace mbi::cli {

// --threads: 0..1024, 0 = all cores.
CLI::Option* add_threads(CLI::App& cmd, int& threads, const std::string& help = "threads (0 = all cores)");
// --json: print one JSON object on stdout instead of text.
CLI::Option* add_json(CLI::App& cmd, bool& json, const std::string& help = "print one JSON object on stdout");
// --out: a file or folder to write (not empty); the default, if any, is shown.
CLI::Option* add_out(CLI::App& cmd, std::filesystem::path& out, const std::string& help);
// Refuses (CLI::ValidationError naming `flag`) an output that names the same file as one of
// `inputs`, however the paths are written: a run must never overwrite what it was given.
void check_not_an_input(const std::string& flag, const std::filesystem::path& out,
                        std::initializer_list<std::filesystem::path> inputs);
// Refuses (CLI::ValidationError naming `flag`), before any work, an output file that could
// not be written at the end: an existing folder in its place, or a file where a folder above
// it must be.
void check_output_file(const std::string& flag, const std::filesystem::path& out);
// --seed: any 64-bit integer.
CLI::Option* add_seed(CLI::App& cmd, std::uint64_t& seed, const std::string& help);
// --no-progress: no progress bar.
CLI::Option* add_no_progress(CLI::App& cmd, bool& no_progress);

// Where to read images and how the validation split is carved out of the training file.
struct DataOptions {
  std::filesystem::path dir = "../shared/data/mnist";
  double val_fraction = 0.1;
  std::uint64_t split_seed = 0;
  std::size_t limit = 0;  // use only the first N images of the split (0 = all)

  // --data, --val-fraction, --split-seed, --limit.
  void add_to(CLI::App& cmd);
  // Loads the named split (train, val, train-all, test), honouring --limit.
  ImageSet load(const std::string& split) const;
};

// --split: one of train, val, train-all, test.
CLI::Option* add_split(CLI::App& cmd, std::string& split, const std::string& help = "images to evaluate");

// How a teacher trains (`mbi train`, `mbi experiment fig3`): --epochs, --batch, --lr,
// --lr-patience, --lr-factor, --early-stop, --reinforce-weight, --augment-shift and
// --train-random-start, each showing the default the caller set in `options`.
void add_training_flags(CLI::App& cmd, train::TrainOptions& options, const std::string& batch_help = "batch size");
// The recipe of the shipped MNIST teachers (`mbi train`'s defaults; docs/teachers.md): Adam lr
// 5e-4 cut after 8 flat epochs, early stop after 20, up to 150 epochs, random first locations
// while training, images shifted by up to 2 pixels.
void set_shipped_training_recipe(train::TrainOptions& options);

// How a table's search trees are built (`mbi distill`, `mbi index`).
struct TreeFlags {
  KMeansTreeParams params;  // defaults: leaves of 32 keys, as the published arrays
  std::uint32_t trees = 1;
  std::uint32_t global_trees = 0;  // of the further trees, how many span all steps
  bool no_tree = false;
  bool global_tree = false;

  // Adds --branching, --leaf-size, --restarts, --trees, --global-trees, --no-tree and
  // --global-tree. With defaults_from_table, the help says unset flags keep the table's
  // settings (defaults_from).
  void add_to(CLI::App& cmd, bool defaults_from_table = false);
  // Takes every setting not given on the command line from a table metadata's "tree" entry
  // (as build() writes it), so that rebuilding a table's trees keeps their shape by default.
  void defaults_from(const nlohmann::json& tree_meta);
  // Builds the trees into `table` with params (the caller sets params.seed), or drops them
  // with --no-tree. Returns the table metadata's "tree" entry, null without a tree; `mbi tune`
  // rebuilds the trees from it.
  nlohmann::json build(TableData& table) const;
  // Rebuilds a table's trees as its metadata's "tree" entry had them (defaults_from), with
  // `seed` or else the old trees' seed (else 1): `mbi index` and `mbi prune`.
  nlohmann::json rebuild(TableData& table, const nlohmann::json& old_tree, std::optional<std::uint64_t> seed = {});

 private:
  CLI::Option* branching_ = nullptr;
  CLI::Option* leaf_size_ = nullptr;
  CLI::Option* restarts_ = nullptr;
  CLI::Option* trees_ = nullptr;
  CLI::Option* global_trees_ = nullptr;
  CLI::Option* global_ = nullptr;
};

// --search, --probes and --max-comparisons (and, with_epsilon, --epsilon): how each glimpse
// step searches the table, with `mbi eval`'s defaults and meaning everywhere, so that a
// weighting is tuned for the search `mbi eval` runs unless told otherwise. The settings
// themselves are experiment::LookupSearch's (what the Python package sets too).
struct SearchFlags : experiment::LookupSearch {
  void add_to(CLI::App& cmd, bool with_epsilon = false);
  // After parsing: an explicit --probes alone asks for that many leaves (no budget), and a
  // bounded search goes as far as its bound needs unless a budget is given with it. Throws
  // CLI::ValidationError for flags that contradict each other.
  void resolve();
  // The lookup options these flags give on `table` (--search exhaustive: its exhaustive scan).
  LookupOptions lookup_options(const Table& table) const { return options(table); }
  // Copies the flags into a tuning search. Throws CLI::ValidationError for --search graph.
  void apply(tune::TableSearch& s) const;
  // --search graph: builds the graphs over `table` (one per glimpse step when its trees are
  // per step) with `threads` threads and points the search at them; otherwise nothing.
  void prepare(const Table& table, int glimpses, int threads);

 private:
  std::shared_ptr<const graph::HnswIndex> graph_index_;
  std::uint32_t graph_m_ = 16;
  std::uint32_t graph_ef_construction_ = 200;
  bool graph_all_rows_ = false;
  std::filesystem::path graph_file_;
  CLI::Option* probes_option_ = nullptr;
  CLI::Option* budget_option_ = nullptr;
  CLI::Option* epsilon_option_ = nullptr;
};

// Prints `result` as one JSON line (json) or indented.
void print_json(const nlohmann::json& result, bool json);
// The JSON records at `paths` (records written beside models), in order. Throws mbi::Error
// naming the file that is missing or not JSON.
std::vector<nlohmann::json> read_json_records(const std::vector<std::filesystem::path>& paths);

}  // namespace mbi::cli
