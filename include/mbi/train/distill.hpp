#pragma once
// Distillation (paper section II-B, step 2): run the teacher over training images and
// record one table row per glimpse step, key = (glimpse levels, h_{t-1}, location),
// value = (h_t, next location, prediction at step t).
//
// The teacher sees only quantised inputs, so a key determines its value exactly: identical
// keys are stored once. Same model, images, options and seed give the same table, bit for bit.
#include <cstdint>

#include "mbi/data/idx.hpp"
#include "mbi/table_file.hpp"
#include "mbi/train/ram_model.hpp"

namespace mbi::train {

struct DistillOptions {
  double fraction = 1.0;     // share of the recorded rows kept (seeded uniform sample)
  std::size_t max_rows = 0;  // cap on the rows kept after sampling (0 = none)
  int repeats = 1;           // passes over the images; passes after the first start at random locations
  bool dedup = true;
  std::uint64_t seed = 1;
  int batch = 256;
  bool progress = true;
};

struct DistillStats {
  std::size_t images = 0;
  std::size_t rows_recorded = 0;
  std::size_t rows_sampled = 0;
  std::size_t rows_kept = 0;  // after removing duplicate keys
};

// Rows of the table (no weights, metadata or tree yet: the caller adds them).
TableData distill(RamModel& model, const data::ImageSet& images, const DistillOptions& options,
                  DistillStats* stats = nullptr);

}  // namespace mbi::train
