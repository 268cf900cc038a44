#include "mbi/experiment/ap_studies.hpp"
#include "mbi/experiment/record_names.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <optional>
#include <tuple>
#include <string>
#include <vector>

#include "mbi/core/error.hpp"
#include "mbi/io/plot.hpp"
#include "mbi/io/report_json.hpp"
#include "mbi/ternary/reference.hpp"

namespace mbi::experiment {
namespace {

double saving(std::uint64_t before, std::uint64_t after) {
  return before == 0 ? 0.0 : 100.0 * (1.0 - static_cast<double>(after) / static_cast<double>(before));
}

// A priced report's energy by event (count, nJ, share, ns per image) and its bar plot.
void add_energy_breakdown(io::ResultFiles& out, const eval::Report& r, const std::string& stem, const std::string& title) {
  const double images = static_cast<double>(r.images);
  CsvTable t({"event", "count_per_image", "nj_per_image", "share_percent", "ns_per_image"});
  for (const auto& [event, joules] : r.energy->joules_by_event) {
    double ns = 0;
    for (const auto& [timed, seconds] : r.energy->seconds_by_event)
      if (timed == event) ns = seconds * 1e9;
    t.add({event, cell(static_cast<double>(r.events.count(event)) / images), cell(joules * 1e9),
           cell(r.energy->joules_per_image > 0 ? 100.0 * joules / r.energy->joules_per_image : 0.0), cell(ns)});
  }
  out.tables.emplace_back(stem, t);
  out.plots.emplace_back(stem, "set datafile separator ','\nset title " + io::gnuplot_quote(title) +
                                   "\nset style data histogram\nset style fill solid 0.8\nset ylabel 'nJ per image'\n"
                                   "set xtics rotate by -30\nset key off\n"
                                   "plot '" + stem + ".csv' every ::1 using 3:xtic(1)\n");
}

}  // namespace

io::ResultFiles ap_compiler_study(const ternary::Network& network, ap::RacetrackGeometry racetrack) {
  ImageSet image;
  image.rows = network.input.rows;
  image.cols = network.input.cols;
  image.classes = network.classes();
  image.pixels.assign(image.pixels_per_image(), 0);
  image.labels = {0};
  struct Config {
    const char* name;
    bool fold, cse, rtm;
  };
  const std::vector<Config> configs = {{"none", false, false, false},
                                       {"fold", true, false, false},
                                       {"fold+cse", true, true, false},
                                       {"fold+rtm", true, false, true},
                                       {"fold+cse+rtm", true, true, true}};
  io::ResultFiles out;
  CsvTable t({"config", "fold", "cse", "rtm_layout", "passes", "arithmetic_passes", "add_subtract_passes", "add_steps",
              "terms", "temporaries", "shifts_per_run", "columns_max"});
  std::vector<ap::CompileStats> stats;
  std::vector<std::uint64_t> shifts;
  for (const Config& c : configs) {
    ap::CompileOptions o;
    o.fold_constants = c.fold;
    o.cse = c.cse;
    o.rtm_layout = c.rtm;
    o.domains_per_track = racetrack.domains_per_track == 0 ? 64 : racetrack.domains_per_track;
    const ap::CompiledNetwork compiled = ap::compile(network, o);
    const ap::RunOutput run = ap::run_network(compiled, image, {.batch = 1, .racetrack = racetrack});
    std::uint32_t columns = 0;
    for (const ap::LayerProgram& p : compiled.layers) columns = std::max(columns, p.columns);
    const ap::CompileStats& s = compiled.stats;
    t.add({c.name, c.fold ? "1" : "0", c.cse ? "1" : "0", c.rtm ? "1" : "0", cell(static_cast<double>(s.passes)),
           cell(static_cast<double>(s.arithmetic_passes)), cell(static_cast<double>(s.add_subtract_passes)),
           cell(static_cast<double>(s.add_steps)), cell(static_cast<double>(s.terms)),
           cell(static_cast<double>(s.cse_temporaries)), cell(static_cast<double>(run.counts.track_shifts)), cell(columns)});
    stats.push_back(s);
    shifts.push_back(run.counts.track_shifts);
  }
  out.summary = {{"network", network.name},
                 {"terms", stats[1].terms},
                 {"folding_saves_passes_percent", saving(stats[0].passes, stats[1].passes)},
                 {"cse_temporaries", stats[2].cse_temporaries},
                 {"cse_saves_add_subtract_passes_percent", saving(stats[1].add_subtract_passes, stats[2].add_subtract_passes)},
                 {"cse_saves_arithmetic_passes_percent", saving(stats[1].arithmetic_passes, stats[2].arithmetic_passes)},
                 {"cse_saves_passes_percent", saving(stats[1].passes, stats[2].passes)},
                 {"rtm_layout_saves_shifts_percent", saving(shifts[2], shifts[4])},
                 {"shifts_per_run_naive_layout", shifts[2]},
                 {"shifts_per_run_rtm_layout", shifts[4]},
                 {"passes_all_on", stats[4].passes},
                 {"racetrack", {{"domains_per_track", racetrack.domains_per_track}, {"ports_per_track", racetrack.ports_per_track}}}};
  out.notes.push_back("folding saves " + cell(saving(stats[0].passes, stats[1].passes)) + " % of the passes; CSE (" +
                      cell(static_cast<double>(stats[2].cse_temporaries)) + " temporaries) saves " +
                      cell(saving(stats[1].add_subtract_passes, stats[2].add_subtract_passes)) +
                      " % of the add/subtract passes; the RTM layout saves " + cell(saving(shifts[2], shifts[4])) +
                      " % of the shifts");
  out.tables.emplace_back("ap_passes", t);
  out.plots.emplace_back(
      "ap_passes",
      "set datafile separator ','\nset title 'AP program of " + network.name +
          ": passes and shifts per program run, by compiler pass'\n"
          "set style data histogram\nset style histogram cluster gap 1\nset style fill solid 0.8\nset logscale y\n"
          "set ylabel 'count per program run (log)'\nset key below\nset xtics rotate by -20\n"
          "plot 'ap_passes.csv' every ::1 using 5:xtic(1) title 'compare/write passes', '' every ::1 using 7 title "
          "'add/subtract passes', '' every ::1 using 11 title 'racetrack shifts'\n");
  return out;
}

ApEvaluation ap_evaluate(const ternary::Network& network, const ImageSet& images, const ap::CompileOptions& compile,
                         const ap::RunOptions& run, const eval::EnergyTable& energy, const eval::EvaluationInput& input,
                         const eval::Provenance& provenance, const CrossbarBaseline* baseline) {
  ApEvaluation e;
  const ap::CompiledNetwork compiled = ap::compile(network, compile);
  e.stats = compiled.stats;
  ap::ApClassifier classifier(network, compiled, run);
  std::vector<int> ap_predictions, reference_predictions;
  const auto started = std::chrono::steady_clock::now();
  e.ap = eval::evaluate(classifier, images, input, &energy, provenance, &ap_predictions);
  e.simulator_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  e.program_passes = classifier.last().program_passes;
  ternary::ReferenceClassifier reference(network);
  e.reference = eval::evaluate(reference, images, input, nullptr, provenance, &reference_predictions);
  for (std::size_t i = 0; i < images.count(); ++i) {
    e.prediction_mismatches += ap_predictions[i] != reference_predictions[i] ? 1 : 0;
    e.logit_mismatches += classifier.last().logits[i] != reference.last_logits()[i] ? 1 : 0;
  }
  if (baseline) {
    cim::CrossbarClassifier crossbar(network, baseline->config);
    e.crossbar = eval::evaluate(crossbar, images, input, &baseline->energy, provenance);
    for (std::size_t i = 0; i < images.count(); ++i)
      e.crossbar_logit_mismatches += crossbar.last_logits()[i] != reference.last_logits()[i] ? 1 : 0;
  }
  return e;
}

io::ResultFiles ap_evaluation_files(const ApEvaluation& e) {
  io::ResultFiles out;
  const double images = static_cast<double>(e.ap.images);
  const std::uint64_t row_bits = e.ap.events.count("ap.compare_row_bit") + e.ap.events.count("ap.write_row_bit");
  out.summary = {{"images", e.ap.images},
                 {"ap_accuracy", e.ap.accuracy()},
                 {"reference_accuracy", e.reference.accuracy()},
                 {"logit_mismatches", e.logit_mismatches},
                 {"prediction_mismatches", e.prediction_mismatches},
                 {"program_passes", e.program_passes},
                 {"add_subtract_passes", e.stats.add_subtract_passes},
                 {"cse_temporaries", e.stats.cse_temporaries},
                 {"simulator_seconds", e.simulator_seconds},
                 {"simulator_row_bit_ops_per_second", e.simulator_seconds > 0 ? static_cast<double>(row_bits) / e.simulator_seconds : 0},
                 {"ap", io::report_to_json(e.ap)},
                 {"reference", io::report_to_json(e.reference)}};
  if (e.ap.energy) {
    out.summary["energy_nj_per_image"] = e.ap.energy->joules_per_image * 1e9;
    if (e.ap.energy->timed) {
      const double batches = e.ap.metric("batches").value_or(1);
      out.summary["seconds_per_image_amortized"] = e.ap.energy->seconds_per_image;
      out.summary["latency_seconds_per_batch_run"] = e.ap.energy->seconds_per_image * images / batches;
      // Split: the program's own steps (compare, write, shift: the same for any number of
      // rows) against moving data in and out one row at a time (which a real design would
      // overlap or spread over ports).
      double compute = 0, movement = 0;
      for (const auto& [event, seconds] : e.ap.energy->seconds_by_event)
        (event == "ap.row_store" || event == "ap.row_read" ? movement : compute) += seconds;
      out.summary["compute_latency_seconds_per_batch_run"] = compute * images / batches;
      out.summary["data_movement_seconds_per_batch_run"] = movement * images / batches;
    }
    add_energy_breakdown(out, e.ap, "ap_energy", "AP energy per image by event");
  }
  std::vector<eval::Report> reports = {e.ap, e.reference};
  if (e.crossbar) {
    const eval::Report& x = *e.crossbar;
    reports.push_back(x);
    out.summary["crossbar"] = io::report_to_json(x);
    out.summary["crossbar_accuracy"] = x.accuracy();
    out.summary["crossbar_logit_mismatches"] = e.crossbar_logit_mismatches;
    for (const auto& [name, value] : x.metrics) out.summary["crossbar_" + name] = value;
    if (x.energy) {
      out.summary["crossbar_energy_nj_per_image"] = x.energy->joules_per_image * 1e9;
      out.summary["crossbar_latency_seconds_per_image"] = x.energy->seconds_per_image;
      add_energy_breakdown(out, x, "crossbar_energy", "Crossbar energy per image by event");
      // A ratio only of complete prices: an unpriced event is unknown, not free.
      if (e.ap.energy && e.ap.energy->complete() && x.energy->complete() && x.energy->joules_per_image > 0)
        out.summary["ap_over_crossbar_energy"] = e.ap.energy->joules_per_image / x.energy->joules_per_image;
    }
    // The systems side by side: the AP serves a whole batch per program run, the crossbar
    // one image at a time.
    CsvTable systems({"system", "accuracy", "nj_per_image", "latency_us_per_image_served", "latency_us_per_batch_run",
                      "images_per_run", "unpriced_events"});
    auto row = [&](const eval::Report& r, double per_run_seconds, double images_per_run) {
      std::string unpriced;
      if (r.energy)
        for (const std::string& u : r.energy->unpriced) unpriced += (unpriced.empty() ? "" : " ") + u;
      systems.add({r.system, cell(r.accuracy()), r.energy ? cell(r.energy->joules_per_image * 1e9) : "",
                   r.energy ? cell(r.energy->seconds_per_image * 1e6) : "", cell(per_run_seconds * 1e6),
                   cell(images_per_run), unpriced});
    };
    const double batches = e.ap.metric("batches").value_or(1);
    row(e.ap, e.ap.energy ? e.ap.energy->seconds_per_image * static_cast<double>(e.ap.images) / batches : 0,
        static_cast<double>(e.ap.images) / batches);
    row(x, x.energy ? x.energy->seconds_per_image : 0, 1);
    out.tables.emplace_back("systems", systems);
    std::string note = fmt::format("crossbar accuracy {:.2f} %, logits differing from the reference on {} images",
                                   x.accuracy(), e.crossbar_logit_mismatches);
    if (x.energy) {
      note += fmt::format(", {:.1f} nJ and {:.1f} us per image", x.energy->joules_per_image * 1e9,
                          x.energy->seconds_per_image * 1e6);
      for (const std::string& u : x.energy->unpriced) note += " (" + u + " unpriced)";
    }
    if (out.summary.contains("ap_over_crossbar_energy"))
      note += fmt::format("; the AP spends {:.2f} x the crossbar's energy per image",
                          out.summary["ap_over_crossbar_energy"].get<double>());
    out.notes.push_back(note);
  }
  out.tables.emplace_back("reports", io::reports_table(reports));
  out.notes.push_back("AP accuracy " + cell(e.ap.accuracy()) + " %, integer reference " + cell(e.reference.accuracy()) +
                      " %, logits differing on " + cell(static_cast<double>(e.logit_mismatches)) + " of " +
                      cell(static_cast<double>(e.ap.images)) + " images");
  return out;
}

}  // namespace mbi::experiment

