#include "mbi/graph/hnsw_index.hpp"

#include <hnswlib/hnswlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <functional>
#include <queue>
#include <string>
#include <thread>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/byte_reader.hpp"
#include "mbi/core/checksum.hpp"
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

using Hnsw = hnswlib::HierarchicalNSW<int>;
using Candidate = std::pair<int, hnswlib::tableint>;  // (distance, node)
// Largest distance on top, as hnswlib orders its candidate heaps.
struct FartherFirst {
  bool operator()(const Candidate& a, const Candidate& b) const { return a.first < b.first; }
};
using Heap = std::priority_queue<Candidate, std::vector<Candidate>, FartherFirst>;

// One walk over hnswlib's graph, taking hnswlib's own steps (greedy descent through the upper
// layers, then a best-first search of breadth `ef` on the bottom layer, Malkov and Yashunin's
// Algorithms 5 and 2) so its answers are hnswlib's, but counting what it reads: every link-list
// entry (the list's count word and each neighbour id) into `links`. The bottom layer starts
// from the descent's last node with the distance the descent computed (hnswlib computes it
// again: one distance fewer per walk). Returns the ef nearest found, farthest on top.
Heap walk(const Hnsw& h, const void* query, std::size_t ef, std::uint64_t& links) {
  Heap nearest;
  if (h.cur_element_count == 0) return nearest;
  const auto distance = [&](hnswlib::tableint node) {
    return h.fstdistfunc_(query, h.getDataByInternalId(node), h.dist_func_param_);
  };
  hnswlib::tableint node = h.enterpoint_node_;
  int node_distance = distance(node);
  for (int level = h.maxlevel_; level > 0; --level) {
    for (bool moved = true; moved;) {
      moved = false;
      const unsigned int* list = h.get_linklist(node, level);
      const unsigned short count = h.getListCount(const_cast<unsigned int*>(list));
      links += 1 + count;
      for (unsigned short i = 0; i < count; ++i) {
        const hnswlib::tableint next = list[1 + i];
        const int d = distance(next);
        if (d < node_distance) {
          node_distance = d;
          node = next;
          moved = true;
        }
      }
    }
  }
  hnswlib::VisitedList* visited = h.visited_list_pool_->getFreeVisitedList();
  const hnswlib::vl_type tag = visited->curV;
  Heap frontier;  // negated distances: the nearest unexpanded node on top
  nearest.emplace(node_distance, node);
  frontier.emplace(-node_distance, node);
  visited->mass[node] = tag;
  int bound = node_distance;
  while (!frontier.empty()) {
    const Candidate closest = frontier.top();
    if (-closest.first > bound) break;  // nothing left can come closer than the ef found
    frontier.pop();
    const unsigned int* list = h.get_linklist0(closest.second);
    const unsigned short count = h.getListCount(const_cast<unsigned int*>(list));
    links += 1 + count;
    for (unsigned short j = 1; j <= count; ++j) {
      const hnswlib::tableint next = list[j];
      if (visited->mass[next] == tag) continue;
      visited->mass[next] = tag;
      const int d = distance(next);
      if (nearest.size() < ef || d < bound) {
        frontier.emplace(-d, next);
        nearest.emplace(d, next);
        if (nearest.size() > ef) nearest.pop();
        bound = nearest.top().first;
      }
    }
  }
  h.visited_list_pool_->releaseVisitedList(visited);
  return nearest;
}

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

HnswIndex::HnswIndex(NoGraphs, std::span<const std::uint64_t> keys, std::uint32_t words,
                     std::span<const std::uint32_t> word_weights,
                     std::vector<std::pair<std::uint32_t, std::uint32_t>> groups, const HnswParams& params)
    : words_(words), rows_(words == 0 ? 0 : keys.size() / words), weights_(word_weights.begin(), word_weights.end()),
      ranges_(std::move(groups)), params_(params) {
  params.validate();
  if (words == 0 || keys.size() % words != 0) throw Error("graph: the keys are not whole rows of " + std::to_string(words) + " words");
  if (weights_.size() != words)
    throw Error("graph: " + std::to_string(weights_.size()) + " word weights for keys of " + std::to_string(words) + " words");
  if (ranges_.empty()) ranges_.emplace_back(0, static_cast<std::uint32_t>(rows_));
  for (const auto& [begin, end] : ranges_)
    if (begin > end || end > rows_)
      throw Error("graph: rows [" + std::to_string(begin) + ", " + std::to_string(end) + ") are not within the " +
                  std::to_string(rows_) + " rows");
  keys_crc_ = crc32(keys.data(), keys.size_bytes());
}

