#pragma once
// Lookup inference and mixed mode behind the evaluation contract (eval/classifier.hpp).
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mbi/eval/classifier.hpp"
#include "mbi/lookup/engine.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "mbi/lookup/table.hpp"

namespace mbi {

// Pure lookups (system "mbi"): every image through LookupEngine on `threads` threads. An
// image stopped early (LookupOptions::stop_above) gets no answer (-1). Counts one
// "lookup.key_comparison" per distance computed (keys and tree centroids), and whatever
// a hardware mapping adds per comparison (count_per_comparison); a graph walk also counts one
// kLinkReadEvent per link-list entry it read.
// One 32-bit entry of a proximity graph's link lists read by a walk (SearchResult::links_read).
inline constexpr const char* kLinkReadEvent = "lookup.link_read";

class LookupClassifier final : public eval::Classifier {
 public:
  // `table` must outlive the classifier, and options.index, when set.
  LookupClassifier(const Table& table, const RamConfig& config, LookupOptions options, int threads = 1,
                   bool progress = false);

  // Also counts `per_comparison` events `event` for every comparison: how a hardware model
  // says what a comparison costs it (e.g. "sram.array_match" x the arrays a key spans).
  void count_per_comparison(const std::string& event, std::uint64_t per_comparison);

  std::string system() const override { return "mbi"; }
  // table.keys, table.values (next hidden state, location, step, prediction), table.index
  // (trees, layouts, metadata) and, for a forest, table.forest_copies (keys held in memory
  // once more per further tree).
  eval::Footprint footprint() const override;
  void classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) override;
  // coverage (share of images answered), comparisons_per_image, median_comparisons_per_step.
  std::vector<std::pair<std::string, double>> metrics() const override;

  // Everything the last classify() saw: per-image worst distances, per-step comparisons...
  const LookupRun& last_run() const { return run_; }
  const LookupOptions& options() const { return options_; }

 private:
  const Table& table_;
  RamConfig config_;
  LookupOptions options_;
  int threads_;
  bool progress_;
  std::vector<std::pair<std::string, std::uint64_t>> per_comparison_ = {{"lookup.key_comparison", 1}};
  LookupRun run_;
};

// Mixed mode (system "mixed"): lookups first, and the images they leave unanswered (stopped
// by their options' stop_above, see MixedPolicy) to a fallback classifier, the teacher.
// The ledger holds the lookups' events for every image and the fallback's for its images.
class MixedClassifier final : public eval::Classifier {
 public:
  // Both must outlive this classifier.
  MixedClassifier(LookupClassifier& lookups, eval::Classifier& fallback) : lookups_(lookups), fallback_(fallback) {}

  std::string system() const override { return "mixed"; }
  eval::Footprint footprint() const override;  // both systems' bytes
  void classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) override;
  // The lookups' metrics, and fallback_images, fallback_seconds.
  std::vector<std::pair<std::string, double>> metrics() const override;

  // Images the fallback answered in the last classify(), in order.
  const std::vector<std::size_t>& fallback_images() const { return fallback_images_; }
  double fallback_seconds() const { return fallback_seconds_; }

 private:
  LookupClassifier& lookups_;
  eval::Classifier& fallback_;
  std::vector<std::size_t> fallback_images_;
  double fallback_seconds_ = 0;
};

}  // namespace mbi
