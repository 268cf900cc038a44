// `mbi experiment fig4a`: paper Fig. 4(a), pure-lookup test accuracy against the share of
// training rows kept in the table, with the unweighted distance and with weights tuned by
// Bayesian optimization on the validation split. The published curves are drawn beside ours.
//
// Each fraction: distill the train split (training file minus validation) keeping that
// share of rows; score (1, 1, 1) and the BO-tuned weights of every requested space on the
// test split. Weights never see a test image: they are chosen on validation accuracy only.
//
// With --dagger-rounds N the fraction is a share of the training *images* instead: a seeded
// subset of that size is distilled whole, then N DAgger rounds on shifted copies of the
// same images add the keys lookups drift into (searched with --dagger-weights). The table
// then holds more rows than that share of the plain rows, so rows and bytes are reported
// beside every accuracy.
#include <spdlog/spdlog.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <iostream>
#include <map>
#include <numeric>
#include <optional>
#include <random>
#include <algorithm>

#include "commands.hpp"
#include "mbi/atomic_file.hpp"
#include "mbi/error.hpp"
#include "mbi/ram_keys.hpp"
#include "mbi/train/distill.hpp"
#include "mbi/train/model_file.hpp"
#include "options.hpp"
#include "plot.hpp"
#include "weight_tuning.hpp"

