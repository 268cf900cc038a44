#include "mbi/hw/hw_index.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include "mbi/core/error.hpp"
#include "mbi/hw/array_map.hpp"
#include "mbi/core/random.hpp"

namespace mbi::hw {
namespace {

std::uint32_t parse_count(const std::string& text, const std::string& part) {
  std::size_t used = 0;
  unsigned long v = 0;
  try {
    v = std::stoul(part, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != part.size() || part.empty() || v == 0 || v > 1000)
    throw Error("mitigation '" + text + "': '" + part + "' is not a count in 1..1000");
  return static_cast<std::uint32_t>(v);
}

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out(1);
  for (char c : s) {
    if (c == sep)
      out.emplace_back();
    else
      out.back() += c;
  }
  return out;
}

// Best-first queue entry of a skipped branch, nearest first, then lowest node (as the tree).
struct Pending {
  double distance;
  std::uint32_t node;
  bool operator>(const Pending& o) const { return distance != o.distance ? distance > o.distance : node > o.node; }
};

// A read distance as the search contract reports it: rounded, in the integer range.
std::uint32_t reported(double distance) {
  return static_cast<std::uint32_t>(
      std::clamp(std::round(distance), 0.0, static_cast<double>(std::numeric_limits<std::uint32_t>::max() - 1)));
}

}  // namespace

std::string HwMitigation::name() const {
  if (recheck_k > 0) return "topk:" + std::to_string(recheck_k) + ":" + std::to_string(recheck_reads);
  if (reads > 1) return std::string(combine == ReadCombine::median ? "median:" : "reads:") + std::to_string(reads);
  return "none";
}

HwMitigation parse_mitigation(const std::string& text) {
  HwMitigation m;
  const auto parts = split(text, ':');
  if (parts.size() == 1 && parts[0] == "none") return m;
  if (parts.size() == 2 && (parts[0] == "reads" || parts[0] == "median")) {
    m.reads = parse_count(text, parts[1]);
    m.combine = parts[0] == "median" ? ReadCombine::median : ReadCombine::mean;
    return m;
  }
  if (parts.size() == 3 && parts[0] == "topk") {
    m.recheck_k = parse_count(text, parts[1]);
    m.recheck_reads = parse_count(text, parts[2]);
    return m;
  }
  throw Error("mitigation '" + text + "': expected none, reads:K, median:K or topk:K:R");
}

HwLookupCounters& HwLookupCounters::operator+=(const HwLookupCounters& o) {
  searches += o.searches;
  centroid_comparisons += o.centroid_comparisons;
  key_comparisons += o.key_comparisons;
  recheck_comparisons += o.recheck_comparisons;
  array_reads += o.array_reads;
  saturated_reads += o.saturated_reads;
  return *this;
}

DecodedTable::DecodedTable(const HwKeys& k) : width(k.layout.total_values()) {
  const std::size_t words = k.layout.words();
  const std::size_t rows = k.rows();
  keys.resize(rows * width);
  for (std::size_t r = 0; r < rows; ++r)
    k.layout.decode(k.keys.subspan(r * words, words), std::span<std::uint8_t>(keys).subspan(r * width, width));
  if (k.tree != nullptr) {
    const KMeansTree& tree = k.tree->tree(0);
    const std::size_t nodes = tree.nodes().size();
    centroids.resize(nodes * width);
    for (std::size_t n = 0; n < nodes; ++n)
      k.layout.decode(tree.centroids().subspan(n * words, words),
                      std::span<std::uint8_t>(centroids).subspan(n * width, width));
  }
}

HwSearcher::HwSearcher(const HwKeys& keys, std::shared_ptr<const DecodedTable> decoded,
                       std::vector<std::uint32_t> component_of_segment, const HwLookupOptions& options)
    : keys_(keys), decoded_(std::move(decoded)), options_(options) {
  const auto& segments = keys.layout.segments();
  std::vector<double> weights = options.weights;
  if (weights.empty()) weights.assign(keys.segment_weights.begin(), keys.segment_weights.end());
  if (weights.size() != segments.size())
    throw Error(keys.name + ": expected " + std::to_string(segments.size()) + " segment weights, got " +
                std::to_string(weights.size()));
  for (std::size_t s = 0; s < segments.size(); ++s)
    for (std::uint32_t v = 0; v < segments[s].values; ++v) {
      value_weight_.push_back(weights[s]);
      value_levels_.push_back(segments[s].levels);
    }
  if (options.mode == HwLookupMode::circuit) {
    model_ = std::make_unique<ArrayDistanceModel>(segments, options.array, options.coding, weights, options.seed,
                                                  component_of_segment);
    NoiseOptions noise = options.noise;
    noise.reads = options.mitigation.reads;
    noise.combine = options.mitigation.combine;
    model_->set_noise(noise);
    arrays_per_key_ = model_->arrays_per_key();
    components_.resize(model_->components());
  } else {
    arrays_per_key_ = ArrayMap(segments, component_of_segment, options.array.cols, options.coding).arrays_per_key();
  }
}

double HwSearcher::exact(std::span<const std::uint8_t> query, const std::uint8_t* key) const {
  double total = 0.0;
  for (std::size_t v = 0; v < value_weight_.size(); ++v) {
    const std::uint32_t top = value_levels_[v] - 1;
    const std::uint32_t k = std::min<std::uint32_t>(key[v], top);
    const std::uint32_t q = std::min<std::uint32_t>(query[v], top);
    total += value_weight_[v] * static_cast<double>(k > q ? k - q : q - k);
  }
  return total;
}

double HwSearcher::read(std::span<const std::uint8_t> query, const std::uint8_t* key, std::size_t row,
                        std::size_t tile) {
  if (!model_) {
    exact_array_reads_ += arrays_per_key_;
    return exact(query, key);
  }
  model_->component_distances(query, {key, decoded_->width}, components_, row, tile);
  const auto& w = model_->component_weights();
  double total = 0.0;
  for (std::size_t c = 0; c < components_.size(); ++c) total += w[c] * components_[c];
  return total;
}

void HwSearcher::scan_rows(std::span<const std::uint8_t> query, std::uint32_t begin, std::uint32_t end,
                           std::size_t tile, std::uint32_t row_base) {
  const std::uint32_t width = decoded_->width;
  for (std::uint32_t r = begin; r < end; ++r) {
    const std::size_t slot = r - row_base;
    const std::size_t t = keys_.tree == nullptr ? r / options_.array.rows : tile;
    candidates_.push_back({read(query, &decoded_->keys[std::size_t{r} * width], slot, t), r, slot, t});
  }
  counters_.key_comparisons += end - begin;
}

SearchResult HwSearcher::nearest(std::span<const std::uint8_t> query, int step, std::uint32_t probes) {
  const std::uint32_t width = decoded_->width;
  if (query.size() != width)
    throw Error("hardware lookup: query of " + std::to_string(query.size()) + " values, keys have " +
                std::to_string(width));
  const HwLookupCounters before = counters_;
  if (model_ && model_->noise().random()) {
    std::uint64_t h = stream_seed(options_.seed, static_cast<std::uint64_t>(step) + 0x9E37);
    for (std::uint8_t v : query) h = mix64(h ^ v);
    model_->reseed_reads(h);
  }
  candidates_.clear();
  SearchResult result;
  if (keys_.rows() == 0) return result;

  if (keys_.tree == nullptr) {
    scan_rows(query, 0, static_cast<std::uint32_t>(keys_.rows()), 0, 0);
  } else {
    const auto nodes = keys_.tree->tree(0).nodes();
    const bool circuit_descent = model_ && options_.descent == Descent::circuit;
    std::vector<Pending> pending;
    std::vector<double> child;
    const auto descend = [&](std::uint32_t node) {
      while (nodes[node].child_count > 0) {
        const KMeansTreeNode& n = nodes[node];
        child.resize(n.child_count);
        std::uint32_t chosen = 0;
        for (std::uint32_t c = 0; c < n.child_count; ++c) {
          const std::uint8_t* centroid = &decoded_->centroids[std::size_t{n.first_child + c} * width];
          if (circuit_descent) {
            child[c] = read(query, centroid, c, node);
          } else {
            // Exact descent; the hardware would still spend one match per centroid.
            child[c] = exact(query, centroid);
            exact_array_reads_ += arrays_per_key_;
          }
          if (child[c] < child[chosen]) chosen = c;
        }
        counters_.centroid_comparisons += n.child_count;
        if (probes > 1)
          for (std::uint32_t c = 0; c < n.child_count; ++c) {
            if (c == chosen) continue;
            pending.push_back({child[c], n.first_child + c});
            std::push_heap(pending.begin(), pending.end(), std::greater<>{});
          }
        node = n.first_child + chosen;
      }
      scan_rows(query, nodes[node].begin, nodes[node].end, node, nodes[node].begin);
    };
    // Per-step tables: only the query's step subtree, as the digital lookup does.
    descend(keys_.tree->group_root(0, step));
    for (std::uint32_t scanned = 1; scanned < probes && !pending.empty(); ++scanned) {
      std::pop_heap(pending.begin(), pending.end(), std::greater<>{});
      const Pending next = pending.back();
      pending.pop_back();
      descend(next.node);
    }
  }

  Candidate best = *std::min_element(candidates_.begin(), candidates_.end());
  const HwMitigation& m = options_.mitigation;
  if (m.recheck_k > 0 && model_ && model_->noise().random() && candidates_.size() > 1) {
    const std::size_t k = std::min<std::size_t>(m.recheck_k, candidates_.size());
    std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(k), candidates_.end());
    for (std::size_t i = 0; i < k; ++i) {
      Candidate& c = candidates_[i];  // a re-read meets the same devices (slot, tile)
      double sum = c.distance;
      for (std::uint32_t j = 0; j < m.recheck_reads; ++j)
        sum += read(query, &decoded_->keys[std::size_t{c.row} * width], c.slot, c.tile);
      c.distance = sum / (1.0 + m.recheck_reads);
      counters_.recheck_comparisons += m.recheck_reads;
    }
    best = *std::min_element(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(k));
  }

