#include "mbi/search/kmeans_tree.hpp"
#include "mbi/search/exhaustive.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cstring>
#include <numeric>
#include <set>

#include "mbi/search/distance.hpp"
#include "mbi/core/error.hpp"
#include "test_util.hpp"

namespace mbi {
namespace {

// What a user sets and what a forest passes, in one: the tests set both.
struct Options : SearchParams, TreeSearchContext {};

struct Data {
  KeyLayout layout = test::ram_layout();
  std::vector<std::uint32_t> weights = layout.word_weights(std::vector<std::uint32_t>{30, 16, 10});
  std::size_t words = layout.words();
  std::vector<std::uint64_t> keys;       // input order
  std::vector<std::uint64_t> tree_keys;  // tree order
  KMeansTreeBuild built;

  Data(std::size_t n, std::uint64_t seed, const KMeansTreeParams& params = {}) {
    std::mt19937_64 rng(seed);
    keys = test::clustered_keys(layout, n, 64, 12, rng);
    built = build_kmeans_tree(keys, weights, params);
    tree_keys.resize(keys.size());
    for (std::size_t p = 0; p < n; ++p)
      std::copy_n(keys.begin() + built.order[p] * words, words, tree_keys.begin() + p * words);
  }
  std::span<const std::uint64_t> tree_key(std::size_t row) const { return {tree_keys.data() + row * words, words}; }
};

std::uint32_t exhaustive_distance(const Data& d, std::span<const std::uint64_t> query) {
  return exhaustive_nearest(query, d.tree_keys, d.weights).distance;
}

TEST(KMeansTree, StructureIsAValidPartition) {
  const KMeansTreeParams params;
  const Data d(5000, 1, params);
  const KMeansTree& tree = d.built.tree;
  // order is a permutation.
  std::vector<std::uint32_t> sorted = d.built.order;
  std::sort(sorted.begin(), sorted.end());
  for (std::uint32_t i = 0; i < sorted.size(); ++i) ASSERT_EQ(sorted[i], i);

  ASSERT_EQ(tree.rows(), 5000U);
  ASSERT_EQ(tree.words(), d.words);
  std::size_t leaf_rows = 0;
  for (std::size_t i = 0; i < tree.nodes().size(); ++i) {
    const KMeansTreeNode& node = tree.nodes()[i];
    const std::span<const std::uint64_t> centroid = tree.centroids().subspan(i * d.words, d.words);
    // The centroid is the per-bit majority of the node's keys, hence a valid thermometer key.
    for (std::size_t w = 0; w < d.words; ++w)
      for (int bit = 0; bit < 64; ++bit) {
        std::uint32_t ones = 0;
        for (std::uint32_t r = node.begin; r < node.end; ++r) ones += (d.tree_key(r)[w] >> bit) & 1U;
        ASSERT_EQ((centroid[w] >> bit) & 1U, 2 * ones > node.end - node.begin ? 1U : 0U) << "node " << i;
      }
    std::vector<std::uint8_t> values(d.layout.total_values());
    std::vector<std::uint64_t> reencoded(d.words);
    d.layout.decode(centroid, values);
    d.layout.encode(values, reencoded);
    ASSERT_TRUE(std::equal(reencoded.begin(), reencoded.end(), centroid.begin()));

    if (node.child_count == 0) {
      leaf_rows += node.end - node.begin;
      EXPECT_LE(node.end - node.begin, params.max_leaf_size);  // distinct random keys always split
    } else {
      EXPECT_LE(node.child_count, params.branching);
      EXPECT_GE(node.child_count, 2U);
    }
  }
  EXPECT_EQ(leaf_rows, 5000U);
  EXPECT_GE(tree.max_depth(), 3U);
}

TEST(KMeansTree, SameSeedSameTreeOnEveryPath) {
  const Data a(3000, 2);
  set_distance_path(DistancePath::scalar);
  const Data b(3000, 2);
  reset_distance_path();
  EXPECT_EQ(a.built.tree.serialize(), b.built.tree.serialize());
  EXPECT_EQ(a.built.order, b.built.order);
  KMeansTreeParams other;
  other.seed = 99;
  const Data c(3000, 2, other);
  EXPECT_NE(a.built.tree.serialize(), c.built.tree.serialize());
}

TEST(KMeansTree, ThreadCountNeverChangesTheTree) {
  // Large enough that the root's distance blocks and centre updates are shared out.
  KMeansTreeParams one;
  one.threads = 1;
  const Data a(50000, 4, one);
  for (std::uint32_t threads : {2U, 3U, 0U}) {
    KMeansTreeParams many = one;
    many.threads = threads;
    const Data b(50000, 4, many);
    EXPECT_EQ(a.built.tree.serialize(), b.built.tree.serialize()) << threads << " threads";
    EXPECT_EQ(a.built.order, b.built.order) << threads << " threads";
  }
}

TEST(KMeansTree, SearchReportsTrueDistancesAndCounts) {
  const Data d(4000, 3);
  std::mt19937_64 rng(30);
  const auto queries = test::clustered_keys(d.layout, 200, 64, 20, rng);
  for (std::size_t q = 0; q < 200; ++q) {
    const std::span<const std::uint64_t> query(queries.data() + q * d.words, d.words);
    const SearchResult r = d.built.tree.search(query, d.tree_keys, d.weights);
    ASSERT_NE(r.index, kNoIndex);
    ASSERT_EQ(r.distance, test::reference_distance(query.data(), d.tree_key(r.index).data(), d.weights.data(), d.words));
    ASSERT_GE(r.distance, exhaustive_distance(d, query));
    // Greedy descent: at most `branching` centroids per level plus one leaf.
    EXPECT_LE(r.comparisons, r.depth * 4 + 32);
    EXPECT_GE(r.depth, 1U);
    EXPECT_LE(r.depth, d.built.tree.max_depth());
  }
}

// A one-leaf search is the greedy descent: at every node the nearest child centroid (the
// lowest on ties), then the nearest key of the leaf. Checked against that descent written
// plainly with the reference distance, and against the general search (a budget of one
// comparison also stops at the first leaf, by another code path), on every distance path.
TEST(KMeansTree, OneLeafSearchIsTheReferenceGreedyDescent) {
  for (const KMeansTreeParams params : {KMeansTreeParams{}, KMeansTreeParams{.branching = 3, .max_leaf_size = 5}}) {
    const Data d(3000, 31, params);
    const auto& nodes = d.built.tree.nodes();
    const auto centroids = d.built.tree.centroids();
    std::mt19937_64 rng(32);
    std::vector<std::uint64_t> queries;
    for (std::size_t q = 0; q < 64; ++q) {
      const auto query = test::perturbed(d.layout, d.tree_key(rng() % 3000), 8, rng);
      queries.insert(queries.end(), query.begin(), query.end());
    }
    for (const DistancePath path : available_distance_paths()) {
      set_distance_path(path);
      std::vector<SearchResult> batch(queries.size() / d.words), general(batch.size());
      d.built.tree.search_batch(queries, d.tree_keys, d.weights, {}, {}, batch);
      Options one_comparison;
      one_comparison.max_comparisons = 1;
      d.built.tree.search_batch(queries, d.tree_keys, d.weights, one_comparison, one_comparison, general);
      for (std::size_t q = 0; q < batch.size(); ++q) {
        const std::uint64_t* query = queries.data() + q * d.words;
        std::uint32_t node = 0, depth = 0, comparisons = 0;
        while (nodes[node].child_count > 0) {
          std::uint32_t chosen = 0, nearest = 0xFFFFFFFFU;
          for (std::uint32_t k = 0; k < nodes[node].child_count; ++k) {
            const std::uint32_t dist = test::reference_distance(
                query, centroids.data() + std::size_t{nodes[node].first_child + k} * d.words, d.weights.data(), d.words);
            if (dist < nearest) chosen = k, nearest = dist;
          }
          comparisons += nodes[node].child_count;
          node = nodes[node].first_child + chosen;
          ++depth;
        }
        std::uint32_t row = kNoIndex, nearest = 0xFFFFFFFFU;
        for (std::uint32_t r = nodes[node].begin; r < nodes[node].end; ++r) {
          const std::uint32_t dist = test::reference_distance(query, d.tree_key(r).data(), d.weights.data(), d.words);
          if (row == kNoIndex || dist < nearest) row = r, nearest = dist;
        }
        comparisons += nodes[node].end - nodes[node].begin;
        for (const SearchResult& got : {batch[q], general[q]}) {
          ASSERT_EQ(got.index, row) << "query " << q << " on " << distance_path_name(path);
          ASSERT_EQ(got.distance, nearest);
          ASSERT_EQ(got.comparisons, comparisons);
          ASSERT_EQ(got.depth, depth);
        }
      }
    }
    reset_distance_path();
  }
}

TEST(KMeansTree, MoreProbesNeverHurtAndAllLeavesIsExact) {
  const Data d(4000, 4);
  std::mt19937_64 rng(40);
  const auto leaves = static_cast<std::uint32_t>(d.built.tree.nodes().size());
  constexpr std::size_t kQueries = 300;
  std::size_t exact1 = 0, exact8 = 0;
  for (std::size_t q = 0; q < kQueries; ++q) {
    // A query near a stored key, as a glimpse near one seen in training.
    const auto query = test::perturbed(d.layout, d.tree_key(rng() % 4000), 6, rng);
    const std::uint32_t best = exhaustive_distance(d, query);
    const SearchResult one = d.built.tree.search(query, d.tree_keys, d.weights, 1);
    const SearchResult eight = d.built.tree.search(query, d.tree_keys, d.weights, 8);
    const SearchResult all = d.built.tree.search(query, d.tree_keys, d.weights, leaves);
    ASSERT_LE(eight.distance, one.distance);  // the first leaf probed is the greedy one
    ASSERT_GE(eight.comparisons, one.comparisons);
    ASSERT_EQ(all.distance, best);
    ASSERT_EQ(all.index, exhaustive_nearest(query, d.tree_keys, d.weights).index);  // same tie rule
    exact1 += one.distance == best;
    exact8 += eight.distance == best;
  }
  // Measured on this data: 91 % exact with one probe, 99.7 % with eight.
  EXPECT_GE(exact1, kQueries * 8 / 10);
  EXPECT_GE(exact8, exact1);
  EXPECT_GE(exact8, kQueries * 95 / 100);
}

TEST(KMeansTree, ComparisonBudgetGrowsMonotonicallyToExact) {
  const Data d(4000, 4);
  std::mt19937_64 rng(41);
  for (std::size_t q = 0; q < 200; ++q) {
    const auto query = test::perturbed(d.layout, d.tree_key(rng() % 4000), 6, rng);
    std::uint32_t previous = 0xFFFFFFFFU;
    for (std::uint32_t budget : {1U, 50U, 200U, 800U}) {
      Options o;
      o.max_comparisons = budget;
      const SearchResult r = d.built.tree.search(query, d.tree_keys, d.weights, o, o);
      // Leaves are scanned in the same best-first order whatever the budget: a larger one
      // scans a superset, so it never finds a farther key.
      ASSERT_LE(r.distance, previous);
      ASSERT_GE(r.comparisons, budget);  // stops only once the budget is spent (4000 keys)
      previous = r.distance;
    }
    Options everything;
    everything.max_comparisons = 0xFFFFFFFFU;  // more than the whole tree holds
    const SearchResult all = d.built.tree.search(query, d.tree_keys, d.weights, everything, everything);
    ASSERT_EQ(all.distance, exhaustive_distance(d, query));
    ASSERT_EQ(all.index, exhaustive_nearest(query, d.tree_keys, d.weights).index);
  }
}

// Keys in four groups (as table rows in glimpse steps), built with the root split by group.
struct GroupedData {
  KeyLayout layout = test::ram_layout();
  std::vector<std::uint32_t> weights = layout.word_weights(std::vector<std::uint32_t>{30, 16, 10});
  std::size_t words = layout.words();
  std::vector<std::uint64_t> keys;
  std::vector<std::uint8_t> groups;       // input order
  std::vector<std::uint64_t> tree_keys;   // tree order
  std::vector<std::uint8_t> tree_groups;  // tree order
  KMeansTreeBuild built;

