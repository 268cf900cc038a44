#pragma once
// Distillation (paper section II-B, step 2): run the teacher over training images and
// record one table row per glimpse step, key = (glimpse levels, h_{t-1}, location),
// value = (h_t, next location, prediction at step t).
//
// The teacher sees only quantised inputs, so a key determines its value exactly: identical
// keys are stored once. Same model, images, options and seed give the same table, bit for bit.
#include <cstdint>
#include <functional>
#include <memory>

#include "mbi/data/idx.hpp"
#include "mbi/lookup/engine.hpp"
#include "mbi/lookup/table_file.hpp"
#include "mbi/train/ram_model.hpp"

namespace mbi::train {

struct DistillOptions {
  double fraction = 1.0;     // share of the recorded rows kept (seeded uniform sample)
  std::size_t max_rows = 0;  // cap on the rows kept after sampling (0 = none)
  int repeats = 1;           // passes over the images; later passes use shifted copies (augment_shift > 0)
                             // or else random start locations
  int augment_shift = 0;     // pixels; shifted copies cover states the original images miss
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
TableData distill(RamModel& model, const ImageSet& images, const DistillOptions& options,
                  DistillStats* stats = nullptr);

}  // namespace mbi::train

namespace mbi::train {

// Rows for the keys lookup inference itself meets (DAgger-style). Lookups drift off the
// teacher's own trajectories after an imperfect match, into states the first table does
// not cover; since the teacher sees only quantised inputs, its value for any such key is
// exact and can be stored. Each round runs lookup inference over `images` with `table`'s
// weights and tree (rebuilt per step with `tree` params), asks the teacher for the value
// of every query that was not matched exactly, and adds those rows.
struct DaggerOptions {
  int rounds = 0;
  // Device-enhanced rows (issue 17): `noisy_rounds` more rounds after those, whose lookups
  // search the index `noisy_index` makes of the table as it stands (one tree, per step)
  // with `noisy_search` - e.g. the hardware model with read noise - so that rows are added
  // for the states noisy lookups wander into, and the table learns the way back.
  int noisy_rounds = 0;
  std::function<std::unique_ptr<NearestIndex>(const Table&)> noisy_index;
  SearchParams noisy_search;
  int threads = 1;  // lookups of a round (0: all cores); the rows do not depend on it
  std::uint32_t max_comparisons = kDefaultSearchBudget;  // tree search budget during the rounds
  int augment_shift = 2;  // rounds run on shifted copies: on the distilled images themselves
                          // lookups retrace the teacher exactly and meet nothing new
  std::uint64_t seed = 1;
  KMeansTreeParams tree;
  bool progress = true;
};

struct DaggerStats {
  std::vector<std::size_t> rows_added;  // per round, the noisy rounds last
};

void add_lookup_path_rows(RamModel& model, const ImageSet& images, TableData& table,
                          const DaggerOptions& options, DaggerStats* stats = nullptr);

}  // namespace mbi::train
