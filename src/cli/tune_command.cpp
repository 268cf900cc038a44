// `mbi tune`: Bayesian optimization of the lookup distance's weights (paper eq. 1, and
// finer weightings the key layout allows) on the validation split, written back into the
// table so that `mbi eval` and the hardware model use them.
//
// Objective: pure-lookup accuracy of the search the table is deployed with. With --search
// tree (the default, and what `mbi eval` does) every trial rebuilds the k-means tree with
// its weights, because the weights shape the clusters as well as the distance; scoring a
// weighting by exhaustive search would tune for a search users do not run.
#include <spdlog/spdlog.h>

#include <fmt/format.h>

#include <chrono>
#include <iostream>
#include <memory>
#include <tuple>
#include <utility>

#include "commands.hpp"
#include "config_path.hpp"
#include "mbi/core/csv_table.hpp"
#include "mbi/core/error.hpp"
#include "mbi/experiment/hw_studies.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "mbi/lookup/ram_keys.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/threads.hpp"
#include "mbi/tune/trial_evaluator.hpp"
#include "mbi/tune/weight_search.hpp"
#include "mbi/tune/weight_space.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

using tune::SearchRun;
using tune::TableSearch;
using tune::WeightSpace;

struct TuneArgs {
  DataOptions data;
  std::filesystem::path table;
  std::filesystem::path model;
  std::filesystem::path out;
  std::filesystem::path csv;
  std::string split = "val";
  std::string space = "eq1";
  std::string method = "bo";
  SearchFlags search;
  int budget = 10;
  std::uint64_t seed = 1;
  int threads = 0;
  bool json = false;
  bool no_progress = false;
  // Weights tuned under read noise: scored by lookups through the hardware model with
  // Gaussian distance noise of this std (the published study's), 0 = the table's search.
  double noise_sigma = 0;
  std::string noise_descent = "circuit";
  std::filesystem::path hw_config;
  // Fraction of the validation split kept out of the search: the tuned weights replace the
  // table's only if they also score higher there (0: search on all of it, keep the best).
  double holdout = 0;
};

// The validation split cut in two: the first images to search on, the last `fraction` to
// check the winner on.
std::pair<ImageSet, ImageSet> split_holdout(const ImageSet& val, double fraction) {
  const auto held = static_cast<std::size_t>(static_cast<double>(val.count()) * fraction + 0.5);
  if (held == 0 || held >= val.count())
    throw Error(fmt::format("--holdout {}", fraction) + ": leaves " + std::to_string(val.count() - held) +
                " of " + std::to_string(val.count()) + " validation images to search on and " + std::to_string(held) +
                " to check on (both need at least one)");
  std::vector<std::size_t> last(held);
  for (std::size_t i = 0; i < held; ++i) last[i] = val.count() - held + i;
  return {val.first(val.count() - held), val.subset(last)};
}

// The objective of weights tuned under read noise: lookups through the modelled arrays.
tune::TrialEvaluator::Scorer noisy_scorer(const TuneArgs& a) {
  auto config = std::make_shared<hw::HwConfig>(
      hw::load_hw_config(given_or_shipped(a.hw_config, kHwConfig, "--hw-config")));
  const hw::Descent descent = a.noise_descent == "digital" ? hw::Descent::digital : hw::Descent::circuit;
  return [config, descent, sigma = a.noise_sigma, seed = a.seed, threads = a.threads](
             const Table& table, const RamConfig& ram, const TableSearch& search, const ImageSet& set) {
    experiment::HwLookups lookups{table, ram, set};
    lookups.split = "val";
    lookups.probes = search.probes;
    lookups.descent = descent;
    lookups.threads = threads;
    return experiment::noisy_lookup_accuracy(lookups, *config, sigma, seed);
  };
}

