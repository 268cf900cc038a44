// Building the hierarchical k-means tree: k-means++ seeding, Lloyd iterations with the
// weighted Manhattan distance, majority-bit centroids, a few restarts per split.
//
// Everything draws from one std::mt19937_64 (whose output sequence the standard fixes) with
// integer or IEEE-exact arithmetic, so a seed gives the same tree bit for bit on every
// platform and every distance path. Only the distance blocks of large nodes run on several
// threads (params.threads), each thread writing its own range of keys: the same numbers land
// in the same places, so the thread count never changes the tree.
#include <algorithm>
#include <bit>
#include <random>
#include <thread>

#include "mbi/core/error.hpp"
#include "mbi/search/kmeans_tree.hpp"

namespace mbi {
namespace {

// Per-bit counts over a set of keys, bit-sliced: plane b of a word holds bit b of the 64
// counters of that word's bits. Adding a key is a ripple-carry add across planes (a handful
// of word operations on average) instead of 64 increments per word, and the majority test
// compares all 64 counters with the threshold at once.
class BitCounter {
 public:
  explicit BitCounter(std::size_t words) : words_(words), planes_(words * kPlanes, 0) {}

  void clear() { std::fill(planes_.begin(), planes_.end(), 0); }

  void add(const std::uint64_t* key) {
    for (std::size_t w = 0; w < words_; ++w) {
      std::uint64_t* plane = &planes_[w * kPlanes];
      std::uint64_t carry = key[w];
      for (int b = 0; carry != 0; ++b) {
        const std::uint64_t next = plane[b] & carry;
        plane[b] ^= carry;
        carry = next;
      }
    }
  }

  // Sets the bits that are set in more than half of the `members` keys added. On thermometer
  // codes the result is again a thermometer code: a value's bit j is set in no more keys
  // than its bit j-1, so the majority bits form a prefix.
  void majority(std::uint32_t members, std::uint64_t* out) const {
    const std::uint32_t half = members / 2;  // count > members/2 (rounded down) is a strict majority
    for (std::size_t w = 0; w < words_; ++w) {
      const std::uint64_t* plane = &planes_[w * kPlanes];
      std::uint64_t greater = 0;
      std::uint64_t equal = ~0ULL;
      for (int b = std::bit_width(members); b-- > 0;) {  // most significant bit first
        if ((half >> b) & 1U) {
          equal &= plane[b];
        } else {
          greater |= equal & plane[b];
          equal &= ~plane[b];
        }
      }
      out[w] = greater;
    }
  }

 private:
  static constexpr std::size_t kPlanes = 32;  // counts stay below 2^32
  std::size_t words_;
  std::vector<std::uint64_t> planes_;
};

// One way of splitting a node's keys: cluster of each key, and the summed distance of the
// keys to their centroids.
struct Split {
  std::vector<std::uint32_t> cluster;
  std::uint32_t clusters = 0;  // cluster ids are in [0, clusters)
  std::uint64_t cost = ~0ULL;
};

class Builder {
 public:
  Builder(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> weights, const KMeansTreeParams& params,
          std::span<const std::uint8_t> groups)
      : keys_(keys),
        groups_(groups),
        weights_(weights),
        words_(weights.size()),
        params_(params),
        threads_(params.threads > 0 ? params.threads : std::max(1U, std::thread::hardware_concurrency())),
        rng_(params.seed) {}

  KMeansTreeBuild run(std::vector<KMeansTreeNode>& nodes, std::vector<std::uint64_t>& centroids) {
    const auto n = static_cast<std::uint32_t>(keys_.size() / words_);
    KMeansTreeBuild result;
    result.order.resize(n);
    for (std::uint32_t i = 0; i < n; ++i) result.order[i] = i;
    order_ = &result.order;

    nodes.push_back({0, 0, 0, n});
    gather(0, n);
    centroids.resize(words_);
    majority_of_all(n, centroids.data());

    std::vector<std::uint32_t> stack{0};
    // A grouped root is split by group, not by k-means: each group gets its own subtree, so
    // a search that knows its query's group can start there and never see other groups' keys.
    if (!groups_.empty() && n > 0) {
      Split split;
      split.clusters = 256;
      split.cluster.resize(n);
      for (std::uint32_t i = 0; i < n; ++i) split.cluster[i] = groups_[i];
      stack.pop_back();
      apply_split(0, split, nodes, centroids, stack);
    }
    while (!stack.empty()) {
      const std::uint32_t index = stack.back();
      stack.pop_back();
      const std::uint32_t begin = nodes[index].begin;
      const std::uint32_t end = nodes[index].end;
      const std::uint32_t m = end - begin;
      if (m <= params_.max_leaf_size) continue;
      gather(begin, end);
      const Split split = best_split(m);
      // Fewer than two clusters: the keys cannot be told apart (all at distance 0 from one
      // another), so no split can shrink the node. It stays a leaf, however large.
      if (split.clusters < 2) continue;
      apply_split(index, split, nodes, centroids, stack);
    }
    return result;
  }

