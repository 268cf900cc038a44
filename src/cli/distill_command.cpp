// `mbi distill`: turns a quantised teacher into a lookup table file.
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <iostream>

#include "commands.hpp"
#include "config_path.hpp"
#include "mbi/experiment/hw_studies.hpp"
#include "mbi/hw/hw_config.hpp"
#include "mbi/core/error.hpp"
#include "mbi/lookup/ram_keys.hpp"
#include "mbi/train/distill.hpp"
#include "mbi/io/ram_config_json.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/threads.hpp"
#include "options.hpp"
#include "validators.hpp"

namespace mbi::cli {
namespace {

struct DistillArgs {
  DataOptions data;
  std::filesystem::path model;
  std::filesystem::path out;
  std::string split = "train";
  train::DistillOptions distill;
  std::vector<double> weights;
  TreeFlags tree;
  train::DaggerOptions dagger;
  bool no_dedup = false;
  double dagger_noise_sigma = 0;
  std::uint32_t dagger_noise_probes = 32;
  std::filesystem::path hw_config;
  int threads = 0;
  bool json = false;
  bool no_progress = false;
};

void run(DistillArgs& a) {
  train::set_threads(a.threads);
  if (a.weights.size() != 3) throw Error("--weights: expected three values a,b,c (glimpse, hidden, location)");
  if (a.dagger.noisy_rounds > 0 && !(a.dagger_noise_sigma > 0))
    throw Error("--dagger-noise-rounds: give the noise with --dagger-noise-sigma S (S > 0)");
  if (a.dagger.noisy_rounds == 0 && a.dagger_noise_sigma > 0)
    throw Error("--dagger-noise-sigma: give --dagger-noise-rounds N too");
  check_not_an_input("--out", a.out, {a.model});
  auto loaded = train::load_model(a.model);
  const RamConfig& c = loaded.model->config();
  if (c.glimpse_bits == 0 || c.hidden_bits == 0)
    throw Error(a.model.string() + ": a float teacher (glimpse and hidden-state bits 0); tables are distilled from a "
                "quantised one");
  const ImageSet images = a.data.load(a.split);
  if (images.rows != c.image_rows || images.cols != c.image_cols)
    throw Error(a.data.dir.string() + ": images are " + std::to_string(images.rows) + "x" +
                std::to_string(images.cols) + ", teacher " + a.model.string() + " expects " +
                std::to_string(c.image_rows) + "x" + std::to_string(c.image_cols));
  if (a.dagger.noisy_rounds > 0) {
    // Rounds whose lookups run on the modelled arrays with the published distance noise.
    auto hw_config = std::make_shared<hw::HwConfig>(
        hw::load_hw_config(given_or_shipped(a.hw_config, kHwConfig, "--hw-config")));
    a.dagger.noisy_index = [hw_config, c, sigma = a.dagger_noise_sigma, seed = a.distill.seed](const Table& t) {
      return experiment::noisy_index(t, c, *hw_config, sigma, hw::Descent::circuit, seed);
    };
    a.dagger.noisy_search.probes = a.dagger_noise_probes;
  }
  a.distill.dedup = !a.no_dedup;
  a.distill.progress = !a.no_progress;
  a.tree.params.seed = a.distill.seed;
  a.tree.params.threads = static_cast<std::uint32_t>(a.threads);  // builds the same tree on any count

  const auto t0 = std::chrono::steady_clock::now();
  train::DistillStats stats;
  TableData table = train::distill(loaded.model, images, a.distill, &stats);
  const double distill_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  table.segment_weights = eq1_segment_weights(c, a.weights[0], a.weights[1], a.weights[2]);
  train::DaggerStats dagger_stats;
  a.dagger.threads = a.threads;
  double dagger_seconds = 0;
  if (a.dagger.rounds + a.dagger.noisy_rounds > 0) {
    const auto t_dagger = std::chrono::steady_clock::now();
    a.dagger.tree = a.tree.params;
    a.dagger.seed = a.distill.seed;
    a.dagger.augment_shift = a.distill.augment_shift;
    a.dagger.progress = !a.no_progress;
    train::add_lookup_path_rows(loaded.model, images, table, a.dagger, &dagger_stats);
    stats.rows_kept = table.rows();
    dagger_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t_dagger).count();
  }
  nlohmann::json meta = {
      {"format", "mbi-ram-table"},
      {"teacher", {{"file", a.model.filename().string()}, {"checksum", loaded.checksum}, {"config", io::config_to_json(c)}}},
      {"distill",
       {{"split", a.split},
        {"images", stats.images},
        {"fraction", a.distill.fraction},
        {"max_rows", a.distill.max_rows},
        {"repeats", a.distill.repeats},
        {"dedup", a.distill.dedup},
        {"seed", a.distill.seed},
        {"rows_recorded", stats.rows_recorded},
        {"rows_sampled", stats.rows_sampled},
        {"augment_shift", a.distill.augment_shift},
        {"dagger_rounds", a.dagger.rounds},
        {"dagger_rows_added", dagger_stats.rows_added},
        {"rows", stats.rows_kept}}},
      {"weights", {{"space", "eq1"}, {"a", a.weights[0]}, {"b", a.weights[1]}, {"c", a.weights[2]}}},
      {"tree", nullptr}};
  // Only tables with noisy rounds say so: the others keep the bytes they always had.
  if (a.dagger.noisy_rounds > 0)
    meta["distill"]["dagger_noise"] = {{"rounds", a.dagger.noisy_rounds},
                                       {"distance_sigma", a.dagger_noise_sigma},
                                       {"probes", a.dagger_noise_probes},
                                       {"descent", "circuit"},
                                       {"devices", "ideal"}};
  double tree_seconds = 0;
  {
    const auto t1 = std::chrono::steady_clock::now();
    meta["tree"] = a.tree.build(table);
    tree_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t1).count();
  }
  table.metadata_json = meta.dump();
  write_table(a.out, table);
  const nlohmann::json summary = {{"table", a.out.string()},
                                  {"rows", stats.rows_kept},
                                  {"rows_recorded", stats.rows_recorded},
                                  {"table_bytes", std::filesystem::file_size(a.out)},
                                  {"dagger_rounds", a.dagger.rounds + a.dagger.noisy_rounds},
                                  {"dagger_rows_added", dagger_stats.rows_added},  // per round
                                  // The teacher's recorded rows; DAgger's rounds and the tree after.
                                  {"distill_seconds", distill_seconds},
                                  {"dagger_seconds", dagger_seconds},
                                  {"tree_seconds", tree_seconds},
                                  {"seconds", distill_seconds + dagger_seconds + tree_seconds}};
  if (a.json)
    std::cout << summary.dump() << std::endl;
  else
    spdlog::info("wrote {}: {} rows ({} recorded), {} bytes", a.out.string(), stats.rows_kept, stats.rows_recorded,
                 std::filesystem::file_size(a.out));
}

}  // namespace