// Refuses what would make the tuned number dishonest or the run impossible.
void check_args(const TuneArgs& a) {
  if (a.split != "val")
    throw Error("--split " + a.split + ": weights are tuned on the validation split only (test is for reporting)");
  if (a.noise_sigma > 0 && (a.search.exhaustive() || a.search.max_comparisons != 0 || a.search.epsilon >= 0))
    throw Error("--noise-sigma: the hardware model searches the tree by leaves: give --probes N (no budget, no bound)");
  if (a.noise_sigma == 0 && (a.noise_descent != "circuit" || !a.hw_config.empty()))
    throw Error("--noise-descent and --hw-config apply to tuning under noise: give --noise-sigma S too");
}

// A table distilled from images that include the validation split has memorised them:
// its validation accuracy says nothing about unseen images.
void warn_if_val_memorised(const TuneArgs& a, const io::TableInfo& info) {
  const std::string split = info.meta.contains("distill") ? info.meta["distill"].value("split", "") : "";
  if (split == "train-all" || split == "val")
    spdlog::warn("{}: distilled from split '{}', which contains the validation images; tuned accuracy is optimistic",
                 a.table.string(), split);
}

TableSearch table_search(const TuneArgs& a, const io::TableInfo& info) {
  std::optional<TableSearch> search = tune::tree_search_from_meta(info.meta);
  if (a.search.search == "tree" && !search)
    throw Error(a.table.string() + ": has no search tree (distilled with --no-tree); use --search exhaustive");
  TableSearch out = search.value_or(TableSearch{});
  a.search.apply(out);
  return out;
}

// The winner over the methods run: highest validation accuracy, earlier method on ties.
const SearchRun& best_run(const std::vector<SearchRun>& runs) {
  const SearchRun* best = &runs.front();
  for (const auto& r : runs)
    if (r.best_accuracy > best->best_accuracy) best = &r;
  return *best;
}

nlohmann::json run_json(const WeightSpace& space, const SearchRun& r) {
  return {{"method", r.method},
          {"best_val_accuracy", r.best_accuracy},
          {"first_best_evaluation", r.first_best},
          {"evaluations", r.trials.size()},
          {"weights", space.values(r.best_x)},
          {"seconds", r.seconds}};
}

void write_csv(const std::filesystem::path& path, const WeightSpace& space, const std::vector<SearchRun>& runs) {
  std::vector<std::string> header = {"method", "trial"};
  for (const auto& d : space.box.dimensions()) header.push_back(d.name);
  for (const char* h : {"val_accuracy", "best_so_far", "seconds"}) header.emplace_back(h);
  CsvTable csv(header);
  for (const auto& r : runs)
    for (const auto& t : r.trials) {
      std::vector<std::string> row = {t.method, cell(static_cast<std::size_t>(t.index))};
      for (const double x : t.x) row.push_back(cell(x));
      for (const double v : {t.accuracy, t.best, t.seconds}) row.push_back(cell(v));
      csv.add(row);
    }
  try {
    csv.write(path);
  } catch (const Error& e) {
    throw Error(std::string("--csv: ") + e.what());
  }
}

// The metadata "weights" object: enough to know where the weights came from and to redo it.
nlohmann::json weights_meta(const TuneArgs& a, const TableSearch& search, const WeightSpace& space,
                            const SearchRun& winner,
                            const std::vector<std::uint32_t>& segment_weights, const KeyLayout& layout,
                            std::size_t val_images, double baseline) {
  nlohmann::json segments = nlohmann::json::object();
  for (std::size_t s = 0; s < layout.segments().size(); ++s) segments[layout.segments()[s].name] = segment_weights[s];
  nlohmann::json w = {{"space", space.name},
                      {"values", space.values(winner.best_x)},
                      {"segments", segments},
                      {"method", winner.method},
                      {"budget", a.budget},
                      {"seed", a.seed},
                      {"search", tune::describe(search)},
                      {"split", "val"},
                      {"val_images", val_images},
                      {"val_accuracy", winner.best_accuracy},
                      {"val_accuracy_before", baseline}};
  if (a.noise_sigma > 0)
    w["under_noise"] = {{"distance_sigma", a.noise_sigma}, {"descent", a.noise_descent}, {"devices", "ideal"},
                        {"reads", 1}};
  // `mbi distill` records eq. 1 weights as a, b, c at the top level: keep that form.
  if (space.name == "eq1")
    for (std::size_t d = 0; d < 3; ++d) w[space.box[d].name] = winner.best_x[d];
  return w;
}

