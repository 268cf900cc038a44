#pragma once
// Nearest-key search through the hardware model, behind the search contract
// (search/index.hpp): every comparison runs on simulated distance arrays
// (array_distance_model.hpp) instead of the exact popcount kernels, and the arrays'
// digitised, weighted distances pick the winner. Lookup inference with
// LookupOptions::index = an HwIndex is lookup inference on the modelled hardware.
//
// Candidates per step, as in the paper (sec. III-C/D):
//   tree        the query descends the table's k-means tree and the keys of the leaf it
//               reaches (probes > 1: the next most promising leaves too, best-first as
//               KMeansTree::search does) are compared. A leaf holds <= 32 keys, i.e. one
//               32-row set of arrays: the leaf's node index is its tile (fabricated array
//               set) and a key's position in the leaf its row. With Descent::circuit the
//               children centroids of every node visited are compared in the arrays too
//               (tile = parent node index, row = child index); with Descent::digital the
//               descent is exact and only the leaf keys meet the hardware.
//   exhaustive  (no forest given) every row; row r sits in row r % rows of tile r / rows.
// Keys and centroids are decoded to plain values once (KeyLayout::decode) and shared.
//
// HwLookupMode::ideal replaces the arrays by the exact weighted Manhattan distance (with the
// table's integer weights: the same numbers the popcount kernels give), so it reproduces the
// table's own search bit for bit - the digital reference with the same candidates.
//
// Noise draws are reproducible whatever the threading: before each search the read-noise
// stream is reseeded from the options' seed, the step and the query values.
//
// Mitigations (HwMitigation): repeated reads combined by mean or median (NoiseOptions), and
// a top-k re-check: after one read of every candidate, the k nearest are read `reads` more
// times and ranked by the mean of all their reads.
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "mbi/hw/array_config.hpp"
#include "mbi/hw/array_distance_model.hpp"
#include "mbi/hw/coding.hpp"
#include "mbi/hw/noise.hpp"
#include "mbi/search/forest.hpp"
#include "mbi/search/index.hpp"
#include "mbi/search/key_layout.hpp"

namespace mbi::hw {

enum class HwLookupMode : std::uint8_t { circuit, ideal };
enum class Descent : std::uint8_t { digital, circuit };

// A mitigation of noisy reads, parsed from text:
//   none            one read per comparison
//   reads:K         K reads per comparison, per-component distances averaged
//   median:K        K reads per comparison, per-component median
//   topk:K:R        one read of every candidate, then R more reads of the K nearest (mean)
struct HwMitigation {
  std::uint32_t reads = 1;
  ReadCombine combine = ReadCombine::mean;
  std::uint32_t recheck_k = 0;
  std::uint32_t recheck_reads = 0;
  std::string name() const;
};
// Throws mbi::Error naming the text when it is none of the forms above.
HwMitigation parse_mitigation(const std::string& text);

struct HwLookupOptions {
  HwLookupMode mode = HwLookupMode::circuit;
  ArrayConfig array;
  Coding coding = Coding::thermometer;
  NoiseOptions noise;        // reads/combine are overwritten by `mitigation`
  HwMitigation mitigation;
  Descent descent = Descent::circuit;
  // One weight per key segment; empty = the table's integer segment weights.
  std::vector<double> weights;
  std::uint64_t seed = 1;  // fabrication and read noise
};

// What the searches did, summed over calls.
struct HwLookupCounters {
  std::uint64_t searches = 0;              // glimpse steps looked up
  std::uint64_t centroid_comparisons = 0;  // centroids compared during descent
  std::uint64_t key_comparisons = 0;       // stored keys compared (leaves or all rows)
  std::uint64_t recheck_comparisons = 0;   // extra key comparisons of the top-k re-check
  std::uint64_t array_reads = 0;           // array conversions (one 32x32 match each)
  std::uint64_t saturated_reads = 0;       // conversions at the ADC's top code
  HwLookupCounters& operator+=(const HwLookupCounters& o);
};

// What an HwIndex searches, all borrowed: the keys' layout and integer segment weights, the
// keys, and the tree whose leaves are the array tiles (nullptr: every row is a candidate).
// The forest must hold exactly one tree: the arrays hold one tree's leaves.
struct HwKeys {
  std::string name;  // for messages (the table's file)
  KeyLayout layout;
  std::span<const std::uint32_t> segment_weights;
  std::span<const std::uint64_t> keys;
  const ForestIndex* tree = nullptr;
  std::size_t rows() const { return layout.words() == 0 ? 0 : keys.size() / layout.words(); }
};

// Plain values of the keys and of the tree's centroids, decoded once.
struct DecodedTable {
  std::uint32_t width = 0;                    // values per key
  std::vector<std::uint8_t> keys;             // rows x width
  std::vector<std::uint8_t> centroids;        // tree nodes x width (empty without a tree)
  explicit DecodedTable(const HwKeys& keys);
};

// One thread's searcher. Not thread-safe.
class HwSearcher {
 public:
  // component_of_segment: eq. 1 component of each key segment (e.g. ram_key_components).
  HwSearcher(const HwKeys& keys, std::shared_ptr<const DecodedTable> decoded,
             std::vector<std::uint32_t> component_of_segment, const HwLookupOptions& options);