HnswIndex::HnswIndex(std::span<const std::uint64_t> keys, std::uint32_t words, std::span<const std::uint32_t> word_weights,
                     std::vector<std::pair<std::uint32_t, std::uint32_t>> groups, const HnswParams& params, int threads)
    : HnswIndex(NoGraphs{}, keys, words, word_weights, std::move(groups), params) {
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

namespace {

constexpr std::string_view kGraphMagic = "mbi-graph 1\n";

// hnswlib 0.6 reads and writes its graphs through named files only: each goes through a
// private temporary file of its own.
std::filesystem::path scratch_file() {
  static std::atomic<std::uint64_t> counter{0};
  const auto stamp = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return std::filesystem::temp_directory_path() /
         ("mbi-graph-" + std::to_string(std::hash<std::thread::id>{}(std::this_thread::get_id())) + "-" +
          std::to_string(stamp) + "-" + std::to_string(counter++) + ".hnsw");
}

}  // namespace

std::string HnswIndex::built_over() const {
  std::string s = "keys crc32 " + std::to_string(keys_crc_) + ", " + std::to_string(rows_) + " rows of " +
                  std::to_string(words_) + " words, weights";
  for (const std::uint32_t w : weights_) s += " " + std::to_string(w);
  s += ", groups";
  for (const auto& [begin, end] : ranges_) s += " [" + std::to_string(begin) + "," + std::to_string(end) + ")";
  return s + ", M " + std::to_string(params_.m) + ", ef_construction " + std::to_string(params_.ef_construction) +
         ", seed " + std::to_string(params_.seed);
}

void HnswIndex::save(const std::filesystem::path& path) const {
  std::string out(kGraphMagic);
  const std::string over = built_over();
  put_bytes<std::uint64_t>(out, over.size());
  out += over;
  put_bytes<std::uint32_t>(out, static_cast<std::uint32_t>(graphs_.size()));
  for (const auto& graph : graphs_) {
    if (graph->hnsw == nullptr) {
      put_bytes<std::uint64_t>(out, 0);
      continue;
    }
    const std::filesystem::path scratch = scratch_file();
    graph->hnsw->saveIndex(scratch.string());
    std::string bytes;
    try {
      bytes = read_file(scratch);
    } catch (...) {
      std::filesystem::remove(scratch);
      throw;
    }
    std::filesystem::remove(scratch);
    put_bytes<std::uint64_t>(out, bytes.size());
    out += bytes;
  }
  put_bytes<std::uint32_t>(out, crc32(out.data(), out.size()));
  write_file_atomic(path, out);
}

std::unique_ptr<HnswIndex> HnswIndex::load(const std::filesystem::path& path, std::span<const std::uint64_t> keys,
                                           std::uint32_t words, std::span<const std::uint32_t> word_weights,
                                           std::vector<std::pair<std::uint32_t, std::uint32_t>> groups,
                                           const HnswParams& params) {
  std::unique_ptr<HnswIndex> index(new HnswIndex(NoGraphs{}, keys, words, word_weights, std::move(groups), params));
  const std::string bytes = read_file(path);
  if (bytes.compare(0, kGraphMagic.size(), kGraphMagic) != 0)
    throw Error(path.string() + ": not an mbi graph file of this version");
  if (bytes.size() < kGraphMagic.size() + 4) throw Error(path.string() + ": truncated graph file");
  std::uint32_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
  if (crc32(bytes.data(), bytes.size() - 4) != stored) throw Error(path.string() + ": corrupt graph file (checksum mismatch)");
  ByteReader in(std::string_view(bytes).substr(kGraphMagic.size(), bytes.size() - 4 - kGraphMagic.size()),
                path.string(), "graph file");
  const std::string over(in.take(in.get<std::uint64_t>()));
  if (over != index->built_over())
    throw Error(path.string() + ": graphs built over other keys or settings (" + over + "; now " + index->built_over() +
                "); remove the file to build them again");
  if (in.get<std::uint32_t>() != index->ranges_.size()) throw Error(path.string() + ": corrupt graph file (group count)");
  for (const auto& [begin, end] : index->ranges_) {
    auto graph = std::make_unique<Graph>(index->weights_.data(), index->words_);
    const auto size = in.get<std::uint64_t>();
    if ((size == 0) != (end == begin)) throw Error(path.string() + ": corrupt graph file (an empty group)");
    if (size > 0) {
      const std::filesystem::path scratch = scratch_file();
      try {
        write_file_atomic(scratch, in.take(size));
        graph->hnsw = std::make_unique<Hnsw>(&graph->space, scratch.string());
      } catch (const std::exception& e) {
        std::filesystem::remove(scratch);
        throw Error(path.string() + ": cannot read a graph: " + e.what());
      }
      std::filesystem::remove(scratch);
      if (graph->hnsw->cur_element_count != end - begin) throw Error(path.string() + ": corrupt graph file (rows of a group)");
      graph->hnsw->setEf(1);
    }
    index->graphs_.push_back(std::move(graph));
  }
  return index;
}

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
      std::uint64_t links = 0;
      Heap found = walk(*graph.hnsw, queries.data() + i * words_, breadth, links);
      best.comparisons = static_cast<std::uint32_t>(distances_computed - before);
      best.links_read = static_cast<std::uint32_t>(links);
      for (; !found.empty(); found.pop())
        keep_closer(best, static_cast<std::uint32_t>(graph.hnsw->getExternalLabel(found.top().second)),
                    static_cast<std::uint32_t>(found.top().first), 0);
    }
    results[i] = best;
  }
}

