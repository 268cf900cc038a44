#pragma once
// Flags shared by several subcommands.
#include <CLI/CLI.hpp>

#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "mbi/data/idx.hpp"
#include "mbi/kmeans_tree.hpp"
#include "mbi/table_file.hpp"

namespace mbi::cli {

// Where to read images and how the validation split is carved out of the training file.
struct DataOptions {
  std::filesystem::path dir = "../shared/data/mnist";
  double val_fraction = 0.1;
  std::uint64_t split_seed = 0;
  std::size_t limit = 0;  // use only the first N images of the split (0 = all)

  void add_to(CLI::App& cmd);
  // Loads the named split (train, val, train-all, test), honouring --limit.
  data::ImageSet load(const std::string& split) const;
};

// How a table's search trees are built (`mbi distill`, `mbi index`).
struct TreeFlags {
  KMeansTreeParams params;  // defaults: leaves of 32 keys, as the published arrays
  std::uint32_t trees = 1;
  std::uint32_t global_trees = 0;  // of the further trees, how many span all steps
  bool no_tree = false;
  bool global_tree = false;

  // Adds --branching, --leaf-size, --restarts, --trees, --global-trees, --no-tree and
  // --global-tree. With
  // defaults_from_table, the help says unset flags keep the table's settings (defaults_from).
  void add_to(CLI::App& cmd, bool defaults_from_table = false);
  // Takes every setting not given on the command line from a table metadata's "tree" entry
  // (as build() writes it), so that rebuilding a table's trees keeps their shape by default.
  void defaults_from(const nlohmann::json& tree_meta);
  // Builds the trees into `table` with params (the caller sets params.seed), or drops them
  // with --no-tree. Returns the table metadata's "tree" entry, null without a tree; `mbi tune`
  // rebuilds the trees from it.
  nlohmann::json build(TableData& table) const;

 private:
  CLI::Option* branching_ = nullptr;
  CLI::Option* leaf_size_ = nullptr;
  CLI::Option* restarts_ = nullptr;
  CLI::Option* trees_ = nullptr;
  CLI::Option* global_trees_ = nullptr;
  CLI::Option* global_ = nullptr;
};

// Sets LibTorch's intra-op threads (0 = all cores).
void set_threads(int threads);

}  // namespace mbi::cli
