#pragma once
// Fig. 5: accuracy and coverage of mixed mode against its threshold, replayed from one
// lookup run and the teacher's predictions (MixedPolicy decides each image at each threshold).
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/lookup/lookup_run.hpp"

namespace mbi::experiment {

struct MixedThresholdOptions {
  double step = 0.25;           // threshold step (eq. 1 units)
  double max_loss = 0.5;        // accuracy points below the teacher still counted as keeping its accuracy
};

// `lookups` ran every image of `images` to the end (no stop_above); `teacher` holds the
// teacher's prediction of every image; `eq1_normalizer` is the table's. Summary: teacher and
// pure lookup accuracy, the largest threshold within max_loss points of the teacher (with its
// coverage), the point at threshold 5; table mixed_threshold; plot fig5_mixed_threshold.
io::ResultFiles mixed_threshold_sweep(const LookupRun& lookups, const std::vector<int>& teacher, const ImageSet& images,
                                      double eq1_normalizer, const MixedThresholdOptions& options = {});

}  // namespace mbi::experiment