SearchResult HnswIndex::search_as_hnswlib(std::span<const std::uint64_t> query, int group, std::uint32_t probes) const {
  if (query.size() != words_) throw Error("graph: a query of " + std::to_string(query.size()) + " words, keys have " + std::to_string(words_));
  const std::size_t g = graphs_.size() > 1 ? static_cast<std::size_t>(group) : 0;
  if (graphs_.size() > 1 && (group < 0 || g >= graphs_.size())) throw Error("graph: group " + std::to_string(group) + " of " + std::to_string(graphs_.size()));
  SearchResult best;
  const Graph& graph = *graphs_[g];
  if (graph.hnsw == nullptr) return best;
  const Hnsw& h = *graph.hnsw;
  const std::uint64_t before = distances_computed;
  const long hops = h.metric_hops, listed = h.metric_distance_computations;
  auto found = h.searchKnn(query.data(), std::max<std::uint32_t>(probes, 1));
  best.comparisons = static_cast<std::uint32_t>(distances_computed - before);
  best.links_read = static_cast<std::uint32_t>((h.metric_hops - hops) + (h.metric_distance_computations - listed));
  for (; !found.empty(); found.pop())
    keep_closer(best, static_cast<std::uint32_t>(found.top().second), static_cast<std::uint32_t>(found.top().first), 0);
  return best;
}

std::unique_ptr<HnswIndex> hnsw_over_table(const Table& table, int glimpses, const HnswParams& params, int threads,
                                           bool per_step, const std::filesystem::path& file, bool* loaded) {
  std::vector<std::pair<std::uint32_t, std::uint32_t>> groups;
  if (per_step && table.every_tree_per_step()) {
    for (int step = 0; step < glimpses; ++step) {
      const KMeansTreeNode& node = table.tree()->nodes()[table.step_root(step)];
      groups.emplace_back(node.begin, node.end);
    }
  }
  const auto words = static_cast<std::uint32_t>(table.key_layout().words());
  if (loaded != nullptr) *loaded = false;
  if (!file.empty() && std::filesystem::exists(file)) {
    auto index = HnswIndex::load(file, table.keys(), words, table.word_weights(), std::move(groups), params);
    if (loaded != nullptr) *loaded = true;
    return index;
  }
  auto index = std::make_unique<HnswIndex>(table.keys(), words, table.word_weights(), std::move(groups), params, threads);
  if (!file.empty()) index->save(file);
  return index;
}

}  // namespace mbi::graph