  explicit GroupedData(std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    keys = test::clustered_keys(layout, 3000, 48, 12, rng);
    for (std::size_t i = 0; i < 3000; ++i) groups.push_back(static_cast<std::uint8_t>(1 + 2 * (rng() % 4)));
    built = build_kmeans_tree(keys, weights, {}, groups);
    for (std::uint32_t p : built.order) {
      tree_keys.insert(tree_keys.end(), keys.begin() + p * words, keys.begin() + (p + 1) * words);
      tree_groups.push_back(groups[p]);
    }
  }
};

TEST(KMeansTree, GroupedRootHasOneSubtreePerGroup) {
  const GroupedData d(5);
  const KMeansTreeNode& root = d.built.tree.nodes()[0];
  ASSERT_EQ(root.child_count, 4U);  // groups 1, 3, 5, 7, in that order
  for (std::uint32_t c = 0; c < 4; ++c) {
    const KMeansTreeNode& child = d.built.tree.nodes()[root.first_child + c];
    for (std::uint32_t row = child.begin; row < child.end; ++row) ASSERT_EQ(d.tree_groups[row], 1 + 2 * c);
    EXPECT_GT(child.child_count, 0U);  // each group is itself a k-means tree
  }
  // Same seed, same bytes.
  const GroupedData again(5);
  EXPECT_EQ(again.built.tree.serialize(), d.built.tree.serialize());
  EXPECT_EQ(again.built.order, d.built.order);
}

TEST(KMeansTree, SearchFromAGroupSeesOnlyThatGroup) {
  const GroupedData d(6);
  const KMeansTreeNode& root = d.built.tree.nodes()[0];
  std::mt19937_64 rng(60);
  for (std::size_t q = 0; q < 100; ++q) {
    const auto query = test::perturbed(d.layout, {d.keys.data() + (rng() % 3000) * d.words, d.words}, 8, rng);
    for (std::uint32_t c = 0; c < root.child_count; ++c) {
      const KMeansTreeNode& child = d.built.tree.nodes()[root.first_child + c];
      Options o;
      o.start_node = root.first_child + c;
      o.max_comparisons = 60;
      const SearchResult some = d.built.tree.search(query, d.tree_keys, d.weights, o, o);
      ASSERT_GE(some.index, child.begin);
      ASSERT_LT(some.index, child.end);
      o.max_comparisons = 0xFFFFFFFFU;
      const SearchResult all = d.built.tree.search(query, d.tree_keys, d.weights, o, o);
      const std::span<const std::uint64_t> rows(d.tree_keys.data() + std::size_t{child.begin} * d.words,
                                                std::size_t{child.end - child.begin} * d.words);
      const SearchResult exact = exhaustive_nearest(query, rows, d.weights);
      ASSERT_EQ(all.index, child.begin + exact.index);  // the group's exhaustive answer
      ASSERT_EQ(all.distance, exact.distance);
    }
  }
  Options bad;
  bad.start_node = static_cast<std::uint32_t>(d.built.tree.nodes().size());
  EXPECT_THROW(d.built.tree.search(d.keys, d.tree_keys, d.weights, bad, bad), Error);
}

// The batched search is an interleaving of the same searches: every field of every result
// must equal the lone search's, whatever the probes, budget or start node.
TEST(KMeansTree, BatchSearchEqualsSearchingOneByOne) {
  const GroupedData d(8);
  const KMeansTreeNode& root = d.built.tree.nodes()[0];
  std::mt19937_64 rng(80);
  std::vector<std::uint64_t> queries;
  for (std::size_t q = 0; q < 37; ++q) {
    const auto query = test::perturbed(d.layout, {d.keys.data() + (rng() % 3000) * d.words, d.words}, 10, rng);
    queries.insert(queries.end(), query.begin(), query.end());
  }
  queries.insert(queries.end(), d.keys.begin(), d.keys.begin() + static_cast<std::ptrdiff_t>(d.words));  // an exact hit
  const std::size_t count = queries.size() / d.words;
  for (const std::uint32_t start : {0U, root.first_child, root.first_child + 2}) {
    for (const auto& [probes, budget] : {std::pair{1U, 0U}, std::pair{3U, 0U}, std::pair{1U, 50U},
                                         std::pair{1U, 300U}, std::pair{1U, 0xFFFFFFFFU}}) {
      Options o;
      o.probes = probes;
      o.max_comparisons = budget;
      o.start_node = start;
      std::vector<SearchResult> batch(count);
      d.built.tree.search_batch(queries, d.tree_keys, d.weights, o, o, batch);
      for (std::size_t q = 0; q < count; ++q) {
        const SearchResult one = d.built.tree.search({queries.data() + q * d.words, d.words}, d.tree_keys, d.weights, o, o);
        ASSERT_EQ(batch[q].index, one.index) << "query " << q << " start " << start << " budget " << budget;
        ASSERT_EQ(batch[q].distance, one.distance);
        ASSERT_EQ(batch[q].comparisons, one.comparisons);
        ASSERT_EQ(batch[q].depth, one.depth);
      }
    }
  }
  std::vector<SearchResult> none;
  d.built.tree.search_batch({}, d.tree_keys, d.weights, {}, {}, none);  // an empty batch is fine
  std::vector<SearchResult> wrong(count + 1);
  EXPECT_THROW(d.built.tree.search_batch(queries, d.tree_keys, d.weights, {}, {}, wrong), Error);
}

// The node bounds are true lower bounds: no key under a node is closer to a query than
// either bound says (checked against every key, for random queries and every node).
TEST(KMeansTree, NodeBoundsAreLowerBounds) {
  const Data d(3000, 11);
  const KMeansTree& tree = d.built.tree;
  const KMeansTreeBounds b = tree.bounds(d.tree_keys, d.weights);
  ASSERT_EQ(b.radius.size(), tree.nodes().size());
  std::mt19937_64 rng(110);
  for (std::size_t q = 0; q < 20; ++q) {
    const auto query = test::perturbed(d.layout, d.tree_key(rng() % 3000), 10, rng);
    for (std::size_t i = 0; i < tree.nodes().size(); ++i) {
      const KMeansTreeNode& node = tree.nodes()[i];
      const std::uint64_t* centroid = tree.centroids().data() + i * d.words;
      const std::uint32_t to_centroid = weighted_distance(query.data(), centroid, d.weights.data(), d.words);
      const std::uint32_t metric = to_centroid > b.radius[i] ? to_centroid - b.radius[i] : 0;
      std::uint32_t box = 0;
      for (std::size_t w = 0; w < d.words; ++w)
        box += d.weights[w] * static_cast<std::uint32_t>(std::popcount((query[w] & ~b.any_set[i * d.words + w]) |
                                                                       (~query[w] & b.all_set[i * d.words + w])));
      std::uint32_t nearest = 0xFFFFFFFFU;
      std::uint32_t farthest_from_centroid = 0;
      for (std::uint32_t r = node.begin; r < node.end; ++r) {
        nearest = std::min(nearest, weighted_distance(query.data(), d.tree_key(r).data(), d.weights.data(), d.words));
        farthest_from_centroid =
            std::max(farthest_from_centroid, weighted_distance(centroid, d.tree_key(r).data(), d.weights.data(), d.words));
      }
      ASSERT_EQ(b.radius[i], farthest_from_centroid) << "node " << i;
      ASSERT_LE(metric, nearest) << "node " << i;
      ASSERT_LE(box, nearest) << "node " << i;
    }
  }
}

// A bounded search keeps its promise for every query: the distance it returns is at most
// (1 + epsilon) times the exhaustive best; with epsilon 0 it is the best distance itself.
// Searches over a grouped tree from a group's node keep it for that group's keys.
TEST(KMeansTree, BoundedSearchIsWithinItsFactorOfExhaustive) {
  for (const KMeansTreeParams params : {KMeansTreeParams{}, KMeansTreeParams{.branching = 16, .max_leaf_size = 64}}) {
    const Data d(4000, 12, params);
    const KMeansTreeBounds b = d.built.tree.bounds(d.tree_keys, d.weights);
    std::mt19937_64 rng(120);
    for (std::size_t q = 0; q < 300; ++q) {
      // Near a key, and far from every key (random bits are rarely thermometer codes, but
      // the distance is a metric on any bits).
      std::vector<std::uint64_t> query = test::perturbed(d.layout, d.tree_key(rng() % 4000), 1 + q % 40, rng);
      if (q % 10 == 0)
        for (auto& word : query) word = rng();
      const SearchResult exact = exhaustive_nearest(query, d.tree_keys, d.weights);
      for (const double epsilon : {0.0, 0.1, 0.5, 3.0}) {
        Options o;
        o.epsilon = epsilon;
        o.bounds = &b;
        const SearchResult r = d.built.tree.search(query, d.tree_keys, d.weights, o, o);
        ASSERT_NE(r.index, kNoIndex);
        ASSERT_EQ(r.distance, weighted_distance(query.data(), d.tree_key(r.index).data(), d.weights.data(), d.words));
        ASSERT_LE(static_cast<double>(r.distance), (1.0 + epsilon) * exact.distance + 1e-9) << "epsilon " << epsilon;
        if (epsilon == 0.0) {
          ASSERT_EQ(r.distance, exact.distance);
        }
        ASSERT_LE(r.comparisons, 3 * 4000U);  // never worse than a few passes over the keys
      }
    }
  }
  const GroupedData g(13);
  const KMeansTreeBounds gb = g.built.tree.bounds(g.tree_keys, g.weights);
  const KMeansTreeNode& root = g.built.tree.nodes()[0];
  std::mt19937_64 rng(130);
  for (std::size_t q = 0; q < 50; ++q) {
    const auto query = test::perturbed(g.layout, {g.keys.data() + (rng() % 3000) * g.words, g.words}, 8, rng);
    for (std::uint32_t c = 0; c < root.child_count; ++c) {
      const KMeansTreeNode& child = g.built.tree.nodes()[root.first_child + c];
      Options o;
      o.epsilon = 0;
      o.bounds = &gb;
      o.start_node = root.first_child + c;
      const SearchResult r = g.built.tree.search(query, g.tree_keys, g.weights, o, o);
      const std::span<const std::uint64_t> rows(g.tree_keys.data() + std::size_t{child.begin} * g.words,
                                                std::size_t{child.end - child.begin} * g.words);
      ASSERT_GE(r.index, child.begin);
      ASSERT_LT(r.index, child.end);
      ASSERT_EQ(r.distance, exhaustive_nearest(query, rows, g.weights).distance);
    }
  }
}

// A bound from elsewhere only prunes: the answer is still a key of this tree at its true
// distance, and the better of it and the bound is within the factor of the best (what a
// forest keeps).
TEST(KMeansTree, BoundedSearchTakesAnOutsideBound) {
  const Data d(3000, 14);
  const KMeansTreeBounds b = d.built.tree.bounds(d.tree_keys, d.weights);
  std::mt19937_64 rng(140);
  for (std::size_t q = 0; q < 100; ++q) {
    const auto query = test::perturbed(d.layout, d.tree_key(rng() % 3000), 12, rng);
    const SearchResult exact = exhaustive_nearest(query, d.tree_keys, d.weights);
    Options o;
    o.epsilon = 0.1;
    o.bounds = &b;
    const SearchResult free = d.built.tree.search(query, d.tree_keys, d.weights, o, o);
    o.bound = exact.distance + 1;  // a closer key than this tree's best is known nowhere
    const SearchResult helped = d.built.tree.search(query, d.tree_keys, d.weights, o, o);
    ASSERT_LE(helped.comparisons, free.comparisons);
    ASSERT_EQ(helped.distance,
              weighted_distance(query.data(), d.tree_key(helped.index).data(), d.weights.data(), d.words));
    ASSERT_LE(static_cast<double>(std::min(helped.distance, o.bound)), 1.1 * exact.distance + 1e-9);
    o.bound = 0;  // everything is pruned after the first leaf
    const SearchResult first_leaf = d.built.tree.search(query, d.tree_keys, d.weights, o, o);
    ASSERT_NE(first_leaf.index, kNoIndex);
    ASSERT_EQ(first_leaf.distance,
              weighted_distance(query.data(), d.tree_key(first_leaf.index).data(), d.weights.data(), d.words));
  }
}

TEST(KMeansTree, BoundedSearchRejectsMissingBoundsAndBadEpsilon) {
  const Data d(500, 15);
  const KMeansTreeBounds b = d.built.tree.bounds(d.tree_keys, d.weights);
  const Data other(900, 16);
  const KMeansTreeBounds wrong = other.built.tree.bounds(other.tree_keys, other.weights);
  Options o;
  o.epsilon = 0.1;
  EXPECT_THROW(d.built.tree.search(d.tree_key(0), d.tree_keys, d.weights, o, o), Error);  // no bounds
  o.bounds = &wrong;
  EXPECT_THROW(d.built.tree.search(d.tree_key(0), d.tree_keys, d.weights, o, o), Error);  // another tree's
  o.bounds = &b;
  o.epsilon = kMaxSearchEpsilon * 2;
  EXPECT_THROW(d.built.tree.search(d.tree_key(0), d.tree_keys, d.weights, o, o), Error);
  EXPECT_THROW(d.built.tree.bounds(std::span<const std::uint64_t>(d.tree_keys).first(10), d.weights), Error);
}

TEST(KMeansTree, StoredKeysFindThemselves) {
  const Data d(4000, 5);
  std::size_t found = 0;
  for (std::size_t row = 0; row < 4000; ++row) found += d.built.tree.search(d.tree_key(row), d.tree_keys, d.weights).distance == 0;
  EXPECT_GE(found, 4000U * 95 / 100);
}

TEST(KMeansTree, IdenticalKeysMakeOneLeaf) {
  const std::vector<std::uint32_t> weights(5, 1);
  std::vector<std::uint64_t> keys;
  for (int i = 0; i < 1000; ++i) keys.insert(keys.end(), {1, 2, 3, 4, 5});
  const KMeansTreeBuild built = build_kmeans_tree(keys, weights);
  ASSERT_EQ(built.tree.nodes().size(), 1U);
  EXPECT_EQ(built.tree.nodes()[0].end, 1000U);
  const std::vector<std::uint64_t> query = {1, 2, 3, 4, 4};
  const SearchResult r = built.tree.search(query, keys, weights);
  EXPECT_EQ(r.index, 0U);
  EXPECT_EQ(r.distance, 1U);
  EXPECT_EQ(r.comparisons, 1000U);
  EXPECT_EQ(r.depth, 0U);
}

TEST(KMeansTree, DuplicateGroupsSplitIntoLargeLeaves) {
  // Two distinct keys, 500 copies each, plus keys that differ only in a zero-weight word
  // (indistinguishable under the metric): must terminate with two leaves of 500+.
  const std::vector<std::uint32_t> weights = {1, 1, 0};
  std::vector<std::uint64_t> keys;
  for (std::uint64_t i = 0; i < 1000; ++i) keys.insert(keys.end(), {i % 2 ? ~0ULL : 0ULL, 0, i});
  const KMeansTreeBuild built = build_kmeans_tree(keys, weights);
  ASSERT_EQ(built.tree.nodes().size(), 3U);
  EXPECT_EQ(built.tree.nodes()[1].end - built.tree.nodes()[1].begin, 500U);
}

TEST(KMeansTree, SmallInputs) {
  const std::vector<std::uint32_t> weights(2, 1);
  const KMeansTreeBuild empty = build_kmeans_tree({}, weights);
  EXPECT_EQ(empty.tree.rows(), 0U);
  EXPECT_EQ(empty.tree.search(std::vector<std::uint64_t>(2, 0), {}, weights).index, kNoIndex);
  const std::vector<std::uint64_t> three = {1, 0, 2, 0, 3, 0};
  const KMeansTreeBuild small = build_kmeans_tree(three, weights);
  ASSERT_EQ(small.tree.nodes().size(), 1U);
  EXPECT_EQ(small.tree.search(std::vector<std::uint64_t>{3, 0}, three, weights).index, 2U);
}

TEST(KMeansTree, SerializedFormRoundTrips) {
  const Data d(2000, 6);
  const std::string bytes = d.built.tree.serialize();
  const KMeansTree copy = KMeansTree::from_bytes(std::as_bytes(std::span(bytes)), "test");
  std::vector<std::uint64_t> aligned((bytes.size() + 7) / 8);
  std::memcpy(aligned.data(), bytes.data(), bytes.size());
  const KMeansTree view =
      KMeansTree::view_bytes({reinterpret_cast<const std::byte*>(aligned.data()), bytes.size()}, "test");
  EXPECT_EQ(copy.serialize(), bytes);
  EXPECT_EQ(view.serialize(), bytes);
  EXPECT_EQ(view.max_depth(), d.built.tree.max_depth());
  KMeansTree assigned;
  {
    const KMeansTree temporary(copy);  // copies of an owning tree must own their bytes
    assigned = temporary;
  }
  for (std::size_t row = 0; row < 2000; row += 97) {
    const SearchResult a = d.built.tree.search(d.tree_key(row), d.tree_keys, d.weights, 3);
    const SearchResult b = view.search(d.tree_key(row), d.tree_keys, d.weights, 3);
    const SearchResult c = assigned.search(d.tree_key(row), d.tree_keys, d.weights, 3);
    EXPECT_EQ(a.index, b.index);
    EXPECT_EQ(a.index, c.index);
    EXPECT_EQ(a.comparisons, c.comparisons);
  }
}

TEST(KMeansTree, RejectsMalformedBytes) {
  const Data d(500, 7);
  const std::string good = d.built.tree.serialize();
  const auto parse = [](std::string bytes) {
    return KMeansTree::from_bytes(std::as_bytes(std::span(bytes)), "tree.bin");
  };
  const auto message = [&](std::string bytes) {
    try {
      parse(std::move(bytes));
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  EXPECT_NO_THROW(parse(good));
  EXPECT_NE(message(good.substr(0, 20)).find("tree.bin"), std::string::npos);
  EXPECT_NE(message("XXXX" + good.substr(4)).find("bad magic"), std::string::npos);
  EXPECT_NE(message(good.substr(0, good.size() - 8)).find("bytes"), std::string::npos);
  std::string cycle = good;
  const std::uint32_t self = 0;  // root's first child pointing back at the root
  std::memcpy(cycle.data() + 32, &self, 4);
  EXPECT_NE(message(cycle).find("children"), std::string::npos);
  std::string overflow = good;
  const std::uint32_t rows = 501;  // root no longer covers all rows
  std::memcpy(overflow.data() + 16, &rows, 4);
  EXPECT_THROW(parse(overflow), Error);
  std::vector<std::uint64_t> aligned(good.size() / 8 + 1);
  EXPECT_THROW(KMeansTree::view_bytes({reinterpret_cast<const std::byte*>(aligned.data()) + 4, good.size()}, "x"),
               Error);
}

TEST(KMeansTree, RejectsBadParametersAndSizes) {
  const std::vector<std::uint32_t> weights(2, 1);
  const std::vector<std::uint64_t> keys(10, 0);
  KMeansTreeParams p;
  p.branching = 1;
  EXPECT_THROW(build_kmeans_tree(keys, weights, p), Error);
  p = {};
  p.restarts = 0;
  EXPECT_THROW(build_kmeans_tree(keys, weights, p), Error);
  EXPECT_THROW(build_kmeans_tree(std::vector<std::uint64_t>(3, 0), weights), Error);
  const KMeansTreeBuild built = build_kmeans_tree(keys, weights);
  EXPECT_THROW(built.tree.search(std::vector<std::uint64_t>(2, 0), std::vector<std::uint64_t>(4, 0), weights), Error);
}

}  // namespace
}  // namespace mbi
