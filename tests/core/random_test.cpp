// The one seeded random source: the same (seed, stream) gives the same numbers everywhere,
// different streams differ, and the draws have the statistics their formulas promise.
#include "mbi/core/random.hpp"
#include "mbi/core/counter_normal.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

namespace mbi {
namespace {

TEST(Random, SameSeedAndStreamSameNumbers) {
  Random a(7, 3), b(7, 3), c(7, 4), d(8, 3);
  std::vector<std::uint64_t> va, vb, vc, vd;
  for (int i = 0; i < 100; ++i) {
    va.push_back(a.bits());
    vb.push_back(b.bits());
    vc.push_back(c.bits());
    vd.push_back(d.bits());
  }
  EXPECT_EQ(va, vb);
  EXPECT_NE(va, vc);
  EXPECT_NE(va, vd);
}

// The engine is std::mt19937_64, whose output the standard fixes, seeded through SplitMix64:
// the first draw of seed 0, stream 0 is pinned so that a change of either shows.
TEST(Random, EngineIsPinned) {
  std::mt19937_64 engine(stream_seed(0, 0));
  EXPECT_EQ(Random(0, 0).bits(), engine());
  EXPECT_EQ(mix64(0), 0xE220A8397B1DCDAFULL);
}

TEST(Random, UniformNormalIndexAndGeometricHaveTheirMoments) {
  Random r(42);
  constexpr int n = 200000;
  double sum = 0, sum2 = 0, nsum = 0, nsum2 = 0;
  std::vector<int> counts(7, 0);
  double gsum = 0;
  const double p = 0.2;
  for (int i = 0; i < n; ++i) {
    const double u = r.uniform();
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    sum += u;
    sum2 += u * u;
    const double z = r.normal();
    nsum += z;
    nsum2 += z * z;
    ++counts[r.index(7)];
    gsum += r.geometric(std::log(1 - p));
  }
  EXPECT_NEAR(sum / n, 0.5, 0.005);
  EXPECT_NEAR(sum2 / n - 0.25, 1.0 / 12, 0.003);
  EXPECT_NEAR(nsum / n, 0.0, 0.01);
  EXPECT_NEAR(nsum2 / n, 1.0, 0.01);
  for (const int c : counts) EXPECT_NEAR(static_cast<double>(c) / n, 1.0 / 7, 0.005);
  EXPECT_NEAR(gsum / n, (1 - p) / p, 0.05);  // failures before the first success
  for (int i = 0; i < 100; ++i) {
    const double x = r.uniform(-2, 3);
    EXPECT_GE(x, -2.0);
    EXPECT_LT(x, 3.0);
  }
}


// Counter-based normals: a function of (seed, counter) alone, standard normal over counters,
// and unrelated between neighbouring counters and seeds.
TEST(CounterNormal, DeterministicStandardNormalAndUncorrelated) {
  EXPECT_EQ(counter_normal(3, 17), counter_normal(3, 17));
  EXPECT_NE(counter_normal(3, 17), counter_normal(3, 18));
  EXPECT_NE(counter_normal(3, 17), counter_normal(4, 17));
  constexpr int n = 200000;
  double sum = 0, sum2 = 0, cross = 0, seeds = 0, tail = 0;
  for (int i = 0; i < n; ++i) {
    const double z = counter_normal(11, static_cast<std::uint64_t>(i));
    sum += z;
    sum2 += z * z;
    cross += z * counter_normal(11, static_cast<std::uint64_t>(i) + 1);
    seeds += z * counter_normal(12, static_cast<std::uint64_t>(i));
    tail += std::abs(z) > 2.0 ? 1 : 0;
  }
  EXPECT_NEAR(sum / n, 0.0, 0.01);
  EXPECT_NEAR(sum2 / n, 1.0, 0.01);
  EXPECT_NEAR(cross / n, 0.0, 0.01);
  EXPECT_NEAR(seeds / n, 0.0, 0.01);
  EXPECT_NEAR(tail / n, 0.0455, 0.002);  // P(|Z| > 2)
}

}  // namespace
}  // namespace mbi
