#pragma once
// A proximity graph over packed keys behind the search contract (search/index.hpp): HNSW as
// hnswlib builds and walks it (Malkov and Yashunin, 2018; Debian's libhnswlib-dev), with our
// distance kernel and the table's eq. 1 word weights as its space, so every command can search
// a table through a graph instead of its k-means trees (issue 19). On the queries lookups form,
// a graph reaches the exact nearest key with 5-11 times fewer distances than the trees
// (docs/results.md).
//
// Rows are split into groups searched on their own (a table's glimpse steps, as its per-step
// trees are), one graph each. SearchParams::probes is the walk's breadth (hnswlib's ef, the
// candidate list kept): 1 is a greedy walk, more finds the nearest key more often for more
// distances. SearchResult::comparisons counts every distance computed, upper layers included,
// and SearchResult::links_read every link-list entry the walk read (count words and node ids):
// the hardware model prices a walk's key matches as a tree's and its link reads beside them
// (experiment/sram_pricing.hpp). A walk is sequential (each hop's neighbours depend on the
// last), which costs time, not energy, on the modelled arrays.
//
// Built in row order, one thread per group: the same keys give the same graphs and the same
// answers on every run. Ties among the candidates go to the lowest row.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <utility>
#include <vector>

#include "mbi/lookup/table.hpp"
#include "mbi/search/index.hpp"

namespace mbi::graph {

struct HnswParams {
  std::uint32_t m = 16;                 // links per node (hnswlib's M; 2 M on the bottom layer)
  std::uint32_t ef_construction = 200;  // breadth of the walk that links a new node
  std::uint64_t seed = 100;             // of the layer draws
  // Throws mbi::Error naming the field that is out of range.
  void validate() const;
};

class HnswIndex final : public NearestIndex {
 public:
  // Graphs over `keys` (rows x words words), one per [begin, end) row range of `groups` (empty:
  // one over every row), built with `threads` threads (groups at once). Keeps no reference to
  // `keys` or `weights`: the graphs hold copies. Throws mbi::Error for ranges outside the rows,
  // weights that do not match the words, or bad parameters.
  HnswIndex(std::span<const std::uint64_t> keys, std::uint32_t words, std::span<const std::uint32_t> word_weights,
            std::vector<std::pair<std::uint32_t, std::uint32_t>> groups, const HnswParams& params, int threads = 1);
  ~HnswIndex() override;
  HnswIndex(const HnswIndex&) = delete;
  HnswIndex& operator=(const HnswIndex&) = delete;

  std::uint32_t words() const override { return words_; }
  std::size_t rows() const override { return rows_; }
  // `group` picks the graph when there are several (-1 or out of range: refused with mbi::Error
  // then); with one graph it is ignored. probes is the breadth (ef), at least 1.
  void search(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
              std::span<SearchResult> results) const override;
  std::size_t groups() const { return graphs_.size(); }
  // hnswlib's own searchKnn over the same graph, the reference the walk is checked against
  // (its headers may be included by one source of a program only, so tests cannot call it):
  // its nearest by our tie rule, the distances it computed, and as links_read its metrics'
  // link-list reads (a hop per list plus the ids listed). One thread at a time per index.
  SearchResult search_as_hnswlib(std::span<const std::uint64_t> query, int group, std::uint32_t probes) const;
  // What the graphs add to the keys: every node's links on every layer and its row label (the
  // copies of the keys hnswlib keeps beside them are not counted; the table holds the keys).
  std::size_t link_bytes() const;

  // Writes the graphs to `path` (temporary file and rename), with what they were built over
  // (a CRC-32 of the keys, the weights, the row groups and the parameters) and a CRC-32 of the
  // whole file. hnswlib's layout of each graph holds a copy of its keys beside the links.
  void save(const std::filesystem::path& path) const;
  // Reads graphs `save` wrote, for the same arguments the constructor takes. Throws mbi::Error
  // naming the file when it is not a graph file, is corrupt or truncated, or was built over
  // other keys, weights, groups or parameters.
  static std::unique_ptr<HnswIndex> load(const std::filesystem::path& path, std::span<const std::uint64_t> keys,
                                         std::uint32_t words, std::span<const std::uint32_t> word_weights,
                                         std::vector<std::pair<std::uint32_t, std::uint32_t>> groups,
                                         const HnswParams& params);

 private:
  struct Graph;
  struct NoGraphs {};
  // The fields every graph is built from, checked, with no graphs yet (load() reads them).
  HnswIndex(NoGraphs, std::span<const std::uint64_t> keys, std::uint32_t words, std::span<const std::uint32_t> word_weights,
            std::vector<std::pair<std::uint32_t, std::uint32_t>> groups, const HnswParams& params);
  std::string built_over() const;  // what the graphs were built over, as save() records it
  std::uint32_t words_;
  std::size_t rows_;
  std::vector<std::uint32_t> weights_;
  std::vector<std::pair<std::uint32_t, std::uint32_t>> ranges_;
  HnswParams params_;
  std::uint32_t keys_crc_ = 0;
  std::vector<std::unique_ptr<Graph>> graphs_;
};

// The graphs over a table: one per glimpse step when its trees are per step (each step's rows
// are contiguous in tree order) and `per_step`, else one over every row (a step's nearest key
// may be another step's row: exhaustive search finds those, per-step trees do not).
// With `file`: read from it when it exists (refused when it was built otherwise), else built
// and written there, so a table's graph is built once; `loaded` says which happened.
std::unique_ptr<HnswIndex> hnsw_over_table(const Table& table, int glimpses, const HnswParams& params, int threads = 1,
                                           bool per_step = true, const std::filesystem::path& file = {},
                                           bool* loaded = nullptr);

}  // namespace mbi::graph