void register_distill(CLI::App& app) {
  auto a = std::make_shared<DistillArgs>();
  auto* cmd = app.add_subcommand("distill", "distill a quantised teacher into a lookup table");
  a->data.add_to(*cmd);
  cmd->add_option("--model", a->model, "teacher model file")->required();
  add_out(*cmd, a->out, "table file to write")->required();
  // Defaults: the main job's recipe (issue 20), so that a flagless distill reproduces its
  // table. DAgger rounds run on shifted images: on the distilled images themselves lookups
  // retrace the teacher and meet nothing new.
  a->weights = {30, 16, 10};
  a->dagger.rounds = 3;
  a->distill.augment_shift = 2;
  cmd->add_option("--split", a->split, "images to record (train = training file minus validation)")
      ->check(CLI::IsMember({"train", "train-all", "val", "test"}))
      ->capture_default_str();
  cmd->add_option("--fraction", a->distill.fraction, "share of the recorded rows to keep")
      ->check(finite_number(1e-6, 1.0))
      ->capture_default_str();
  cmd->add_option("--max-rows", a->distill.max_rows, "cap on the rows kept (0 = none)")
      ->check(whole_number(0, std::numeric_limits<std::uint32_t>::max() - 1))
      ->capture_default_str();
  cmd->add_option("--repeats", a->distill.repeats, "passes over the images; later passes use images shifted by up to --augment-shift (random start locations with --augment-shift 0)")
      ->check(whole_number(1, 64))
      ->capture_default_str();
  cmd->add_flag("--no-dedup", a->no_dedup, "keep rows with identical keys");
  cmd->add_option("--augment-shift", a->distill.augment_shift,
                  "pixels: repeats and DAgger rounds run on images shifted by up to this much")
      ->check(whole_number(0, 8))
      ->capture_default_str();
  cmd->add_option("--dagger-rounds", a->dagger.rounds,
                  "rounds of adding the teacher's values for the keys lookup inference meets on the same images")
      ->check(whole_number(0, 16))
      ->capture_default_str();
  cmd->add_option("--dagger-noise-rounds", a->dagger.noisy_rounds,
                  "device-enhanced rows: rounds after the DAgger rounds whose lookups run through the hardware model "
                  "with distance noise (--dagger-noise-sigma), adding the teacher's values where noisy lookups go")
      ->check(whole_number(0, 16))
      ->capture_default_str();
  cmd->add_option("--dagger-noise-sigma", a->dagger_noise_sigma,
                  "with --dagger-noise-rounds: Gaussian distance noise per component (mbi hw noise's sigma)")
      ->check(finite_number(1e-9, 1e6));
  cmd->add_option("--dagger-noise-probes", a->dagger_noise_probes, "with --dagger-noise-rounds: tree leaves per step")
      ->check(whole_number(1, 1 << 20))
      ->capture_default_str();
  cmd->add_option("--hw-config", a->hw_config,
                  "with --dagger-noise-rounds: hardware parameter file (default: configs/hw/sram16nm.json)");
  add_seed(*cmd, a->distill.seed, "seed for sampling, random starts and the tree");
  cmd->add_option("--weights", a->weights, "eq. 1 weights a,b,c (glimpse, hidden, location)")
      ->delimiter(',')
      ->check(finite_number(1e-9, 1e9))
      ->expected(3)
      ->capture_default_str();
  a->tree.add_to(*cmd);
  cmd->add_option("--batch", a->distill.batch, "teacher batch size")->check(whole_number(1, 65536))->capture_default_str();
  add_threads(*cmd, a->threads);
  add_no_progress(*cmd, a->no_progress);
  add_json(*cmd, a->json, "print a JSON summary");
  cmd->callback([a] { run(*a); });
}

}  // namespace mbi::cli
