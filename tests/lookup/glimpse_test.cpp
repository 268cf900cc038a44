// The glimpse sensor against patches computed by hand: borders read zero, larger patches
// are average-pooled, odd image sizes work.
#include <gtest/gtest.h>

#include <random>

#include "mbi/core/error.hpp"
#include "mbi/lookup/glimpse.hpp"
#include "mbi/lookup/glimpse_geometry.hpp"
#include "mbi/search/key_layout.hpp"
#include "mbi/lookup/quantize.hpp"

namespace mbi {
namespace {

// Direct reference: mean over each pooled cell, reading 0 outside the image.
std::vector<float> reference_glimpse(const std::vector<float>& img, int rows, int cols, const GlimpseGeometry& g,
                                     int px, int py) {
  std::vector<float> out;
  int pool = 1;
  for (int k = 0; k < g.patches; ++k, pool *= g.scale) {
    const int side = g.patch * pool;
    const int top = py - side / 2;
    const int left = px - side / 2;
    for (int r = 0; r < g.patch; ++r)
      for (int c = 0; c < g.patch; ++c) {
        double sum = 0;
        for (int dr = 0; dr < pool; ++dr)
          for (int dc = 0; dc < pool; ++dc) {
            const int y = top + r * pool + dr;
            const int x = left + c * pool + dc;
            if (y >= 0 && y < rows && x >= 0 && x < cols) sum += img[static_cast<std::size_t>(y * cols + x)];
          }
        out.push_back(static_cast<float>(sum / (pool * pool)));
      }
  }
  return out;
}

// Images are 8-bit; with mean 0 and std 1/255 the normalisation is the identity, so the
// reference can work on the raw values.
std::vector<float> glimpse(const std::vector<float>& img, int rows, int cols, const GlimpseGeometry& g, int px,
                           int py, float mean = 0.0F, float std = 1.0F / 255.0F) {
  std::vector<std::uint8_t> bytes(img.size());
  for (std::size_t i = 0; i < img.size(); ++i) bytes[i] = static_cast<std::uint8_t>(img[i]);
  IntegralImage ii(bytes, rows, cols, mean, std);
  std::vector<float> out(static_cast<std::size_t>(g.size()));
  extract_glimpse(ii, g, px, py, out);
  return out;
}

TEST(Glimpse, HandComputedCornerPatch) {
  // 4x4 image with values 1..16; a 2x2 patch centred at pixel (0, 0) covers rows/cols
  // -1..0: three zeros of padding and the top-left pixel.
  std::vector<float> img(16);
  for (int i = 0; i < 16; ++i) img[static_cast<std::size_t>(i)] = static_cast<float>(i + 1);
  const GlimpseGeometry g{4, 4, 2, 1, 2};
  const auto out = glimpse(img, 4, 4, g, 0, 0);
  ASSERT_EQ(out.size(), 4U);
  EXPECT_FLOAT_EQ(out[0], 0.0F);
  EXPECT_FLOAT_EQ(out[1], 0.0F);
  EXPECT_FLOAT_EQ(out[2], 0.0F);
  EXPECT_FLOAT_EQ(out[3], 1.0F);
}

TEST(Glimpse, HandComputedPooledPatch) {
  // Second patch (side 4) centred at (2, 2) covers the whole 4x4 image, pooled 2x2:
  // means of the quadrants {1,2,5,6}, {3,4,7,8}, {9,10,13,14}, {11,12,15,16}.
  std::vector<float> img(16);
  for (int i = 0; i < 16; ++i) img[static_cast<std::size_t>(i)] = static_cast<float>(i + 1);
  const GlimpseGeometry g{4, 4, 2, 2, 2};
  const auto out = glimpse(img, 4, 4, g, 2, 2);
  ASSERT_EQ(out.size(), 8U);
  // First patch: rows/cols 1..2 -> 6, 7, 10, 11.
  EXPECT_FLOAT_EQ(out[0], 6.0F);
  EXPECT_FLOAT_EQ(out[1], 7.0F);
  EXPECT_FLOAT_EQ(out[2], 10.0F);
  EXPECT_FLOAT_EQ(out[3], 11.0F);
  EXPECT_FLOAT_EQ(out[4], 3.5F);
  EXPECT_FLOAT_EQ(out[5], 5.5F);
  EXPECT_FLOAT_EQ(out[6], 11.5F);
  EXPECT_FLOAT_EQ(out[7], 13.5F);
}

TEST(Glimpse, NormalisesInsideAndPadsWithNormalisedZero) {
  // Pixel 255 with mean 0.5, std 0.25 normalises to (1 - 0.5) / 0.25 = 2; padding is 0.
  const std::vector<float> img(4, 255.0F);
  const GlimpseGeometry g{2, 2, 2, 1, 2};
  const auto out = glimpse(img, 2, 2, g, 0, 0, 0.5F, 0.25F);
  EXPECT_FLOAT_EQ(out[0], 0.0F);
  EXPECT_FLOAT_EQ(out[3], 2.0F);
}

TEST(Glimpse, PatchLargerThanImageAveragesWithZeroPadding) {
  // A 64x64 patch pooled to 4x4 on a 28x28 image of ones centred at (14, 14) covers the
  // whole image plus zero padding: the pooled cells must carry exactly the image's mass,
  // and the corner cells (entirely padding) must be zero.
  std::vector<float> img(28 * 28, 1.0F);
  const GlimpseGeometry g{28, 28, 4, 3, 4};
  const auto out = glimpse(img, 28, 28, g, 14, 14);
  double mass = 0;
  for (int i = 32; i < 48; ++i) mass += out[static_cast<std::size_t>(i)] * 256.0;
  EXPECT_NEAR(mass, 28.0 * 28.0, 1e-3);
  EXPECT_FLOAT_EQ(out[32], 0.0F);
  EXPECT_FLOAT_EQ(out[47], 0.0F);
}

TEST(Glimpse, MatchesReferenceOnRandomImagesOddSizesAndBorders) {
  std::mt19937 rng(7);
  std::uniform_int_distribution<int> value(0, 255);
  for (const auto& [rows, cols] : {std::pair{28, 28}, std::pair{17, 23}, std::pair{5, 9}, std::pair{32, 32}}) {
    std::vector<float> img(static_cast<std::size_t>(rows * cols));
    for (auto& v : img) v = static_cast<float>(value(rng));
    for (const GlimpseGeometry base : {GlimpseGeometry{0, 0, 4, 3, 4}, GlimpseGeometry{0, 0, 3, 2, 3},
                                       GlimpseGeometry{0, 0, 5, 1, 2}, GlimpseGeometry{0, 0, 2, 4, 2}}) {
      GlimpseGeometry g = base;
      g.rows = rows;
      g.cols = cols;
      for (const auto& [px, py] : {std::pair{0, 0}, std::pair{cols, rows}, std::pair{cols / 2, rows / 2},
                                  std::pair{1, rows - 1}, std::pair{cols - 2, 3}}) {
        const auto got = glimpse(img, rows, cols, g, px, py);
        const auto want = reference_glimpse(img, rows, cols, g, px, py);
        ASSERT_EQ(got.size(), want.size());
        for (std::size_t i = 0; i < got.size(); ++i)
          ASSERT_NEAR(got[i], want[i], 1e-3) << rows << "x" << cols << " at " << px << "," << py << " i=" << i;
      }
    }
  }
}


// The quantizer must give exactly what the reference path gives (extract_glimpse, then
// quantize_level): it forms the lookup queries, and the table's keys came from that path.
struct QuantizerCase {
  GlimpseGeometry geometry;
  float mean, std, lo, hi;
  int levels;
};

const QuantizerCase kQuantizerCases[] = {
    {{28, 28, 4, 3, 4}, 0.1307F, 0.3081F, -1.0F, 1.0F, 4},  // the MNIST teacher's settings
    {{28, 28, 4, 3, 4}, 0.0F, 1.0F, 0.0F, 1.0F, 4},
    {{20, 36, 2, 4, 2}, 0.5F, 0.25F, -2.0F, 2.0F, 8},         // other sizes, patches, levels
    {{9, 7, 3, 2, 3}, 0.2860F, 0.3530F, -0.5F, 1.5F, 2},
    {{32, 32, 8, 2, 2}, 0.3F, 0.2F, -1.5F, 3.0F, 16},
};

TEST(GlimpseQuantizer, EqualsTheReferencePathForEverySum) {
  for (const QuantizerCase& q : kQuantizerCases) {
    const GlimpseQuantizer quantizer(q.geometry, q.mean, q.std, q.lo, q.hi, q.levels);
    const IntegralImage normaliser({}, 0, 0, q.mean, q.std);
    int pool = 1;
    for (int k = 0; k < q.geometry.patches; ++k, pool *= q.geometry.scale) {
      const double inv_area = 1.0 / (static_cast<double>(pool) * pool);
      for (int inside = 0; inside <= pool * pool; inside += inside < 40 ? 1 : 7) {
        for (std::uint64_t raw = 0; raw <= 255U * static_cast<std::uint64_t>(inside); ++raw) {
          const double sum = inside == 0 ? 0.0 : normaliser.normalised(raw, inside);
          const std::uint8_t want = quantize_level(static_cast<float>(sum * inv_area), q.lo, q.hi, q.levels);
          ASSERT_EQ(quantizer.level_of_sum(k, raw, inside), want) << "patch " << k << " inside " << inside << " raw " << raw;
        }
      }
    }
  }
}

TEST(GlimpseQuantizer, EqualsTheReferencePathOnImagesAtEveryLocation) {
  std::mt19937 rng(5);
  for (const QuantizerCase& q : kQuantizerCases) {
    const GlimpseGeometry& g = q.geometry;
    const GlimpseQuantizer quantizer(g, q.mean, q.std, q.lo, q.hi, q.levels);
    const std::size_t pixels = static_cast<std::size_t>(g.rows) * g.cols;
    std::vector<std::vector<std::uint8_t>> images = {std::vector<std::uint8_t>(pixels, 0),
                                                     std::vector<std::uint8_t>(pixels, 255)};
    for (int i = 0; i < 3; ++i) {
      std::vector<std::uint8_t> img(pixels);
      for (auto& p : img) p = static_cast<std::uint8_t>(rng() % 4 == 0 ? rng() % 256 : (rng() % 2) * 255);
      images.push_back(img);
    }
    std::vector<float> values(static_cast<std::size_t>(g.size()));
    std::vector<std::uint8_t> levels(values.size());
    for (const auto& img : images) {
      const IntegralImage integral(img, g.rows, g.cols, q.mean, q.std);
      for (int py = -2; py <= g.rows + 2; ++py)
        for (int px = -2; px <= g.cols + 2; ++px) {
          extract_glimpse(integral, g, px, py, values);
          quantizer.levels(integral, px, py, levels.data());
          for (std::size_t k = 0; k < values.size(); ++k)
            ASSERT_EQ(levels[k], quantize_level(values[k], q.lo, q.hi, q.levels)) << "at " << px << "," << py;
        }
    }
  }
  EXPECT_THROW(GlimpseQuantizer({}, 0.0F, 0.0F, -1.0F, 1.0F, 4), std::exception);  // std 0
  EXPECT_THROW(GlimpseQuantizer({}, 0.0F, 1.0F, 1.0F, 1.0F, 4), std::exception);   // hi = lo
}

// The paths this CPU has: the portable loops always, AVX-512 where present.
std::vector<GlimpsePath> glimpse_paths() {
  std::vector<GlimpsePath> paths = {GlimpsePath::portable};
  if (glimpse_path_supported(GlimpsePath::avx512)) paths.push_back(GlimpsePath::avx512);
  return paths;
}

// 4 x 4 patches of 2-bit levels, which the AVX-512 path encodes, on images of other sizes:
// patches wider than the image, pools whose columns span more than 32 table entries (the
// gather branch), images narrower than a patch, cells too large for packed thresholds.
const QuantizerCase kPatch4Cases[] = {
    {{20, 36, 4, 3, 4}, 0.5F, 0.25F, -2.0F, 2.0F, 4},
    {{40, 90, 4, 3, 3}, 0.2860F, 0.3530F, -0.5F, 1.5F, 4},
    {{3, 5, 4, 2, 2}, 0.1F, 0.4F, -0.2F, 2.0F, 4},
    {{32, 32, 4, 3, 4}, 0.2F, 0.3F, -1.0F, 2.0F, 4},  // the compact path's widest rows (33 entries)
    {{17, 1, 4, 4, 2}, 0.1307F, 0.3081F, 0.0F, 1.0F, 4},
    {{12, 20, 4, 2, 128}, 0.1307F, 0.3081F, -0.5F, 2.0F, 4},  // cells of 128^2 pixels: thresholds too wide to pack
};

// encode() writes the levels straight into a key; it must give, word for word, what levels()
// and KeyLayout::encode_segment give, on every path (3 bits per value in one word, and bit by
// bit for other widths and codes spanning words; portable and AVX-512), and leave the other
// segments alone.
TEST(GlimpseQuantizer, EncodeEqualsLevelsThenEncodeSegment) {
  std::mt19937 rng(9);
  std::vector<QuantizerCase> cases(std::begin(kQuantizerCases), std::end(kQuantizerCases));
  cases.insert(cases.end(), std::begin(kPatch4Cases), std::end(kPatch4Cases));
  for (const QuantizerCase& q : cases) {
    const GlimpseGeometry& g = q.geometry;
    const GlimpseQuantizer quantizer(g, q.mean, q.std, q.lo, q.hi, q.levels);
    const auto per_patch = static_cast<std::uint32_t>(g.patch * g.patch);
    // A segment before and between the glimpse's, so that words are offset and interleaved.
    std::vector<SegmentSpec> specs = {{"before", 3, 5}};
    std::vector<std::size_t> segments;
    for (int k = 0; k < g.patches; ++k) {
      segments.push_back(specs.size());
      specs.push_back({"glimpse" + std::to_string(k), per_patch, static_cast<std::uint32_t>(q.levels)});
      if (k == 0) specs.push_back({"between", 70, 2});
    }
    const KeyLayout layout(specs);
    const std::size_t pixels = static_cast<std::size_t>(g.rows) * g.cols;
    std::vector<std::uint8_t> img(pixels);
    for (auto& p : img) p = static_cast<std::uint8_t>(rng() % 3 == 0 ? rng() % 256 : (rng() % 2) * 255);
    const IntegralImage integral(img, g.rows, g.cols, q.mean, q.std);
    // The 16-bit path, where this CPU and glimpse have it: cells of at most 16 x 16 pixels,
    // 2-bit levels, images of at most 32 columns.
    const GlimpseQuantizer::KeyTarget target = quantizer.key_target(layout, segments.data());
    const bool compact = quantizer.compact_supported(target);
    int largest_pool = 1;
    for (int k = 1; k < g.patches; ++k) largest_pool *= g.scale;
    const bool compact_fits = q.levels == 4 && g.patch == 4 && g.cols <= 32 && largest_pool <= 16;
    EXPECT_EQ(compact, glimpse_path_supported(GlimpsePath::avx512) && compact_fits) << g.rows << " x " << g.cols;
    CompactIntegralImage compact_integral;
    if (compact) compact_integral.assign(img, g.rows, g.cols);
    std::vector<std::uint8_t> levels(static_cast<std::size_t>(g.size()));
    std::vector<std::uint64_t> want(layout.words()), got(layout.words());
    for (int py = -2; py <= g.rows + 2; ++py)
      for (int px = -2; px <= g.cols + 2; ++px) {
        for (std::size_t w = 0; w < want.size(); ++w) want[w] = got[w] = rng() | (std::uint64_t{rng()} << 32);
        quantizer.levels(integral, px, py, levels.data());
        for (std::size_t k = 0; k < segments.size(); ++k)
          layout.encode_segment(segments[k], levels.data() + k * per_patch, want.data());
        for (const GlimpsePath path : glimpse_paths()) {
          std::vector<std::uint64_t> encoded = got;
          quantizer.encode(integral, px, py, layout, segments.data(), encoded.data(), path);
          ASSERT_EQ(encoded, want) << "at " << px << "," << py << ", " << q.levels << " levels, "
                                   << g.rows << " x " << g.cols << ", path " << static_cast<int>(path);
        }
        if (compact) {
          std::vector<std::uint64_t> encoded = got;
          quantizer.encode(compact_integral, px, py, target, encoded.data());
          ASSERT_EQ(encoded, want) << "compact, at " << px << "," << py << ", " << g.rows << " x " << g.cols;
        }
      }
    // A layout whose segments do not hold this glimpse's patches is refused.
    for (const std::uint32_t extra_values : {1U, 0U}) {
      std::vector<SegmentSpec> bad;
      for (int k = 0; k < g.patches; ++k)
        bad.push_back({"glimpse" + std::to_string(k), per_patch + (k == 0 ? extra_values : 0),
                       static_cast<std::uint32_t>(q.levels) + (k == 0 ? 1 - extra_values : 0)});
      const KeyLayout wrong(bad);
      std::vector<std::size_t> wrong_segments(static_cast<std::size_t>(g.patches));
      for (std::size_t k = 0; k < wrong_segments.size(); ++k) wrong_segments[k] = k;
      std::vector<std::uint64_t> key(wrong.words());
      EXPECT_THROW(quantizer.encode(integral, 0, 0, wrong, wrong_segments.data(), key.data()), Error);
    }
    // So is a key target made for a glimpse of another number of patches.
    GlimpseQuantizer::KeyTarget other = quantizer.key_target(layout, segments.data());
    other.first_word.pop_back();
    EXPECT_THROW(quantizer.encode(integral, 0, 0, other, got.data()), Error);
  }
}

// The 16-bit table is the 32-bit one modulo 2^16, entry for entry, on every path, up to its
// widest images (all 255s too, where the 32-bit sums overflow 16 bits many times), reused
// between sizes; wider images are refused, and so is a compact encode of another size.
TEST(CompactIntegralImage, IsTheIntegralImageModulo65536) {
  std::mt19937 rng(12);
  for (const GlimpsePath path : glimpse_paths()) {
    CompactIntegralImage compact;
    for (const auto& [rows, cols] : {std::pair{28, 28}, std::pair{1, 1}, std::pair{3, 15}, std::pair{5, 16},
                                     std::pair{4, 17}, std::pair{40, 31}, std::pair{33, 32}, std::pair{0, 7},
                                     std::pair{7, 0}, std::pair{28, 28}}) {
      for (const bool white : {false, true}) {
        std::vector<std::uint8_t> img(static_cast<std::size_t>(rows) * cols, 255);
        if (!white)
          for (auto& p : img) p = static_cast<std::uint8_t>(rng() % 2 == 0 ? 255 : rng() % 256);
        IntegralImage integral;
        integral.assign(img, rows, cols, 0.0F, 1.0F, GlimpsePath::portable);
        compact.assign(img, rows, cols, path);
        ASSERT_EQ(compact.rows(), rows);
        ASSERT_EQ(compact.cols(), cols);
        for (int r = 0; r <= rows; ++r)
          for (int c = 0; c <= cols; ++c)
            ASSERT_EQ(compact.sums_row(r)[c], static_cast<std::uint16_t>(integral.sums_row(r)[c]))
                << rows << " x " << cols << " at " << r << "," << c << ", path " << static_cast<int>(path);
      }
    }
    EXPECT_THROW(compact.assign(std::vector<std::uint8_t>(33), 1, 33, path), Error);
  }
  const GlimpseGeometry g{28, 28, 4, 3, 4};
  const GlimpseQuantizer quantizer(g, 0.1307F, 0.3081F, -1.0F, 1.0F, 4);
  std::vector<SegmentSpec> specs;
  std::vector<std::size_t> segments;
  for (int k = 0; k < g.patches; ++k) {
    segments.push_back(specs.size());
    specs.push_back({"glimpse" + std::to_string(k), 16, 4});
  }
  const KeyLayout layout(specs);
  const GlimpseQuantizer::KeyTarget target = quantizer.key_target(layout, segments.data());
  std::vector<std::uint64_t> key(layout.words());
  CompactIntegralImage smaller;
  smaller.assign(std::vector<std::uint8_t>(27 * 28), 27, 28, GlimpsePath::portable);
  EXPECT_THROW(quantizer.encode(smaller, 14, 14, target, key.data()), Error);
}

// Every entry of the table against sums counted pixel by pixel, on every path, for widths
// around the AVX-512 path's 16 columns, with the table reused between images (no stale entry
// may survive a smaller or larger image).
TEST(IntegralImage, EveryPathGivesExactSums) {
  std::mt19937 rng(11);
  for (const GlimpsePath path : glimpse_paths()) {
    IntegralImage integral;
    for (const auto& [rows, cols] : {std::pair{28, 28}, std::pair{1, 1}, std::pair{3, 15}, std::pair{5, 16},
                                     std::pair{4, 17}, std::pair{2, 33}, std::pair{31, 48}, std::pair{0, 7},
                                     std::pair{7, 0}, std::pair{28, 28}, std::pair{6, 31}, std::pair{9, 32}}) {
      std::vector<std::uint8_t> img(static_cast<std::size_t>(rows) * cols);
      for (auto& p : img) p = static_cast<std::uint8_t>(rng() % 2 == 0 ? 255 : rng() % 256);
      integral.assign(img, rows, cols, 0.0F, 1.0F, path);
      ASSERT_EQ(integral.rows(), rows);
      ASSERT_EQ(integral.cols(), cols);
      for (int r = 0; r <= rows; ++r)
        for (int c = 0; c <= cols; ++c) {
          std::uint32_t want = 0;
          for (int y = 0; y < r; ++y)
            for (int x = 0; x < c; ++x) want += img[static_cast<std::size_t>(y) * cols + x];
          ASSERT_EQ(integral.sums_row(r)[c], want) << rows << " x " << cols << " at " << r << "," << c
                                                   << ", path " << static_cast<int>(path);
        }
    }
  }
  if (!glimpse_path_supported(GlimpsePath::avx512)) {
    IntegralImage integral;
    EXPECT_THROW(integral.assign({}, 0, 0, 0.0F, 1.0F, GlimpsePath::avx512), Error);
  }
}

TEST(IntegralImage, RefusesImagesWhoseSumsDoNotFitIn32Bits) {
  EXPECT_THROW(IntegralImage({}, 70000, 70000, 0.0F, 1.0F), Error);
  EXPECT_LE(IntegralImage::kMaxPixels * 255, 0xFFFFFFFFULL);
  // The largest box of an image of all 255s at 4096 x 4096 (within the limit) is exact.
  const int side = 4096;
  const std::vector<std::uint8_t> white(static_cast<std::size_t>(side) * side, 255);
  const IntegralImage integral(white, side, side, 0.0F, 1.0F);
  int inside = 0;
  EXPECT_EQ(integral.raw_sum(-5, -5, side + 5, side + 5, inside), 255ULL * side * side);
  EXPECT_EQ(inside, side * side);
  EXPECT_EQ(integral.raw_sum(1, 2, side - 3, side - 1, inside), 255ULL * (side - 4) * (side - 3));
}

}  // namespace
}  // namespace mbi