  // Makes the clusters of `split` (over the node's rows, gathered in local_) the children of
  // node `index`: reorders its rows by cluster and appends one child per non-empty cluster.
  void apply_split(std::uint32_t index, const Split& split, std::vector<KMeansTreeNode>& nodes,
                   std::vector<std::uint64_t>& centroids, std::vector<std::uint32_t>& stack) {
    const std::uint32_t begin = nodes[index].begin;
    const std::uint32_t m = nodes[index].end - begin;
    // Stable counting sort of the node's rows by cluster, so each child is a row range.
    std::vector<std::uint32_t> start(split.clusters + 1, 0);
    for (std::uint32_t c : split.cluster) ++start[c + 1];
    for (std::uint32_t c = 0; c < split.clusters; ++c) start[c + 1] += start[c];
    std::vector<std::uint32_t> next(start.begin(), start.end() - 1);
    std::vector<std::uint32_t> rows(m);
    for (std::uint32_t i = 0; i < m; ++i) rows[next[split.cluster[i]]++] = (*order_)[begin + i];
    std::copy(rows.begin(), rows.end(), order_->begin() + begin);

    const auto first_child = static_cast<std::uint32_t>(nodes.size());
    std::uint32_t child_count = 0;
    for (std::uint32_t c = 0; c < split.clusters; ++c) {
      if (start[c] == start[c + 1]) continue;  // empty cluster: no child
      nodes.push_back({0, 0, begin + start[c], begin + start[c + 1]});
      centroids.resize(centroids.size() + words_);
      cluster_majority(split, c, start[c + 1] - start[c], centroids.data() + centroids.size() - words_);
      ++child_count;
    }
    nodes[index].first_child = first_child;
    nodes[index].child_count = child_count;
    for (std::uint32_t c = child_count; c-- > 0;) stack.push_back(first_child + c);  // first child next
  }

 private:
  // Copies the keys of rows [begin, end) (in the current order) into local_, so that the
  // kernels see one contiguous block.
  void gather(std::uint32_t begin, std::uint32_t end) {
    local_.resize(std::size_t{end - begin} * words_);
    for (std::uint32_t i = begin; i < end; ++i)
      std::copy_n(keys_.data() + std::size_t{(*order_)[i]} * words_, words_, local_.data() + (i - begin) * words_);
  }

  const std::uint64_t* local_key(std::uint32_t i) const { return local_.data() + std::size_t{i} * words_; }

  // out[c * m + i] = distance from centre c to local key i, for c < k and i < m. Large blocks
  // are cut into contiguous key ranges, one per thread; small ones stay on this thread (a
  // thread start costs more than a few thousand distances).
  void centre_distances(const std::uint64_t* centres, std::uint32_t k, std::uint32_t m, std::uint32_t* out) const {
    const auto block = [&](std::uint32_t begin, std::uint32_t end) {
      for (std::uint32_t c = 0; c < k; ++c)
        weighted_distances(centres + std::size_t{c} * words_, local_key(begin), end - begin, weights_.data(), words_,
                           out + std::size_t{c} * m + begin);
    };
    constexpr std::size_t kWordsPerThread = std::size_t{1} << 18;  // about 0.1 ms of distances
    const std::size_t parts = parts_for(std::size_t{k} * m * words_ / kWordsPerThread, m);
    const auto cut = [&](std::size_t p) { return static_cast<std::uint32_t>(m * p / parts); };
    run_parts(parts, [&](std::size_t p) { block(cut(p), cut(p + 1)); });
  }

  // How many threads share work worth `worth` threads split at most `most` ways: 1 to threads_.
  std::size_t parts_for(std::size_t worth, std::size_t most) const {
    return std::max<std::size_t>(1, std::min<std::size_t>({threads_, worth, most}));
  }

