#pragma once
// Runs a compiled ternary network (compiler.hpp) on the associative-processor simulator, a
// batch of images at a time: every layer is one CAM of (images x positions) rows; its inputs
// are gathered from the previous layer's outputs (read out of one array, written into the
// next: counted as row reads and stores), its steps run on the array, its outputs are read
// out. The logits and predictions come out of the last array.
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "mbi/ap/op_counts.hpp"
#include "mbi/ap/program.hpp"
#include "mbi/ap/racetrack.hpp"
#include "mbi/core/image_set.hpp"
#include "mbi/eval/classifier.hpp"
#include "mbi/ternary/network.hpp"

namespace mbi::ap {

struct RunOptions {
  std::size_t batch = 1000;                               // images per array
  RacetrackGeometry racetrack{.domains_per_track = 64, .ports_per_track = 2};  // RTSim's
};

struct RunOutput {
  std::vector<int> predictions;                  // per image, read from the AP's argmax field
  std::vector<std::vector<std::int64_t>> logits; // per image, read from the last array
  OpCounts counts;                               // every array, every batch
  std::uint64_t program_passes = 0;              // of one run of the program (any batch size)
  std::size_t batches = 0;
};

// Classifies images[first, first + count) (all when count is 0). `progress` is called with
// the images done so far.
RunOutput run_network(const CompiledNetwork& compiled, const ImageSet& images, const RunOptions& options,
                      const std::function<void(std::size_t)>& progress = {});

// The AP as a classifier of the evaluation contract: its ledger holds the AP's events
// (ap.*, rtm.*), priced by configs/energy/ap_rtm.json.
class ApClassifier final : public eval::Classifier {
 public:
  ApClassifier(const ternary::Network& network, const CompiledNetwork& compiled, RunOptions options)
      : network_(network), compiled_(compiled), options_(options) {}
  std::string system() const override { return "ap"; }
  eval::Footprint footprint() const override;
  void classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) override;
  std::vector<std::pair<std::string, double>> metrics() const override { return metrics_; }
  // The last classify()'s full output (logits included), for checks against the reference.
  const RunOutput& last() const { return last_; }

 private:
  const ternary::Network& network_;
  const CompiledNetwork& compiled_;
  RunOptions options_;
  RunOutput last_;
  std::vector<std::pair<std::string, double>> metrics_;
};

}  // namespace mbi::ap