namespace mbi {
namespace {

// The default geometry keeps the published one on 28 x 28 and its ratios elsewhere: the
// coarsest patch covers the whole image from any location, without MNIST's 64-pixel patch on
// small images.
TEST(GlimpseGeometry, PublishedOnMnistAndFittedToOtherSizes) {
  const GlimpseGeometry mnist = default_glimpse_geometry(28, 28);
  EXPECT_EQ(mnist.patch, 4);
  EXPECT_EQ(mnist.patches, 3);
  EXPECT_EQ(mnist.scale, 4);
  const GlimpseGeometry small = default_glimpse_geometry(16, 16);
  EXPECT_EQ(small.patch, 2);
  EXPECT_EQ(small.scale, 4);
  const GlimpseGeometry wide = default_glimpse_geometry(12, 20);
  EXPECT_EQ(wide.patch, 3);
  EXPECT_EQ(wide.scale, 4);
  for (int rows = 1; rows <= 200; rows += 7)
    for (int cols = 1; cols <= 200; cols += 11) {
      const GlimpseGeometry g = default_glimpse_geometry(rows, cols);
      const int longer = std::max(rows, cols);
      const int coarsest = g.patch * g.scale * g.scale;
      EXPECT_GE(coarsest, 2 * longer) << rows << "x" << cols;
      // The smallest such scale: one less would not cover.
      if (g.scale > 2) EXPECT_LT(g.patch * (g.scale - 1) * (g.scale - 1), 2 * longer) << rows << "x" << cols;
      if (longer >= 4) EXPECT_LE(std::abs(7 * g.patch - longer), 4) << rows << "x" << cols;  // round(L / 7)
    }
  EXPECT_THROW(default_glimpse_geometry(0, 28), Error);
}

}  // namespace
}  // namespace mbi
