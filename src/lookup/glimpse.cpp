#include "mbi/lookup/glimpse.hpp"

#include <algorithm>

#include "mbi/core/avx512.hpp"
#include "glimpse_simd.hpp"
#include "mbi/core/error.hpp"
#include "mbi/lookup/quantize.hpp"

namespace mbi {

bool glimpse_path_supported(GlimpsePath path) {
  switch (path) {
    case GlimpsePath::portable: return true;
    case GlimpsePath::avx512:
#if defined(__x86_64__) && defined(__GNUC__)
      return detail::glimpse_avx512_compiled() && detail::cpu_has_avx512() && __builtin_cpu_supports("bmi2");
#else
      return false;
#endif
  }
  return false;
}

GlimpsePath best_glimpse_path() {
  static const GlimpsePath best =
      glimpse_path_supported(GlimpsePath::avx512) ? GlimpsePath::avx512 : GlimpsePath::portable;
  return best;
}

namespace {
// Cheap enough per image: best_glimpse_path() is AVX-512 exactly when the CPU has it.
void require(GlimpsePath path) {
  if (path != GlimpsePath::portable && best_glimpse_path() != path) throw Error("glimpse: this CPU has no AVX-512 glimpse path");
}
// The summed-area table of an 8-bit image by the portable loop, in unsigned Sum arithmetic:
// it wraps, so a 16-bit table is the 32-bit one modulo 2^16.
template <class Sum>
void integrate_portable(const std::uint8_t* pixels, int rows, int cols, Sum* sums) {
  const std::size_t stride = static_cast<std::size_t>(cols) + 1;
  std::fill_n(sums, stride, Sum{0});
  for (int r = 0; r < rows; ++r) {
    const std::uint8_t* pixel = pixels + static_cast<std::size_t>(r) * cols;
    const Sum* above = sums + static_cast<std::size_t>(r) * stride;
    Sum* row = sums + static_cast<std::size_t>(r + 1) * stride;
    row[0] = 0;
    Sum row_sum = 0;
    for (int c = 0; c < cols; ++c) {
      row_sum = static_cast<Sum>(row_sum + pixel[c]);
      row[c + 1] = static_cast<Sum>(above[c + 1] + row_sum);
    }
  }
}

}  // namespace

void IntegralImage::assign(std::span<const std::uint8_t> image, int rows, int cols, float mean, float std,
                           GlimpsePath path) {
  if (rows < 0 || cols < 0 || static_cast<std::uint64_t>(rows) * static_cast<std::uint64_t>(cols) > kMaxPixels)
    throw Error("integral image: " + std::to_string(rows) + " x " + std::to_string(cols) +
                " pixels, more than the " + std::to_string(kMaxPixels) + " whose box sums fit in 32 bits");
  rows_ = rows;
  cols_ = cols;
  scale_ = 1.0 / (255.0 * static_cast<double>(std));
  shift_ = static_cast<double>(mean) / static_cast<double>(std);
  const std::size_t stride = static_cast<std::size_t>(cols) + 1;
  // Every entry is written below, so a table of the same size is reused as it is: lookups
  // integrate an image per query batch slot, and clearing it first was a visible cost.
  sums_.resize(static_cast<std::size_t>(rows + 1) * stride);
  if (path == GlimpsePath::avx512) {
    require(path);
    detail::integrate_avx512(image.data(), rows, cols, sums_.data());
    return;
  }
  integrate_portable(image.data(), rows, cols, sums_.data());
}

void CompactIntegralImage::assign(std::span<const std::uint8_t> image, int rows, int cols, GlimpsePath path) {
  if (rows < 0 || cols < 0 || cols > kMaxCols)
    throw Error("compact integral image: " + std::to_string(rows) + " x " + std::to_string(cols) +
                " pixels, wider than " + std::to_string(kMaxCols) + " columns");
  rows_ = rows;
  cols_ = cols;
  const std::size_t stride = static_cast<std::size_t>(cols) + 1;
  sums_.resize(static_cast<std::size_t>(rows + 1) * stride);
  if (path == GlimpsePath::avx512) {
    require(path);
    detail::integrate16_avx512(image.data(), rows, cols, sums_.data());
    return;
  }
  integrate_portable(image.data(), rows, cols, sums_.data());
}

void extract_glimpse(const IntegralImage& image, const GlimpseGeometry& g, int px, int py, std::span<float> out) {
  std::size_t i = 0;
  int pool = 1;  // scale^k
  for (int k = 0; k < g.patches; ++k, pool *= g.scale) {
    const int side = g.patch * pool;
    const int top = py - side / 2;
    const int left = px - side / 2;
    const double inv_area = 1.0 / (static_cast<double>(pool) * pool);
    for (int r = 0; r < g.patch; ++r) {
      for (int c = 0; c < g.patch; ++c) {
        const int r0 = top + r * pool;
        const int c0 = left + c * pool;
        out[i++] = static_cast<float>(image.box_sum(r0, c0, r0 + pool, c0 + pool) * inv_area);
      }
    }
  }
}

GlimpseQuantizer::GlimpseQuantizer(const GlimpseGeometry& geometry, float mean, float std, float lo, float hi,
                                   int levels)
    : geometry_(geometry), levels_(levels) {
  if (levels < 2 || levels > 256) throw Error("glimpse quantizer: " + std::to_string(levels) + " levels");
  if (!(std > 0.0F) || !(hi > lo)) throw Error("glimpse quantizer: needs std > 0 and hi > lo");
  if (geometry.patch < 1 || geometry.patch > kMaxPatch)
    throw Error("glimpse quantizer: patch side " + std::to_string(geometry.patch) + ", at most " +
                std::to_string(kMaxPatch));
  // The reference path for a cell, as extract_glimpse and quantize_level compute it.
  const IntegralImage normaliser({}, 0, 0, mean, std);
  int pool = 1;
  for (int k = 0; k < geometry.patches; ++k, pool *= geometry.scale) {
    const double inv_area = 1.0 / (static_cast<double>(pool) * pool);
    const auto reference = [&](std::uint64_t raw, int inside) {
      const double sum = inside == 0 ? 0.0 : normaliser.normalised(raw, inside);
      return quantize_level(static_cast<float>(sum * inv_area), lo, hi, levels);
    };
    std::vector<std::uint32_t>& t = thresholds_.emplace_back();
    for (int inside = 0; inside <= pool * pool; ++inside) {
      const std::uint32_t most = 255U * static_cast<std::uint32_t>(inside);
      for (int j = 0; j < levels - 1; ++j) {
        // Smallest raw in [0, most + 1) whose level exceeds j; most + 1 when there is none.
        std::uint32_t below = 0, above = most + 1;
        while (below < above) {
          const std::uint32_t mid = below + (above - below) / 2;
          if (reference(mid, inside) > j)
            above = mid;
          else
            below = mid + 1;
        }
        t.push_back(below);
      }
    }
    packed_thresholds_.push_back(levels == 4 ? detail::pack_thresholds(t) : std::vector<std::uint64_t>{});
    packed16_thresholds_.push_back(levels == 4 ? detail::pack_thresholds(t, 16) : std::vector<std::uint64_t>{});
  }
  // The compact path: 4 x 4 patches of 2-bit levels whose cells hold at most
  // CompactIntegralImage::kMaxBoxPixels pixels (so every threshold packs in 16 bits), on images
  // of at most kMaxCols columns, on an AVX-512 CPU. Decided once: encode() asks per query.
  compact_glimpse_ = glimpse_path_supported(GlimpsePath::avx512) && levels == 4 && geometry.patch == 4 &&
                     geometry.cols <= CompactIntegralImage::kMaxCols && geometry.patches <= 64;
  for (int k = 0, cell = 1; k < geometry.patches && compact_glimpse_; ++k, cell *= geometry.scale)
    compact_glimpse_ = static_cast<std::int64_t>(cell) * cell <= CompactIntegralImage::kMaxBoxPixels &&
                       !packed16_thresholds_[static_cast<std::size_t>(k)].empty();
}

namespace {

// Calls sink.cell(patch, cell, raw, t, steps) for every cell of the glimpse centred at
// (px, py), in output order (patch, row, column), where raw is the cell's pixel sum and t its
// patch's `steps` thresholds for the cell's pixel count. The threshold count is known at compile time
// when kSteps > 0 (3 for 2-bit glimpses: the compares unroll), taken from `steps` when 0.
template <std::size_t kSteps, class Sink>
void for_each_cell(const IntegralImage& image, const GlimpseGeometry& g, std::size_t steps,
                   const std::vector<std::vector<std::uint32_t>>& thresholds, int px, int py, Sink& sink) {
  if constexpr (kSteps > 0) steps = kSteps;
  // The cells of a patch form a grid: clip its patch + 1 row and column edges to the image
  // once, and every cell is four reads of the integral image at those edges, with no branch
  // (a cell outside the image is empty: zero pixels, zero sum).
  const int n = g.patch;
  const int rows = image.rows();
  const int cols = image.cols();
  int row_edge[GlimpseQuantizer::kMaxPatch + 1];
  int col_edge[GlimpseQuantizer::kMaxPatch + 1];
  int pool = 1;  // scale^k
  for (int k = 0; k < g.patches; ++k, pool *= g.scale) {
    const int side = n * pool;
    const int top = py - side / 2;
    const int left = px - side / 2;
    for (int e = 0; e <= n; ++e) {
      row_edge[e] = std::clamp(top + e * pool, 0, rows);
      col_edge[e] = std::clamp(left + e * pool, 0, cols);
    }
    const std::uint32_t* patch_thresholds = thresholds[static_cast<std::size_t>(k)].data();
    for (int r = 0; r < n; ++r) {
      const std::uint32_t* above = image.sums_row(row_edge[r]);
      const std::uint32_t* below = image.sums_row(row_edge[r + 1]);
      const int height = row_edge[r + 1] - row_edge[r];
      for (int c = 0; c < n; ++c) {
        const int c0 = col_edge[c];
        const int c1 = col_edge[c + 1];
        const std::uint32_t raw = below[c1] - above[c1] - below[c0] + above[c0];  // modulo 2^32, exact
        const std::uint32_t* t = patch_thresholds + static_cast<std::size_t>(height * (c1 - c0)) * steps;
        sink.template cell<kSteps>(k, r * n + c, raw, t, steps);
      }
    }
    sink.end_patch(k);
  }
}

// Levels, one byte per cell.
struct LevelSink {
  std::uint8_t* out;
  std::size_t per_patch;
  template <std::size_t kSteps>
  void cell(int patch, int cell, std::uint32_t raw, const std::uint32_t* t, std::size_t steps) {
    if constexpr (kSteps > 0) steps = kSteps;
    std::uint32_t level = 0;
    for (std::size_t j = 0; j < steps; ++j) level += raw >= t[j] ? 1U : 0U;
    out[static_cast<std::size_t>(patch) * per_patch + static_cast<std::size_t>(cell)] = static_cast<std::uint8_t>(level);
  }
  void end_patch(int) {}
};

// Thermometer codes, set bit by bit into each patch's key segment (cleared beforehand).
// Thresholds rise with j, so the bits set are the lowest `level` of the cell's field.
struct CodeSink {
  std::uint64_t* const* patch_words;
  template <std::size_t kSteps>
  void cell(int patch, int cell, std::uint32_t raw, const std::uint32_t* t, std::size_t steps) {
    if constexpr (kSteps > 0) steps = kSteps;
    std::uint64_t* words = patch_words[patch];
    const std::size_t first = static_cast<std::size_t>(cell) * steps;
    for (std::size_t j = 0; j < steps; ++j)
      if (raw >= t[j]) words[(first + j) / 64] |= std::uint64_t{1} << ((first + j) % 64);
  }
  void end_patch(int) {}
};

// Thermometer codes of 3 bits per cell when a patch's codes fit in one word (16 cells for
// the published 4 x 4 patches): gathered in a register, each word stored once.
struct WordSink {
  std::uint64_t* const* patch_words;
  std::uint64_t word = 0;
  template <std::size_t kSteps>
  void cell(int, int cell, std::uint32_t raw, const std::uint32_t* t, std::size_t) {
    static_assert(kSteps == 3);
    const std::uint64_t code = (raw >= t[0] ? 1U : 0U) | (raw >= t[1] ? 2U : 0U) | (raw >= t[2] ? 4U : 0U);
    word |= code << (3 * cell);
  }
  void end_patch(int patch) {
    *patch_words[patch] = word;
    word = 0;
  }
};

}  // namespace

void GlimpseQuantizer::levels(const IntegralImage& image, int px, int py, std::uint8_t* out) const {
  const auto steps = static_cast<std::size_t>(levels_ - 1);
  LevelSink sink{out, static_cast<std::size_t>(geometry_.patch) * geometry_.patch};
  if (steps == 3)
    for_each_cell<3>(image, geometry_, steps, thresholds_, px, py, sink);
  else
    for_each_cell<0>(image, geometry_, steps, thresholds_, px, py, sink);
}

GlimpseQuantizer::KeyTarget GlimpseQuantizer::key_target(const KeyLayout& layout, const std::size_t* segments) const {
  const auto per_patch = static_cast<std::uint32_t>(geometry_.patch * geometry_.patch);
  KeyTarget target;
  target.one_word = levels_ == 4;
  for (int k = 0; k < geometry_.patches; ++k) {
    const std::size_t s = segments[k];
    const SegmentSpec& spec = layout.segments().at(s);
    if (spec.values != per_patch || spec.levels != static_cast<std::uint32_t>(levels_))
      throw Error("glimpse quantizer: key segment " + spec.name + " does not hold this glimpse's patch");
    target.first_word.push_back(layout.first_word(s));
    target.words.push_back(layout.segment_words(s));
    target.one_word = target.one_word && target.words.back() == 1;
  }
  return target;
}

void GlimpseQuantizer::encode(const IntegralImage& image, int px, int py, const KeyLayout& layout,
                              const std::size_t* segments, std::uint64_t* key, GlimpsePath path) const {
  encode(image, px, py, key_target(layout, segments), key, path);
}

void GlimpseQuantizer::encode(const IntegralImage& image, int px, int py, const KeyTarget& target,
                              std::uint64_t* key, GlimpsePath path) const {
  constexpr int kMaxPatches = 64;
  if (geometry_.patches > kMaxPatches) throw Error("glimpse quantizer: more than 64 patches");
  if (target.first_word.size() != static_cast<std::size_t>(geometry_.patches) ||
      target.words.size() != target.first_word.size())
    throw Error("glimpse quantizer: key target made for another glimpse");
  const std::uint32_t* thresholds[kMaxPatches];
  for (int k = 0; k < geometry_.patches; ++k) thresholds[k] = thresholds_[static_cast<std::size_t>(k)].data();
  if (target.one_word && geometry_.patch == 4 && path == GlimpsePath::avx512) {
    require(path);
    const std::uint64_t* packed[kMaxPatches];
    for (int k = 0; k < geometry_.patches; ++k) {
      const auto& p = packed_thresholds_[static_cast<std::size_t>(k)];
      packed[k] = p.empty() ? nullptr : p.data();
    }
    detail::encode_patches4_avx512(image.sums_row(0), image.rows(), image.cols(), px, py, geometry_.patches,
                                   geometry_.scale, thresholds, packed, target.first_word.data(), key);
    return;
  }
  std::uint64_t* words[kMaxPatches];
  for (int k = 0; k < geometry_.patches; ++k) words[k] = key + target.first_word[static_cast<std::size_t>(k)];
  const auto steps = static_cast<std::size_t>(levels_ - 1);
  if (target.one_word) {
    WordSink sink{words};
    for_each_cell<3>(image, geometry_, steps, thresholds_, px, py, sink);
    return;
  }
  for (int k = 0; k < geometry_.patches; ++k)
    std::fill_n(words[k], target.words[static_cast<std::size_t>(k)], std::uint64_t{0});
  CodeSink sink{words};
  for_each_cell<0>(image, geometry_, steps, thresholds_, px, py, sink);
}

bool GlimpseQuantizer::compact_supported(const KeyTarget& target) const {
  return compact_glimpse_ && target.one_word && target.first_word.size() == static_cast<std::size_t>(geometry_.patches);
}

void GlimpseQuantizer::encode(const CompactIntegralImage& image, int px, int py, const KeyTarget& target,
                              std::uint64_t* key) const {
  if (!compact_supported(target)) throw Error("glimpse quantizer: no compact path for this glimpse or key");
  if (image.rows() != geometry_.rows || image.cols() != geometry_.cols)
    throw Error("glimpse quantizer: a " + std::to_string(image.rows()) + " x " + std::to_string(image.cols()) +
                " image for a " + std::to_string(geometry_.rows) + " x " + std::to_string(geometry_.cols) + " glimpse");
  constexpr int kMaxPatches = 64;
  const std::uint32_t* thresholds[kMaxPatches];
  const std::uint64_t* packed[kMaxPatches];
  for (int k = 0; k < geometry_.patches; ++k) {
    thresholds[k] = thresholds_[static_cast<std::size_t>(k)].data();
    packed[k] = packed16_thresholds_[static_cast<std::size_t>(k)].data();
  }
  detail::encode_patches4_16_avx512(image.sums_row(0), image.rows(), image.cols(), px, py, geometry_.patches,
                                    geometry_.scale, thresholds, packed, target.first_word.data(), key);
}

std::uint8_t GlimpseQuantizer::level_of_sum(int patch, std::uint64_t raw, int inside) const {
  const std::uint32_t* t =
      thresholds_.at(static_cast<std::size_t>(patch)).data() + static_cast<std::size_t>(inside) * (levels_ - 1);
  int level = 0;
  for (int j = 0; j < levels_ - 1; ++j) level += raw >= t[j] ? 1 : 0;
  return static_cast<std::uint8_t>(level);
}

}  // namespace mbi
