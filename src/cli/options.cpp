#include "mbi/train/trainer.hpp"
#include "options.hpp"

#include "validators.hpp"

#include <spdlog/spdlog.h>

#include <chrono>
#include <iostream>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/data/idx.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/search/forest.hpp"
#include "mbi/search/index.hpp"

namespace mbi::cli {

CLI::Option* add_threads(CLI::App& cmd, int& threads, const std::string& help) {
  return cmd.add_option("--threads", threads, help)->check(whole_number(0, 1024))->capture_default_str();
}

CLI::Option* add_json(CLI::App& cmd, bool& json, const std::string& help) { return cmd.add_flag("--json", json, help); }

CLI::Option* add_out(CLI::App& cmd, std::filesystem::path& out, const std::string& help) {
  CLI::Option* o = cmd.add_option("--out", out, help)->check(CLI::Validator(
      [](std::string& text) { return text.empty() ? std::string("must name a file or folder, not ''") : std::string(); },
      "PATH"));
  if (!out.empty()) o->capture_default_str();
  return o;
}

void check_not_an_input(const std::string& flag, const std::filesystem::path& out,
                        std::initializer_list<std::filesystem::path> inputs) {
  namespace fs = std::filesystem;
  for (const fs::path& in : inputs) {
    if (in.empty()) continue;
    std::error_code ec;
    const bool same = fs::exists(out, ec) && fs::exists(in, ec) ? fs::equivalent(out, in, ec)
                                                                : fs::weakly_canonical(out, ec) == fs::weakly_canonical(in, ec);
    if (same)
      throw CLI::ValidationError(flag, out.string() + " is an input of this command (" + in.string() +
                                           "); write the result elsewhere");
  }
}

void check_output_file(const std::string& flag, const std::filesystem::path& out) {
  namespace fs = std::filesystem;
  std::error_code ec;
  if (fs::is_directory(out, ec)) throw CLI::ValidationError(flag, out.string() + " is a folder; name a file");
  for (fs::path up = out.parent_path(); !up.empty(); up = up.parent_path()) {
    if (fs::exists(up, ec)) {
      if (!fs::is_directory(up, ec))
        throw CLI::ValidationError(flag, up.string() + " is a file, so " + out.string() + " cannot be written");
      break;
    }
    if (up == up.parent_path()) break;
  }
}

CLI::Option* add_seed(CLI::App& cmd, std::uint64_t& seed, const std::string& help) {
  return cmd.add_option("--seed", seed, help)
      ->check(whole_number(0, std::numeric_limits<std::uint64_t>::max()))
      ->capture_default_str();
}

CLI::Option* add_no_progress(CLI::App& cmd, bool& no_progress) {
  return cmd.add_flag("--no-progress", no_progress, "no progress bar");
}

void DataOptions::add_to(CLI::App& cmd) {
  cmd.add_option("--data", dir, "folder with IDX files (train-images-idx3-ubyte[.gz], ...)")
      ->capture_default_str();
  cmd.add_option("--val-fraction", val_fraction, "fraction of the training file held out for validation")
      ->check(finite_number(0.001, 0.9))
      ->capture_default_str();
  cmd.add_option("--split-seed", split_seed, "seed of the train/validation split")
      ->check(whole_number(0, std::numeric_limits<std::uint64_t>::max()))
      ->capture_default_str();
  cmd.add_option("--limit", limit, "use only the first N images of each split (0 = all)")
      ->check(whole_number(0, std::numeric_limits<std::uint32_t>::max()))
      ->capture_default_str();
}

ImageSet DataOptions::load(const std::string& split) const {
  const ImageSet set = data::load_named_split(dir, split, val_fraction, split_seed);
  if (set.count() == 0)
    throw Error("--val-fraction " + std::to_string(val_fraction) + ": the " + split + " split of " + dir.string() +
                " holds no images");
  return limit > 0 && limit < set.count() ? set.first(limit) : set;
}

CLI::Option* add_split(CLI::App& cmd, std::string& split, const std::string& help) {
  return cmd.add_option("--split", split, help + ": test, val, train or train-all")
      ->check(CLI::IsMember({"test", "val", "train", "train-all"}))
      ->capture_default_str();
}

void TreeFlags::add_to(CLI::App& cmd, bool defaults_from_table) {
  // With defaults from the table, the compiled-in values are not the defaults: do not show them.
  const auto option = [&](const std::string& name, auto& value, const std::string& help) {
    CLI::Option* o = cmd.add_option(name, value, help + (defaults_from_table ? " (default: the table's)" : ""));
    if (!defaults_from_table) o->capture_default_str();
    return o;
  };
  branching_ = option("--branching", params.branching, "k-means tree branching")->check(whole_number(2, 256));
  leaf_size_ = option("--leaf-size", params.max_leaf_size, "largest leaf")->check(whole_number(1, 1 << 20));
  restarts_ = option("--restarts", params.restarts, "k-means restarts per split")->check(whole_number(1, 100));
  trees_ = option("--trees", trees,
                  "k-means trees with different seeds (a forest): searches split their budget between them and keep "
                  "the closest answer; each tree past the first keeps another copy of the keys in memory")
               ->check(whole_number(1, static_cast<int>(kMaxTrees)));
  global_trees_ = option("--global-trees", global_trees,
                         "of the trees after the first, how many span all glimpse steps instead of one subtree per "
                         "step (they find the closer keys recorded at other steps; fewer than --trees)")
                      ->check(whole_number(0, static_cast<int>(kMaxTrees) - 1));
  CLI::Option* no_tree_option = cmd.add_flag("--no-tree", no_tree, "store no search tree (exhaustive search only)");
  global_ = cmd.add_flag("--global-tree", global_tree,
                         "one k-means tree over all rows (default: the root splits by glimpse step, one subtree per "
                         "step" + std::string(defaults_from_table ? ", or as the table's" : "") + ")");
  // Flags that shape trees mean nothing without one.
  for (CLI::Option* shaping : {branching_, leaf_size_, restarts_, trees_, global_trees_, global_})
    no_tree_option->excludes(shaping);
}

void TreeFlags::defaults_from(const nlohmann::json& tree_meta) {
  if (!tree_meta.is_object()) return;
  const auto unset = [](const CLI::Option* flag) { return flag == nullptr || flag->count() == 0; };
  if (unset(branching_)) params.branching = tree_meta.value("branching", params.branching);
  if (unset(leaf_size_)) params.max_leaf_size = tree_meta.value("max_leaf_size", params.max_leaf_size);
  if (unset(restarts_)) params.restarts = tree_meta.value("restarts", params.restarts);
  if (unset(trees_)) trees = tree_meta.value("trees", trees);
  if (unset(global_trees_)) global_trees = tree_meta.value("global_trees", global_trees);
  // Tables written before per-step trees existed have no "per_step": theirs is global.
  if (unset(global_)) global_tree = !tree_meta.value("per_step", false);
}

nlohmann::json TreeFlags::rebuild(TableData& table, const nlohmann::json& old_tree, std::optional<std::uint64_t> seed) {
  defaults_from(old_tree);
  params.seed = seed.value_or(old_tree.is_object() ? old_tree.value("seed", std::uint64_t{1}) : 1);
  return build(table);
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
  return io::tree_meta(params, !global_tree, trees, global_trees, table.tree->max_depth());
}

void SearchFlags::add_to(CLI::App& cmd, bool with_epsilon) {
  cmd.add_option("--search", search,
                 "tree (the table's trees), exhaustive (every row) or graph (a proximity graph over the keys, HNSW, "
                 "built when the command starts)")
      ->check(CLI::IsMember({"tree", "exhaustive", "graph"}))
      ->capture_default_str();
  cmd.add_option("--graph-m", graph_m_, "--search graph: links per node (HNSW's M)")
      ->check(whole_number(2, 256))
      ->capture_default_str();
  cmd.add_option("--graph-ef-construction", graph_ef_construction_, "--search graph: breadth of the walk that links a node")
      ->check(whole_number(1, 100000))
      ->capture_default_str();
  cmd.add_flag("--graph-all-rows", graph_all_rows_,
               "--search graph: one graph over every row, so a step may match another step's row as exhaustive search "
               "does (default: one graph per glimpse step when the table's trees are per step)");
  cmd.add_option("--graph-file", graph_file_,
                 "--search graph: read the graphs from this file when it exists (refused when built over other keys or "
                 "settings), else build them and write them there");
  probes_option_ = cmd.add_option("--probes", probes, "tree leaves scanned per step; --search graph: the walk's breadth (ef)")
                       ->check(whole_number(1, 1 << 20))
                       ->capture_default_str();
  budget_option_ = cmd.add_option("--max-comparisons", max_comparisons,
                                  "tree search budget per step: scan leaves best-first until this many distances are "
                                  "computed (0 = scan --probes leaves; giving --probes alone implies 0)")
                       ->check(whole_number(0, 1 << 30))
                       ->capture_default_str();
  if (with_epsilon)
    epsilon_option_ = cmd.add_option("--epsilon", epsilon,
                                     "bounded tree search: every step's match is within a factor 1 + E of the nearest "
                                     "key its trees reach (bounds on every tree node prune the rest); no budget unless "
                                     "--max-comparisons is given too")
                          ->check(finite_number(0.0, kMaxSearchEpsilon));
}

void SearchFlags::resolve() {
  const bool probes_given = probes_option_ != nullptr && probes_option_->count() > 0;
  const bool budget_given = budget_option_ != nullptr && budget_option_->count() > 0;
  const bool epsilon_given = epsilon_option_ != nullptr && epsilon_option_->count() > 0;
  if ((probes_given || epsilon_given) && !budget_given) max_comparisons = 0;
  if (epsilon_given && probes_given)
    throw CLI::ValidationError("--epsilon", "a bounded search does not count leaves; drop --probes");
  if (epsilon_given && exhaustive())
    throw CLI::ValidationError("--epsilon", "applies to the tree search, not --search exhaustive");
  if (graph_search()) {
    if (epsilon_given) throw CLI::ValidationError("--epsilon", "applies to the tree search, not --search graph");
    if (budget_given) throw CLI::ValidationError("--max-comparisons", "applies to the tree search; a graph walk's breadth is --probes");
    max_comparisons = 0;
  }
}

void SearchFlags::prepare(const Table& table, int glimpses, int threads) {
  if (!graph_search()) return;
  graph::HnswParams params;
  params.m = graph_m_;
  params.ef_construction = graph_ef_construction_;
  const auto start = std::chrono::steady_clock::now();
  bool loaded = false;
  auto index = graph::hnsw_over_table(table, glimpses, params, threads, !graph_all_rows_, graph_file_, &loaded);
  graph_bytes = index->link_bytes();
  spdlog::info("graph search: {} graph(s) over {} rows {} in {:.1f} s (M {}, ef_construction {}), {} bytes of links",
               index->groups(), table.rows(), loaded ? "read from " + graph_file_.string() : std::string("built"),
               std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), params.m,
               params.ef_construction, graph_bytes);
  graph_index_ = std::move(index);
  graph = graph_index_.get();
}

