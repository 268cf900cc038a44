#pragma once
// Lookup-only inference (paper section II-B): start from h_0 = 0 at the start location,
// take the glimpse, find the nearest key, read h_t and the next location from its value,
// repeat; the last step's stored prediction is the class. No arithmetic beyond forming
// the query (glimpse pooling and quantisation) and the popcount distances.
//
// Not thread-safe: one engine per thread (it keeps scratch buffers).
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "mbi/glimpse.hpp"
#include "mbi/key_layout.hpp"
#include "mbi/ram_config.hpp"
#include "mbi/table_file.hpp"

namespace mbi {

// A replacement for the table's own nearest-key search (e.g. the hardware model computing
// distances in a simulated array). Gets the packed query, its plain values (segment order,
// as KeyLayout::encode takes them) and the step index.
using NearestFunction = std::function<SearchResult(std::span<const std::uint64_t> query_key,
                                                   std::span<const std::uint8_t> query_values, int step)>;

struct LookupOptions {
  bool exhaustive = false;   // scan every row instead of descending the tree
  std::uint32_t probes = 1;  // tree leaves to scan per step
  // When > 0, replaces probes: scan leaves best-first until this many distances (centroids
  // and keys) have been computed per step (TreeSearchOptions::max_comparisons).
  std::uint32_t max_comparisons = 0;
  // Stop as soon as one step's best match is farther than this raw distance (mixed mode
  // then hands the image to the teacher). UINT32_MAX = never.
  std::uint32_t stop_above = 0xFFFFFFFFU;
  // When set, used instead of the tree / exhaustive search.
  NearestFunction nearest;
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
  std::vector<LookupStep> steps;
};

class LookupEngine {
 public:
  // `config` is the teacher's configuration (from the table's metadata); `table` must
  // outlive the engine.
  LookupEngine(const MappedTable& table, const RamConfig& config);

  // Infers one image (rows x cols bytes, as in the IDX file).
  LookupResult infer(const std::uint8_t* pixels, const LookupOptions& options = {});

  // The query key of a glimpse step, exposed for tests and the hardware model.
  void make_query(int loc_x, int loc_y, const std::uint8_t* hidden_levels, std::vector<std::uint64_t>& key,
                  std::vector<std::uint8_t>* values = nullptr);
  // Prepares the image for make_query.
  void load_image(const std::uint8_t* pixels);

  const RamConfig& config() const { return config_; }

 private:
  const MappedTable& table_;
  RamConfig config_;
  GlimpseGeometry geometry_;
  KeyLayout key_layout_;
  KeyLayout value_layout_;
  IntegralImage image_;
  std::vector<float> glimpse_;
  std::vector<std::uint8_t> phi_levels_;
  std::vector<std::uint8_t> hidden_;
  std::vector<std::uint8_t> values_;
  std::vector<std::uint64_t> query_;
};

}  // namespace mbi