  ++counters_.searches;
  counters_.array_reads = exact_array_reads_ + (model_ ? model_->array_reads() : 0);
  if (model_) counters_.saturated_reads = model_->saturated_reads();
  result.index = best.row;
  result.distance = reported(best.distance);
  result.comparisons = static_cast<std::uint32_t>(
      (counters_.centroid_comparisons - before.centroid_comparisons) + (counters_.key_comparisons - before.key_comparisons) +
      (counters_.recheck_comparisons - before.recheck_comparisons));
  return result;
}

std::size_t HwSearcher::ranked(std::span<SearchResult> out) {
  const std::size_t k = std::min(out.size(), candidates_.size());
  std::partial_sort(candidates_.begin(), candidates_.begin() + static_cast<std::ptrdiff_t>(k), candidates_.end());
  for (std::size_t i = 0; i < k; ++i) {
    out[i].index = candidates_[i].row;
    out[i].distance = reported(candidates_[i].distance);
    out[i].comparisons = 0;
  }
  return k;
}

HwIndex::HwIndex(HwKeys keys, std::vector<std::uint32_t> component_of_segment, HwLookupOptions options)
    : keys_(std::move(keys)), components_(std::move(component_of_segment)), options_(std::move(options)) {
  if (keys_.layout.words() == 0 || keys_.keys.size() % keys_.layout.words() != 0)
    throw Error(keys_.name + ": the keys are not whole keys of the layout");
  // The arrays hold one tree's leaves; a forest's digital reference would search all its trees.
  if (keys_.tree != nullptr && keys_.tree->tree_count() > 1)
    throw Error(keys_.name + ": a forest of " + std::to_string(keys_.tree->tree_count()) +
                " trees; the hardware model maps one tree onto its arrays (rebuild it with mbi index --trees 1)");
  decoded_ = std::make_shared<const DecodedTable>(keys_);
  local();  // builds one searcher now, so option errors surface here
}

