#pragma once
// Mixed mode's threshold: Fig. 5 (accuracy and coverage against the threshold, replayed from
// one lookup run and the teacher's predictions, MixedPolicy deciding each image at each
// threshold), and the threshold chosen for a tolerated accuracy loss on a validation split.
#include <cstddef>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/eval/classifier.hpp"
#include "mbi/io/result_files.hpp"
#include "mbi/lookup/engine.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "mbi/lookup/table.hpp"

namespace mbi::experiment {

struct MixedThresholdOptions {
  double step = 0.25;           // threshold step (eq. 1 units)
  double max_loss = 0.5;        // accuracy points below the teacher still counted as keeping its accuracy
};

// One threshold of the curve: mixed accuracy (%), coverage (fraction answered by lookups) and
// the lookups' accuracy on the images they answered (%).
struct MixedPoint {
  double threshold = 0;
  double accuracy = 0;
  double coverage = 0;
  double lookup_accuracy = 0;
};

// Thresholds 0, step, 2 step, ... up to one step past the largest distance of the run (where
// lookups answer every image). `lookups` ran every image to the end (no stop_above); `teacher`
// holds the teacher's prediction of every image. Throws mbi::Error when the sizes disagree or
// the step is not positive.
std::vector<MixedPoint> mixed_curve(const LookupRun& lookups, const std::vector<int>& teacher, const ImageSet& images,
                                    double eq1_normalizer, double step);

// The largest threshold of the curve whose accuracy is within max_loss points of the
// teacher's (threshold 0 when none is: lookups then answer only exact matches).
struct ThresholdChoice {
  MixedPoint point;
  double teacher_accuracy = 0;  // %
  double max_loss = 0;
  std::size_t images = 0;
};
ThresholdChoice choose_threshold(const std::vector<MixedPoint>& curve, double teacher_accuracy, double max_loss,
                                 std::size_t images);

// The threshold for mixed mode chosen on `val` (a validation split, never the test split):
// lookups with `options` (stop_above unset) and the teacher run on every image, then
// choose_threshold. `threads` as run_lookups's.
ThresholdChoice choose_threshold_on(const Table& table, const RamConfig& config, const ImageSet& val,
                                    const LookupOptions& options, eval::Classifier& teacher,
                                    const MixedThresholdOptions& choice, int threads);

// Fig. 5. Summary: teacher and pure lookup accuracy, the largest threshold within max_loss
// points of the teacher (with its coverage), the point at threshold 5; table mixed_threshold;
// plot fig5_mixed_threshold.
io::ResultFiles mixed_threshold_sweep(const LookupRun& lookups, const std::vector<int>& teacher, const ImageSet& images,
                                      double eq1_normalizer, const MixedThresholdOptions& options = {});

}  // namespace mbi::experiment