  // The nearest row to the query (plain values in segment order), scanning `probes` leaves.
  // `step` picks the step's subtree of a per-step tree and seeds the read noise.
  SearchResult nearest(std::span<const std::uint8_t> query, int step, std::uint32_t probes = 1);
  // After nearest(): the k best candidates it compared, by the distances it read (rechecked
  // ones by their mean), nearest first; returns how many (<= out.size()).
  std::size_t ranked(std::span<SearchResult> out);

  const HwLookupCounters& counters() const { return counters_; }
  std::size_t arrays_per_key() const { return arrays_per_key_; }

 private:
  struct Candidate {
    double distance;
    std::uint32_t row;
    std::size_t slot;  // row within its array set
    std::size_t tile;  // array set
    // Nearer first; ties to the lower row (the search contract's rule).
    bool operator<(const Candidate& o) const { return distance != o.distance ? distance < o.distance : row < o.row; }
  };
  double read(std::span<const std::uint8_t> query, const std::uint8_t* key, std::size_t row, std::size_t tile);
  double exact(std::span<const std::uint8_t> query, const std::uint8_t* key) const;
  void scan_rows(std::span<const std::uint8_t> query, std::uint32_t begin, std::uint32_t end, std::size_t tile,
                 std::uint32_t row_base);

  const HwKeys& keys_;
  std::shared_ptr<const DecodedTable> decoded_;
  HwLookupOptions options_;
  std::unique_ptr<ArrayDistanceModel> model_;  // null in ideal mode
  std::vector<double> value_weight_;           // per key value (ideal mode)
  std::vector<std::uint32_t> value_levels_;
  std::vector<double> components_;
  std::vector<Candidate> candidates_;
  std::size_t arrays_per_key_ = 0;
  std::uint64_t exact_array_reads_ = 0;  // matches computed exactly (ideal mode, digital descent)
  HwLookupCounters counters_;
};

// The search contract on the modelled arrays. Thread-safe: one HwSearcher per calling
// thread, all built with the same options (hence the same fabricated arrays); a search's
// noise depends on its seed, step and query only, so results do not depend on the order or
// thread queries come in. Searches by leaves (SearchParams::probes); a budget or a bound is
// refused.
class HwIndex final : public NearestIndex {
 public:
  // Throws mbi::Error naming keys.name when the options or weights do not fit the keys.
  HwIndex(HwKeys keys, std::vector<std::uint32_t> component_of_segment, HwLookupOptions options);

  std::uint32_t words() const override { return keys_.layout.words(); }
  std::size_t rows() const override { return keys_.rows(); }
  void search(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
              std::span<SearchResult> results) const override;
  std::size_t search_k(std::span<const std::uint64_t> query, int group, const SearchParams& params,
                       std::span<SearchResult> out) const override;

  // Summed over every thread's searches so far.
  HwLookupCounters counters() const;
  std::size_t arrays_per_key() const;

 private:
  HwSearcher& local() const;

  HwKeys keys_;
  std::shared_ptr<const DecodedTable> decoded_;
  std::vector<std::uint32_t> components_;
  HwLookupOptions options_;
  mutable std::mutex mutex_;
  mutable std::unordered_map<std::thread::id, std::unique_ptr<HwSearcher>> searchers_;
};

}  // namespace mbi::hw
