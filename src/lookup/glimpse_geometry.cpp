#include "mbi/lookup/glimpse_geometry.hpp"

#include <algorithm>

#include "mbi/core/error.hpp"

namespace mbi {

GlimpseGeometry default_glimpse_geometry(int image_rows, int image_cols) {
  if (image_rows < 1 || image_cols < 1)
    throw Error("glimpse geometry: the image is " + std::to_string(image_rows) + "x" + std::to_string(image_cols));
  const int longer = std::max(image_rows, image_cols);
  GlimpseGeometry g;
  g.rows = image_rows;
  g.cols = image_cols;
  g.patches = 3;
  g.patch = std::clamp((longer + 3) / 7, 1, 64);  // round(L / 7)
  g.scale = 2;
  while (g.scale < 16 && g.patch * g.scale * g.scale < 2 * longer) ++g.scale;
  return g;
}

}  // namespace mbi
