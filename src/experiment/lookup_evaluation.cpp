#include "mbi/experiment/lookup_evaluation.hpp"

#include <algorithm>
#include <filesystem>
#include <string>
#include <system_error>
#include <vector>

#include "mbi/core/error.hpp"
#include "mbi/experiment/sram_pricing.hpp"
#include "mbi/io/report_json.hpp"
#include "mbi/io/table_info.hpp"
#include "mbi/lookup/classifier.hpp"
#include "mbi/lookup/mixed.hpp"
#include "mbi/lookup/ram_keys.hpp"

namespace mbi::experiment {

LookupOptions LookupSearch::options(const Table& table) const {
  if (search != "tree" && search != "exhaustive" && search != "graph")
    throw Error("search must be tree, exhaustive or graph, not '" + search + "'");
  if (graph_search() && graph == nullptr)
    throw Error("--search graph: no graph was built over " + table.name() + " (mbi eval builds one; this command does not)");
  if (graph_search() && graph->rows() != table.rows())
    throw Error("--search graph: the graph has " + std::to_string(graph->rows()) + " rows, " + table.name() + " " +
                std::to_string(table.rows()));
  if (search == "tree" && table.tree() == nullptr)
    throw Error(table.name() + ": has no search tree (distilled with --no-tree); use --search exhaustive");
  LookupOptions o;
  o.index = exhaustive() ? &table.exhaustive() : graph_search() ? graph : nullptr;
  o.search.probes = probes;
  o.search.max_comparisons = max_comparisons;
  o.search.epsilon = epsilon;
  return o;
}

namespace {

// The table file's size, or null for a table that is not a file of that name (borrowed).
nlohmann::json file_bytes(const std::string& name) {
  std::error_code error;
  const auto bytes = std::filesystem::file_size(name, error);
  return error ? nlohmann::json() : nlohmann::json(bytes);
}

}  // namespace

nlohmann::json comparison_budget_json(const LookupRun& run, std::uint32_t asked) {
  std::vector<std::uint32_t> spent = run.step_comparisons;
  nlohmann::json out = {{"asked_per_step", asked}};
  if (spent.empty()) {
    out["spent_per_step"] = nullptr;
    out["steps_over_budget"] = 0.0;
    return out;
  }
  std::sort(spent.begin(), spent.end());
  const auto at = [&](double q) {
    return spent[std::min(spent.size() - 1, static_cast<std::size_t>(q * static_cast<double>(spent.size() - 1) + 0.5))];
  };
  double sum = 0;
  for (const std::uint32_t c : spent) sum += c;
  const auto over = static_cast<std::size_t>(
      asked == 0 ? 0 : spent.end() - std::upper_bound(spent.begin(), spent.end(), asked));
  out["spent_per_step"] = {{"mean", sum / static_cast<double>(spent.size())},
                           {"median", run.median_step_comparisons()},
                           {"p90", at(0.9)},
                           {"max", spent.back()}};
  out["steps_over_budget"] = static_cast<double>(over) / static_cast<double>(spent.size());
  if (asked > 0)
    out["note"] = "the budget is checked between leaves: a step finishes the leaf it is in, so it may spend up to a "
                  "leaf more than asked";
  return out;
}

nlohmann::json evaluate_lookups(const Table& table, const ImageSet& images, const LookupEvaluation& s,
                                eval::Classifier* fallback) {
  const bool mixed = fallback != nullptr || s.threshold >= 0;
  if (mixed && fallback == nullptr) throw Error("mixed mode needs a fallback classifier (the teacher)");
  if (mixed && s.threshold < 0) throw Error("--threshold: mixed mode needs a threshold (eq. 1 units, >= 0)");
  const io::TableInfo info = io::read_table_info(table);
  LookupOptions options = s.search.options(table);
  if (mixed) {
    const double normalizer =
        eq1_normalizer(info.config, {table.segment_weights().begin(), table.segment_weights().end()});
    options.stop_above = MixedPolicy(s.threshold, normalizer).stop_above();
  }

  LookupClassifier lookups(table, info.config, options, s.threads, s.progress);
  eval::EnergyTable pricing = s.energy;
  // The arrays match one stored key against the query at a time (a leaf's keys one after
  // another), so a graph walk's matches cost what a tree's do; its link-list reads are priced
  // beside them (sram_pricing.hpp).
  if (s.hw != nullptr) pricing.merge(price_on_sram(lookups, info.config, *s.hw, s.hw_source));
  std::optional<MixedClassifier> mix;
  if (mixed) mix.emplace(lookups, *fallback);
  eval::Classifier& system = mixed ? static_cast<eval::Classifier&>(*mix) : lookups;
  eval::Provenance from = s.provenance;
  from.inputs.emplace_back("table", table.name());
  if (mixed) from.inputs.emplace_back("model", s.model);
  const eval::Report report = eval::evaluate(system, images, s.input, &pricing, from);

  const LookupRun& run = lookups.last_run();
  const double n = static_cast<double>(images.count());
  const std::size_t fallback_images = mixed ? mix->fallback_images().size() : 0;
  // Lookup time, and the teacher's for the images it answered: the engines' set-up is left out.
  const double seconds = run.seconds + (mixed ? mix->fallback_seconds() : 0.0);
  nlohmann::json out = {{"mode", mixed ? "mixed" : "mbi"},
                        {"split", s.input.split},
                        {"search", s.search.search},
                        {"probes", s.search.probes},
                        {"max_comparisons", s.search.max_comparisons},
                        {"epsilon", s.search.epsilon >= 0 ? nlohmann::json(s.search.epsilon) : nlohmann::json()},
                        {"tree_per_step", table.tree_per_step()},
                        {"trees", table.tree_count()},
                        {"every_tree_per_step", table.every_tree_per_step()},
                        {"accuracy", report.accuracy()},
                        {"coverage", static_cast<double>(images.count() - fallback_images) / n},
                        {"lookup_accuracy", run.accuracy(images)},
                        {"images", images.count()},
                        {"comparisons_per_image", static_cast<double>(run.comparisons) / n},
                        {"median_comparisons_per_step", run.median_step_comparisons()},
                        {"seconds", seconds},
                        {"images_per_second", n / seconds},
                        {"table_bytes", file_bytes(table.name())},
                        // The file plus the forest's reordered copies of the keys.
                        {"resident_bytes", table.resident_bytes()},
                        {"table_rows", table.rows()},
                        {"weights", info.meta.value("weights", nlohmann::json{})},
                        {"threads", s.threads}};
  if (s.search.search == "tree") out["comparison_budget"] = comparison_budget_json(run, s.search.max_comparisons);
  if (s.search.graph_search()) {
    out["graph_link_bytes"] = s.search.graph_bytes;
    out["links_read_per_image"] = static_cast<double>(run.links_read) / n;
  }
  if (mixed) {
    out["threshold"] = s.threshold;
    out["teacher_images"] = fallback_images;
    out["teacher_seconds"] = mix->fallback_seconds();
  }
  out["report"] = io::report_to_json(report);
  return out;
}

}  // namespace mbi::experiment