  // Runs body(p) for p < parts, part 0 on this thread and each other part on its own.
  template <class Body>
  static void run_parts(std::size_t parts, const Body& body) {
    std::vector<std::thread> pool;
    for (std::size_t p = 1; p < parts; ++p) pool.emplace_back(body, p);
    body(0);
    for (std::thread& t : pool) t.join();
  }

  void majority_of_all(std::uint32_t m, std::uint64_t* out) {
    BitCounter counter(words_);
    for (std::uint32_t i = 0; i < m; ++i) counter.add(local_key(i));
    counter.majority(m, out);
  }

  void cluster_majority(const Split& split, std::uint32_t c, std::uint32_t members, std::uint64_t* out) {
    BitCounter counter(words_);
    for (std::uint32_t i = 0; i < split.cluster.size(); ++i)
      if (split.cluster[i] == c) counter.add(local_key(i));
    counter.majority(members, out);
  }

  Split best_split(std::uint32_t m) {
    Split best;
    for (std::uint32_t r = 0; r < params_.restarts; ++r) {
      Split split = kmeans(m);
      if (split.clusters < 2) return split;  // all keys equivalent: every restart would agree
      if (split.cost < best.cost) best = std::move(split);  // ties keep the earlier run
    }
    return best;
  }

  // k-means++: the first centre uniformly, each next one with probability proportional to
  // the squared distance to the nearest centre chosen so far. Returns how many centres it
  // found; fewer than asked when the remaining keys all coincide with chosen centres.
  std::uint32_t seed(std::uint32_t m, std::uint32_t k) {
    centres_.assign(std::size_t{k} * words_, 0);
    nearest_.resize(m);
    scratch_.resize(m);
    const auto first = static_cast<std::uint32_t>(rng_() % m);
    std::copy_n(local_key(first), words_, centres_.data());
    centre_distances(centres_.data(), 1, m, nearest_.data());
    std::uint32_t found = 1;
    for (; found < k; ++found) {
      double total = 0;
      for (std::uint32_t d : nearest_) total += static_cast<double>(d) * d;
      if (total == 0) break;
      // Uniform in [0, total): 53 random bits scaled, as exact as a double allows.
      const double target = static_cast<double>(rng_() >> 11) * 0x1.0p-53 * total;
      std::uint32_t pick = m;
      double running = 0;
      for (std::uint32_t i = 0; i < m; ++i) {
        if (nearest_[i] == 0) continue;
        pick = i;  // the last candidate, should rounding leave `target` past the end
        running += static_cast<double>(nearest_[i]) * nearest_[i];
        if (running > target) break;
      }
      std::uint64_t* centre = centres_.data() + std::size_t{found} * words_;
      std::copy_n(local_key(pick), words_, centre);
      centre_distances(centre, 1, m, scratch_.data());
      for (std::uint32_t i = 0; i < m; ++i) nearest_[i] = std::min(nearest_[i], scratch_[i]);
    }
    return found;
  }

  // Assigns every key to its nearest centre (lowest centre on ties); returns the total distance.
  std::uint64_t assign(std::uint32_t m, std::uint32_t k, std::vector<std::uint32_t>& cluster) {
    // One centre against all keys per kernel call: long blocks are where the kernels are fast.
    distances_.resize(std::size_t{k} * m);
    centre_distances(centres_.data(), k, m, distances_.data());
    cluster.resize(m);
    std::uint64_t cost = 0;
    for (std::uint32_t i = 0; i < m; ++i) {
      std::uint32_t best = 0;
      std::uint32_t best_distance = distances_[i];
      for (std::uint32_t c = 1; c < k; ++c) {
        const std::uint32_t d = distances_[std::size_t{c} * m + i];
        if (d < best_distance) {
          best = c;
          best_distance = d;
        }
      }
      cluster[i] = best;
      cost += best_distance;
    }
    return cost;
  }

  // Each non-empty cluster's centre becomes the majority of its members (the L1 centre); an
  // empty cluster keeps its centre and may win keys back. Clusters are independent, so large
  // nodes share them out among the threads (thread t takes clusters t, t + threads, ...).
  void update_centres(const Split& split, std::uint32_t m) {
    const auto update = [&](std::uint32_t first, std::uint32_t stride) {
      BitCounter counter(words_);
      for (std::uint32_t c = first; c < split.clusters; c += stride) {
        counter.clear();
        std::uint32_t count = 0;
        for (std::uint32_t i = 0; i < m; ++i)
          if (split.cluster[i] == c) {
            counter.add(local_key(i));
            ++count;
          }
        if (count > 0) counter.majority(count, centres_.data() + std::size_t{c} * words_);
      }
    };
    constexpr std::size_t kWordsPerThread = std::size_t{1} << 16;  // each thread still reads every cluster id
    const std::size_t parts = parts_for(std::size_t{m} * words_ / kWordsPerThread, split.clusters);
    run_parts(parts, [&](std::size_t p) { update(static_cast<std::uint32_t>(p), static_cast<std::uint32_t>(parts)); });
  }

