#include "mbi/graph/hnsw_index.hpp"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <string>
#include <thread>

#include "mbi/core/error.hpp"
#include "mbi/search/distance.hpp"

namespace mbi::graph {
namespace {

struct KernelParams {
  const std::uint32_t* weights;
  std::size_t words;
};

// Distances computed on this thread: a search reads it before and after its walk.
thread_local std::uint64_t distances_computed = 0;

int kernel_distance(const void* a, const void* b, const void* params) {
  const auto* p = static_cast<const KernelParams*>(params);
  ++distances_computed;
  return static_cast<int>(weighted_distance(static_cast<const std::uint64_t*>(a), static_cast<const std::uint64_t*>(b),
                                            p->weights, p->words));
}

// hnswlib's space: keys of `words` words compared by our kernel.
class KernelSpace final : public hnswlib::SpaceInterface<int> {
 public:
  KernelSpace(const std::uint32_t* weights, std::size_t words) : params_{weights, words} {}
  size_t get_data_size() override { return params_.words * sizeof(std::uint64_t); }
  hnswlib::DISTFUNC<int> get_dist_func() override { return kernel_distance; }
  void* get_dist_func_param() override { return &params_; }

 private:
  KernelParams params_;
};

}  // namespace

struct HnswIndex::Graph {
  KernelSpace space;
  std::unique_ptr<hnswlib::HierarchicalNSW<int>> hnsw;  // null for an empty group
  Graph(const std::uint32_t* weights, std::size_t words) : space(weights, words) {}
};

void HnswParams::validate() const {
  if (m < 2 || m > 256) throw Error("graph: M must be 2 to 256, not " + std::to_string(m));
  if (ef_construction < 1 || ef_construction > 100000)
    throw Error("graph: ef_construction must be 1 to 100000, not " + std::to_string(ef_construction));
}

HnswIndex::HnswIndex(std::span<const std::uint64_t> keys, std::uint32_t words, std::span<const std::uint32_t> word_weights,
                     std::vector<std::pair<std::uint32_t, std::uint32_t>> groups, const HnswParams& params, int threads)
    : words_(words), rows_(words == 0 ? 0 : keys.size() / words), weights_(word_weights.begin(), word_weights.end()),
      ranges_(std::move(groups)) {
  params.validate();
  if (words == 0 || keys.size() % words != 0) throw Error("graph: the keys are not whole rows of " + std::to_string(words) + " words");
  if (weights_.size() != words)
    throw Error("graph: " + std::to_string(weights_.size()) + " word weights for keys of " + std::to_string(words) + " words");
  if (ranges_.empty()) ranges_.emplace_back(0, static_cast<std::uint32_t>(rows_));
  for (const auto& [begin, end] : ranges_)
    if (begin > end || end > rows_)
      throw Error("graph: rows [" + std::to_string(begin) + ", " + std::to_string(end) + ") are not within the " +
                  std::to_string(rows_) + " rows");
  graphs_.resize(ranges_.size());
  std::atomic<std::size_t> next{0};
  std::vector<std::string> errors(ranges_.size());
  const auto work = [&] {
    for (std::size_t g = next++; g < ranges_.size(); g = next++) {
      try {
        auto graph = std::make_unique<Graph>(weights_.data(), words_);
        const auto [begin, end] = ranges_[g];
        if (end > begin) {
          graph->hnsw = std::make_unique<hnswlib::HierarchicalNSW<int>>(&graph->space, end - begin, params.m,
                                                                        params.ef_construction, params.seed);
          for (std::uint32_t row = begin; row < end; ++row) graph->hnsw->addPoint(keys.data() + std::size_t{row} * words, row);
          graph->hnsw->setEf(1);  // a search asks for `probes` candidates: its breadth
        }
        graphs_[g] = std::move(graph);
      } catch (const std::exception& e) {
        errors[g] = e.what();
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < std::min<int>(std::max(threads, 1), static_cast<int>(ranges_.size())); ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
  for (const std::string& e : errors)
    if (!e.empty()) throw Error("graph: building failed: " + e);
}

HnswIndex::~HnswIndex() = default;

std::size_t HnswIndex::link_bytes() const {
  std::size_t bytes = 0;
  for (const auto& graph : graphs_) {
    if (graph->hnsw == nullptr) continue;
    const auto& h = *graph->hnsw;
    bytes += h.cur_element_count * (h.size_links_level0_ + sizeof(hnswlib::labeltype));
    for (std::size_t i = 0; i < h.cur_element_count; ++i)
      bytes += static_cast<std::size_t>(h.element_levels_[i]) * h.size_links_per_element_;
  }
  return bytes;
}

void HnswIndex::search(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
                       std::span<SearchResult> results) const {
  if (queries.size() != results.size() * words_)
    throw Error("graph: " + std::to_string(queries.size()) + " query words for " + std::to_string(results.size()) +
                " queries of " + std::to_string(words_) + " words");
  std::size_t g = 0;
  if (graphs_.size() > 1) {
    if (group < 0 || static_cast<std::size_t>(group) >= graphs_.size())
      throw Error("graph: group " + std::to_string(group) + " of an index with " + std::to_string(graphs_.size()) +
                  " groups");
    g = static_cast<std::size_t>(group);
  }
  const Graph& graph = *graphs_[g];
  const std::size_t breadth = std::max<std::uint32_t>(params.probes, 1);
  for (std::size_t i = 0; i < results.size(); ++i) {
    SearchResult best;
    if (graph.hnsw != nullptr) {
      const std::uint64_t before = distances_computed;
      auto found = graph.hnsw->searchKnn(queries.data() + i * words_, breadth);
      best.comparisons = static_cast<std::uint32_t>(distances_computed - before);
      for (; !found.empty(); found.pop())
        keep_closer(best, static_cast<std::uint32_t>(found.top().second), static_cast<std::uint32_t>(found.top().first), 0);
    }
    results[i] = best;
  }
}

std::unique_ptr<HnswIndex> hnsw_over_table(const Table& table, int glimpses, const HnswParams& params, int threads,
                                           bool per_step) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> groups;
  if (per_step && table.every_tree_per_step()) {
    for (int step = 0; step < glimpses; ++step) {
      const KMeansTreeNode& node = table.tree()->nodes()[table.step_root(step)];
      groups.emplace_back(node.begin, node.end);
    }
  }
  return std::make_unique<HnswIndex>(table.keys(), static_cast<std::uint32_t>(table.key_layout().words()),
                                     table.word_weights(), std::move(groups), params, threads);
}

}  // namespace mbi::graph
