// Every distance path against the plain reference: random keys, edge-case keys, every word
// count 1..9 (and longer keys, which take the scalar fallback on the vector paths), block
// sizes that are not multiples of the vector width, ties, wrap-around, and reads at the very
// end of mapped memory.
#include "mbi/search/distance.hpp"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "mbi/core/error.hpp"
#include "test_util.hpp"

namespace mbi {
namespace {

using test::reference_distance;

BlockNearest reference_argmin(const std::uint64_t* q, const std::uint64_t* keys, std::size_t n,
                              const std::uint32_t* w, std::size_t words) {
  BlockNearest best{kNoIndex, 0xFFFFFFFFU};
  for (std::size_t k = 0; k < n; ++k) {
    const std::uint32_t d = reference_distance(q, keys + k * words, w, words);
    if (best.index == kNoIndex || d < best.distance) best = {static_cast<std::uint32_t>(k), d};
  }
  return best;
}

class DistancePathTest : public ::testing::TestWithParam<DistancePath> {
 protected:
  void SetUp() override { set_distance_path(GetParam()); }
  void TearDown() override { reset_distance_path(); }

  // Checks all three kernels on one block against the reference.
  static void check_block(const std::vector<std::uint64_t>& query, const std::vector<std::uint64_t>& keys,
                          const std::vector<std::uint32_t>& weights, std::size_t words) {
    const std::size_t n = keys.size() / words;
    std::vector<std::uint32_t> out(n + 1, 0xDEADBEEF);
    weighted_distances(query.data(), keys.data(), n, weights.data(), words, out.data());
    for (std::size_t k = 0; k < n; ++k) {
      const std::uint32_t want = reference_distance(query.data(), keys.data() + k * words, weights.data(), words);
      ASSERT_EQ(out[k], want) << "key " << k << " of " << n << ", " << words << " words";
      ASSERT_EQ(weighted_distance(query.data(), keys.data() + k * words, weights.data(), words), want);
    }
    ASSERT_EQ(out[n], 0xDEADBEEF) << "wrote past the end";
    const BlockNearest got = weighted_argmin(query.data(), keys.data(), n, weights.data(), words);
    const BlockNearest want = reference_argmin(query.data(), keys.data(), n, weights.data(), words);
    ASSERT_EQ(got.index, want.index) << n << " keys, " << words << " words";
    ASSERT_EQ(got.distance, want.distance);
  }
};

TEST_P(DistancePathTest, IsActiveWhenForced) { EXPECT_EQ(active_distance_path(), GetParam()); }

TEST_P(DistancePathTest, RandomKeysMatchReference) {
  std::mt19937_64 rng(1234);
  for (std::size_t words : {1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 16, 17, 24}) {
    for (std::size_t n : {0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 100, 257}) {
      const auto query = test::random_words(words, rng);
      const auto keys = test::random_words(n * words, rng);
      std::vector<std::uint32_t> weights(words);
      for (auto& w : weights) w = static_cast<std::uint32_t>(rng() % 101);
      check_block(query, keys, weights, words);
    }
  }
}

// Pairs of (query, block) of every size, as a batched tree descent asks them: each answer is
// the reference argmin of its own pair, ties to the lowest index included.
TEST_P(DistancePathTest, ArgminPairsEqualsEachPairsArgmin) {
  std::mt19937_64 rng(4321);
  for (std::size_t words : {1, 5, 6, 8, 9, 17}) {
    std::vector<std::uint32_t> weights(words);
    for (auto& w : weights) w = static_cast<std::uint32_t>(rng() % 7);  // small: many ties
    const std::vector<std::uint32_t> counts = {0, 1, 2, 3, 4, 5, 7, 8, 9, 13, 16, 33, 4, 4};
    std::vector<std::vector<std::uint64_t>> queries, blocks;
    std::vector<const std::uint64_t*> query_at, block_at;
    for (const std::uint32_t n : counts) {
      queries.push_back(test::random_words(words, rng));
      blocks.push_back(test::random_words(n * words, rng));
      // Sparse words, so that distances tie often.
      for (auto& word : blocks.back()) word &= rng() & rng() & rng();
    }
    for (std::size_t i = 0; i < counts.size(); ++i) {
      query_at.push_back(queries[i].data());
      block_at.push_back(blocks[i].data());
    }
    std::vector<BlockNearest> got(counts.size() + 1, BlockNearest{123, 456});
    weighted_argmin_pairs(query_at.data(), block_at.data(), counts.data(), counts.size(), weights.data(), words,
                          got.data());
    for (std::size_t i = 0; i < counts.size(); ++i) {
      const BlockNearest want = reference_argmin(queries[i].data(), blocks[i].data(), counts[i], weights.data(), words);
      ASSERT_EQ(got[i].index, want.index) << "pair " << i << ", " << counts[i] << " keys, " << words << " words";
      ASSERT_EQ(got[i].distance, want.distance) << "pair " << i;
    }
    ASSERT_EQ(got.back().index, 123U) << "wrote past the last pair";
  }
}

TEST_P(DistancePathTest, EdgeCaseKeysMatchReference) {
  std::mt19937_64 rng(99);
  for (std::size_t words = 1; words <= 9; ++words) {
    const std::size_t n = 37;  // not a multiple of 4 or 8
    const std::vector<std::uint64_t> zeros(words, 0), ones(words, ~0ULL);
    std::vector<std::uint64_t> keys;
    for (std::size_t k = 0; k < n; ++k) {
      const auto& src = k % 3 == 0 ? zeros : k % 3 == 1 ? ones : test::random_words(words, rng);
      keys.insert(keys.end(), src.begin(), src.end());
    }
    std::vector<std::uint32_t> weights(words);
    for (auto& w : weights) w = static_cast<std::uint32_t>(1 + rng() % 100);
    check_block(zeros, keys, weights, words);
    check_block(ones, keys, weights, words);
    const std::vector<std::uint32_t> unit(words, 1), zero_weights(words, 0);
    check_block(ones, keys, unit, words);
    check_block(ones, keys, zero_weights, words);  // every distance 0: index 0 must win
  }
}

// Huge weights wrap modulo 2^32; every path must wrap the same way.
TEST_P(DistancePathTest, WrapsLikeUint32) {
  std::mt19937_64 rng(5);
  for (std::size_t words : {1, 5, 6, 9}) {
    const auto query = test::random_words(words, rng);
    const auto keys = test::random_words(41 * words, rng);
    std::vector<std::uint32_t> weights(words);
    for (auto& w : weights) w = 0xFFFFFFFFU - static_cast<std::uint32_t>(rng() % 1000);
    check_block(query, keys, weights, words);
  }
}

TEST_P(DistancePathTest, TiesGoToTheLowestIndex) {
  const std::size_t words = 6;
  const std::vector<std::uint32_t> weights(words, 3);
  const std::vector<std::uint64_t> query(words, 0);
  for (std::size_t n : {3, 8, 20, 35}) {
    for (std::size_t first = 0; first < n; ++first) {
      for (std::size_t second = first + 1; second < n; second += 5) {
        // All keys at distance 2 words' worth, except two equal minima.
        std::vector<std::uint64_t> keys(n * words, 0);
        for (std::size_t k = 0; k < n; ++k) keys[k * words] = keys[k * words + 1] = 0xFF;
        keys[first * words] = keys[second * words] = 0x1;
        keys[first * words + 1] = keys[second * words + 1] = 0;
        const BlockNearest got = weighted_argmin(query.data(), keys.data(), n, weights.data(), words);
        ASSERT_EQ(got.index, first) << "n=" << n << " second=" << second;
        ASSERT_EQ(got.distance, 3U);
      }
    }
  }
}

TEST_P(DistancePathTest, EmptyBlock) {
  const std::vector<std::uint64_t> query(5, 0);
  const std::vector<std::uint32_t> weights(5, 1);
  const BlockNearest got = weighted_argmin(query.data(), nullptr, 0, weights.data(), 5);
  EXPECT_EQ(got.index, kNoIndex);
  EXPECT_EQ(got.distance, 0xFFFFFFFFU);
}

// Keys that end exactly at a page followed by an inaccessible page: a kernel that reads past
// the last key (rather than masking its loads) crashes here.
TEST_P(DistancePathTest, NeverReadsPastTheLastKey) {
  const auto page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
  void* region = ::mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(region, MAP_FAILED);
  ASSERT_EQ(::mprotect(static_cast<char*>(region) + page, page, PROT_NONE), 0);
  std::mt19937_64 rng(3);
  for (std::size_t words = 1; words <= 9; ++words) {
    for (std::size_t n : {1, 3, 9, 13}) {
      auto* keys = reinterpret_cast<std::uint64_t*>(static_cast<char*>(region) + page) - n * words;
      const auto data = test::random_words(n * words, rng);
      std::memcpy(keys, data.data(), n * words * 8);
      const auto query = test::random_words(words, rng);
      const std::vector<std::uint32_t> weights(words, 7);
      std::vector<std::uint32_t> out(n);
      weighted_distances(query.data(), keys, n, weights.data(), words, out.data());
      const BlockNearest got = weighted_argmin(query.data(), keys, n, weights.data(), words);
      const BlockNearest want = reference_argmin(query.data(), keys, n, weights.data(), words);
      EXPECT_EQ(got.index, want.index);
      EXPECT_EQ(out[n - 1], reference_distance(query.data(), keys + (n - 1) * words, weights.data(), words));
    }
  }
  ::munmap(region, 2 * page);
}

INSTANTIATE_TEST_SUITE_P(Paths, DistancePathTest, ::testing::ValuesIn(available_distance_paths()),
                         [](const ::testing::TestParamInfo<DistancePath>& param) {
                           return std::string(distance_path_name(param.param));
                         });

TEST(DistanceDispatch, DefaultIsTheBestAvailablePath) {
  reset_distance_path();
  EXPECT_EQ(active_distance_path(), best_distance_path());
  const auto paths = available_distance_paths();
  ASSERT_FALSE(paths.empty());
  EXPECT_EQ(paths.front(), DistancePath::scalar);
  EXPECT_EQ(paths.back(), best_distance_path());
}

TEST(DistanceDispatch, RefusesUnavailablePaths) {
  for (DistancePath p : {DistancePath::scalar, DistancePath::popcnt, DistancePath::avx2, DistancePath::avx512,
                         DistancePath::avx512_vpopcntdq}) {
    if (distance_path_available(p)) {
      EXPECT_NO_THROW(set_distance_path(p));
    } else {
      EXPECT_THROW(set_distance_path(p), Error);
    }
  }
  reset_distance_path();
}

}  // namespace
}  // namespace mbi