namespace mbi::experiment {

io::ResultFiles ap_records_report(const std::vector<nlohmann::json>& records, const std::vector<std::string>& names) {
  if (records.size() != names.size()) throw Error("ap records report: one name per record");
  struct Row {
    std::string name, data, arch, weights;
    int bits = 0;
    double val = 0, test = 0, integer = -1, seconds = 0;
    double nonzero = 0, bytes = 0;
  };
  std::vector<Row> rows;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const nlohmann::json& r = records[i];
    try {
      Row row;
      row.name = names[i];
      row.data = dataset_name(r.at("data").get<std::string>());
      const nlohmann::json& a = r.at("architecture");
      row.arch = a.at("kind").get<std::string>();
      row.weights = a.at("weights").get<std::string>();
      row.bits = a.at("activation_bits").get<int>();
      row.val = r.at("val_accuracy").get<double>();
      row.test = r.at("test_accuracy").get<double>();
      row.integer = r.contains("integer_test_accuracy") ? r.at("integer_test_accuracy").get<double>() : -1;
      row.seconds = r.value("training_seconds", 0.0);
      row.nonzero = r.value("nonzero_weights", 0.0);
      row.bytes = r.value("weight_bytes", 0.0);
      rows.push_back(row);
    } catch (const nlohmann::json::exception& e) {
      throw Error(names[i] + ": not a record of mbi ap train (" + e.what() + ")");
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) {
    return std::tie(x.data, x.arch, x.weights, x.bits) < std::tie(y.data, y.arch, y.weights, y.bits);
  });
  io::ResultFiles out;
  CsvTable all({"record", "data", "arch", "weights", "activation_bits", "val_accuracy", "test_accuracy",
                "integer_test_accuracy", "nonzero_weights", "weight_bytes", "training_seconds"});
  for (const Row& r : rows)
    all.add({r.name, r.data, r.arch, r.weights, cell(static_cast<double>(r.bits)), cell(r.val), cell(r.test),
             r.integer < 0 ? std::string() : cell(r.integer), cell(r.nonzero), cell(r.bytes), cell(r.seconds)});
  out.tables.emplace_back("ap_records", all);
  // Per data set and architecture: the ternary networks' accuracy against their activation bits.
  std::string plot =
      "set datafile separator ','\nset title 'Ternary networks: test accuracy against activation bits'\n"
      "set xlabel 'activation bits'\nset ylabel 'test accuracy (%)'\nset key below\nset xtics 1\nset offsets 0.5, 0.5, 0, 0\n";
  std::vector<std::string> lines;
  nlohmann::json series = nlohmann::json::array();
  for (std::size_t i = 0; i < rows.size();) {
    std::size_t j = i;
    while (j < rows.size() && rows[j].data == rows[i].data && rows[j].arch == rows[i].arch) ++j;
    const std::string stem = "ap_bits_" + rows[i].data + "_" + rows[i].arch;
    CsvTable t({"activation_bits", "test_accuracy", "integer_test_accuracy"});
    std::optional<double> float_accuracy;
    for (std::size_t k = i; k < j; ++k) {
      if (rows[k].weights == "float") {
        float_accuracy = rows[k].test;
        continue;
      }
      t.add({cell(static_cast<double>(rows[k].bits)), cell(rows[k].test), cell(rows[k].integer)});
    }
    const std::string label = rows[i].data + " " + rows[i].arch;
    if (!t.rows().empty()) {
      lines.push_back("'" + stem + ".csv' every ::1 using 1:3 with linespoints lw 2 title " + io::gnuplot_quote(label + ", ternary"));
      out.tables.emplace_back(stem, t);
    }
    if (float_accuracy)
      lines.push_back(cell(*float_accuracy) + " with lines dt 2 title " + io::gnuplot_quote(label + ", float"));
    series.push_back({{"data", rows[i].data}, {"arch", rows[i].arch}, {"float_test_accuracy", float_accuracy ? nlohmann::json(*float_accuracy) : nlohmann::json()}});
    i = j;
  }
  if (!lines.empty()) {
    plot += "plot ";
    for (std::size_t k = 0; k < lines.size(); ++k) plot += (k ? ", " : "") + lines[k];
    out.plots.emplace_back("ap_accuracy_vs_bits", plot + "\n");
  }
  out.summary = {{"records", rows.size()}, {"series", series}};
  return out;
}

}  // namespace mbi::experiment
