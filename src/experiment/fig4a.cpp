#include "mbi/experiment/fig4a.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <map>
#include <numeric>
#include <optional>
#include <random>

#include "mbi/core/error.hpp"
#include "mbi/lookup/ram_keys.hpp"
#include "mbi/tune/weight_search.hpp"

namespace mbi::experiment {
namespace {

using tune::SearchRun;
using tune::TrialReporter;

// The author's BO CSV (reference notes): test accuracy (%) per share of training rows.
struct Published {
  double fraction, unweighted, bo;
};
constexpr Published kPublished[] = {{0.15, 81.47, 84.57}, {0.3, 83.85, 87.74}, {0.5, 85.22, 88.79},
                                    {0.7, 85.69, 89.40},  {0.9, 86.05, 89.41}, {1.0, 85.85, 89.19}};

std::optional<Published> published_at(double fraction) {
  for (const auto& p : kPublished)
    if (std::abs(p.fraction - fraction) < 1e-9) return p;
  return std::nullopt;
}

struct SpaceResult {
  std::string space;
  SearchRun run;
  std::string weights;  // formatted best point
  double test = 0;
};

struct FractionResult {
  double fraction = 0;
  std::size_t rows = 0;
  std::size_t images = 0;  // training images the table was distilled from
  std::size_t bytes = 0;   // key, value, step and prediction bytes of the rows (no tree)
  double val_unweighted = 0;
  double test_unweighted = 0;
  std::vector<SpaceResult> tuned;
};

// The spaces tuned: none with --budget 0 (the accuracy-against-size curve alone).
std::vector<std::string> tuned_spaces(const Fig4aOptions& a) { return a.budget > 0 ? a.spaces : std::vector<std::string>{}; }

std::size_t row_bytes(const TableData& t) {
  return t.rows() * (t.key_layout.words() + t.value_layout.words()) * 8 + t.rows() * 4;
}

FractionResult run_fraction(const Fig4aTeacher& teacher, const RamConfig& c, const Fig4aSplits& s,
                            const Fig4aOptions& a, double fraction, TrialReporter& reporter) {
  TableData table;
  std::size_t images = s.train.count();
  if (a.dagger_rounds == 0) {
    table = teacher.distill(s.train, fraction);
  } else {
    const ImageSet share =
        s.train.sample(std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(fraction * s.train.count()))), a.seed);
    images = share.count();
    table = teacher.distill(share, 1.0);
    table.segment_weights = eq1_segment_weights(c, a.dagger_weights[0], a.dagger_weights[1], a.dagger_weights[2]);
    teacher.add_dagger_rows(share, table, a.search.tree_params);
  }
  const std::size_t bytes = row_bytes(table);
  tune::TrialEvaluator evaluator(std::move(table), c, a.search, a.threads);

  FractionResult r;
  r.fraction = fraction;
  r.rows = evaluator.rows();
  r.images = images;
  r.bytes = bytes;
  const auto unweighted = eq1_segment_weights(c, 1, 1, 1);
  r.val_unweighted = evaluator.accuracy(unweighted, s.val);
  r.test_unweighted = evaluator.accuracy(unweighted, s.test);
  for (const auto& name : tuned_spaces(a)) {
    const tune::WeightSpace space = tune::make_weight_space(name, c, "--spaces");
    SpaceResult t{name, tune::run_search(evaluator, s.val, space, "bo", a.budget, a.seed, reporter), "", 0};
    t.weights = space.format(t.run.best_x);
    t.test = evaluator.accuracy(space.segment_weights(c, t.run.best_x), s.test);
    r.tuned.push_back(std::move(t));
  }
  return r;
}

std::string optional_cell(std::optional<double> v) { return v ? cell(*v) : "NaN"; }

