#include "mbi/search/exhaustive.hpp"

#include <gtest/gtest.h>

#include <algorithm>

#include "mbi/core/error.hpp"
#include "test_util.hpp"

namespace mbi {
namespace {

struct Fixture {
  std::size_t words;
  std::vector<std::uint64_t> keys;
  std::vector<std::uint32_t> weights;

  std::vector<Neighbor> reference_sorted(const std::vector<std::uint64_t>& q) const {
    std::vector<Neighbor> all;
    for (std::size_t k = 0; k < keys.size() / words; ++k)
      all.push_back({static_cast<std::uint32_t>(k),
                     test::reference_distance(q.data(), keys.data() + k * words, weights.data(), words)});
    std::stable_sort(all.begin(), all.end(), [](const Neighbor& a, const Neighbor& b) { return a.distance < b.distance; });
    return all;
  }
};

// Keys drawn from few distinct values so that ties are common.
Fixture make_fixture(std::size_t n, std::size_t words, std::mt19937_64& rng) {
  Fixture f{words, {}, std::vector<std::uint32_t>(words)};
  const auto pool = test::random_words(16 * words, rng);
  for (std::size_t k = 0; k < n; ++k) {
    const std::size_t pick = rng() % 16;
    f.keys.insert(f.keys.end(), pool.begin() + pick * words, pool.begin() + (pick + 1) * words);
    f.keys[k * words] ^= 1ULL << (rng() % 4);  // small perturbation
  }
  for (auto& w : f.weights) w = static_cast<std::uint32_t>(1 + rng() % 50);
  return f;
}

TEST(ExhaustiveSearch, NearestMatchesReference) {
  std::mt19937_64 rng(21);
  for (std::size_t words : {1, 5, 6, 9}) {
    const Fixture f = make_fixture(1000, words, rng);
    for (int q = 0; q < 50; ++q) {
      const auto query = test::random_words(words, rng);
      const auto want = f.reference_sorted(query).front();
      const SearchResult got = exhaustive_nearest(query, f.keys, f.weights);
      ASSERT_EQ(got.index, want.index);
      ASSERT_EQ(got.distance, want.distance);
      EXPECT_EQ(got.comparisons, 1000U);
      EXPECT_EQ(got.depth, 0U);
    }
  }
}

TEST(ExhaustiveSearch, KNearestMatchesStableSort) {
  std::mt19937_64 rng(22);
  const Fixture f = make_fixture(3000, 6, rng);
  for (std::size_t k : {0, 1, 2, 7, 64, 2999, 3000, 5000}) {
    const auto query = test::random_words(6, rng);
    auto want = f.reference_sorted(query);
    want.resize(std::min(k, want.size()));
    EXPECT_EQ(exhaustive_k_nearest(query, f.keys, f.weights, k), want) << "k=" << k;
  }
}

TEST(ExhaustiveSearch, EmptyTableAndBadSizes) {
  const std::vector<std::uint64_t> query(5, 0);
  const std::vector<std::uint32_t> weights(5, 1);
  const SearchResult none = exhaustive_nearest(query, {}, weights);
  EXPECT_EQ(none.index, kNoIndex);
  EXPECT_EQ(none.comparisons, 0U);
  EXPECT_TRUE(exhaustive_k_nearest(query, {}, weights, 3).empty());
  const std::vector<std::uint64_t> ragged(7, 0);
  EXPECT_THROW(exhaustive_nearest(query, ragged, weights), Error);
  EXPECT_THROW(exhaustive_nearest(query, {}, std::vector<std::uint32_t>(4, 1)), Error);
}

}  // namespace
}  // namespace mbi
