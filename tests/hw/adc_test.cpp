#include "mbi/hw/adc.hpp"

#include <gtest/gtest.h>

#include "mbi/core/error.hpp"

namespace mbi::hw {
namespace {

TEST(Adc, RoundsToNearestCode) {
  const Adc adc(5, 0.01);
  EXPECT_EQ(adc.max_code(), 31.0);
  EXPECT_EQ(adc.convert(0.0), 0.0);
  EXPECT_EQ(adc.convert(0.0049), 0.0);
  EXPECT_EQ(adc.convert(0.0051), 1.0);
  EXPECT_EQ(adc.convert(0.1), 10.0);
  EXPECT_EQ(adc.convert(0.1049), 10.0);
  EXPECT_EQ(adc.convert(0.1051), 11.0);
}

TEST(Adc, ClampsToRange) {
  const Adc adc(5, 0.01);
  EXPECT_EQ(adc.convert(-0.2), 0.0);
  EXPECT_EQ(adc.convert(0.31), 31.0);
  EXPECT_EQ(adc.convert(0.32), 31.0);  // distance 32 saturates a 5-bit ADC
  EXPECT_EQ(adc.convert(5.0), 31.0);
  const Adc three(3, 1.0);
  EXPECT_EQ(three.convert(100.0), 7.0);
}

TEST(Adc, ZeroBitsIsIdeal) {
  const Adc ideal(0, 0.01);
  EXPECT_DOUBLE_EQ(ideal.convert(0.1234), 12.34);
  EXPECT_DOUBLE_EQ(ideal.convert(-0.05), -5.0);
}

TEST(Adc, RejectsBadParameters) {
  EXPECT_THROW(Adc(5, 0.0), Error);
  EXPECT_THROW(Adc(17, 0.01), Error);
}

}  // namespace
}  // namespace mbi::hw