void run(TuneArgs& a) {
  const auto start = std::chrono::steady_clock::now();
  check_args(a);
  train::set_threads(a.threads);
  if (a.out.empty()) a.out = a.table;  // in place; write_table replaces it atomically
  check_not_an_input("--out", a.out, {a.model});
  const Table input = Table::open(a.table);
  const io::TableInfo info = io::read_table_info(input);
  if (!a.model.empty()) io::check_same_teacher(info, input, train::load_model(a.model).checksum, a.model);
  warn_if_val_memorised(a, info);
  const TableSearch search = table_search(a, info);
  const ImageSet all_val = a.data.load("val");
  io::check_image_size(info, input, all_val, a.data.dir);
  ImageSet val = all_val, holdout;
  if (a.holdout > 0) std::tie(val, holdout) = split_holdout(all_val, a.holdout);
  const WeightSpace space = tune::make_weight_space(a.space, info.config);

  const std::vector<std::string> methods =
      a.method == "all" ? tune::search_method_names() : std::vector<std::string>{a.method};
  tune::TrialEvaluator evaluator(input.copy(), info.config, search, a.threads);
  if (a.noise_sigma > 0) evaluator.set_scorer(noisy_scorer(a));

  // What the table scores now, searched (and read) as it will be after tuning.
  const double baseline = evaluator.score(input, val);
  spdlog::info("{}: {} rows, {} validation images, current weights: val {:.2f}% ({} search{})", a.table.string(),
               input.rows(), val.count(), baseline, a.search.search,
               a.noise_sigma > 0 ? fmt::format(", distance noise sigma {}", a.noise_sigma) : std::string());
  tune::TrialReporter reporter(methods.size() * static_cast<std::size_t>(a.budget), !a.no_progress, true);
  std::vector<SearchRun> runs;
  for (const auto& m : methods) runs.push_back(tune::run_search(evaluator, val, space, m, a.budget, a.seed, reporter));
  reporter.finish();
  if (!a.csv.empty()) write_csv(a.csv, space, runs);

  const SearchRun& winner = best_run(runs);
  if (winner.best_accuracy <= baseline && a.holdout == 0)
    spdlog::warn("no trial beat the table's current weights ({:.2f}% vs {:.2f}%); writing the best trial anyway",
                 winner.best_accuracy, baseline);
  auto weights = space.segment_weights(info.config, winner.best_x);
  nlohmann::json check = nullptr;
  bool keep_start = false;
  if (a.holdout > 0) {
    // The winner must also beat the table's own weights on images the search never saw.
    const std::vector<std::uint32_t> table_weights(input.segment_weights().begin(), input.segment_weights().end());
    const double before = evaluator.accuracy(table_weights, holdout);
    const double after = evaluator.accuracy(weights, holdout);
    keep_start = !(after > before);
    check = {{"fraction", a.holdout},
             {"search_images", val.count()},
             {"holdout_images", holdout.count()},
             {"holdout_accuracy_before", before},
             {"holdout_accuracy_tuned", after},
             {"kept", keep_start ? "start" : "tuned"}};
    spdlog::info("holdout ({} images): table's weights {:.2f}%, tuned {:.2f}%: keeping the {}", holdout.count(), before,
                 after, keep_start ? "table's weights" : "tuned weights");
    if (keep_start) weights = table_weights;
  }
  TableData tuned = evaluator.weighted(weights, input.tree() != nullptr);
  nlohmann::json meta = info.meta;
  if (keep_start)
    meta["weights"]["holdout_check"] = check;
  else {
    meta["weights"] = weights_meta(a, search, space, winner, weights, input.key_layout(), val.count(), baseline);
    if (!check.is_null()) meta["weights"]["holdout_check"] = check;
  }
  if (tuned.tree && meta["tree"].is_object()) meta["tree"]["max_depth"] = tuned.tree->max_depth();
  tuned.metadata_json = meta.dump();
  write_table(a.out, tuned);

  nlohmann::json methods_json = nlohmann::json::array();
  for (const auto& r : runs) methods_json.push_back(run_json(space, r));
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const nlohmann::json summary = {{"table", a.table.string()},  {"out", a.out.string()},
                                  {"space", space.name},        {"search", tune::describe(search)},
                                  {"budget", a.budget},         {"seed", a.seed},
                                  {"val_images", val.count()},  {"val_accuracy_before", baseline},
                                  {"methods", methods_json},    {"chosen", run_json(space, winner)},
                                  {"segment_weights", weights}, {"seconds", seconds},
                                  {"holdout", check}};
  if (a.json)
    std::cout << summary.dump() << std::endl;
  else
    spdlog::info("wrote {}: {} {} val {:.2f}% (was {:.2f}%), {} evaluations in {:.1f} s", a.out.string(),
                 winner.method, space.format(winner.best_x), winner.best_accuracy, baseline,
                 methods.size() * static_cast<std::size_t>(a.budget), seconds);
}

}  // namespace

