// The 1-NN baseline against brute force written for obviousness, on generated images of an
// odd size (12 x 20, 3 classes).
#include <gtest/gtest.h>

#include <cstdlib>
#include <random>

#include "mbi/core/error.hpp"
#include "mbi/experiment/nn_baseline.hpp"

namespace mbi::experiment {
namespace {

ImageSet random_images(std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  ImageSet s;
  s.rows = 12;
  s.cols = 20;
  s.classes = 3;
  for (std::size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(rng() % 3);
    s.labels.push_back(static_cast<std::uint8_t>(label));
    for (std::size_t p = 0; p < s.pixels_per_image(); ++p)  // class shows as a brighter third
      s.pixels.push_back(static_cast<std::uint8_t>(rng() % 128 + (static_cast<int>(p % 20) / 7 == label ? 127 : 0)));
  }
  return s;
}

int brute_force(const ImageSet& refs, const std::uint8_t* q, bool two_bit) {
  long best = -1;
  int label = -1;
  for (std::size_t r = 0; r < refs.count(); ++r) {
    long d = 0;
    for (std::size_t p = 0; p < refs.pixels_per_image(); ++p) {
      const long a = two_bit ? q[p] >> 6 : q[p];
      const long b = two_bit ? refs.image(r)[p] >> 6 : refs.image(r)[p];
      d += two_bit ? std::labs(a - b) : (a - b) * (a - b);
    }
    if (best < 0 || d < best) best = d, label = refs.labels[r];
  }
  return label;
}

TEST(NnBaseline, NearestLabelsEqualBruteForceOnBothPixelKinds) {
  const ImageSet refs = random_images(150, 1);
  const ImageSet queries = random_images(40, 2);
  const std::vector<int> raw = nearest_label_raw(refs, queries, 3);
  const std::vector<int> two = nearest_label_2bit(refs, queries, 2);
  for (std::size_t q = 0; q < queries.count(); ++q) {
    EXPECT_EQ(raw[q], brute_force(refs, queries.image(q), false)) << q;
    EXPECT_EQ(two[q], brute_force(refs, queries.image(q), true)) << q;
  }
  EXPECT_EQ(nearest_label_raw(refs, queries, 1), raw);  // threads change nothing
  // 240 pixels: 240 bytes + a label raw; 480 bits = 60 bytes + a label in 2 bits.
  EXPECT_EQ(raw_reference_bytes(refs, 10), 10U * 241);
  EXPECT_EQ(two_bit_reference_bytes(refs, 10), 10U * 61);
  ImageSet other = queries;
  other.rows = 20;
  other.cols = 12;
  EXPECT_THROW(nearest_label_raw(refs, other, 1), Error);
  EXPECT_THROW(nearest_label_2bit(ImageSet{}, queries, 1), Error);
}

TEST(NnBaseline, PointsPerSizeAndTheBestOneNnWithinEachTablesBytes) {
  const ImageSet refs = random_images(120, 3);
  const ImageSet queries = random_images(30, 4);
  NnBaselineOptions o;
  o.reference_sizes = {100, 10, 500};  // sorted, and 500 is all 120
  const std::vector<LookupPoint> tables = {{"small", 50.0, 1000.0, 12.0}, {"tiny", 40.0, 10.0, 3.0}};
  const io::ResultFiles r = nn_baseline(refs, queries, o, tables);
  const auto& points = r.summary["points"];
  ASSERT_EQ(points.size(), 6U);
  EXPECT_EQ(points[0]["references"].get<std::size_t>(), 10U);
  EXPECT_EQ(points[4]["references"].get<std::size_t>(), 120U);
  EXPECT_EQ(points[1]["pixels"].get<std::string>(), "2bit");
  EXPECT_EQ(points[1]["bytes"].get<std::size_t>(), 10U * 61);
  const std::vector<int> two = nearest_label_2bit(refs.first(10), queries, 1);
  std::size_t correct = 0;
  for (std::size_t q = 0; q < queries.count(); ++q) correct += two[q] == queries.labels[q] ? 1 : 0;
  EXPECT_DOUBLE_EQ(points[1]["accuracy"].get<double>(), 100.0 * correct / 30);
  // 1000 bytes hold only the 2-bit set of 10 (610 bytes); 10 bytes hold none.
  EXPECT_DOUBLE_EQ(r.summary["lookups"][0]["best_1nn_at_no_more_bytes"].get<double>(),
                   points[1]["accuracy"].get<double>());
  EXPECT_TRUE(r.summary["lookups"][1]["best_1nn_at_no_more_bytes"].is_null());
  EXPECT_EQ(r.table("nn_baseline").rows().size(), 6U);
  // The two Pareto views, and the published point only when asked.
  ASSERT_EQ(r.plots.size(), 2U);
  EXPECT_EQ(r.plots[0].first, "accuracy_vs_bytes");
  EXPECT_EQ(r.plots[1].first, "accuracy_vs_comparisons");
  EXPECT_THROW(r.table("published"), Error);
  o.published = true;
  const io::ResultFiles with = nn_baseline(refs, queries, o, tables);
  EXPECT_EQ(with.table("published").rows().size(), 1U);
  EXPECT_DOUBLE_EQ(with.summary["published"]["accuracy"].get<double>(), 89.19);
  EXPECT_NE(with.plots[1].second.find("published.csv"), std::string::npos);
  o.reference_sizes = {0};
  EXPECT_THROW(nn_baseline(refs, queries, o), Error);
}

}  // namespace
}  // namespace mbi::experiment
