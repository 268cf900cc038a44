#pragma once
// The glimpse sensor's default geometry for an image size. The published geometry (patch 4,
// 3 patches, scale 4: sides 4, 16, 64) was made for 28 x 28 digits; the rule keeps its two
// ratios for any size:
//   - the finest patch is about a seventh of the longer side: patch = round(L / 7), at least 1;
//   - three patches, and the smallest scale (from 2) whose coarsest patch, patch x scale^2, is
//     at least twice the longer side, so that it sees the whole image from any location.
// 28 x 28 gives the published 4 / 3 / 4; 16 x 16 gives 2 / 3 / 4 (sides 2, 8, 32, not the
// 64-pixel patch MNIST's geometry takes there); 12 x 20 gives 3 / 3 / 4.
// Data sets whose classes need more detail per glimpse (Fashion-MNIST) do better with their
// own geometry (docs/teachers.md): the rule is a start, the flags override it.
#include "mbi/lookup/glimpse.hpp"

namespace mbi {

// The geometry for images of image_rows x image_cols (which it carries). Throws mbi::Error
// for an empty image.
GlimpseGeometry default_glimpse_geometry(int image_rows, int image_cols);

}  // namespace mbi
