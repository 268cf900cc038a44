#include "mbi/experiment/speed.hpp"

#include <algorithm>
#include <chrono>
#include <optional>

#include "mbi/core/error.hpp"
#include "mbi/lookup/classifier.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "mbi/lookup/mixed.hpp"
#include "mbi/lookup/ram_keys.hpp"

namespace mbi::experiment {
namespace {

// Images of the untimed run before each timed one (the teacher at batch 1 takes an eighth).
constexpr std::size_t kWarmImages = 512;

using Clock = std::chrono::steady_clock;

double seconds_of(const std::function<void()>& body) {
  const auto t0 = Clock::now();
  body();
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

void keep_fastest(double& best, double s) { best = best == 0 ? s : std::min(best, s); }

// Percent of `images` classified right.
double classify(eval::Classifier& c, const ImageSet& images) {
  std::vector<int> predictions(images.count());
  eval::Ledger ignored;
  c.classify(images, predictions, ignored);
  std::size_t right = 0;
  for (std::size_t i = 0; i < images.count(); ++i) right += predictions[i] == images.labels[i];
  return images.count() == 0 ? 0.0 : 100.0 * static_cast<double>(right) / static_cast<double>(images.count());
}

}  // namespace

io::ResultFiles speed_experiment(const SpeedPeers& peers, const Table* table, const RamConfig& config,
                                 const ImageSet& test, const SpeedOptions& o) {
  if (o.repeats < 1) throw Error("--repeats: must be at least 1");
  const ImageSet small = test.first(o.batch1_images);
  io::ResultFiles result;
  nlohmann::json& out = result.summary;
  out = {{"threads", o.threads}, {"images", test.count()}, {"repeats", o.repeats}, {"lookup_batch", kLookupBatch}};
  double teacher_b1_seconds = 0, teacher_b256_seconds = 0;
  std::vector<double> lookup_seconds(o.budgets.size(), 0.0);
  std::vector<LookupRun> lookup_runs(o.budgets.size());  // the first run of each budget
  // The warm-up runs also page in the table's mapping and make the teacher's one-off allocations.
  const ImageSet warm = test.first(kWarmImages);
  const ImageSet warm_batch1 = test.first(kWarmImages / 8);
  // Mixed mode: the lookups stop at the first step past the threshold, and the teacher at
  // batch 256 answers the images they leave (MixedClassifier, as `mbi eval --mode mixed`).
  std::optional<LookupClassifier> mixed_lookups;
  std::optional<MixedClassifier> mixed;
  double mixed_seconds = 0, mixed_accuracy = 0;
  std::size_t mixed_fallback = 0;
  if (o.mixed_threshold >= 0) {
    if (table == nullptr) throw Error("--mixed-threshold: mixed mode needs --table");
    LookupOptions lo;
    lo.search.max_comparisons = o.mixed_budget;
    const std::vector<std::uint32_t> weights(table->segment_weights().begin(), table->segment_weights().end());
    lo.stop_above = MixedPolicy(o.mixed_threshold, eq1_normalizer(config, weights)).stop_above();
    mixed_lookups.emplace(*table, config, lo, o.threads, false);
    mixed.emplace(*mixed_lookups, peers.teacher_batch256);
  }
  for (int round = 0; round < o.repeats; ++round) {
    classify(peers.teacher_batch1, warm_batch1);
    keep_fastest(teacher_b1_seconds, seconds_of([&] { classify(peers.teacher_batch1, small); }));
    classify(peers.teacher_batch256, warm);
    keep_fastest(teacher_b256_seconds, seconds_of([&] { classify(peers.teacher_batch256, test); }));
    if (table == nullptr) continue;
    if (mixed) {
      classify(*mixed, warm);
      double accuracy = 0;
      keep_fastest(mixed_seconds, seconds_of([&] { accuracy = classify(*mixed, test); }));
      if (round == 0) {
        mixed_accuracy = accuracy;
        mixed_fallback = mixed->fallback_images().size();
      }
    }
    for (std::size_t k = 0; k < o.budgets.size(); ++k) {
      LookupOptions lo;
      lo.search.max_comparisons = o.budgets[k];
      run_lookups(*table, config, warm, lo, o.threads, false);
      LookupRun run = run_lookups(*table, config, test, lo, o.threads, false);
      keep_fastest(lookup_seconds[k], run.seconds);
      if (round == 0) lookup_runs[k] = std::move(run);
    }
  }
  const double teacher_b1 = static_cast<double>(small.count()) / teacher_b1_seconds;
  const double teacher_b256 = static_cast<double>(test.count()) / teacher_b256_seconds;
  out["teacher_batch1_images_per_second"] = teacher_b1;
  out["teacher_batch256_images_per_second"] = teacher_b256;

  if (table != nullptr) {
    const double n = static_cast<double>(test.count());
    nlohmann::json per_budget = nlohmann::json::array();
    std::optional<LookupRun> one_leaf;  // the default search (one leaf per step)
    for (std::size_t k = 0; k < o.budgets.size(); ++k) {
      LookupRun& r = lookup_runs[k];
      r.seconds = lookup_seconds[k];
      if (o.budgets[k] == 0) one_leaf = r;
      const double ips = n / r.seconds;
      per_budget.push_back({{"max_comparisons", o.budgets[k]},
                            {"accuracy", r.accuracy(test)},
                            {"images_per_second", ips},
                            {"comparisons_per_image", static_cast<double>(r.comparisons) / n},
                            {"vs_teacher_batch1", ips / teacher_b1},
                            {"vs_teacher_batch256", ips / teacher_b256}});
    }
    out["lookup_tree_by_budget"] = per_budget;
    if (!one_leaf) one_leaf = run_lookups(*table, config, test, LookupOptions{}, o.threads, false);
    const LookupRun& tree_run = *one_leaf;
    LookupOptions exhaustive;
    exhaustive.index = &table->exhaustive();
    const ImageSet few = test.first(o.exhaustive_images);
    const LookupRun ex_run = run_lookups(*table, config, few, exhaustive, o.threads, false);
    const double tree_ips = n / tree_run.seconds;
    const double ex_ips = static_cast<double>(few.count()) / ex_run.seconds;
    out["lookup_tree_images_per_second"] = tree_ips;
    out["lookup_tree_accuracy"] = tree_run.accuracy(test);
    out["lookup_tree_comparisons_per_image"] = static_cast<double>(tree_run.comparisons) / n;
    out["lookup_exhaustive_images_per_second"] = ex_ips;
    out["tree_vs_teacher_batch1"] = tree_ips / teacher_b1;
    out["tree_vs_teacher_batch256"] = tree_ips / teacher_b256;
    out["tree_vs_exhaustive"] = tree_ips / ex_ips;
    if (mixed) {
      const double ips = n / mixed_seconds;
      out["mixed"] = {{"threshold", o.mixed_threshold},
                      {"max_comparisons", o.mixed_budget},
                      {"accuracy", mixed_accuracy},
                      {"coverage", 1.0 - static_cast<double>(mixed_fallback) / n},
                      {"teacher_images", mixed_fallback},
                      {"images_per_second", ips},
                      {"vs_teacher_batch256", ips / teacher_b256}};
    }
    out["table"] = table->name();
    out["trees"] = table->tree_count();
    out["resident_bytes"] = table->resident_bytes();
  }
  if (peers.train_epoch_seconds) out["train_seconds_per_epoch"] = peers.train_epoch_seconds();
  return result;
}

}  // namespace mbi::experiment