void SearchFlags::apply(tune::TableSearch& s) const {
  if (graph_search()) throw CLI::ValidationError("--search", "tuning searches the table's trees or every row, not a graph");
  s.tree = !exhaustive();
  s.probes = probes;
  s.max_comparisons = max_comparisons;
}

std::vector<nlohmann::json> read_json_records(const std::vector<std::filesystem::path>& paths) {
  std::vector<nlohmann::json> records;
  for (const auto& path : paths) {
    try {
      records.push_back(nlohmann::json::parse(read_file(path)));
    } catch (const nlohmann::json::exception& e) {
      throw Error(path.string() + ": invalid JSON: " + e.what());
    }
  }
  return records;
}

void print_json(const nlohmann::json& result, bool json) { std::cout << (json ? result.dump() : result.dump(2)) << std::endl; }

void set_shipped_training_recipe(train::TrainOptions& t) {
  t.random_start = true;
  t.augment_shift = 2;
  t.epochs = 150;
  t.lr = 5e-4;
  t.lr_patience = 8;
  t.early_stop = 20;
}

void add_training_flags(CLI::App& cmd, train::TrainOptions& t, const std::string& batch_help) {
  cmd.add_flag("--train-random-start,!--no-train-random-start", t.random_start,
               "draw first locations uniformly while training (as published); evaluation still uses the model's start");
  cmd.add_option("--augment-shift", t.augment_shift, "shift training images by up to N pixels (0 = off)")
      ->check(whole_number(0, 8))
      ->capture_default_str();
  cmd.add_option("--epochs", t.epochs, "maximum epochs")->check(whole_number(1, 100000))->capture_default_str();
  cmd.add_option("--batch", t.batch, batch_help)->check(whole_number(1, 65536))->capture_default_str();
  cmd.add_option("--lr", t.lr, "Adam learning rate")->check(finite_number(1e-7, 1.0))->capture_default_str();
  cmd.add_option("--lr-patience", t.lr_patience, "epochs without improvement before the lr is cut")
      ->check(whole_number(1, 100000))
      ->capture_default_str();
  cmd.add_option("--lr-factor", t.lr_factor, "lr multiplier on plateau")
      ->check(finite_number(1e-3, 1.0))
      ->capture_default_str();
  cmd.add_option("--early-stop", t.early_stop, "epochs without improvement before stopping")
      ->check(whole_number(1, 100000))
      ->capture_default_str();
  cmd.add_option("--reinforce-weight", t.reinforce_weight, "weight of the REINFORCE term")
      ->check(finite_number(0, 1000))
      ->capture_default_str();
}

}  // namespace mbi::cli