  static std::uint32_t non_empty(const std::vector<std::uint32_t>& cluster, std::uint32_t k) {
    std::vector<bool> seen(k, false);
    std::uint32_t count = 0;
    for (std::uint32_t c : cluster)
      if (!seen[c]) {
        seen[c] = true;
        ++count;
      }
    return count;
  }

  Split kmeans(std::uint32_t m) {
    Split split;
    split.clusters = seed(m, params_.branching);
    if (split.clusters < 2) return split;
    // Distinct seeds (at distance > 0 from each other) each win at least themselves, so the
    // first assignment has >= 2 non-empty clusters; the loop below keeps it that way.
    split.cost = assign(m, split.clusters, split.cluster);
    std::vector<std::uint32_t> candidate;
    for (std::uint32_t iteration = 1; iteration < params_.max_iterations; ++iteration) {
      update_centres(split, m);
      const std::uint64_t cost = assign(m, split.clusters, candidate);
      // Centres can merge (two majorities may coincide); never let that collapse the split.
      if (non_empty(candidate, split.clusters) < 2) break;
      const bool changed = candidate != split.cluster;
      split.cluster.swap(candidate);
      split.cost = cost;
      if (!changed) break;
    }
    return split;
  }

  std::span<const std::uint64_t> keys_;
  std::span<const std::uint8_t> groups_;  // group of each key (root split); empty: none
  std::span<const std::uint32_t> weights_;
  std::size_t words_;
  KMeansTreeParams params_;
  std::size_t threads_;
  std::mt19937_64 rng_;
  std::vector<std::uint32_t>* order_ = nullptr;
  std::vector<std::uint64_t> local_;       // keys of the node being split, contiguous
  std::vector<std::uint64_t> centres_;     // k centres of the current k-means run
  std::vector<std::uint32_t> nearest_;     // seeding: distance to the nearest chosen centre
  std::vector<std::uint32_t> scratch_;     // seeding: distances to the newest centre
  std::vector<std::uint32_t> distances_;   // assignment: k x m distances
};

}  // namespace

KMeansTreeBuild build_kmeans_tree(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> word_weights,
                                  const KMeansTreeParams& params) {
  return build_kmeans_tree(keys, word_weights, params, {});
}

KMeansTreeBuild build_kmeans_tree(std::span<const std::uint64_t> keys, std::span<const std::uint32_t> word_weights,
                                  const KMeansTreeParams& params, std::span<const std::uint8_t> root_groups) {
  const std::size_t words = word_weights.size();
  if (words == 0 || keys.size() % words != 0)
    throw Error("k-means tree: " + std::to_string(keys.size()) + " key words are not whole keys of " +
                std::to_string(words) + " words");
  if (keys.size() / words >= kNoIndex) throw Error("k-means tree: more than 2^32-1 keys");
  if (params.branching < 2 || params.branching > 256)
    throw Error("k-means tree: branching " + std::to_string(params.branching) + " (must be 2..256)");
  if (params.max_leaf_size < 1 || params.restarts < 1 || params.max_iterations < 1)
    throw Error("k-means tree: max_leaf_size, restarts and max_iterations must be at least 1");

  if (!root_groups.empty() && root_groups.size() != keys.size() / words)
    throw Error("k-means tree: " + std::to_string(root_groups.size()) + " root groups for " +
                std::to_string(keys.size() / words) + " keys");

  std::vector<KMeansTreeNode> nodes;
  std::vector<std::uint64_t> centroids;
  KMeansTreeBuild result = Builder(keys, word_weights, params, root_groups).run(nodes, centroids);
  const std::string bytes = KMeansTree::serialize(nodes, centroids, static_cast<std::uint32_t>(words),
                                                  static_cast<std::uint32_t>(result.order.size()));
  result.tree = KMeansTree::from_bytes(std::as_bytes(std::span(bytes)), "built tree");
  return result;
}

}  // namespace mbi
