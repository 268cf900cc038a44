// The proximity graph behind the search contract: wide enough it finds the exhaustive scan's
// nearest key (ties to the lowest row), a group's answer stays in its rows, narrow walks count
// their distances, the walk answers as hnswlib's own search does and counts the links it reads,
// two builds give the same answers, saved graphs read back answer the same, and what does not
// fit (or a graph file of other keys, settings or bytes) is refused.
#include "mbi/graph/hnsw_index.hpp"

#include <gtest/gtest.h>

#include <filesystem>
#include <vector>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"
#include "mbi/search/exhaustive.hpp"

namespace mbi::graph {
namespace {

constexpr std::uint32_t kWords = 3;

// Clustered keys: each row a few bits away from one of `centres` random keys, so that many
// rows are near each other (and ties happen), as a table's rows are.
std::vector<std::uint64_t> clustered(std::size_t rows, std::size_t centres, std::uint64_t seed) {
  Random rng(seed, 1);
  std::vector<std::uint64_t> c(centres * kWords), keys(rows * kWords);
  for (auto& w : c) w = rng.bits();
  for (std::size_t r = 0; r < rows; ++r) {
    const std::size_t k = rng.bits() % centres;
    for (std::uint32_t w = 0; w < kWords; ++w) keys[r * kWords + w] = c[k * kWords + w];
    for (int flips = 0; flips < 6; ++flips) keys[r * kWords + rng.bits() % kWords] ^= 1ULL << (rng.bits() % 64);
  }
  return keys;
}

TEST(HnswIndex, AWideWalkFindsTheExhaustiveNearestAndANarrowOneCountsItsDistances) {
  const std::vector<std::uint64_t> keys = clustered(3000, 40, 1), queries = clustered(200, 40, 2);
  const std::vector<std::uint32_t> weights = {1, 3, 2};
  const HnswIndex index(keys, kWords, weights, {}, {.m = 8, .ef_construction = 100});
  EXPECT_EQ(index.rows(), 3000U);
  EXPECT_EQ(index.groups(), 1U);
  EXPECT_GT(index.link_bytes(), 3000U * 8 * 4);
  // Recall of the exact nearest distance and distances per query by breadth: both grow.
  std::vector<double> recall, distances;
  for (const std::uint32_t breadth : {1U, 16U, 128U}) {
    std::size_t hits = 0;
    double computed = 0;
    for (std::size_t q = 0; q < 200; ++q) {
      const std::span<const std::uint64_t> query(queries.data() + q * kWords, kWords);
      const SearchResult exact = exhaustive_nearest(query, keys, weights);
      SearchParams p;
      p.probes = breadth;
      const SearchResult r = index.search_one(query, -1, p);
      EXPECT_GE(r.distance, exact.distance);
      hits += r.distance == exact.distance ? 1 : 0;
      computed += r.comparisons;
    }
    recall.push_back(static_cast<double>(hits) / 200);
    distances.push_back(computed / 200);
  }
  EXPECT_GT(distances[0], 0.0);
  EXPECT_LT(distances[0], distances[1]);
  EXPECT_LT(distances[1], distances[2]);
  EXPECT_LT(distances[2], 3000.0) << "a walk of breadth 128 still compares fewer keys than a scan";
  EXPECT_LE(recall[0], recall[1]);
  EXPECT_LE(recall[1], recall[2]);
  EXPECT_GT(recall[2], 0.9);
}

TEST(HnswIndex, WalksAsHnswlibSearchesAndCountsEveryLinkItReads) {
  const std::vector<std::uint64_t> keys = clustered(2500, 30, 7), queries = clustered(100, 30, 8);
  const std::vector<std::uint32_t> weights = {2, 1, 3};
  const HnswParams params{.m = 8, .ef_construction = 60, .seed = 5};
  const HnswIndex index(keys, kWords, weights, {}, params);
  for (const std::uint32_t breadth : {1U, 5U, 40U}) {
    for (std::size_t q = 0; q < 100; ++q) {
      const std::span<const std::uint64_t> query(queries.data() + q * kWords, kWords);
      const SearchResult expected = index.search_as_hnswlib(query, -1, breadth);
      SearchParams p;
      p.probes = breadth;
      const SearchResult r = index.search_one(query, -1, p);
      EXPECT_EQ(r.index, expected.index);
      EXPECT_EQ(r.distance, expected.distance);
      // hnswlib computes the bottom layer's entry distance a second time; the walk reuses it.
      EXPECT_EQ(r.comparisons + 1, expected.comparisons);
      // hnswlib counts a hop per list read and the ids it lists: with the count word, our links.
      EXPECT_EQ(r.links_read, expected.links_read);
      EXPECT_GT(r.links_read, r.comparisons);  // every key matched was listed; visited ones too
    }
  }
}

TEST(HnswIndex, GroupsAnswerFromTheirOwnRowsAndTwoBuildsAgree) {
  const std::vector<std::uint64_t> keys = clustered(2000, 30, 3), queries = clustered(50, 30, 4);
  const std::vector<std::uint32_t> weights = {1, 1, 1};
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> groups = {{0, 700}, {700, 700}, {700, 2000}};
  const HnswIndex a(keys, kWords, weights, groups, {}, 2), b(keys, kWords, weights, groups, {}, 1);
  std::vector<SearchResult> ra(50), rb(50);
  SearchParams p;
  p.probes = 4;
  for (const int g : {0, 2}) {
    a.search(queries, g, p, ra);
    b.search(queries, g, p, rb);
    for (std::size_t q = 0; q < 50; ++q) {
      EXPECT_EQ(ra[q].index, rb[q].index);
      EXPECT_EQ(ra[q].comparisons, rb[q].comparisons);
      EXPECT_GE(ra[q].index, groups[static_cast<std::size_t>(g)].first);
      EXPECT_LT(ra[q].index, groups[static_cast<std::size_t>(g)].second);
    }
  }
  a.search(queries, 1, p, ra);  // an empty group: nothing found
  EXPECT_EQ(ra[0].index, kNoIndex);
  EXPECT_THROW(a.search(queries, 3, p, ra), Error);
  EXPECT_THROW(a.search(queries, -1, p, ra), Error);
  EXPECT_THROW(a.search(std::span<const std::uint64_t>(queries.data(), 4), 0, p, ra), Error);
}

TEST(HnswIndex, SavedGraphsReadBackAnswerAsBuiltAndOthersAreRefused) {
  const std::vector<std::uint64_t> keys = clustered(1500, 20, 9), queries = clustered(60, 20, 10);
  const std::vector<std::uint32_t> weights = {1, 2, 1};
  const std::vector<std::pair<std::uint32_t, std::uint32_t>> groups = {{0, 500}, {500, 500}, {500, 1500}};
  const HnswParams params{.m = 8, .ef_construction = 40};
  const HnswIndex built(keys, kWords, weights, groups, params);
  const std::filesystem::path file = std::filesystem::temp_directory_path() / "mbi_graph_roundtrip.graph";
  built.save(file);
  const auto read = HnswIndex::load(file, keys, kWords, weights, groups, params);
  EXPECT_EQ(read->groups(), 3U);
  EXPECT_EQ(read->link_bytes(), built.link_bytes());
  std::vector<SearchResult> a(60), b(60);
  SearchParams p;
  p.probes = 6;
  for (const int g : {0, 1, 2}) {
    built.search(queries, g, p, a);
    read->search(queries, g, p, b);
    for (std::size_t q = 0; q < 60; ++q) {
      EXPECT_EQ(a[q].index, b[q].index);
      EXPECT_EQ(a[q].distance, b[q].distance);
      EXPECT_EQ(a[q].comparisons, b[q].comparisons);
      EXPECT_EQ(a[q].links_read, b[q].links_read);
    }
  }
  // Built over other keys, weights, groups or parameters: refused, naming the file.
  const auto refused = [&](std::span<const std::uint64_t> k, std::vector<std::uint32_t> w,
                           std::vector<std::pair<std::uint32_t, std::uint32_t>> gr, HnswParams pr, const std::string& why) {
    try {
      HnswIndex::load(file, k, kWords, w, std::move(gr), pr);
      ADD_FAILURE() << "accepted: " << why;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(file.string()), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("other keys or settings"), std::string::npos) << e.what();
    }
  };
  std::vector<std::uint64_t> other = keys;
  other[7] ^= 1;
  refused(other, weights, groups, params, "other keys");
  refused(keys, {1, 1, 1}, groups, params, "other weights");
  refused(keys, weights, {{0, 1500}}, params, "other groups");
  refused(keys, weights, groups, {.m = 16, .ef_construction = 40}, "other M");
  // Corrupt, truncated or not a graph file at all.
  std::string bytes = read_file(file);
  std::string flipped = bytes;
  flipped[bytes.size() / 2] ^= 0x10;
  write_file_atomic(file, flipped);
  EXPECT_THROW(HnswIndex::load(file, keys, kWords, weights, groups, params), Error);
  write_file_atomic(file, bytes.substr(0, bytes.size() / 3));
  EXPECT_THROW(HnswIndex::load(file, keys, kWords, weights, groups, params), Error);
  write_file_atomic(file, "something else\n");
  EXPECT_THROW(HnswIndex::load(file, keys, kWords, weights, groups, params), Error);
  std::filesystem::remove(file);
  EXPECT_THROW(HnswIndex::load(file, keys, kWords, weights, groups, params), Error);
}

TEST(HnswIndex, RefusesWhatDoesNotFit) {
  const std::vector<std::uint64_t> keys = clustered(100, 5, 5);
  const std::vector<std::uint32_t> weights = {1, 1, 1};
  EXPECT_THROW(HnswIndex(keys, kWords, std::vector<std::uint32_t>{1, 1}, {}, {}), Error);
  EXPECT_THROW(HnswIndex(keys, kWords, weights, {{50, 101}}, {}), Error);
  EXPECT_THROW(HnswIndex(keys, kWords, weights, {{60, 50}}, {}), Error);
  EXPECT_THROW(HnswIndex(keys, kWords, weights, {}, {.m = 1}), Error);
  EXPECT_THROW(HnswIndex(std::span<const std::uint64_t>(keys.data(), 7), kWords, weights, {}, {}), Error);
}

}  // namespace
}  // namespace mbi::graph
