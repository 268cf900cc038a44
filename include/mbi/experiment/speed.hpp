#pragma once
// The speed claims, measured side by side in one run on the same images and thread count:
// the teacher's forward pass at batch 1 and 256 against lookup inference (tree, at several
// budgets, and exhaustive), mixed mode (lookups, the teacher at batch 256 for the images they
// leave) when given a threshold, and optionally the teacher's training time per epoch.
//
// Every path is timed `repeats` times and its fastest run kept: on a shared machine the slow
// runs measure the neighbours. The paths take turns, one run each per round, so that a busy
// spell slows the teacher and the lookups alike. Each timed run follows a short untimed one
// of the same path, so that it starts with its own data in the caches.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/eval/classifier.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/lookup/ram_config.hpp"
#include "mbi/lookup/table.hpp"

namespace mbi::experiment {

struct SpeedOptions {
  int threads = 1;                         // lookups (the teachers run on LibTorch's threads, set by the caller)
  std::vector<std::uint32_t> budgets = {0, 400, 800};  // tree search budgets timed (0 = one leaf)
  std::size_t batch1_images = 2000;        // images timed at batch 1
  int repeats = 3;
  std::size_t exhaustive_images = 300;
  // Mixed mode, timed when >= 0: a step's best match farther than this (eq. 1 units) hands the
  // image to the teacher at batch 256. Its lookups search with mixed_budget (0 = one leaf).
  double mixed_threshold = -1;
  std::uint32_t mixed_budget = 0;
};

// What is timed besides lookups, passed in: the teacher at batch 1 and at batch 256, and
// (when set) one training epoch, returning its seconds.
struct SpeedPeers {
  eval::Classifier& teacher_batch1;
  eval::Classifier& teacher_batch256;
  std::function<double()> train_epoch_seconds;
};

// `table` may be null: the teacher alone is timed. Summary only (speed.json).
io::ResultFiles speed_experiment(const SpeedPeers& peers, const Table* table, const RamConfig& config,
                                 const ImageSet& test, const SpeedOptions& options);

}  // namespace mbi::experiment