// One row per fraction; per space: validation and test accuracy, gain over unweighted, weights.
CsvTable fraction_table(const Fig4aOptions& a, const std::vector<FractionResult>& results) {
  std::vector<std::string> header = {"fraction", "rows", "images", "bytes", "published_unweighted", "published_bo",
                                     "val_unweighted", "test_unweighted"};
  for (const auto& s : tuned_spaces(a))
    for (const char* suffix : {"_val", "_test", "_gain", "_weights"}) header.push_back(s + suffix);
  CsvTable csv(header);
  for (const auto& r : results) {
    const auto p = published_at(r.fraction);
    std::vector<std::string> row = {cell(r.fraction),
                                    cell(r.rows),
                                    cell(r.images),
                                    cell(r.bytes),
                                    optional_cell(p ? std::optional(p->unweighted) : std::nullopt),
                                    optional_cell(p ? std::optional(p->bo) : std::nullopt),
                                    cell(r.val_unweighted),
                                    cell(r.test_unweighted)};
    for (const auto& t : r.tuned) {
      row.push_back(cell(t.run.best_accuracy));
      row.push_back(cell(t.test));
      row.push_back(cell(t.test - r.test_unweighted));
      row.push_back(t.weights);
    }
    csv.add(row);
  }
  return csv;
}

std::string plot_script(const Fig4aOptions& a) {
  const std::string f = "fig4a.csv";
  std::string script =
      "set datafile separator ','\nset title 'Fig. 4(a): pure MBI test accuracy against table size'\n"
      "set xlabel '" + std::string(a.dagger_rounds > 0 ? "training images distilled, then DAgger" : "training rows kept") +
      " (%)'\nset ylabel 'test accuracy (%)'\nset key bottom right\nset grid\n"
      "plot '" + f + "' every ::1 using ($1*100):5 with linespoints dt 2 lw 2 pt 6 lc rgb '#999999' "
      "title 'published, unweighted', "
      "'' every ::1 using ($1*100):6 with linespoints dt 2 lw 2 pt 4 lc rgb '#6baed6' title 'published, BO', "
      "'' every ::1 using ($1*100):8 with linespoints lw 2 pt 7 lc rgb '#333333' title 'ours, unweighted'";
  const char* colours[] = {"#d95f02", "#1b9e77", "#7570b3", "#e7298a"};  // one per space, all readable
  for (std::size_t k = 0; k < tuned_spaces(a).size(); ++k)
    script += ", '' every ::1 using ($1*100):" + std::to_string(10 + 4 * k) + " with linespoints lw 2 pt " +
              std::to_string(5 + 2 * k) + " lc rgb '" + colours[k % 4] + "' title 'ours, BO (" + a.spaces[k] + ")'";
  return script + "\n";
}

nlohmann::json fraction_json(const FractionResult& r) {
  nlohmann::json tuned = nlohmann::json::object();
  for (const auto& t : r.tuned)
    tuned[t.space] = {{"val", t.run.best_accuracy},
                      {"test", t.test},
                      {"gain", t.test - r.test_unweighted},
                      {"weights", t.weights},
                      {"first_best_evaluation", t.run.first_best}};
  nlohmann::json out = {{"fraction", r.fraction},
                        {"rows", r.rows},
                        {"images", r.images},
                        {"bytes", r.bytes},
                        {"unweighted", {{"val", r.val_unweighted}, {"test", r.test_unweighted}}},
                        {"tuned", tuned}};
  if (const auto p = published_at(r.fraction))
    out["published"] = {{"unweighted", p->unweighted}, {"bo", p->bo}, {"gain", p->bo - p->unweighted}};
  return out;
}

// The inverse of fraction_json for the spaces tuned (the summary and CSV need no more).
FractionResult fraction_from_json(const Fig4aOptions& a, const nlohmann::json& j) {
  FractionResult r;
  r.fraction = j.at("fraction").get<double>();
  r.rows = j.at("rows").get<std::size_t>();
  r.images = j.at("images").get<std::size_t>();
  r.bytes = j.at("bytes").get<std::size_t>();
  r.val_unweighted = j.at("unweighted").at("val").get<double>();
  r.test_unweighted = j.at("unweighted").at("test").get<double>();
  for (const auto& name : tuned_spaces(a)) {
    const nlohmann::json& t = j.at("tuned").at(name);
    SpaceResult space;
    space.space = name;
    space.run.best_accuracy = t.at("val").get<double>();
    space.run.first_best = t.at("first_best_evaluation").get<int>();
    space.weights = t.at("weights").get<std::string>();
    space.test = t.at("test").get<double>();
    r.tuned.push_back(std::move(space));
  }
  return r;
}

