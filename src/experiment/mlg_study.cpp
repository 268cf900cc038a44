#include "mbi/experiment/mlg_study.hpp"

#include <algorithm>
#include <cmath>
#include <optional>
#include <tuple>

#include "mbi/core/csv_table.hpp"
#include "mbi/core/error.hpp"
#include "mbi/experiment/record_names.hpp"
#include "mbi/io/plot.hpp"
#include "mbi/io/report_json.hpp"
#include "mbi/mlg/classifier.hpp"

namespace mbi::experiment {

nlohmann::json mlg_memory_json(const mlg::GeneratedNetwork& network) {
  const mlg::GeneratedNetwork::Memory m = network.memory();
  return {{"basis_bits", m.basis_bits},
          {"coefficient_bits", m.coefficient_bits},
          {"mixing_bits", m.mixing_bits},
          {"full_weight_bits", m.full_weight_bits},
          {"norm_bits", m.norm_bits},
          {"bias_bits", m.bias_bits},
          {"total_bytes", m.total_bytes()},
          {"float_bytes", (network.float_bits() + 7) / 8},
          {"memory_ratio", network.memory_ratio()},
          {"weights", network.weight_count()}};
}

nlohmann::json mlg_energy_comparison(const mlg::GeneratedNetwork& network, const mlg::InSituOptions& options,
                                     const eval::EnergyTable& table) {
  const mlg::InSituCounts c = mlg::in_situ_counts(network, options);
  eval::Ledger generated;
  generated.add("dram.read_byte", c.stored_bytes);
  generated.add("mlg.generation_mac", c.level1_macs + c.level2_macs);
  generated.add("mlg.buffer_byte", c.buffer_bytes);
  generated.add("digital.mac", c.network_macs);
  eval::Ledger whole;
  whole.add("dram.read_byte", (network.float_bits() + 7) / 8);
  whole.add("digital.mac", c.network_macs);
  const auto priced = [&](const eval::Ledger& ledger) {
    const eval::EnergyEstimate e = table.price(ledger, 1);
    nlohmann::json events = nlohmann::json::object();
    for (const auto& [name, count] : ledger.events()) events[name] = count;
    nlohmann::json joules = nlohmann::json::object();
    for (const auto& [name, j] : e.joules_by_event) joules[name] = j;
    return nlohmann::json{{"events", events}, {"joules_by_event", joules}, {"joules", e.joules_per_image}, {"unpriced", e.unpriced}};
  };
  nlohmann::json out = {{"tile", options.tile},
                        {"generated", priced(generated)},
                        {"float_network", priced(whole)},
                        {"level1_macs", c.level1_macs},
                        {"level2_macs", c.level2_macs}};
  const double g = out["generated"]["joules"].get<double>(), f = out["float_network"]["joules"].get<double>();
  out["bytes_read_ratio"] = static_cast<double>(c.stored_bytes) / static_cast<double>((network.float_bits() + 7) / 8);
  out["energy_ratio"] = f > 0 ? g / f : 0.0;
  out["energy_saving"] = g > 0 ? f / g : 0.0;
  return out;
}

io::ResultFiles mlg_records_report(const std::vector<nlohmann::json>& records, const std::vector<std::string>& names) {
  if (records.size() != names.size()) throw Error("mlg records report: one name per record");
  struct Row {
    std::string name, data, arch, method, config;
    double ratio = 0, bytes = 0, val = 0, test = 0, in_situ = 0, energy = -1;
  };
  std::vector<Row> rows;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const nlohmann::json& r = records[i];
    try {
      Row row;
      row.name = names[i];
      row.data = dataset_name(r.at("data").get<std::string>());
      row.arch = r.at("architecture").at("name").get<std::string>() + "-w" +
                 std::to_string(r.at("architecture").at("width").get<int>());
      row.method = r.at("policy").at("method").get<std::string>();
      // The ablation's series: generation with both levels, or one alone.
      if (row.method == "mlg" && r.at("policy").contains("level1")) {
        const bool one = r.at("policy").at("level1").get<bool>(), two = r.at("policy").at("level2").get<bool>();
        row.method = one && two ? "mlg" : one ? "mlg-level1" : "mlg-level2";
      }
      row.config = r.at("policy").at("describe").get<std::string>();
      row.ratio = r.at("memory").at("memory_ratio").get<double>();
      row.bytes = r.at("memory").at("total_bytes").get<double>();
      row.val = r.at("val_accuracy").get<double>();
      row.test = r.at("test_accuracy").get<double>();
      row.in_situ = r.at("in_situ_test_accuracy").get<double>();
      if (r.contains("energy")) row.energy = r.at("energy").at("generated").at("joules").get<double>();
      rows.push_back(row);
    } catch (const nlohmann::json::exception& e) {
      throw Error(names[i] + ": not a record of mbi mlg train (" + e.what() + ")");
    }
  }
  std::sort(rows.begin(), rows.end(), [](const Row& x, const Row& y) {
    return std::tie(x.data, x.arch, x.method, x.ratio) < std::tie(y.data, y.arch, y.method, y.ratio);
  });
  io::ResultFiles out;
  CsvTable all({"record", "data", "arch", "method", "config", "memory_ratio", "stored_bytes", "val_accuracy", "test_accuracy",
                "in_situ_test_accuracy", "energy_nj"});
  for (const Row& r : rows)
    all.add({r.name, r.data, r.arch, r.method, r.config, cell(r.ratio), cell(r.bytes), cell(r.val), cell(r.test),
             cell(r.in_situ), r.energy < 0 ? std::string() : cell(r.energy * 1e9)});
  out.tables.emplace_back("mlg_records", all);
  nlohmann::json series = nlohmann::json::array();
  for (std::size_t i = 0; i < rows.size();) {
    std::size_t j = i;
    while (j < rows.size() && rows[j].data == rows[i].data && rows[j].arch == rows[i].arch) ++j;
    const std::string label = rows[i].data + " " + rows[i].arch;
    std::string plot = "set datafile separator ','\nset title " + io::gnuplot_quote(label + ": test accuracy against memory ratio") +
                       "\nset xlabel 'memory ratio (stored bits / float32 bits)'\nset ylabel 'test accuracy (%)'\n"
                       "set logscale x\nset key bottom right\nset grid\n";
    std::vector<std::string> lines;
    std::optional<double> float_accuracy;
    for (std::size_t k = i; k < j;) {
      std::size_t m = k;
      while (m < j && rows[m].method == rows[k].method) ++m;
      if (rows[k].method == "full") {
        float_accuracy = rows[k].test;
      } else {
        const std::string stem = "mlg_" + rows[k].data + "_" + rows[k].arch + "_" + rows[k].method;
        CsvTable t({"memory_ratio", "test_accuracy", "config"});
        for (std::size_t q = k; q < m; ++q) t.add({cell(rows[q].ratio), cell(rows[q].test), rows[q].config});
        out.tables.emplace_back(stem, t);
        lines.push_back("'" + stem + ".csv' every ::1 using 1:2 with linespoints lw 2 pt 7 title " + io::gnuplot_quote(rows[k].method));
      }
      k = m;
    }
    if (float_accuracy) {
      lines.push_back(cell(*float_accuracy) + " with lines dt 2 title 'float32'");
      // The range near the float network, where the methods differ; far lower points (a low
      // rank that cannot keep its rank) would squash it: they are named in the title.
      const double bottom = std::floor(*float_accuracy - 4);
      std::string below;
      for (std::size_t k = i; k < j; ++k)
        if (rows[k].test < bottom) below += (below.empty() ? "" : ", ") + rows[k].method + " " + cell(rows[k].test) + " %";
      plot += "set yrange [" + cell(bottom) + ":100]\n";
      if (!below.empty()) plot += "set label 1 " + io::gnuplot_quote("below the range: " + below) + " at graph 0.02, graph 0.05\n";
    }
    if (!lines.empty()) {
      plot += "plot ";
      for (std::size_t k = 0; k < lines.size(); ++k) plot += (k ? ", " : "") + lines[k];
      out.plots.emplace_back("mlg_accuracy_vs_memory_" + rows[i].data + "_" + rows[i].arch, plot + "\n");
    }
    series.push_back({{"data", rows[i].data}, {"arch", rows[i].arch},
                      {"float_test_accuracy", float_accuracy ? nlohmann::json(*float_accuracy) : nlohmann::json()}});
    i = j;
  }
  out.summary = {{"records", rows.size()}, {"series", series}};
  return out;
}

nlohmann::json mlg_evaluation(const mlg::GeneratedNetwork& network, const std::string& name, const ImageSet& images,
                              const eval::EvaluationInput& input, const mlg::InSituOptions& options,
                              const eval::EnergyTable& energy, const eval::Provenance& provenance, int threads) {
  if (images.rows != network.input.rows || images.cols != network.input.cols)
    throw Error(name + ": made for " + std::to_string(network.input.rows) + "x" + std::to_string(network.input.cols) +
                " images, the data are " + std::to_string(images.rows) + "x" + std::to_string(images.cols));
  mlg::InSituClassifier classifier(network, options, threads);
  const eval::Report report = eval::evaluate(classifier, images, input, &energy, provenance);
  nlohmann::json out = io::report_to_json(report);
  out["memory"] = mlg_memory_json(network);
  out["per_inference"] = mlg_energy_comparison(network, options, energy);
  return out;
}

}  // namespace mbi::experiment
