#include "mbi/hw/array_map.hpp"

#include <gtest/gtest.h>

#include "mbi/core/error.hpp"

namespace mbi::hw {
namespace {

std::vector<SegmentSpec> paper_segments() {
  return {{"glimpse0", 16, 4}, {"glimpse1", 16, 4}, {"glimpse2", 16, 4},
          {"hidden", 64, 2},   {"loc_x", 1, 29},    {"loc_y", 1, 29}};
}
const std::vector<std::uint32_t> kPaperComponents = {0, 0, 0, 1, 2, 2};

TEST(ArrayMap, PaperKeyThermometer) {
  const ArrayMap map(paper_segments(), kPaperComponents, 32, Coding::thermometer);
  // phi: 48 values x 3 columns, 10 whole values per array -> 5; h: 64 -> 2; l: 28 columns each -> 2.
  ASSERT_EQ(map.arrays_per_key(), 9U);
  EXPECT_EQ(map.columns_used(), 48U * 3 + 64 + 2 * 28);
  EXPECT_EQ(map.arrays()[0].columns_used, 30U);
  EXPECT_EQ(map.arrays()[4].columns_used, 24U);
  EXPECT_EQ(map.arrays()[5].component, 1U);
  EXPECT_EQ(map.arrays()[8].component, 2U);
  EXPECT_EQ(map.total_values(), 48U + 64 + 2);
}

TEST(ArrayMap, PaperKeyBinary) {
  const ArrayMap map(paper_segments(), kPaperComponents, 32, Coding::binary);
  // phi: 96 columns -> 3 arrays; h: 64 -> 2; l: 2 x 5 bits share one array.
  ASSERT_EQ(map.arrays_per_key(), 6U);
  EXPECT_EQ(map.columns_used(), 170U);
  EXPECT_EQ(map.arrays()[0].ladder_bits, 2U);
  EXPECT_EQ(map.arrays()[3].ladder_bits, 1U);
  EXPECT_EQ(map.arrays()[5].ladder_bits, 5U);
  EXPECT_EQ(map.arrays()[5].columns_used, 10U);
}

TEST(ArrayMap, EverySegmentItsOwnComponentByDefault) {
  const ArrayMap map(paper_segments(), {}, 32, Coding::binary);
  EXPECT_EQ(map.components(), 6U);
  EXPECT_EQ(map.arrays_per_key(), 7U);  // loc_x and loc_y no longer share
}

TEST(ArrayMap, EveryColumnOfEveryValueMappedOnce) {
  const std::vector<SegmentSpec> segments = {{"a", 7, 4}, {"b", 3, 200}, {"c", 40, 2}};
  for (Coding coding : {Coding::binary, Coding::thermometer}) {
    const ArrayMap map(segments, {}, 32, coding);
    std::vector<std::uint32_t> bits_seen(map.total_values(), 0);
    for (const ArraySlice& a : map.arrays()) {
      EXPECT_LE(a.columns_used, 32U);
      std::uint32_t column = 0;
      for (const ValueRun& run : a.runs) {
        EXPECT_EQ(run.first_column, column);
        EXPECT_EQ(run.first_bit, bits_seen[run.value]);  // bits in order, no gaps
        bits_seen[run.value] += run.bits;
        column += run.bits;
      }
      EXPECT_EQ(column, a.columns_used);
    }
    std::size_t v = 0;
    for (const SegmentSpec& s : segments)
      for (std::uint32_t i = 0; i < s.values; ++i, ++v) EXPECT_EQ(bits_seen[v], columns_per_value(s.levels, coding));
  }
}

TEST(ArrayMap, WideThermometerValueIsCutAcrossArrays) {
  const ArrayMap map({{"wide", 1, 100}}, {}, 32, Coding::thermometer);
  ASSERT_EQ(map.arrays_per_key(), 4U);  // 99 columns
  EXPECT_EQ(map.arrays()[3].runs[0].first_bit, 96U);
  EXPECT_EQ(map.arrays()[3].columns_used, 3U);
}

TEST(ArrayMap, RejectsBadInput) {
  EXPECT_THROW(ArrayMap({}, {}, 32, Coding::binary), Error);
  EXPECT_THROW(ArrayMap({{"x", 4, 1}}, {}, 32, Coding::binary), Error);
  EXPECT_THROW(ArrayMap({{"x", 4, 4}, {"y", 4, 4}}, std::vector<std::uint32_t>{0, 2}, 32, Coding::binary), Error);
  EXPECT_THROW(ArrayMap({{"x", 4, 4}}, std::vector<std::uint32_t>{0, 0}, 32, Coding::binary), Error);
}

}  // namespace
}  // namespace mbi::hw