void check_options(const RamConfig& config, const Fig4aOptions& a) {
  if (a.dagger_rounds > 0 && a.dagger_weights.size() != 3) throw Error("--dagger-weights: expected three values a,b,c");
  for (const auto& name : tuned_spaces(a)) tune::make_weight_space(name, config, "--spaces");  // refuse typos first
}

void log_fraction(const FractionResult& r) {
  if (r.tuned.empty())
    spdlog::info("fraction {:.2f}: {} rows, {} bytes, test unweighted {:.2f}%", r.fraction, r.rows, r.bytes,
                 r.test_unweighted);
  for (const auto& t : r.tuned)
    spdlog::info("fraction {:.2f}: {} rows, test unweighted {:.2f}%, BO ({}) {:.2f}% ({:+.2f}), {}", r.fraction, r.rows,
                 r.test_unweighted, t.space, t.test, t.test - r.test_unweighted, t.weights);
}

nlohmann::json summary_json(const Fig4aOptions& a, const Fig4aSplits& s, const std::vector<FractionResult>& results,
                            double seconds) {
  nlohmann::json rows = nlohmann::json::array();
  std::map<std::string, double> gain_sum;
  for (const auto& r : results) {
    rows.push_back(fraction_json(r));
    for (const auto& t : r.tuned) gain_sum[t.space] += t.test - r.test_unweighted;
  }
  nlohmann::json mean_gain = nlohmann::json::object();
  for (const auto& [space, sum] : gain_sum) mean_gain[space] = sum / static_cast<double>(results.size());
  return {{"search", tune::describe(a.search)},
          {"budget", a.budget},
          {"seed", a.seed},
          {"spaces", tuned_spaces(a)},
          {"dagger_rounds", a.dagger_rounds},
          {"dagger_weights", a.dagger_weights},
          {"fraction_of", a.dagger_rounds > 0 ? "training images" : "training rows"},
          {"train_images", s.train.count()},
          {"val_images", s.val.count()},
          {"test_images", s.test.count()},
          {"fractions", rows},
          {"mean_test_gain", mean_gain},
          {"seconds", seconds}};
}

}  // namespace

std::vector<sweep::Trial> fig4a_trials(const Fig4aOptions& a, const nlohmann::json& recipe) {
  std::vector<sweep::Trial> out;
  for (const double f : a.fractions) {
    const nlohmann::json description = {{"experiment", "fig4a"}, {"fraction", f}, {"recipe", recipe}};
    out.push_back({"fraction-" + cell(f), description.dump()});
  }
  return out;
}

nlohmann::json fig4a_fraction(const Fig4aTeacher& teacher, const RamConfig& config, const Fig4aSplits& splits,
                              const Fig4aOptions& a, double fraction) {
  check_options(config, a);
  TrialReporter reporter(tuned_spaces(a).size() * static_cast<std::size_t>(a.budget), a.progress, true);
  const FractionResult r = run_fraction(teacher, config, splits, a, fraction, reporter);
  reporter.finish();
  log_fraction(r);
  return fraction_json(r);
}

io::ResultFiles fig4a_results(const Fig4aOptions& a, const Fig4aSplits& splits,
                              const std::vector<nlohmann::json>& fractions, double seconds) {
  std::vector<FractionResult> results;
  for (const auto& j : fractions) results.push_back(fraction_from_json(a, j));
  io::ResultFiles out;
  out.tables.emplace_back("fig4a", fraction_table(a, results));
  out.plots.emplace_back("fig4a", plot_script(a));
  out.summary = summary_json(a, splits, results, seconds);
  return out;
}

io::ResultFiles fig4a_experiment(const Fig4aTeacher& teacher, const RamConfig& config, const Fig4aSplits& splits,
                                 const Fig4aOptions& a) {
  const auto start = std::chrono::steady_clock::now();
  check_options(config, a);
  std::vector<nlohmann::json> fractions;
  for (const double f : a.fractions) fractions.push_back(fig4a_fraction(teacher, config, splits, a, f));
  return fig4a_results(a, splits, fractions,
                       std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
}

}  // namespace mbi::experiment