void register_tune(CLI::App& app) {
  auto a = std::make_shared<TuneArgs>();
  auto* cmd = app.add_subcommand("tune", "tune the lookup distance's weights on the validation split (BO)");
  a->data.add_to(*cmd);
  cmd->add_option("--table", a->table, "table file to tune")->required();
  cmd->add_option("--model", a->model, "teacher file, to check the table came from it");
  cmd->add_option("--split", a->split, "images scored (validation only: test is for reporting)")->capture_default_str();
  cmd->add_option("--budget", a->budget, "evaluations per method (published: 10 = 5 random + 5 EI)")
      ->check(whole_number(1, 100000))
      ->capture_default_str();
  add_seed(*cmd, a->seed, "seed of the searches");
  cmd->add_option("--space", a->space,
                  "weights tuned: eq1 (a,b,c), scales (per glimpse scale, hidden, location), axes (glimpse, hidden, "
                  "loc_x, loc_y), full (per key segment)")
      ->check(CLI::IsMember(tune::weight_space_names()))
      ->capture_default_str();
  cmd->add_option("--method", a->method, "bo, random, grid, or all (the three at equal budget)")
      ->check(CLI::IsMember({"bo", "random", "grid", "all"}))
      ->capture_default_str();
  a->search.add_to(*cmd);
  add_out(*cmd, a->out, "table to write (default: replace --table atomically)");
  cmd->add_option("--csv", a->csv, "write every trial to this CSV file");
  add_threads(*cmd, a->threads);
  add_no_progress(*cmd, a->no_progress);
  add_json(*cmd, a->json, "print a JSON summary");
  cmd->add_option("--holdout", a->holdout,
                  "fraction of the validation split the search never sees: the tuned weights are kept only if they "
                  "beat the table's own there too (0 = search on all of it and keep the best)")
      ->check(finite_number(0, 0.9))
      ->capture_default_str();
  cmd->add_option("--noise-sigma", a->noise_sigma,
                  "tune under read noise: score each weighting by lookups through the hardware model with Gaussian "
                  "distance noise of this std per component (mbi hw noise's sigma; needs --probes N)")
      ->check(finite_number(0, 1e6))
      ->capture_default_str();
  cmd->add_option("--noise-descent", a->noise_descent,
                  "with --noise-sigma: tree descent circuit (centroids read with noise too) or digital (exact)")
      ->check(CLI::IsMember({"circuit", "digital"}))
      ->capture_default_str();
  cmd->add_option("--hw-config", a->hw_config, "with --noise-sigma: hardware parameter file (default: configs/hw/sram16nm.json)");
  cmd->callback([a] {
    a->search.resolve();
    run(*a);
  });
}

}  // namespace mbi::cli
