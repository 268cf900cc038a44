#include "mbi/train/teacher_table.hpp"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <random>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/checksum.hpp"
#include "mbi/core/error.hpp"
#include "mbi/io/ram_config_json.hpp"
#include "mbi/lookup/ram_keys.hpp"
#include "mbi/train/distill.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/teacher_run.hpp"

namespace mbi::train {
namespace {

double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t).count();
}

}  // namespace

TeacherTable train_teacher_and_table(const RamConfig& config, const TeacherTableRecipe& recipe, const ImageSet& train,
                                     const ImageSet& val, const ImageSet& test) {
  if (config.glimpse_bits == 0 || config.hidden_bits == 0)
    throw Error("a table needs a quantised teacher: glimpse and hidden-state bits must be at least 1");
  if (recipe.dagger_weights.size() != 3) throw Error("DAgger weights: expected three values a,b,c");
  TeacherTable out;
  auto start = std::chrono::steady_clock::now();
  TrainedTeacher trained = train_teacher({config, recipe.train, {}, recipe.device}, train, val);
  out.config = trained.model->config();
  out.training = trained.result;
  out.val_accuracy = trained.result.best_val_accuracy;
  const double epochs_here = seconds_since(start);
  start = std::chrono::steady_clock::now();
  out.test_accuracy = evaluate_accuracy(trained.model, test);
  // Every epoch's logged time, those of a killed run this one resumed included, so a resumed
  // trial reports what its teacher cost (this process alone would report only the rest).
  double logged = 0;
  for (const EpochLog& e : trained.result.log) logged += e.seconds;
  out.train_seconds = std::max(logged, epochs_here) + seconds_since(start);
  if (!recipe.model_out.empty())
    save_model(recipe.model_out, trained.model,
               {{"val_accuracy", out.val_accuracy}, {"test_accuracy", out.test_accuracy},
                {"epochs_run", out.training.epochs_run}, {"best_epoch", out.training.best_epoch},
                {"seed", recipe.train.seed}, {"train_images", train.count()}});

  start = std::chrono::steady_clock::now();
  const ImageSet images = train.sample(recipe.table_images, recipe.train.seed);
  out.table_images = images.count();
  DistillOptions d;
  d.seed = recipe.train.seed;
  d.augment_shift = recipe.augment_shift;
  d.progress = false;
  out.table = distill(trained.model, images, d);
  const auto& w = recipe.dagger_weights;
  out.table.segment_weights = eq1_segment_weights(out.config, w[0], w[1], w[2]);
  if (recipe.dagger_rounds > 0) {
    DaggerOptions g;
    g.rounds = recipe.dagger_rounds;
    g.augment_shift = recipe.augment_shift;
    g.seed = recipe.train.seed;
    g.tree = recipe.tree;
    g.tree.seed = recipe.train.seed;
    g.threads = recipe.threads;
    g.progress = false;
    add_lookup_path_rows(trained.model, images, out.table, g);
  }
  out.table_seconds = seconds_since(start);
  // The metadata `mbi distill` writes, so the rows read as a RAM table everywhere.
  std::uint32_t checksum = 0;
  if (!recipe.model_out.empty()) {
    const std::string bytes = read_file(recipe.model_out);
    checksum = crc32(bytes.data(), bytes.size());
  }
  const nlohmann::json meta = {
      {"format", "mbi-ram-table"},
      {"teacher",
       {{"file", recipe.model_out.filename().string()}, {"checksum", checksum}, {"config", io::config_to_json(out.config)}}},
      {"distill",
       {{"split", "train"}, {"images", out.table_images}, {"augment_shift", recipe.augment_shift},
        {"dagger_rounds", recipe.dagger_rounds}, {"seed", recipe.train.seed}, {"rows", out.table.rows()}}},
      {"weights", {{"space", "eq1"}, {"a", w[0]}, {"b", w[1]}, {"c", w[2]}}},
      {"tree", nullptr}};
  out.table.metadata_json = meta.dump();
  return out;
}

}  // namespace mbi::train
