#pragma once
// Runs lookup-only inference over an image set (optionally on several threads, one engine
// each) and keeps what every report needs: per-image prediction, worst step distance,
// comparisons.
#include <cstdint>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/lookup/engine.hpp"

namespace mbi {

struct LookupRun {
  std::vector<int> prediction;               // per image; -1 when stopped early
  std::vector<std::uint32_t> max_distance;   // per image: worst step's best-match raw distance
  std::vector<std::uint8_t> completed;       // per image: all steps looked up
  std::vector<std::uint32_t> step_comparisons;  // per step taken, all images
  std::vector<std::uint32_t> step_distance;     // per step taken, all images (raw)
  std::uint64_t comparisons = 0;
  std::uint64_t links_read = 0;  // graph link-list entries read, all images (0 without a graph)
  double seconds = 0;

  double accuracy(const ImageSet& set) const;  // percent, over completed images
  double median_step_comparisons() const;            // of step_comparisons (0 when none)
};

// Every step of every image, kept when a caller wants to see the paths (Python's per-step
// arrays, a debugger): image i's step t at [i * steps + t]. Steps an image did not take
// (stopped early by LookupOptions::stop_above) hold row kNoIndex, distance and comparisons 0,
// location -1.
struct LookupTrace {
  std::size_t steps = 0;  // the teacher's glimpses
  std::vector<std::uint32_t> row;
  std::vector<std::uint32_t> distance;     // raw weighted distance of the step's best match
  std::vector<std::uint32_t> comparisons;  // distances the step's search computed
  std::vector<std::int32_t> loc_x;         // where the step's glimpse was taken
  std::vector<std::int32_t> loc_y;
};

// How many steps of `trace` matched each of a table's `rows` rows: how often lookups use a row
// (rows no step matched count 0; steps not taken are skipped).
std::vector<std::uint32_t> row_hits(const LookupTrace& trace, std::size_t rows);

// Images per LookupEngine::infer_batch call (`mbi experiment speed` measures the effect).
inline constexpr std::size_t kLookupBatch = 64;

// Every image of `set` through lookup inference on `threads` threads (0: all cores), one
// engine each, in batches of kLookupBatch consecutive images. The same images, table and
// options give the same run whatever the thread count; `seconds` times the lookups alone
// (engines are set up before the clock starts).
LookupRun run_lookups(const Table& table, const RamConfig& config, const ImageSet& set,
                      const LookupOptions& options, int threads, bool progress);
// The same over borrowed images (no copy); with `trace`, also every step of every image.
// Images must be the size the teacher takes (config.image_rows x image_cols): throws
// mbi::Error naming the table otherwise.
LookupRun run_lookups(const Table& table, const RamConfig& config, ImageView images, const LookupOptions& options,
                      int threads, bool progress, LookupTrace* trace = nullptr);

}  // namespace mbi
