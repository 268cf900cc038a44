#include "weight_tuning.hpp"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <memory>

#include <fmt/format.h>

#include "lookup_eval.hpp"
#include "mbi/error.hpp"
#include "mbi/ram_keys.hpp"

namespace mbi::cli {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// Builds a space from named dimensions and the dimension of each key segment.
WeightSpace space_of(const std::string& name, const std::vector<std::string>& dims, std::vector<std::size_t> of) {
  std::vector<bo::Dimension> box;
  for (const auto& d : dims) box.push_back({d, kWeightLower, kWeightUpper});
  return {name, bo::Space(std::move(box)), std::move(of)};
}

WeightSpace eq1_space(const RamConfig& config) {
  std::vector<std::size_t> of;
  for (const KeyComponent k : ram_key_components(config)) of.push_back(static_cast<std::size_t>(k));
  return space_of("eq1", {"a", "b", "c"}, std::move(of));
}

// Glimpse scales apart; hidden; both location axes together.
WeightSpace scales_space(const RamConfig& config) {
  std::vector<std::string> dims;
  std::vector<std::size_t> of;
  for (int k = 0; k < config.patches; ++k) {
    of.push_back(dims.size());
    dims.push_back("glimpse" + std::to_string(k));
  }
  of.push_back(dims.size());
  dims.emplace_back("hidden");
  of.push_back(dims.size());
  of.push_back(dims.size());
  dims.emplace_back("location");
  return space_of("scales", dims, std::move(of));
}

// All glimpse scales together; hidden; location axes apart.
WeightSpace axes_space(const RamConfig& config) {
  std::vector<std::size_t> of(static_cast<std::size_t>(config.patches), 0);
  of.insert(of.end(), {1, 2, 3});
  return space_of("axes", {"glimpse", "hidden", "loc_x", "loc_y"}, std::move(of));
}

WeightSpace full_space(const RamConfig& config) {
  std::vector<std::string> dims;
  std::vector<std::size_t> of;
  const KeyLayout layout = ram_key_layout(config);  // the loop must not outlive it
  for (const auto& segment : layout.segments()) {
    of.push_back(dims.size());
    dims.push_back(segment.name);
  }
  return space_of("full", dims, std::move(of));
}

// A scratch file name of this process's own, so concurrent runs never share one.
std::filesystem::path scratch_path() {
  static std::atomic<int> counter{0};
  return std::filesystem::temp_directory_path() /
         ("mbi-weights-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + ".tbl");
}

std::unique_ptr<bo::Searcher> make_searcher(const std::string& method, const bo::Space& box, int budget,
                                            std::uint64_t seed) {
  if (method == "bo") {
    // As published: 5 random points, then expected improvement for the rest of the budget.
    return std::make_unique<bo::Optimizer>(
        box, bo::Options{.seed = seed, .initial_random = 5, .acquisition = bo::AcquisitionKind::expected_improvement});
  }
  if (method == "random") return std::make_unique<bo::RandomSearch>(box, seed);
  if (method == "grid") return std::make_unique<bo::GridSearch>(box, budget, seed);
  throw Error("--method: unknown search method '" + method + "' (bo, random or grid)");
}

}  // namespace

// ---------------------------------------------------------------- spaces

std::vector<std::uint32_t> WeightSpace::segment_weights(const RamConfig& config, const std::vector<double>& x) const {
  if (x.size() != box.size()) throw Error("weights: expected " + std::to_string(box.size()) + " values for space " + name);
  // eq. 1 goes through the library's own mapping, so that (1, 1, 1) is the unweighted
  // table exactly as `mbi distill` writes it.
  if (name == "eq1") return eq1_segment_weights(config, x[0], x[1], x[2]);
  std::vector<double> per_segment;
  for (const std::size_t d : dimension) per_segment.push_back(x[d]);
  return integer_weights(per_segment);
}

nlohmann::json WeightSpace::values(const std::vector<double>& x) const {
  nlohmann::json out = nlohmann::json::object();
  for (std::size_t d = 0; d < box.size() && d < x.size(); ++d) out[box[d].name] = x[d];
  return out;
}

std::string WeightSpace::format(const std::vector<double>& x) const {
  std::string out;
  for (std::size_t d = 0; d < box.size() && d < x.size(); ++d)
    out += fmt::format("{}{}={:.2f}", d ? " " : "", box[d].name, x[d]);
  return out;
}

const std::vector<std::string>& weight_space_names() {
  static const std::vector<std::string> names = {"eq1", "scales", "axes", "full"};
  return names;
}

WeightSpace make_weight_space(const std::string& name, const RamConfig& config, const std::string& flag) {
  if (name == "eq1") return eq1_space(config);
  if (name == "scales") return scales_space(config);
  if (name == "axes") return axes_space(config);
  if (name == "full") return full_space(config);
  throw Error(flag + ": unknown weight space '" + name + "' (eq1, scales, axes or full)");
}

std::optional<TableSearch> tree_search_from_meta(const nlohmann::json& meta) {
  const auto it = meta.find("tree");
  if (it == meta.end() || !it->is_object()) return std::nullopt;
  TableSearch search;
  // Tables written before per-step trees existed have no "per_step": theirs is global.
  search.per_step = it->value("per_step", false);
  search.trees = it->value("trees", 1U);
  search.global_trees = it->value("global_trees", 0U);
  KMeansTreeParams& p = search.tree_params;
  p.branching = it->value("branching", p.branching);
  p.max_leaf_size = it->value("max_leaf_size", p.max_leaf_size);
  p.restarts = it->value("restarts", p.restarts);
  p.seed = it->value("seed", p.seed);
  return search;
}

void SearchFlags::add_to(CLI::App& cmd) {
  cmd.add_option("--search", search, "search scored: tree (rebuilt for every weighting) or exhaustive")
      ->check(CLI::IsMember({"tree", "exhaustive"}))
      ->capture_default_str();
  probes_option_ = cmd.add_option("--probes", probes, "tree leaves scanned per step")
                       ->check(CLI::Range(1, 1 << 20))
                       ->capture_default_str();
  budget_option_ = cmd.add_option("--max-comparisons", max_comparisons,
                                  "tree search budget per step, as in mbi eval (0 = scan --probes leaves; "
                                  "giving --probes alone implies 0)")
                       ->check(CLI::Range(0, 1 << 30))
                       ->capture_default_str();
}

void SearchFlags::apply(TableSearch& s) const {
  s.tree = search == "tree";
  s.probes = probes;
  const bool probes_alone = probes_option_ != nullptr && probes_option_->count() > 0 && budget_option_->count() == 0;
  s.max_comparisons = probes_alone ? 0 : max_comparisons;
}

nlohmann::json describe(const TableSearch& s) {
  if (!s.tree) return {{"search", "exhaustive"}};
  return {{"search", "tree"},
          {"probes", s.probes},
          {"max_comparisons", s.max_comparisons},
          {"per_step", s.per_step},
          {"trees", s.trees},
          {"global_trees", s.global_trees}};
}

// ---------------------------------------------------------------- evaluator

TrialEvaluator::TrialEvaluator(TableData base, RamConfig config, TableSearch search, int threads)
    : base_(std::move(base)), config_(std::move(config)), search_(search), threads_(threads), scratch_(scratch_path()) {
  base_.tree.reset();  // every weighting builds its own
  base_.forest.clear();
}

TrialEvaluator::~TrialEvaluator() {
  current_.reset();
  std::error_code ignored;
  std::filesystem::remove(scratch_, ignored);
}

TableData TrialEvaluator::weighted(const std::vector<std::uint32_t>& segment_weights, bool with_tree) const {
  TableData t = base_;
  t.segment_weights = segment_weights;
  if (with_tree) t.build_tree(search_.tree_params, search_.per_step, search_.trees, search_.global_trees);
  return t;
}

const MappedTable& TrialEvaluator::prepare(const std::vector<std::uint32_t>& segment_weights) {
  if (current_ && current_weights_ == segment_weights) return *current_;
  current_.reset();  // unmap before the file is replaced
  // Exhaustive search ignores the tree, so building one would only cost time.
  write_table(scratch_, weighted(segment_weights, search_.tree));
  current_.emplace(scratch_);
  current_weights_ = segment_weights;
  return *current_;
}

double TrialEvaluator::accuracy(const std::vector<std::uint32_t>& segment_weights, const data::ImageSet& set) {
  const MappedTable& table = prepare(segment_weights);
  LookupOptions options;
  options.exhaustive = !search_.tree;
  options.probes = search_.probes;
  options.max_comparisons = search_.max_comparisons;
  return run_lookups(table, config_, set, options, threads_, false).accuracy(set);
}

// ---------------------------------------------------------------- searches

TrialReporter::TrialReporter(std::size_t total_trials, bool progress, bool log_trials)
    : bar_("trials", total_trials, progress), progress_(progress), log_trials_(log_trials) {}

void TrialReporter::report(const WeightSpace& space, const TrialRecord& t) {
  ++done_;
  if (log_trials_) {
    // On a terminal the bar owns the current line: clear it so the log line stands alone.
    if (progress_ && ::isatty(STDERR_FILENO) != 0) std::fputs("\r\033[K", stderr);
    spdlog::info("{:<6} {:>3}  {}  val {:.2f}%  best {:.2f}%  ({:.1f} s)", t.method, t.index, space.format(t.x),
                 t.accuracy, t.best, t.seconds);
  }
  bar_.update(done_, fmt::format("best {:.2f}%", t.best));
}

void TrialReporter::finish() { bar_.finish(); }

const std::vector<std::string>& search_method_names() {
  static const std::vector<std::string> names = {"bo", "random", "grid"};
  return names;
}

SearchRun run_search(TrialEvaluator& evaluator, const data::ImageSet& set, const WeightSpace& space,
                     const std::string& method, int budget, std::uint64_t seed, TrialReporter& reporter) {
  const auto searcher = make_searcher(method, space.box, budget, seed);
  SearchRun run;
  run.method = method;
  const auto start = Clock::now();
  const bo::Objective objective = [&](const std::vector<double>& x) {
    const auto t0 = Clock::now();
    TrialRecord r;
    r.method = method;
    r.index = static_cast<int>(run.trials.size()) + 1;
    r.x = x;
    r.accuracy = evaluator.accuracy(space.segment_weights(evaluator.config(), x), set);
    r.best = run.trials.empty() ? r.accuracy : std::max(run.trials.back().best, r.accuracy);
    r.seconds = seconds_since(t0);
    run.trials.push_back(r);
    reporter.report(space, r);
    return r.accuracy;
  };
  const bo::Result result = bo::maximize(objective, *searcher, budget);
  run.best_x = result.best_x;
  run.best_accuracy = result.best_y;
  // maximize keeps the first trial that reached the best value, so this is the same one.
  for (const auto& t : run.trials) {
    if (t.accuracy == run.best_accuracy) {
      run.first_best = t.index;
      break;
    }
  }
  run.seconds = seconds_since(start);
  return run;
}

}  // namespace mbi::cli
