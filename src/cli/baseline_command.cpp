// `mbi baseline`: exhaustive 1-NN over the training images, raw and 2-bit pixels, at several
// reference-set sizes, with lookup tables' records beside it (experiment/nn_baseline.hpp).
#include <spdlog/spdlog.h>

#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "mbi/core/error.hpp"
#include "mbi/experiment/nn_baseline.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

struct BaselineArgs {
  DataOptions data;
  std::string reference = "train-all";
  std::string split = "test";
  std::vector<std::size_t> sizes = {1000, 6000, 20000, 60000};
  std::vector<std::filesystem::path> lookups;
  std::vector<std::string> labels;
  std::filesystem::path out = "results/baseline";
  int threads = 0;
  bool json = false;
  bool no_progress = false;
  bool published = false;
};

// The lookup points of `mbi eval --mode mbi --json` records.
std::vector<experiment::LookupPoint> lookup_points(const BaselineArgs& a) {
  if (!a.labels.empty() && a.labels.size() != a.lookups.size())
    throw Error("--labels: " + std::to_string(a.labels.size()) + " labels for " + std::to_string(a.lookups.size()) +
                " --lookups records");
  const std::vector<nlohmann::json> records = read_json_records(a.lookups);
  std::vector<experiment::LookupPoint> points;
  for (std::size_t i = 0; i < records.size(); ++i) {
    const nlohmann::json& r = records[i];
    for (const char* field : {"accuracy", "table_bytes", "comparisons_per_image"})
      if (!r.contains(field) || !r[field].is_number())
        throw Error(a.lookups[i].string() + ": not an `mbi eval --mode mbi --json` record (no number '" + field + "')");
    // A graph search's links are stored beside the table: its bytes count them.
    const double graph_bytes = r.contains("graph_link_bytes") && r["graph_link_bytes"].is_number()
                                   ? r["graph_link_bytes"].get<double>()
                                   : 0.0;
    points.push_back({a.labels.empty() ? a.lookups[i].stem().string() : a.labels[i], r["accuracy"].get<double>(),
                      r["table_bytes"].get<double>() + graph_bytes, r["comparisons_per_image"].get<double>()});
  }
  return points;
}

void run(const BaselineArgs& a) {
  const std::vector<experiment::LookupPoint> lookups = lookup_points(a);
  const ImageSet references = a.data.load(a.reference);
  const ImageSet queries = a.data.load(a.split);
  experiment::NnBaselineOptions o;
  o.reference_sizes = a.sizes;
  o.threads = a.threads;
  o.progress = !a.no_progress && !a.json;
  o.published = a.published;
  io::ResultFiles results = experiment::nn_baseline(references, queries, o, lookups);
  results.summary["data"] = a.data.dir.string();
  results.summary["reference_split"] = a.reference;
  results.summary["split"] = a.split;
  results.write(a.out, "summary.json");
  if (a.json) {
    std::cout << results.summary.dump() << std::endl;
    return;
  }
  for (const auto& p : results.summary["points"]) {
    std::printf("1-NN %-4s %6zu references %11.0f bytes: %6.2f %%\n", p["pixels"].get<std::string>().c_str(),
                p["references"].get<std::size_t>(), p["bytes"].get<double>(), p["accuracy"].get<double>());
  }
  for (const auto& l : results.summary["lookups"])
    std::printf("lookups %s %11.0f bytes: %6.2f %% (1-NN within its bytes: %s)\n",
                l["label"].get<std::string>().c_str(), l["bytes"].get<double>(), l["accuracy"].get<double>(),
                l["best_1nn_at_no_more_bytes"].is_null()
                    ? "none"
                    : (std::to_string(l["best_1nn_at_no_more_bytes"].get<double>()).substr(0, 5) + " %").c_str());
  std::cout << "wrote " << a.out.string() << std::endl;
}

}  // namespace

void register_baseline(CLI::App& app) {
  auto a = std::make_shared<BaselineArgs>();
  auto* cmd = app.add_subcommand(
      "baseline", "exhaustive 1-NN over the training images (raw and 2-bit pixels) per byte, beside lookup tables");
  a->data.add_to(*cmd);
  cmd->add_option("--reference", a->reference, "split the references are the first images of")
      ->check(CLI::IsMember({"train", "train-all"}))
      ->capture_default_str();
  add_split(*cmd, a->split, "query images");
  cmd->add_option("--sizes", a->sizes, "reference-set sizes (the first N images; larger than the split: all)")
      ->delimiter(',')
      ->check(whole_number(1, 1ULL << 32))
      ->capture_default_str();
  cmd->add_option("--lookups", a->lookups, "records of `mbi eval --mode mbi --json` to plot beside the baseline")
      ->check(CLI::ExistingFile);
  cmd->add_option("--labels", a->labels, "one label per --lookups record (default: the file names)")->delimiter(',');
  cmd->add_flag("--published", a->published,
                "draw the paper's MNIST lookups (89.19 %, 6.21 MB, about 560 comparisons per image) on both plots");
  add_out(*cmd, a->out, "folder for CSV, summary.json and the plots (accuracy against bytes and against comparisons)");
  add_threads(*cmd, a->threads);
  add_json(*cmd, a->json);
  add_no_progress(*cmd, a->no_progress);
  cmd->callback([a] { run(*a); });
}

}  // namespace mbi::cli
