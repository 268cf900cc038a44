#include "options.hpp"

#include <torch/torch.h>

#include "mbi/error.hpp"

#include <numeric>
#include <thread>

namespace mbi::cli {

void DataOptions::add_to(CLI::App& cmd) {
  cmd.add_option("--data", dir, "folder with IDX files (train-images-idx3-ubyte[.gz], ...)")
      ->capture_default_str();
  cmd.add_option("--val-fraction", val_fraction, "fraction of the training file held out for validation")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str();
  cmd.add_option("--split-seed", split_seed, "seed of the train/validation split")->capture_default_str();
  cmd.add_option("--limit", limit, "use only the first N images of each split (0 = all)")->capture_default_str();
}

data::ImageSet DataOptions::load(const std::string& split) const {
  data::ImageSet set = data::load_named_split(dir, split, val_fraction, split_seed);
  if (limit > 0 && limit < set.count()) {
    std::vector<std::size_t> first(limit);
    std::iota(first.begin(), first.end(), std::size_t{0});
    const int classes = set.classes;
    set = set.subset(first);
    set.classes = classes;
  }
  return set;
}

void TreeFlags::add_to(CLI::App& cmd, bool defaults_from_table) {
  // With defaults from the table, the compiled-in values are not the defaults: do not show them.
  const auto option = [&](const std::string& name, auto& value, const std::string& help) {
    CLI::Option* o = cmd.add_option(name, value, help + (defaults_from_table ? " (default: the table's)" : ""));
    if (!defaults_from_table) o->capture_default_str();
    return o;
  };
  branching_ = option("--branching", params.branching, "k-means tree branching")->check(CLI::Range(2, 256));
  leaf_size_ = option("--leaf-size", params.max_leaf_size, "largest leaf")->check(CLI::Range(1, 1 << 20));
  restarts_ = option("--restarts", params.restarts, "k-means restarts per split")->check(CLI::Range(1, 100));
  trees_ = option("--trees", trees,
                  "k-means trees with different seeds (a forest): searches split their budget between them and keep "
                  "the closest answer; each tree past the first keeps another copy of the keys in memory")
               ->check(CLI::Range(1, static_cast<int>(kMaxTrees)));
  global_trees_ = option("--global-trees", global_trees,
                         "of the trees after the first, how many span all glimpse steps instead of one subtree per "
                         "step (they find the closer keys recorded at other steps; fewer than --trees)")
                      ->check(CLI::Range(0, static_cast<int>(kMaxTrees) - 1));
  cmd.add_flag("--no-tree", no_tree, "store no search tree (exhaustive search only)");
  global_ = cmd.add_flag("--global-tree", global_tree,
                         "one k-means tree over all rows (default: the root splits by glimpse step, one subtree per "
                         "step" + std::string(defaults_from_table ? ", or as the table's" : "") + ")");
}

void TreeFlags::defaults_from(const nlohmann::json& tree_meta) {
  if (!tree_meta.is_object()) return;
  if (branching_->count() == 0) params.branching = tree_meta.value("branching", params.branching);
  if (leaf_size_->count() == 0) params.max_leaf_size = tree_meta.value("max_leaf_size", params.max_leaf_size);
  if (restarts_->count() == 0) params.restarts = tree_meta.value("restarts", params.restarts);
  if (trees_->count() == 0) trees = tree_meta.value("trees", trees);
  if (global_trees_->count() == 0) global_trees = tree_meta.value("global_trees", global_trees);
  // Tables written before per-step trees existed have no "per_step": theirs is global.
  if (global_->count() == 0) global_tree = !tree_meta.value("per_step", false);
}

nlohmann::json TreeFlags::build(TableData& table) const {
  if (no_tree) {
    table.tree.reset();
    table.forest.clear();
    return nullptr;
  }
  if (global_trees >= trees)
    throw Error("--global-trees: " + std::to_string(global_trees) + " must be fewer than --trees (" +
                std::to_string(trees) + ")");
  table.build_tree(params, !global_tree, trees, global_trees);
  return {{"branching", params.branching},
          {"max_leaf_size", params.max_leaf_size},
          {"restarts", params.restarts},
          {"seed", params.seed},
          {"per_step", !global_tree},
          {"trees", trees},
          {"global_trees", global_trees},
          {"max_depth", table.tree->max_depth()}};
}

void set_threads(int threads) {
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
}

}  // namespace mbi::cli
