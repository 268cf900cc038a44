#include "mbi/hw/coding.hpp"

#include <gtest/gtest.h>

#include <cstdlib>

#include "mbi/core/error.hpp"
#include "mbi/hw/distance_error.hpp"

namespace mbi::hw {
namespace {

TEST(Coding, ThermometerDistanceIsManhattan) {
  for (std::uint32_t levels : {2U, 4U, 29U, 256U})
    for (std::uint32_t k = 0; k < levels; ++k)
      for (std::uint32_t q = 0; q < levels; ++q)
        ASSERT_EQ(coded_distance(k, q, levels, Coding::thermometer), static_cast<std::uint32_t>(std::abs(int(k) - int(q))));
}

TEST(Coding, BinaryDistanceIsBitWeightedHamming) {
  // The paper's sum over bits of |k_j - q_j| 2^j.
  for (std::uint32_t levels : {2U, 4U, 29U}) {
    const std::uint32_t bits = columns_per_value(levels, Coding::binary);
    for (std::uint32_t k = 0; k < levels; ++k)
      for (std::uint32_t q = 0; q < levels; ++q) {
        std::uint32_t expected = 0;
        for (std::uint32_t j = 0; j < bits; ++j)
          expected += (code_bit(k, j, Coding::binary) != code_bit(q, j, Coding::binary)) * column_significance(j, Coding::binary);
        ASSERT_EQ(coded_distance(k, q, levels, Coding::binary), expected);
      }
  }
  EXPECT_EQ(coded_distance(2, 1, 4, Coding::binary), 3U);  // K = 10, Q = 01: 3, not |2 - 1| = 1
  EXPECT_EQ(coded_distance(2, 1, 4, Coding::thermometer), 1U);
}

TEST(Coding, ColumnsPerValue) {
  EXPECT_EQ(columns_per_value(2, Coding::binary), 1U);
  EXPECT_EQ(columns_per_value(4, Coding::binary), 2U);
  EXPECT_EQ(columns_per_value(29, Coding::binary), 5U);
  EXPECT_EQ(columns_per_value(4, Coding::thermometer), 3U);
  EXPECT_EQ(columns_per_value(29, Coding::thermometer), 28U);
}

TEST(Coding, ValuesAreClampedLikeKeyLayout) {
  EXPECT_EQ(coded_distance(200, 0, 4, Coding::thermometer), 3U);
  EXPECT_EQ(coded_distance(200, 0, 4, Coding::binary), 3U);
}

TEST(Coding, ParseNames) {
  EXPECT_EQ(parse_coding("binary"), Coding::binary);
  EXPECT_EQ(parse_coding(coding_name(Coding::thermometer)), Coding::thermometer);
  EXPECT_THROW(parse_coding("gray"), Error);
}

TEST(CodingError, ThermometerExactBinaryNot) {
  const std::vector<SegmentSpec> segments = {{"phi", 16, 4}, {"loc", 2, 29}};
  const std::vector<double> weights = {2.0, 1.0};
  ErrorSampling sampling;
  sampling.queries = 100;
  const DistanceErrorStats thermo = coding_error(segments, weights, Coding::thermometer, sampling);
  EXPECT_EQ(thermo.mean_abs_error, 0.0);
  EXPECT_EQ(thermo.max_abs_error, 0.0);
  EXPECT_DOUBLE_EQ(thermo.rank_correlation, 1.0);
  EXPECT_DOUBLE_EQ(thermo.nn_agreement, 1.0);
  const DistanceErrorStats binary = coding_error(segments, weights, Coding::binary, sampling);
  EXPECT_GT(binary.mean_abs_error, 1.0);
  EXPECT_LT(binary.rank_correlation, 0.99);
  EXPECT_LT(binary.nn_agreement, 1.0);
  EXPECT_EQ(binary.pairs, 100U * 32U);
}

TEST(CodingError, OneBitValuesAreExactInBothCodings) {
  const std::vector<SegmentSpec> segments = {{"hidden", 64, 2}};
  const std::vector<double> weights = {1.0};
  EXPECT_EQ(coding_error(segments, weights, Coding::binary, {}).max_abs_error, 0.0);
}

TEST(Spearman, KnownValues) {
  const std::vector<double> a = {1, 2, 3, 4}, b = {10, 20, 30, 40}, c = {4, 3, 2, 1}, flat = {1, 1, 1, 1};
  EXPECT_DOUBLE_EQ(spearman(a, b), 1.0);
  EXPECT_DOUBLE_EQ(spearman(a, c), -1.0);
  EXPECT_DOUBLE_EQ(spearman(a, flat), 0.0);
}

}  // namespace
}  // namespace mbi::hw