HwSearcher& HwIndex::local() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = searchers_[std::this_thread::get_id()];
  if (!slot) slot = std::make_unique<HwSearcher>(keys_, decoded_, components_, options_);
  return *slot;
}

void HwIndex::search(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
                     std::span<SearchResult> results) const {
  const std::size_t words = keys_.layout.words();
  if (queries.size() != results.size() * words)
    throw Error(keys_.name + ": hardware search: " + std::to_string(queries.size()) + " query words for " +
                std::to_string(results.size()) + " keys of " + std::to_string(words) + " words");
  if (params.max_comparisons > 0 || params.epsilon >= 0)
    throw Error(keys_.name + ": the hardware model searches by leaves (probes), not by a comparison budget or bound");
  if (params.probes == 0) throw Error("probes must be at least 1");
  HwSearcher& searcher = local();
  std::vector<std::uint8_t> values(keys_.layout.total_values());
  for (std::size_t i = 0; i < results.size(); ++i) {
    keys_.layout.decode(queries.subspan(i * words, words), values);
    results[i] = searcher.nearest(values, group, params.probes);
  }
}

std::size_t HwIndex::search_k(std::span<const std::uint64_t> query, int group, const SearchParams& params,
                             std::span<SearchResult> out) const {
  const std::size_t words = keys_.layout.words();
  if (query.size() != words)
    throw Error(keys_.name + ": hardware search: " + std::to_string(query.size()) + " query words for a key of " +
                std::to_string(words));
  if (params.max_comparisons > 0 || params.epsilon >= 0)
    throw Error(keys_.name + ": the hardware model searches by leaves (probes), not by a comparison budget or bound");
  if (params.probes == 0) throw Error("probes must be at least 1");
  if (out.empty()) return 0;
  HwSearcher& searcher = local();
  std::vector<std::uint8_t> values(keys_.layout.total_values());
  keys_.layout.decode(query, values);
  const SearchResult best = searcher.nearest(values, group, params.probes);
  const std::size_t found = searcher.ranked(out);
  if (found > 0) out[0].comparisons = best.comparisons;
  return found;
}

HwLookupCounters HwIndex::counters() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  HwLookupCounters total;
  for (const auto& [id, s] : searchers_) total += s->counters();
  return total;
}

std::size_t HwIndex::arrays_per_key() const {
  const std::lock_guard<std::mutex> lock(mutex_);
  return searchers_.begin()->second->arrays_per_key();
}

}  // namespace mbi::hw