namespace mbi::cli {
namespace {

namespace fs = std::filesystem;

struct Fig4aArgs {
  DataOptions data;
  fs::path model;
  std::vector<double> fractions = {0.15, 0.3, 0.5, 0.7, 0.9, 1.0};
  int budget = 10;
  std::uint64_t seed = 1;
  std::vector<std::string> spaces = {"eq1"};
  SearchFlags search;
  bool global_tree = false;
  int dagger_rounds = 0;
  int augment_shift = 2;
  std::vector<double> dagger_weights = {30, 16, 10};
  fs::path out_dir = "results/fig4a";
  int threads = 0;
  bool json = false;
  bool no_progress = false;
};

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

struct Splits {
  data::ImageSet train, val, test;
};

// --limit caps the images scored (val, test); the table always comes from the whole train split.
Splits load_splits(const Fig4aArgs& a, const RamConfig& c) {
  DataOptions all = a.data;
  all.limit = 0;
  Splits s{all.load("train"), a.data.load("val"), a.data.load("test")};
  if (s.train.rows != c.image_rows || s.train.cols != c.image_cols)
    throw Error(a.data.dir.string() + ": images are " + std::to_string(s.train.rows) + "x" +
                std::to_string(s.train.cols) + ", teacher " + a.model.string() + " expects " +
                std::to_string(c.image_rows) + "x" + std::to_string(c.image_cols));
  return s;
}

// Trees built as `mbi distill --seed` builds them, searched as the flags say.
TableSearch table_search(const Fig4aArgs& a) {
  TableSearch search;
  a.search.apply(search);
  search.tree_params.seed = a.seed;
  search.per_step = !a.global_tree;
  return search;
}

// The spaces tuned: none with --budget 0 (the accuracy-against-size curve alone).
std::vector<std::string> tuned_spaces(const Fig4aArgs& a) { return a.budget > 0 ? a.spaces : std::vector<std::string>{}; }

// A seeded subset of round(fraction * count) images, in their original order.
data::ImageSet image_share(const data::ImageSet& images, double fraction, std::uint64_t seed) {
  std::vector<std::size_t> order(images.count());
  std::iota(order.begin(), order.end(), std::size_t{0});
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  order.resize(std::max<std::size_t>(1, static_cast<std::size_t>(std::llround(fraction * images.count()))));
  std::sort(order.begin(), order.end());
  return images.subset(order);
}

std::size_t row_bytes(const TableData& t) {
  return t.rows() * (t.key_layout.words() + t.value_layout.words()) * 8 + t.rows() * 4;
}

FractionResult run_fraction(const Fig4aArgs& a, train::LoadedModel& teacher, const Splits& s, double fraction,
                            TrialReporter& reporter) {
  const RamConfig& c = teacher.model->config();
  train::DistillOptions o;
  o.seed = a.seed;
  o.progress = false;
  TableData table;
  std::size_t images = s.train.count();
  if (a.dagger_rounds == 0) {
    o.fraction = fraction;
    table = train::distill(teacher.model, s.train, o);
  } else {
    const data::ImageSet share = image_share(s.train, fraction, a.seed);
    images = share.count();
    table = train::distill(teacher.model, share, o);
    table.segment_weights = eq1_segment_weights(c, a.dagger_weights[0], a.dagger_weights[1], a.dagger_weights[2]);
    train::DaggerOptions d;
    d.rounds = a.dagger_rounds;
    d.augment_shift = a.augment_shift;
    d.seed = a.seed;
    d.tree = table_search(a).tree_params;
    d.progress = false;
    train::add_lookup_path_rows(teacher.model, share, table, d);
  }
  const std::size_t bytes = row_bytes(table);
  TrialEvaluator evaluator(std::move(table), c, table_search(a), a.threads);

  FractionResult r;
  r.fraction = fraction;
  r.rows = evaluator.rows();
  r.images = images;
  r.bytes = bytes;
  const auto unweighted = eq1_segment_weights(c, 1, 1, 1);
  r.val_unweighted = evaluator.accuracy(unweighted, s.val);
  r.test_unweighted = evaluator.accuracy(unweighted, s.test);
  for (const auto& name : tuned_spaces(a)) {
    const WeightSpace space = make_weight_space(name, c, "--spaces");
    SpaceResult t{name, run_search(evaluator, s.val, space, "bo", a.budget, a.seed, reporter), "", 0};
    t.weights = space.format(t.run.best_x);
    t.test = evaluator.accuracy(space.segment_weights(c, t.run.best_x), s.test);
    r.tuned.push_back(std::move(t));
  }
  return r;
}

std::string cell(std::optional<double> v) { return v ? std::to_string(*v) : "NaN"; }

// One row per fraction; per space: validation and test accuracy, gain over unweighted, weights.
void write_csv(const fs::path& path, const Fig4aArgs& a, const std::vector<FractionResult>& results) {
  std::ofstream csv(path);
  if (!csv) throw Error("--out " + path.string() + ": cannot write");
  csv << "fraction,rows,images,bytes,published_unweighted,published_bo,val_unweighted,test_unweighted";
  for (const auto& s : tuned_spaces(a)) csv << ',' << s << "_val," << s << "_test," << s << "_gain," << s << "_weights";
  csv << '\n';
  for (const auto& r : results) {
    const auto p = published_at(r.fraction);
    csv << r.fraction << ',' << r.rows << ',' << r.images << ',' << r.bytes << ','
        << cell(p ? std::optional(p->unweighted) : std::nullopt) << ',' << cell(p ? std::optional(p->bo) : std::nullopt)
        << ',' << r.val_unweighted << ',' << r.test_unweighted;
    for (const auto& t : r.tuned)
      csv << ',' << t.run.best_accuracy << ',' << t.test << ',' << t.test - r.test_unweighted << ',' << t.weights;
    csv << '\n';
  }
  if (!csv.flush()) throw Error("--out " + path.string() + ": write failed");
}

void plot(const fs::path& stem, const fs::path& csv, const Fig4aArgs& a) {
  const std::string f = csv.string();
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
  render_plot(stem, script + "\n");
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

nlohmann::json summary_json(const Fig4aArgs& a, const Splits& s, const std::vector<FractionResult>& results,
                            double seconds) {
  nlohmann::json rows = nlohmann::json::array();
  std::map<std::string, double> gain_sum;
  for (const auto& r : results) {
    rows.push_back(fraction_json(r));
    for (const auto& t : r.tuned) gain_sum[t.space] += t.test - r.test_unweighted;
  }
  nlohmann::json mean_gain = nlohmann::json::object();
  for (const auto& [space, sum] : gain_sum) mean_gain[space] = sum / static_cast<double>(results.size());
  return {{"model", a.model.string()},
          {"search", describe(table_search(a))},
          {"budget", a.budget},
          {"seed", a.seed},
          {"spaces", tuned_spaces(a)},
          {"dagger_rounds", a.dagger_rounds},
          {"dagger_weights", a.dagger_weights},
          {"augment_shift", a.augment_shift},
          {"fraction_of", a.dagger_rounds > 0 ? "training images" : "training rows"},
          {"train_images", s.train.count()},
          {"val_images", s.val.count()},
          {"test_images", s.test.count()},
          {"fractions", rows},
          {"mean_test_gain", mean_gain},
          {"seconds", seconds}};
}

void run(Fig4aArgs& a) {
  const auto start = std::chrono::steady_clock::now();
  set_threads(a.threads);
  auto teacher = train::load_model(a.model);
  const Splits s = load_splits(a, teacher.model->config());
  fs::create_directories(a.out_dir);
  TrialReporter reporter(a.fractions.size() * tuned_spaces(a).size() * static_cast<std::size_t>(a.budget), !a.no_progress,
                         true);
  std::vector<FractionResult> results;
  for (const double f : a.fractions) {
    results.push_back(run_fraction(a, teacher, s, f, reporter));
    const auto& r = results.back();
    if (r.tuned.empty())
      spdlog::info("fraction {:.2f}: {} rows, {} bytes, test unweighted {:.2f}%", f, r.rows, r.bytes, r.test_unweighted);
    for (const auto& t : r.tuned)
      spdlog::info("fraction {:.2f}: {} rows, test unweighted {:.2f}%, BO ({}) {:.2f}% ({:+.2f}), {}", f, r.rows,
                   r.test_unweighted, t.space, t.test, t.test - r.test_unweighted, t.weights);
  }
  reporter.finish();
  const fs::path csv = a.out_dir / "fig4a.csv";
  write_csv(csv, a, results);
  plot(a.out_dir / "fig4a", csv, a);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const nlohmann::json summary = summary_json(a, s, results, seconds);
  write_file_atomic(a.out_dir / "summary.json", summary.dump(2) + "\n");
  std::cout << (a.json ? summary.dump() : summary.dump(2)) << std::endl;
}

}  // namespace

void register_experiment_fig4a(CLI::App& experiment) {
  auto a = std::make_shared<Fig4aArgs>();
  auto* cmd = experiment.add_subcommand("fig4a", "Fig. 4(a): accuracy against table size, unweighted and BO-tuned");
  a->data.add_to(*cmd);
  cmd->add_option("--model", a->model, "quantised teacher")->required();
  cmd->add_option("--fractions", a->fractions, "shares of the training rows to keep")
      ->delimiter(',')
      ->check(CLI::Range(1e-6, 1.0))
      ->capture_default_str();
  cmd->add_option("--budget", a->budget,
                  "BO evaluations per fraction and space (published: 10; 0: unweighted accuracy against size only)")
      ->check(CLI::Range(0, 100000))
      ->capture_default_str();
  cmd->add_option("--seed", a->seed, "seed of distillation sampling, tree and BO")->capture_default_str();
  cmd->add_option("--spaces", a->spaces, "weight spaces to tune: eq1, scales, axes, full")
      ->delimiter(',')
      ->check(CLI::IsMember(weight_space_names()))
      ->capture_default_str();
  a->search.add_to(*cmd);
  cmd->add_flag("--global-tree", a->global_tree, "one k-means tree over all rows (default: one subtree per step)");
  cmd->add_option("--dagger-rounds", a->dagger_rounds,
                  "DAgger rounds per table; fractions then select training images, not rows")
      ->check(CLI::Range(0, 16))
      ->capture_default_str();
  cmd->add_option("--augment-shift", a->augment_shift, "pixels: DAgger rounds run on images shifted by up to this much")
      ->check(CLI::Range(1, 8))
      ->capture_default_str();
  cmd->add_option("--dagger-weights", a->dagger_weights, "eq. 1 weights a,b,c the DAgger rounds search with")
      ->delimiter(',')
      ->expected(3)
      ->check(CLI::PositiveNumber)
      ->capture_default_str();
  cmd->add_option("--out", a->out_dir, "folder for CSV, summary.json and plots")->capture_default_str();
  cmd->add_option("--threads", a->threads, "threads (0 = all cores)")->check(CLI::Range(0, 1024))->capture_default_str();
  cmd->add_flag("--no-progress", a->no_progress, "no progress bar");
  cmd->add_flag("--json", a->json, "print the summary as one JSON object");
  cmd->callback([a] { run(*a); });
}

}  // namespace mbi::cli
