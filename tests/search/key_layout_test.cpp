#include "mbi/search/key_layout.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "mbi/search/distance.hpp"
#include "mbi/core/error.hpp"
#include "test_util.hpp"

namespace mbi {
namespace {

TEST(KeyLayout, SegmentsStartOnWordBoundaries) {
  const KeyLayout layout({{"glimpse", 48, 4}, {"hidden", 64, 2}, {"loc_x", 1, 29}, {"loc_y", 1, 29}});
  // 48 values x 3 bits = 144 bits -> 3 words; 64 x 1 bit -> 1 word; 28 bits -> 1 word each.
  EXPECT_EQ(layout.words(), 6U);
  EXPECT_EQ(layout.total_values(), 48U + 64U + 2U);
  EXPECT_EQ(layout.first_word(0), 0U);
  EXPECT_EQ(layout.first_word(1), 3U);
  EXPECT_EQ(layout.first_word(2), 4U);
  EXPECT_EQ(layout.first_word(3), 5U);
  EXPECT_EQ(layout.segment_words(0), 3U);
  EXPECT_EQ(layout.segment_index("hidden"), 1U);
  EXPECT_THROW(layout.segment_index("nope"), Error);
  EXPECT_EQ(test::ram_layout().words(), 5U);
}

TEST(KeyLayout, ThermometerCodeIsPackedContiguously) {
  const KeyLayout layout({{"a", 3, 4}, {"b", 2, 2}});
  std::vector<std::uint64_t> key(layout.words());
  const std::vector<std::uint8_t> values = {1, 3, 0, 1, 1};
  layout.encode(values, key);
  // a: 1 -> 001, 3 -> 111, 0 -> 000 at bits 0, 3, 6; b starts on the next word.
  EXPECT_EQ(key[0], 0b000'111'001U);
  EXPECT_EQ(key[1], 0b11U);
}

TEST(KeyLayout, ValuesMayStraddleWords) {
  // 28-bit codes: the third value occupies bits 56..83 and crosses into the second word.
  const KeyLayout layout({{"loc", 3, 29}});
  ASSERT_EQ(layout.words(), 2U);
  std::vector<std::uint64_t> key(2);
  const std::vector<std::uint8_t> values = {0, 28, 20};
  layout.encode(values, key);
  EXPECT_EQ(key[0], (((1ULL << 28) - 1) << 28) | (((1ULL << 8) - 1) << 56));
  EXPECT_EQ(key[1], (1ULL << 12) - 1);
  std::vector<std::uint8_t> back(3);
  layout.decode(key, back);
  EXPECT_EQ(back, values);
}

TEST(KeyLayout, RoundTripClampsAndLeavesTailZero) {
  const KeyLayout layout({{"g", 17, 4}, {"h", 5, 2}, {"l", 2, 29}});
  std::mt19937_64 rng(7);
  std::vector<std::uint8_t> values(layout.total_values());
  std::vector<std::uint8_t> back(values.size());
  std::vector<std::uint64_t> key(layout.words());
  for (int trial = 0; trial < 200; ++trial) {
    for (auto& v : values) v = static_cast<std::uint8_t>(rng() % 40);  // some out of range
    layout.encode(values, key);
    layout.decode(key, back);
    std::size_t at = 0;
    for (const auto& s : layout.segments())
      for (std::uint32_t i = 0; i < s.values; ++i, ++at)
        ASSERT_EQ(back[at], std::min<std::uint32_t>(values[at], s.levels - 1));
    // Bits past each segment's last value are zero.
    EXPECT_EQ(key[layout.first_word(0)] >> 51, 0U);  // 17 x 3 = 51 bits
    EXPECT_EQ(key[layout.first_word(1)] >> 5, 0U);
    EXPECT_EQ(key[layout.first_word(2)] >> 56, 0U);
  }
}

// The reason for thermometer codes: weighted popcount distance == weighted Manhattan distance.
TEST(KeyLayout, PopcountDistanceIsWeightedManhattan) {
  const KeyLayout layout = test::ram_layout();
  const std::vector<std::uint32_t> segment_weights = {30, 16, 10};
  const std::vector<std::uint32_t> weights = layout.word_weights(segment_weights);
  ASSERT_EQ(weights, (std::vector<std::uint32_t>{30, 30, 30, 16, 10}));
  std::mt19937_64 rng(11);
  std::vector<std::uint8_t> a(layout.total_values()), b(layout.total_values());
  std::vector<std::uint64_t> ka(layout.words()), kb(layout.words());
  for (int trial = 0; trial < 500; ++trial) {
    std::uint32_t manhattan = 0;
    std::size_t at = 0;
    for (std::size_t s = 0; s < layout.segments().size(); ++s)
      for (std::uint32_t i = 0; i < layout.segments()[s].values; ++i, ++at) {
        a[at] = static_cast<std::uint8_t>(rng() % layout.segments()[s].levels);
        b[at] = static_cast<std::uint8_t>(rng() % layout.segments()[s].levels);
        manhattan += segment_weights[s] * static_cast<std::uint32_t>(std::abs(a[at] - b[at]));
      }
    layout.encode(a, ka);
    layout.encode(b, kb);
    ASSERT_EQ(weighted_distance(ka.data(), kb.data(), weights.data(), layout.words()), manhattan);
  }
}

TEST(KeyLayout, RejectsBadSpecsAndSizes) {
  EXPECT_THROW(KeyLayout({{"x", 4, 1}}), Error);
  EXPECT_THROW(KeyLayout({{"x", 4, 257}}), Error);
  EXPECT_THROW(KeyLayout({{"x", 0, 4}}), Error);
  EXPECT_THROW(KeyLayout({{"x", 4, 4}, {"x", 1, 2}}), Error);
  const KeyLayout layout({{"x", 4, 4}});
  std::vector<std::uint64_t> key(1);
  std::vector<std::uint8_t> three(3);
  EXPECT_THROW(layout.encode(three, key), Error);
  EXPECT_THROW(layout.decode(key, three), Error);
  EXPECT_THROW(layout.word_weights(std::vector<std::uint32_t>{1, 2}), Error);
}

TEST(KeyLayout, EqualityComparesSegments) {
  EXPECT_EQ(test::ram_layout(), test::ram_layout());
  EXPECT_FALSE(test::ram_layout() == KeyLayout({{"glimpse", 48, 4}, {"hidden", 64, 2}}));
  EXPECT_FALSE(KeyLayout({{"a", 1, 2}}) == KeyLayout({{"b", 1, 2}}));
  EXPECT_FALSE(KeyLayout({{"a", 1, 2}}) == KeyLayout({{"a", 1, 3}}));
}

}  // namespace
}  // namespace mbi
