#pragma once
// A RAM-shaped lookup table without LibTorch or MNIST, for the tests of the libraries that
// must not need either (lookup, tune, experiment, hw).
//
// The "teacher" is a fixed pseudo-random function of the quantised step input: from the
// glimpse levels, h_{t-1} and the location it derives h_t, the next location and a class,
// exactly as a real quantised teacher is a function of its quantised inputs. Distilling it
// records one row per step of every training image, so lookups over those images retrace it
// exactly, and over other images they are scored against the labels like any table.
// Everything here is written for obviousness, apart from the library's lookup engine.
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/lookup/glimpse.hpp"
#include "mbi/lookup/quantize.hpp"
#include "mbi/lookup/ram_config.hpp"
#include "mbi/lookup/ram_keys.hpp"
#include "mbi/lookup/table_data.hpp"

namespace mbi::test {

// A small RAM: 12 x 16 images, 3 classes, 3 glimpses of 2 patches of 2 x 2, hidden state of
// 16 bits.
inline RamConfig small_ram_config() {
  RamConfig c;
  c.image_rows = 12;
  c.image_cols = 16;
  c.classes = 3;
  c.glimpses = 3;
  c.patch = 2;
  c.patches = 2;
  c.scale = 2;
  c.hidden = 16;
  c.norm_mean = 0.3F;
  c.norm_std = 0.4F;
  c.phi_lo = -0.75F;
  c.phi_hi = 1.75F;
  return c;
}

// Images whose class shows in where their bright blob lies, so that lookups can learn it.
inline ImageSet blob_images(const RamConfig& c, std::size_t n, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  ImageSet s;
  s.rows = c.image_rows;
  s.cols = c.image_cols;
  s.classes = c.classes;
  s.pixels.assign(n * s.pixels_per_image(), 0);
  for (std::size_t i = 0; i < n; ++i) {
    const int label = static_cast<int>(rng() % static_cast<std::uint64_t>(c.classes));
    s.labels.push_back(static_cast<std::uint8_t>(label));
    const int cx = 2 + label * (c.image_cols - 4) / std::max(1, c.classes - 1) + static_cast<int>(rng() % 3) - 1;
    const int cy = c.image_rows / 2 + static_cast<int>(rng() % 5) - 2;
    std::uint8_t* img = s.pixels.data() + i * s.pixels_per_image();
    for (int r = 0; r < c.image_rows; ++r)
      for (int col = 0; col < c.image_cols; ++col) {
        const int d = std::abs(r - cy) + std::abs(col - cx);
        const int noise = static_cast<int>(rng() % 40);
        img[r * c.image_cols + col] = static_cast<std::uint8_t>(std::clamp(255 - 60 * d + noise - 20, 0, 255));
      }
  }
  return s;
}

// SplitMix64, for the fake teacher's pseudo-random functions.
inline std::uint64_t mix(std::uint64_t z) {
  z += 0x9E3779B97F4A7C15ULL;
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

// The fake teacher's step: (h_t, next x, next y, class) from the step's key values. The class
// follows the location of the glimpse's brightest patch where it can, so lookups do better
// than chance.
struct TeacherStep {
  std::vector<std::uint8_t> hidden;
  int next_x = 0;
  int next_y = 0;
  int prediction = 0;
};

inline TeacherStep teacher_step(const RamConfig& c, const std::vector<std::uint8_t>& key_values, int loc_x) {
  std::uint64_t h = 0x5EED;
  for (const std::uint8_t v : key_values) h = mix(h ^ v);
  TeacherStep s;
  for (int k = 0; k < c.hidden; ++k) s.hidden.push_back(static_cast<std::uint8_t>((mix(h + k) >> 7) & 1U));
  s.next_x = static_cast<int>(mix(h + 101) % static_cast<std::uint64_t>(c.image_cols + 1));
  s.next_y = static_cast<int>(mix(h + 202) % static_cast<std::uint64_t>(c.image_rows + 1));
  const int band = std::clamp(loc_x * c.classes / (c.image_cols + 1), 0, c.classes - 1);
  s.prediction = (mix(h + 303) % 4 == 0) ? static_cast<int>(mix(h + 404) % static_cast<std::uint64_t>(c.classes)) : band;
  return s;
}

// The teacher's trajectory on one image, handing (step, key values, teacher step) to `visit`.
template <class Visit>
void teacher_rollout(const RamConfig& c, const std::uint8_t* pixels, Visit visit) {
  const GlimpseGeometry g = GlimpseGeometry::from(c);
  const GlimpseQuantizer q(g, c.norm_mean, c.norm_std, c.phi_lo, c.phi_hi, c.phi_levels());
  const IntegralImage image({pixels, static_cast<std::size_t>(c.image_rows * c.image_cols)}, c.image_rows,
                            c.image_cols, c.norm_mean, c.norm_std);
  std::vector<std::uint8_t> phi(static_cast<std::size_t>(g.size()));
  std::vector<std::uint8_t> hidden(static_cast<std::size_t>(c.hidden), 0);
  std::vector<std::uint8_t> values(ram_key_layout(c).total_values());
  int x = location_to_pixel(c.start_x, c.image_cols);
  int y = location_to_pixel(c.start_y, c.image_rows);
  for (int t = 0; t < c.glimpses; ++t) {
    q.levels(image, x, y, phi.data());
    ram_key_values(c, phi.data(), hidden.data(), x, y, values.data());
    const TeacherStep s = teacher_step(c, values, x);
    visit(t, values, s);
    hidden = s.hidden;
    x = s.next_x;
    y = s.next_y;
  }
}

// The teacher's predicted class of each image.
inline std::vector<int> teacher_predictions(const RamConfig& c, const ImageSet& images) {
  std::vector<int> out;
  for (std::size_t i = 0; i < images.count(); ++i) {
    int last = -1;
    teacher_rollout(c, images.image(i), [&](int, const std::vector<std::uint8_t>&, const TeacherStep& s) {
      last = s.prediction;
    });
    out.push_back(last);
  }
  return out;
}

// One row per step of every image of `images` (identical keys once), weights (30, 16, 10) as
// the main job distils with, no tree.
inline TableData distill_synthetic(const RamConfig& c, const ImageSet& images) {
  TableData t;
  t.key_layout = ram_key_layout(c);
  t.value_layout = ram_value_layout(c);
  t.segment_weights = eq1_segment_weights(c, 30, 16, 10);
  t.metadata_json = "{}";
  std::vector<std::uint64_t> key(t.key_layout.words());
  std::vector<std::uint64_t> value(t.value_layout.words());
  std::unordered_set<std::string> seen;
  for (std::size_t i = 0; i < images.count(); ++i)
    teacher_rollout(c, images.image(i), [&](int step, const std::vector<std::uint8_t>& values, const TeacherStep& s) {
      t.key_layout.encode(values, key);
      if (!seen.emplace(reinterpret_cast<const char*>(key.data()), key.size() * 8).second) return;
      t.keys.insert(t.keys.end(), key.begin(), key.end());
      t.value_layout.encode(s.hidden, value);
      t.next_hidden.insert(t.next_hidden.end(), value.begin(), value.end());
      t.next_location.push_back(static_cast<std::uint8_t>(s.next_x));
      t.next_location.push_back(static_cast<std::uint8_t>(s.next_y));
      t.step.push_back(static_cast<std::uint8_t>(step));
      t.prediction.push_back(static_cast<std::uint8_t>(s.prediction));
    });
  return t;
}

// A synthetic RAM ready for a test: its teacher's table distilled from `train`, and other
// images to look up (drawn with their own seed), the table with a per-step tree when asked.
struct SyntheticRam {
  RamConfig config = small_ram_config();
  ImageSet train;
  ImageSet other;
  TableData data;
  SyntheticRam(std::size_t train_images, std::size_t other_images, std::uint64_t other_seed, bool per_step_tree)
      : train(blob_images(config, train_images, 1)),
        other(blob_images(config, other_images, other_seed)),
        data(distill_synthetic(config, train)) {
    if (per_step_tree) data.build_tree({}, /*per_step=*/true);
  }
};

}  // namespace mbi::test
