#pragma once
// Uniform quantisers shared by training (forward pass) and lookup inference, so that the
// table's keys and the teacher's inputs are bit-identical.
#include <algorithm>
#include <cmath>
#include <cstdint>

namespace mbi {

// x rounded to the nearest integer, ties to even, for 0 <= x < 2^23: what std::nearbyint
// returns in the default rounding mode. Adding 2^23 leaves no fraction bits, so the FPU
// rounds; unlike std::nearbyint, which is a library call on baseline x86-64, this inlines,
// and a lookup quantises every glimpse value.
inline float round_half_even_small(float x) {
  constexpr float kTwo23 = 8388608.0F;
  return (x + kTwo23) - kTwo23;
}

// Level in [0, levels) of x on the uniform grid over [lo, hi] (round to nearest, ties to even).
inline std::uint8_t quantize_level(float x, float lo, float hi, int levels) {
  const float t = (x - lo) / (hi - lo) * static_cast<float>(levels - 1);
  const float r = round_half_even_small(std::clamp(t, 0.0F, static_cast<float>(levels - 1)));
  return static_cast<std::uint8_t>(r);
}

// The real value that level `level` stands for.
inline float dequantize_level(int level, float lo, float hi, int levels) {
  return lo + (hi - lo) * static_cast<float>(level) / static_cast<float>(levels - 1);
}

// Location in [-1, 1] -> pixel coordinate in [0, size] (the table's location component).
inline int location_to_pixel(float l, int size) {
  // The small bias keeps pixel -> location -> pixel exact despite float rounding.
  const float p = std::floor(0.5F * (std::clamp(l, -1.0F, 1.0F) + 1.0F) * static_cast<float>(size) + 1e-3F);
  return std::clamp(static_cast<int>(p), 0, size);
}

// Pixel coordinate -> the location in [-1, 1] the teacher sees for it.
inline float pixel_to_location(int pixel, int size) {
  return 2.0F * static_cast<float>(pixel) / static_cast<float>(size) - 1.0F;
}

}  // namespace mbi
