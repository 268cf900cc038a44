#include "mbi/experiment/fig3.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "mbi/core/error.hpp"
#include "mbi/experiment/lookup_evaluation.hpp"
#include "mbi/io/ram_config_json.hpp"
#include "mbi/lookup/ram_keys.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/tune/weight_search.hpp"
#include "mbi/tune/weight_space.hpp"

namespace mbi::experiment {
namespace {

// The authors' RAM_accuracies.csv (reference notes): test accuracy (%) of the quantised
// teacher (2-bit patches unless varied, hidden state cut to 1 bit after training unless varied).
struct Published {
  const char* series;
  int value;
  double test;
};
constexpr Published kPublished[] = {
    {"glimpses", 2, 92.25},     {"glimpses", 3, 91.77},     {"glimpses", 4, 94.78},     {"glimpses", 5, 96.00},
    {"glimpses", 6, 95.60},     {"glimpses", 8, 91.15},     {"glimpses", 10, 90.72},    {"patch", 2, 69.60},
    {"patch", 3, 90.15},        {"patch", 4, 96.00},        {"patch", 5, 92.60},        {"patch", 6, 96.93},
    {"patch", 8, 97.01},        {"patch", 10, 96.46},       {"scale", 2, 97.27},        {"scale", 3, 93.69},
    {"scale", 4, 96.00},        {"scale", 5, 92.91},        {"scale", 6, 92.27},        {"scale", 8, 84.76},
    {"scale", 10, 74.13},       {"patches", 2, 93.12},      {"patches", 3, 96.00},      {"patches", 4, 94.95},
    {"patches", 5, 95.15},      {"glimpse-bits", 1, 82.06}, {"glimpse-bits", 2, 96.00}, {"glimpse-bits", 3, 94.27},
    {"glimpse-bits", 4, 94.47}, {"glimpse-bits", 6, 93.85}, {"glimpse-bits", 8, 94.35}, {"hidden-bits", 1, 96.00},
    {"hidden-bits", 2, 96.51},  {"hidden-bits", 3, 96.54},  {"hidden-bits", 4, 96.48},  {"hidden-bits", 6, 96.52},
    {"hidden-bits", 8, 96.53},  {"hidden", 16, 67.93},      {"hidden", 32, 86.25},      {"hidden", 48, 94.28},
    {"hidden", 64, 96.00},      {"hidden", 80, 96.16},      {"hidden", 96, 96.91},      {"hidden", 128, 96.77},
    {"layers", 0, 92.06},       {"layers", 1, 96.00},       {"layers", 2, 90.88}};

struct SeriesInfo {
  const char* name;
  const char* label;  // x axis
};
constexpr SeriesInfo kSeriesInfo[] = {{"glimpses", "glimpses"},
                                      {"patch", "patch side (pixels)"},
                                      {"scale", "glimpse scale"},
                                      {"patches", "patches per glimpse"},
                                      {"glimpse-bits", "patch vector bits"},
                                      {"hidden-bits", "hidden-state bits"},
                                      {"hidden", "hidden-state width"},
                                      {"layers", "added core layers"}};

const char* label_of(const std::string& series) {
  for (const auto& s : kSeriesInfo)
    if (series == s.name) return s.label;
  return "value";
}

// Spearman's rank correlation (average ranks for ties); NaN with fewer than 3 pairs or a
// constant side.
double spearman(const std::vector<double>& x, const std::vector<double>& y) {
  const std::size_t n = x.size();
  if (n < 3 || y.size() != n) return std::nan("");
  const auto ranks = [n](const std::vector<double>& v) {
    std::vector<std::size_t> order(n);
    for (std::size_t i = 0; i < n; ++i) order[i] = i;
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
    std::vector<double> r(n);
    for (std::size_t i = 0; i < n;) {
      std::size_t j = i;
      while (j + 1 < n && v[order[j + 1]] == v[order[i]]) ++j;
      for (std::size_t k = i; k <= j; ++k) r[order[k]] = (static_cast<double>(i + j) / 2.0) + 1.0;
      i = j + 1;
    }
    return r;
  };
  const auto rx = ranks(x), ry = ranks(y);
  double mx = 0, my = 0;
  for (std::size_t i = 0; i < n; ++i) mx += rx[i], my += ry[i];
  mx /= static_cast<double>(n), my /= static_cast<double>(n);
  double sxy = 0, sxx = 0, syy = 0;
  for (std::size_t i = 0; i < n; ++i) {
    sxy += (rx[i] - mx) * (ry[i] - my);
    sxx += (rx[i] - mx) * (rx[i] - mx);
    syy += (ry[i] - my) * (ry[i] - my);
  }
  if (sxx == 0 || syy == 0) return std::nan("");
  return sxy / std::sqrt(sxx * syy);
}

nlohmann::json number_or_null(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(nullptr); }

double field(const nlohmann::json& record, const char* group, const char* name) {
  return record.at(group).at(name).get<double>();
}

}  // namespace

std::vector<Fig3Series> fig3_paper_series() {
  return {{'a', "glimpses", {2, 3, 4, 5, 6, 8, 10}},   {'a', "patch", {2, 3, 4, 5, 6, 8, 10}},
          {'a', "scale", {2, 3, 4, 5, 6, 8, 10}},      {'a', "patches", {2, 3, 4, 5}},
          {'b', "glimpse-bits", {1, 2, 3, 4, 6, 8}},   {'b', "hidden-bits", {1, 2, 3, 4, 6, 8}},
          {'c', "hidden", {16, 32, 48, 64, 80, 96, 128}}, {'c', "layers", {0, 1, 2}}};
}

std::vector<Fig3Series> fig3_series_of(const std::string& panels) {
  if (panels.empty()) throw Error("--panels: name at least one of a, b, c");
  for (char p : panels)
    if (p != 'a' && p != 'b' && p != 'c') throw Error(std::string("--panels: no panel '") + p + "' (a, b or c)");
  std::vector<Fig3Series> out;
  for (auto& s : fig3_paper_series())
    if (panels.find(s.panel) != std::string::npos) out.push_back(std::move(s));
  return out;
}

RamConfig fig3_config(RamConfig c, const std::string& series, int v) {
  const auto check = [&](int lo, int hi) {
    if (v < lo || v > hi)
      throw Error("fig3: " + series + " " + std::to_string(v) + " is outside " + std::to_string(lo) + ".." +
                  std::to_string(hi));
  };
  if (series == "glimpses") check(1, 64), c.glimpses = v;
  else if (series == "patch") check(1, 64), c.patch = v;
  else if (series == "scale") check(1, 16), c.scale = v;
  else if (series == "patches") check(1, 8), c.patches = v;
  else if (series == "glimpse-bits") check(1, 8), c.glimpse_bits = v;
  else if (series == "hidden-bits") check(1, 8), c.hidden_bits = v;
  else if (series == "hidden") check(1, 4096), c.hidden = v;
  else if (series == "layers") check(0, 8), c.added_core_layers = v;
  else throw Error("fig3: no series '" + series + "'");
  return c;
}

std::string fig3_point_id(const RamConfig& c) {
  return "g" + std::to_string(c.glimpses) + "-p" + std::to_string(c.patch) + "-s" + std::to_string(c.scale) + "-n" +
         std::to_string(c.patches) + "-b" + std::to_string(c.glimpse_bits) + "-h" + std::to_string(c.hidden_bits) +
         "-w" + std::to_string(c.hidden) + "-l" + std::to_string(c.added_core_layers);
}

std::vector<Fig3Point> fig3_points(const RamConfig& base, const std::vector<Fig3Series>& series) {
  std::vector<Fig3Point> out;
  for (const auto& s : series)
    for (int v : s.values) {
      const RamConfig c = fig3_config(base, s.name, v);
      out.push_back({s.panel, s.name, v, fig3_point_id(c), c});
    }
  return out;
}

std::vector<sweep::Trial> fig3_trials(const std::vector<Fig3Point>& points, const nlohmann::json& recipe) {
  std::vector<sweep::Trial> out;
  std::set<std::string> seen;
  for (const auto& p : points) {
    if (!seen.insert(p.id).second) continue;
    const nlohmann::json description = {{"experiment", "fig3"}, {"config", io::config_to_json(p.config)},
                                        {"recipe", recipe}};
    out.push_back({p.id, description.dump()});
  }
  return out;
}

std::optional<double> fig3_published(const std::string& series, int value) {
  for (const auto& p : kPublished)
    if (series == p.series && value == p.value) return p.test;
  return std::nullopt;
}

nlohmann::json fig3_trial_record(Fig3Trained t, const ImageSet& val, const ImageSet& test, const Fig3Lookups& o) {
  const RamConfig c = t.config;
  const std::vector<std::uint32_t> distilled_weights = t.table.segment_weights;
  tune::TableSearch search;
  search.tree_params = o.tree;
  search.tree_params.seed = o.seed;
  search.max_comparisons = kDefaultSearchBudget;
  const std::size_t rows = t.table.rows();
  tune::TrialEvaluator evaluator(std::move(t.table), c, search, o.threads);

  // Weights chosen on validation only: BO's best, or the distillation's when they score better.
  std::vector<std::uint32_t> weights = distilled_weights;
  std::string weights_text = "distilled (30,16,10)";
  double val_accuracy = evaluator.accuracy(distilled_weights, val);
  if (o.budget > 0) {
    const tune::WeightSpace space = tune::make_weight_space("eq1", c);
    tune::TrialReporter quiet(static_cast<std::size_t>(o.budget), false, false);
    const tune::SearchRun run = tune::run_search(evaluator, val, space, "bo", o.budget, o.seed, quiet);
    if (run.best_accuracy > val_accuracy) {
      weights = space.segment_weights(c, run.best_x);
      weights_text = "bo " + space.format(run.best_x);
      val_accuracy = run.best_accuracy;
    }
  }
  const Table& table = evaluator.prepare(weights);
  LookupEvaluation settings;
  settings.threads = o.threads;
  settings.hw = o.hw;
  settings.input = {"fig3", "test"};
  const nlohmann::json record = evaluate_lookups(table, test, settings);
  const nlohmann::json& energy = record.at("report").at("energy");
  return {{"id", fig3_point_id(c)},
          {"config", io::config_to_json(c)},
          {"teacher",
           {{"val_accuracy", t.teacher_val},
            {"test_accuracy", t.teacher_test},
            {"epochs_run", t.epochs_run},
            {"best_epoch", t.best_epoch},
            {"seconds", t.train_seconds}}},
          {"table",
           {{"rows", rows},
            {"bytes", table.resident_bytes()},
            {"images", t.table_images},
            {"seconds", t.table_seconds}}},
          {"lookups",
           {{"val_accuracy", val_accuracy},
            {"test_accuracy", record.at("accuracy")},
            {"comparisons_per_image", record.at("comparisons_per_image")},
            {"nanojoules_per_image", energy.contains("nanojoules_per_image") ? energy.at("nanojoules_per_image")
                                                                            : nlohmann::json(nullptr)},
            {"weights", weights_text}}}};
}

io::ResultFiles fig3_results(const RamConfig& base, const std::vector<Fig3Point>& points,
                             const std::map<std::string, nlohmann::json>& records) {
  io::ResultFiles out;
  const auto record_of = [&](const std::string& id) -> const nlohmann::json& {
    const auto it = records.find(id);
    if (it == records.end()) throw Error("fig3: no result for point " + id);
    return it->second;
  };
  const std::vector<std::string> header = {"value",        "id",           "teacher_test", "published_teacher_test",
                                           "lookup_test",  "rows",         "bytes",        "comparisons_per_image",
                                           "nanojoules_per_image", "teacher_val", "lookup_val", "epochs_run",
                                           "weights"};
  std::vector<std::string> series_order;
  std::map<std::string, char> panel_of;
  for (const auto& p : points)
    if (panel_of.emplace(p.series, p.panel).second) series_order.push_back(p.series);

  nlohmann::json series_json = nlohmann::json::object();
  for (const auto& s : series_order) {
    CsvTable csv(header);
    std::vector<double> values, teacher, lookup, published_x, published, teacher_at_published;
    nlohmann::json rows = nlohmann::json::array();
    for (const auto& p : points) {
      if (p.series != s) continue;
      const nlohmann::json& r = record_of(p.id);
      const auto pub = fig3_published(s, p.value);
      const auto nj = r.at("lookups").at("nanojoules_per_image");
      csv.add({cell(static_cast<std::size_t>(p.value)), p.id, cell(field(r, "teacher", "test_accuracy")),
               pub ? cell(*pub) : "NaN", cell(field(r, "lookups", "test_accuracy")),
               cell(r.at("table").at("rows").get<std::size_t>()), cell(r.at("table").at("bytes").get<std::size_t>()),
               cell(field(r, "lookups", "comparisons_per_image")), nj.is_null() ? "NaN" : cell(nj.get<double>()),
               cell(field(r, "teacher", "val_accuracy")), cell(field(r, "lookups", "val_accuracy")),
               cell(static_cast<std::size_t>(r.at("teacher").at("epochs_run").get<int>())),
               r.at("lookups").at("weights").get<std::string>()});
      values.push_back(p.value);
      teacher.push_back(field(r, "teacher", "test_accuracy"));
      lookup.push_back(field(r, "lookups", "test_accuracy"));
      if (pub) {
        published_x.push_back(p.value);
        published.push_back(*pub);
        teacher_at_published.push_back(teacher.back());
      }
      rows.push_back({{"value", p.value},
                      {"id", p.id},
                      {"teacher_test", teacher.back()},
                      {"lookup_test", lookup.back()},
                      {"published_teacher_test", pub ? nlohmann::json(*pub) : nlohmann::json(nullptr)},
                      {"rows", r.at("table").at("rows")},
                      {"bytes", r.at("table").at("bytes")},
                      {"comparisons_per_image", r.at("lookups").at("comparisons_per_image")},
                      {"nanojoules_per_image", nj}});
    }
    const auto argmax = [&](const std::vector<double>& acc, const std::vector<double>& x) {
      return acc.empty() ? nlohmann::json(nullptr)
                         : nlohmann::json(x[static_cast<std::size_t>(std::max_element(acc.begin(), acc.end()) -
                                                                     acc.begin())]);
    };
    series_json[s] = {
        {"panel", std::string(1, panel_of[s])},
        {"points", rows},
        {"best_value", {{"teacher", argmax(teacher, values)}, {"lookups", argmax(lookup, values)},
                        {"published", argmax(published, published_x)}}},
        // Rank correlation of accuracy with the value: the trend's sign and steadiness.
        {"trend_spearman", {{"teacher", number_or_null(spearman(values, teacher))},
                            {"lookups", number_or_null(spearman(values, lookup))},
                            {"published", number_or_null(spearman(published_x, published))}}},
        // How well our teachers rank the points as the authors' fully trained ones do.
        {"teacher_vs_published_spearman", number_or_null(spearman(teacher_at_published, published))},
        {"teacher_spread", teacher.empty() ? 0.0 : *std::max_element(teacher.begin(), teacher.end()) -
                                                       *std::min_element(teacher.begin(), teacher.end())}};
    out.tables.emplace_back("fig3-" + s, std::move(csv));
  }

  // The distinct points, for accuracy per byte.
  std::vector<std::string> ids;
  for (const auto& p : points)
    if (std::find(ids.begin(), ids.end(), p.id) == ids.end()) ids.push_back(p.id);
  CsvTable all({"id", "bytes", "lookup_test", "teacher_test", "comparisons_per_image", "nanojoules_per_image",
                "rows", "base"});
  const std::string base_id = fig3_point_id(base);
  struct Entry {
    std::string id;
    double bytes, accuracy;
  };
  std::vector<Entry> entries;
  for (const auto& id : ids) {
    const nlohmann::json& r = record_of(id);
    const auto nj = r.at("lookups").at("nanojoules_per_image");
    all.add({id, cell(r.at("table").at("bytes").get<std::size_t>()), cell(field(r, "lookups", "test_accuracy")),
             cell(field(r, "teacher", "test_accuracy")), cell(field(r, "lookups", "comparisons_per_image")),
             nj.is_null() ? "NaN" : cell(nj.get<double>()), cell(r.at("table").at("rows").get<std::size_t>()),
             id == base_id ? "1" : "0"});
    entries.push_back({id, r.at("table").at("bytes").get<double>(), field(r, "lookups", "test_accuracy")});
  }
  out.tables.emplace_back("fig3-points", std::move(all));

  // Pareto front: no other point is both smaller and more accurate.
  std::sort(entries.begin(), entries.end(),
            [](const Entry& a, const Entry& b) { return a.bytes != b.bytes ? a.bytes < b.bytes : a.accuracy > b.accuracy; });
  nlohmann::json front = nlohmann::json::array();
  double best_so_far = -1;
  for (const auto& e : entries)
    if (e.accuracy > best_so_far) {
      best_so_far = e.accuracy;
      front.push_back({{"id", e.id}, {"bytes", e.bytes}, {"lookup_test", e.accuracy}});
    }
  nlohmann::json per_byte = nullptr;
  if (records.count(base_id) != 0) {
    const nlohmann::json& b = record_of(base_id);
    const double base_bytes = b.at("table").at("bytes").get<double>(), base_acc = field(b, "lookups", "test_accuracy");
    const Entry* most_accurate = nullptr;  // within the base's bytes
    const Entry* smallest = nullptr;       // at least the base's accuracy
    for (const auto& e : entries) {
      if (e.bytes <= base_bytes && (!most_accurate || e.accuracy > most_accurate->accuracy)) most_accurate = &e;
      if (e.accuracy >= base_acc && (!smallest || e.bytes < smallest->bytes)) smallest = &e;
    }
    const auto entry_json = [](const Entry* e) {
      return e ? nlohmann::json{{"id", e->id}, {"bytes", e->bytes}, {"lookup_test", e->accuracy}} : nlohmann::json(nullptr);
    };
    per_byte = {{"base", {{"id", base_id}, {"bytes", base_bytes}, {"lookup_test", base_acc}}},
                {"most_accurate_within_base_bytes", entry_json(most_accurate)},
                {"smallest_at_base_accuracy", entry_json(smallest)}};
  }
  out.summary = {{"base", base_id}, {"series", series_json}, {"pareto", front}, {"per_byte", per_byte},
                 {"points", ids.size()}};

  // Plots: one per panel, one curve set per series (teacher, lookups, published teacher).
  for (char panel : std::string("abc")) {
    std::vector<std::string> in_panel;
    for (const auto& s : series_order)
      if (panel_of[s] == panel) in_panel.push_back(s);
    if (in_panel.empty()) continue;
    const int cols = in_panel.size() > 1 ? 2 : 1, rows_n = static_cast<int>((in_panel.size() + 1) / 2);
    std::string script = "set datafile separator ','\nset multiplot layout " + std::to_string(rows_n) + "," +
                         std::to_string(cols) + " title 'Fig. 3(" + panel +
                         "): teacher and lookup test accuracy (%)'\nset grid\nset key bottom right font ',8'\n";
    for (const auto& s : in_panel) {
      const std::string f = "fig3-" + s + ".csv";
      int largest = 0;
      for (const auto& p : points)
        if (p.series == s) largest = std::max(largest, p.value);
      script += largest <= 12 ? "set xtics 1\n" : "set xtics autofreq\n";
      script += "set xlabel '" + std::string(label_of(s)) + "'\nset ylabel 'test accuracy (%)'\nplot '" + f +
                "' every ::1 using 1:3 with linespoints lw 2 pt 7 lc rgb '#1b9e77' title 'teacher (ours)', '" + f +
                "' every ::1 using 1:5 with linespoints lw 2 pt 5 lc rgb '#d95f02' title 'lookups (ours)', '" + f +
                "' every ::1 using 1:4 with linespoints dt 2 lw 2 pt 6 lc rgb '#7570b3' title 'teacher (published)'\n";
    }
    out.plots.emplace_back(std::string("fig3") + panel, script + "unset multiplot\n");
  }
  out.plots.emplace_back(
      "fig3-bytes",
      "set datafile separator ','\nset title 'Fig. 3 points: lookup test accuracy against table bytes'\n"
      "set xlabel 'table bytes (MB)'\nset ylabel 'lookup test accuracy (%)'\nset logscale x\nset grid\n"
      "set key bottom right\nplot 'fig3-points.csv' every ::1 using ($2/1e6):3 with points pt 7 ps 1.2 "
      "lc rgb '#d95f02' title 'teacher design points', 'fig3-points.csv' every ::1 using ($2/1e6):($8 > 0 ? $3 : 1/0) "
      "with points pt 6 ps 2.5 lw 2 lc rgb '#333333' title 'base (the shipped design)'\n");
  return out;
}

}  // namespace mbi::experiment
