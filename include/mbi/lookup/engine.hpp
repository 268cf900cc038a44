#pragma once
// Lookup-only inference (paper section II-B): start from h_0 = 0 at the start location,
// take the glimpse, find the nearest key, read h_t and the next location from its value,
// repeat; the last step's stored prediction is the class. No arithmetic beyond forming
// the query (glimpse pooling and quantisation) and the popcount distances.
//
// Not thread-safe: one engine per thread (it keeps scratch buffers).
#include <cstdint>
#include <span>
#include <vector>

#include "mbi/lookup/glimpse.hpp"
#include "mbi/search/key_layout.hpp"
#include "mbi/lookup/ram_config.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/search/index.hpp"

namespace mbi {

// The per-step comparison budget of a tree search that mbi's commands (eval, tune,
// experiments, DAgger rounds) use unless told otherwise: past it, accuracy grows slowly
// while time grows linearly (docs/results.md).
inline constexpr std::uint32_t kDefaultSearchBudget = 400;

struct LookupOptions {
  // How far each step's search goes (probes, budget or bound; search/index.hpp).
  SearchParams search;
  // The index each step searches; nullptr: the table's own (Table::index(): its trees, or
  // the exhaustive scan without). Any index over the table's keys and rows will do: the
  // exhaustive scan (Table::exhaustive()), the hardware model's arrays, a recorder.
  const NearestIndex* index = nullptr;
  // Stop as soon as one step's best match is farther than this raw distance (mixed mode
  // then hands the image to the teacher). UINT32_MAX = never.
  std::uint32_t stop_above = 0xFFFFFFFFU;
  // Vote over the k nearest rows the index ranks (NearestIndex::search_k) instead of taking
  // the nearest row's value: the next hidden state and location, value by value, as the
  // median of the k rows' (the majority for two-level values), the prediction by plurality
  // (ties to the class of the nearer row). 1 = the nearest row alone. Against read noise
  // (issue 17): a noisy read that lifts a wrong key to first place is outvoted by the keys
  // around the true nearest. The step's row and distance are the nearest's.
  std::uint32_t vote = 1;
};

struct LookupStep {
  std::uint32_t row = 0;
  std::uint32_t distance = 0;  // raw weighted distance (eq. 1 numerator in integer weights)
  std::uint32_t comparisons = 0;
  int loc_x = 0, loc_y = 0;    // where this step's glimpse was taken
};

struct LookupResult {
  int prediction = -1;
  bool completed = false;          // false when stopped early by stop_above
  std::uint32_t max_distance = 0;  // largest best-match distance over the steps taken
  std::uint64_t comparisons = 0;
  std::uint64_t links_read = 0;  // graph link-list entries read (SearchResult::links_read), all steps
  std::vector<LookupStep> steps;
};

class LookupEngine {
 public:
  // `config` is the teacher's configuration (from the table's metadata); `table` must
  // outlive the engine. Throws mbi::Error naming the table when its layouts do not match it.
  LookupEngine(const Table& table, const RamConfig& config);

  // Infers one image (rows x cols bytes, as in the IDX file).
  LookupResult infer(const std::uint8_t* pixels, const LookupOptions& options = {});

  // Infers several images together: step t of every image before step t + 1, so that the
  // searches of one step go to the index as one batch (NearestIndex::search), where a tree
  // interleaves them and their memory reads overlap. results[i] equals infer(images[i], options), field for field.
  // Any batch size: it is worked through in chunks of 32 images, enough to hide most of the
  // latency of a table larger than the cache.
  void infer_batch(std::span<const std::uint8_t* const> images, const LookupOptions& options,
                   std::span<LookupResult> results);

  const RamConfig& config() const { return config_; }

 private:
  // infer_batch for one chunk.
  void infer_chunk(std::span<const std::uint8_t* const> images, const LookupOptions& options,
                   std::span<LookupResult> results);

  // Writes the query key of the glimpse at (loc_x, loc_y) of image slot `slot` with the
  // packed hidden state `hidden` (value layout) into `key`.
  void make_query(std::size_t slot, int loc_x, int loc_y, const std::uint64_t* hidden, std::uint64_t* key);

  const Table& table_;
  RamConfig config_;
  GlimpseGeometry geometry_;
  GlimpseQuantizer quantizer_;  // the teacher's glimpse + quantisation, from integer sums
  KeyLayout key_layout_;
  KeyLayout value_layout_;
  std::vector<std::size_t> glimpse_segments_;  // key segments holding the glimpse, in order
  GlimpseQuantizer::KeyTarget glimpse_target_;  // where in a query those segments lie
  std::size_t hidden_segment_ = 0;
  std::size_t loc_x_segment_ = 0;
  std::size_t loc_y_segment_ = 0;
  // Where the CPU and glimpse allow, queries are formed from 16-bit summed-area tables
  // (CompactIntegralImage: half the bytes, twice the lanes).
  bool compact_ = false;
  // Scratch, per image slot of a batch or shared.
  std::vector<IntegralImage> images_;
  std::vector<CompactIntegralImage> compact_images_;
  std::vector<std::uint64_t> hidden_;  // packed h_{t-1} per slot (value layout)
  std::vector<int> loc_;               // x, y per slot
  std::vector<std::uint32_t> active_;  // slots still going
  std::vector<std::uint64_t> queries_;
  std::vector<SearchResult> found_;
  // Voting (LookupOptions::vote): the ranked rows of one query, and the voted values per
  // active slot (packed hidden state, location x and y, prediction).
  void vote(std::span<const SearchResult> ranked, std::uint64_t* hidden, int* loc, int* prediction);
  std::vector<SearchResult> ranked_;
  std::vector<std::uint64_t> voted_hidden_;
  std::vector<int> voted_loc_, voted_prediction_;
  std::vector<std::uint8_t> vote_values_, vote_column_, voted_values_;
};

}  // namespace mbi
