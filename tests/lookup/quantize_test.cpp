#include <gtest/gtest.h>

#include "mbi/lookup/quantize.hpp"

namespace mbi {
namespace {

TEST(Quantize, TwoBitLevelsOverRange) {
  // Range [-0.5, 2.5], 4 levels at -0.5, 0.5, 1.5, 2.5.
  EXPECT_EQ(quantize_level(-3.0F, -0.5F, 2.5F, 4), 0);
  EXPECT_EQ(quantize_level(-0.5F, -0.5F, 2.5F, 4), 0);
  EXPECT_EQ(quantize_level(-0.01F, -0.5F, 2.5F, 4), 0);
  EXPECT_EQ(quantize_level(0.01F, -0.5F, 2.5F, 4), 1);
  EXPECT_EQ(quantize_level(1.4F, -0.5F, 2.5F, 4), 2);
  EXPECT_EQ(quantize_level(2.5F, -0.5F, 2.5F, 4), 3);
  EXPECT_EQ(quantize_level(9.0F, -0.5F, 2.5F, 4), 3);
  for (int level = 0; level < 4; ++level)
    EXPECT_EQ(quantize_level(dequantize_level(level, -0.5F, 2.5F, 4), -0.5F, 2.5F, 4), level);
}

TEST(Quantize, InlineRoundingEqualsNearbyint) {
  // Every representable step of 1/64 over the level range, ties included (x.5 values).
  for (int i = 0; i <= 255 * 64; ++i) {
    const float x = static_cast<float>(i) / 64.0F;
    ASSERT_EQ(round_half_even_small(x), std::nearbyint(x)) << x;
  }
  for (const float x : {0.5F, 1.5F, 2.5F, 3.5F, 0.49999997F, 2.5000002F, 254.5F})
    EXPECT_EQ(round_half_even_small(x), std::nearbyint(x)) << x;
}

TEST(Quantize, OneBitRoundsAtHalf) {
  EXPECT_EQ(quantize_level(0.49F, 0.0F, 1.0F, 2), 0);
  EXPECT_EQ(quantize_level(0.51F, 0.0F, 1.0F, 2), 1);
}

TEST(Quantize, LocationPixelsRoundTrip) {
  EXPECT_EQ(location_to_pixel(-1.0F, 28), 0);
  EXPECT_EQ(location_to_pixel(0.0F, 28), 14);
  EXPECT_EQ(location_to_pixel(1.0F, 28), 28);
  EXPECT_EQ(location_to_pixel(5.0F, 28), 28);
  for (int p = 0; p <= 28; ++p) EXPECT_EQ(location_to_pixel(pixel_to_location(p, 28), 28), p) << p;
  for (int p = 0; p <= 17; ++p) EXPECT_EQ(location_to_pixel(pixel_to_location(p, 17), 17), p) << p;
}

}  // namespace
}  // namespace mbi
