#include "mbi/lookup/classifier.hpp"

#include <chrono>

#include "mbi/core/error.hpp"

namespace mbi {
namespace {

void check_sizes(const ImageSet& images, std::span<int> predictions, const RamConfig& config, const std::string& who) {
  if (predictions.size() != images.count())
    throw Error(who + ": " + std::to_string(predictions.size()) + " predictions for " + std::to_string(images.count()) +
                " images");
  if (images.count() > 0 && (images.rows != config.image_rows || images.cols != config.image_cols))
    throw Error(who + ": images are " + std::to_string(images.rows) + "x" + std::to_string(images.cols) +
                ", the table was built for " + std::to_string(config.image_rows) + "x" + std::to_string(config.image_cols));
}

}  // namespace

LookupClassifier::LookupClassifier(const Table& table, const RamConfig& config, LookupOptions options, int threads,
                                   bool progress)
    : table_(table), config_(config), options_(options), threads_(threads), progress_(progress) {}

void LookupClassifier::count_per_comparison(const std::string& event, std::uint64_t per_comparison) {
  per_comparison_.emplace_back(event, per_comparison);
}

eval::Footprint LookupClassifier::footprint() const {
  eval::Footprint f;
  const std::size_t keys = table_.keys().size_bytes();
  const std::size_t values = table_.next_hidden().size_bytes() + table_.next_location().size_bytes() +
                             table_.step().size_bytes() + table_.prediction().size_bytes();
  const std::size_t copies = table_.forest() != nullptr ? table_.forest()->copied_bytes() : 0;
  const std::size_t resident = table_.resident_bytes();
  f.add("table.keys", keys);
  f.add("table.values", values);
  f.add("table.index", resident - copies - keys - values);
  if (copies > 0) f.add("table.forest_copies", copies);
  return f;
}

void LookupClassifier::classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) {
  check_sizes(images, predictions, config_, table_.name());
  run_ = run_lookups(table_, config_, images, options_, threads_, progress_);
  for (std::size_t i = 0; i < images.count(); ++i) predictions[i] = run_.prediction[i];
  for (const auto& [event, per] : per_comparison_) ledger.add(event, run_.comparisons * per);
  if (run_.links_read > 0) ledger.add(kLinkReadEvent, run_.links_read);
}

std::vector<std::pair<std::string, double>> LookupClassifier::metrics() const {
  const auto n = static_cast<double>(run_.prediction.size());
  std::size_t completed = 0;
  for (const std::uint8_t c : run_.completed) completed += c;
  return {{"coverage", n > 0 ? static_cast<double>(completed) / n : 0.0},
          {"comparisons_per_image", n > 0 ? static_cast<double>(run_.comparisons) / n : 0.0},
          {"median_comparisons_per_step", run_.median_step_comparisons()}};
}

eval::Footprint MixedClassifier::footprint() const {
  eval::Footprint f = lookups_.footprint();
  f += fallback_.footprint();
  return f;
}

void MixedClassifier::classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) {
  lookups_.classify(images, predictions, ledger);
  const LookupRun& run = lookups_.last_run();
  fallback_images_.clear();
  for (std::size_t i = 0; i < images.count(); ++i)
    if (run.completed[i] == 0) fallback_images_.push_back(i);
  fallback_seconds_ = 0;
  if (fallback_images_.empty()) return;
  const auto t0 = std::chrono::steady_clock::now();
  const ImageSet rest = images.subset(fallback_images_);
  std::vector<int> answered(rest.count(), -1);
  fallback_.classify(rest, answered, ledger);
  for (std::size_t k = 0; k < fallback_images_.size(); ++k) predictions[fallback_images_[k]] = answered[k];
  fallback_seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

std::vector<std::pair<std::string, double>> MixedClassifier::metrics() const {
  std::vector<std::pair<std::string, double>> m = lookups_.metrics();
  m.emplace_back("fallback_images", static_cast<double>(fallback_images_.size()));
  m.emplace_back("fallback_seconds", fallback_seconds_);
  return m;
}

}  // namespace mbi
