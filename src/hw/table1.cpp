#include "mbi/hw/table1.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "mbi/hw/energy.hpp"

namespace mbi::hw {
namespace {

// Energy in the unit the paper prints it in: nJ, or uJ from 1000 nJ up.
std::string energy_text(double nj) {
  char buf[48];
  if (nj >= 1000.0)
    std::snprintf(buf, sizeof buf, "%.4g uJ", nj / 1000.0);
  else
    std::snprintf(buf, sizeof buf, "%.4g nJ", nj);
  return buf;
}

std::string count_text(double v) {
  if (v <= 0) return "-";
  const std::string digits = std::to_string(static_cast<long long>(v + 0.5));
  std::string grouped;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) grouped.push_back(',');
    grouped.push_back(digits[i]);
  }
  return grouped;
}

std::string number_text(double v, const char* format) {
  if (v <= 0) return "-";
  char buf[48];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

// Data set names compared as the user may spell them ("mnist", "MNIST").
bool same_data(const std::string& a, const std::string& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

}  // namespace

double MbiEntry::energy_nj() const {
  return inference_energy_nj(comparisons_per_image, arrays_per_key, match_pj) + link_reads_per_image * link_read_pj * 1e-3;
}

Table1 build_table1(const MbiEntry& mbi, const std::vector<CimBaseline>& baselines) {
  Table1 t;
  const double mbi_nj = mbi.energy_nj();
  const double mbi_16_nj = project_energy(mbi_nj, mbi.node_nm);

  t.csv = CsvTable({"design", "reference", "model", "node_nm", "weights", "weight_bits", "macs", "tops_per_w",
                    "storage_mb", "data", "accuracy_pct", "energy_nj", "energy_16nm_nj", "ratio_to_mbi"});
  t.csv.add({"MBI", "this model", mbi.model, cell(mbi.node_nm), "", "", "", "", cell(mbi.storage_mb), mbi.data,
             cell(mbi.accuracy_pct), cell(mbi_nj), cell(mbi_16_nj), cell(1.0)});
  t.json["mbi"] = {{"model", mbi.model},
                   {"node_nm", mbi.node_nm},
                   {"comparisons_per_image", mbi.comparisons_per_image},
                   {"arrays_per_key", mbi.arrays_per_key},
                   {"match_pj", mbi.match_pj},
                   {"accuracy_pct", mbi.accuracy_pct},
                   {"storage_mb", mbi.storage_mb},
                   {"data", mbi.data},
                   {"energy_nj", mbi_nj},
                   {"energy_16nm_nj", mbi_16_nj}};
  t.json["baselines"] = nlohmann::json::array();

  std::string header = "| Metric | MBI |";
  std::string rule = "| --- | --- |";
  std::vector<std::vector<std::string>> rows = {
      {"Technology", number_text(mbi.node_nm, "%g nm")},
      {"Model", mbi.model},
      {"#Weights", "-"},
      {"Weight precision", "-"},
      {"#MACs", "-"},
      {"TOPS/W", "-"},
      {"Storage (MB)", number_text(mbi.storage_mb, "%.3g")},
      {"Data", mbi.data},
      {"Accuracy (%)", number_text(mbi.accuracy_pct, "%.2f")},
      {"Energy/Inference", energy_text(mbi_nj)},
      {"Projected to 16 nm", energy_text(mbi_16_nj)},
      {"Energy vs MBI (16 nm)", "1x"},
  };
  std::vector<std::string> other_data;  // the baselines' data sets that are not MBI's
  for (const CimBaseline& b : baselines) {
    if (!same_data(b.data, mbi.data) &&
        std::find(other_data.begin(), other_data.end(), b.data) == other_data.end())
      other_data.push_back(b.data);
    const double e16 = project_energy(b.energy_nj, b.node_nm);
    const double ratio = e16 / mbi_16_nj;
    t.csv.add({b.name, b.reference, b.model, cell(b.node_nm), cell(b.weights), cell(b.weight_bits), cell(b.macs),
               cell(b.tops_per_w), cell(b.storage_mb), b.data, cell(b.accuracy_pct), cell(b.energy_nj), cell(e16), cell(ratio)});
    t.json["baselines"].push_back({{"name", b.name},
                                   {"reference", b.reference},
                                   {"node_nm", b.node_nm},
                                   {"data", b.data},
                                   {"accuracy_pct", b.accuracy_pct},
                                   {"energy_nj", b.energy_nj},
                                   {"energy_16nm_nj", e16},
                                   {"ratio_to_mbi", ratio}});
    header += " " + b.name + " |";
    rule += " --- |";
    const std::vector<std::string> column = {number_text(b.node_nm, "%g nm"),
                                             b.model,
                                             count_text(b.weights),
                                             number_text(b.weight_bits, "%g-bit"),
                                             count_text(b.macs),
                                             number_text(b.tops_per_w, "%g"),
                                             number_text(b.storage_mb, "%.3g"),
                                             b.data,
                                             number_text(b.accuracy_pct, "%.2f"),
                                             energy_text(b.energy_nj),
                                             energy_text(e16),
                                             number_text(ratio, "%.3gx")};
    for (std::size_t i = 0; i < rows.size(); ++i) rows[i].push_back(column[i]);
  }
  t.markdown = header + "\n" + rule + "\n";
  for (const auto& r : rows) {
    t.markdown += "|";
    for (const auto& c : r) t.markdown += " " + c + " |";
    t.markdown += "\n";
  }
  t.json["comparable_accuracy"] = other_data.empty();
  if (!other_data.empty()) {
    std::string names;
    for (const auto& d : other_data) names += (names.empty() ? "" : ", ") + d;
    t.markdown += "\nMBI's accuracy is on " + mbi.data + ", the CIM designs' on " + names +
                  ": the accuracies are not comparable; the energies are.\n";
  }
  return t;
}

}  // namespace mbi::hw
