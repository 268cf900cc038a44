#include "mbi/experiment/mixed_threshold.hpp"

#include <algorithm>
#include <cmath>

#include "mbi/core/error.hpp"
#include "mbi/lookup/mixed.hpp"

namespace mbi::experiment {

io::ResultFiles mixed_threshold_sweep(const LookupRun& run, const std::vector<int>& teacher, const ImageSet& images,
                                      double norm, const MixedThresholdOptions& o) {
  const std::size_t count = images.count();
  if (run.prediction.size() != count || teacher.size() != count)
    throw Error("mixed sweep: " + std::to_string(run.prediction.size()) + " lookups and " +
                std::to_string(teacher.size()) + " teacher predictions for " + std::to_string(count) + " images");
  if (!(o.step > 0)) throw Error("--step: must be positive");
  const double n = static_cast<double>(std::max<std::size_t>(count, 1));
  std::size_t teacher_correct = 0;
  for (std::size_t i = 0; i < count; ++i) teacher_correct += teacher[i] == images.labels[i] ? 1 : 0;
  const double teacher_acc = 100.0 * static_cast<double>(teacher_correct) / n;
  const double top =
      run.max_distance.empty() ? 0.0 : *std::max_element(run.max_distance.begin(), run.max_distance.end()) / norm;
  CsvTable csv({"threshold", "accuracy", "coverage", "lookup_accuracy"});
  nlohmann::json target = nullptr;
  nlohmann::json at5 = nullptr;
  for (double thr = 0; thr <= top + o.step; thr += o.step) {
    const MixedPolicy policy(thr, norm);
    std::size_t covered = 0, correct = 0, lookup_correct = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const bool use_lookup = policy.lookups_answer(run.max_distance[i]);
      const int pred = use_lookup ? run.prediction[i] : teacher[i];
      covered += use_lookup ? 1 : 0;
      correct += pred == images.labels[i] ? 1 : 0;
      lookup_correct += use_lookup && pred == images.labels[i] ? 1 : 0;
    }
    const double acc = 100.0 * static_cast<double>(correct) / n;
    const double cov = static_cast<double>(covered) / n;
    const double lacc = covered ? 100.0 * static_cast<double>(lookup_correct) / static_cast<double>(covered) : 100.0;
    csv.add({cell(thr), cell(acc), cell(cov), cell(lacc)});
    // The largest threshold that keeps accuracy within max_loss points of the teacher.
    if (acc >= teacher_acc - o.max_loss) target = {{"threshold", thr}, {"accuracy", acc}, {"coverage", cov}};
    if (std::abs(thr - 5.0) < o.step / 2) at5 = {{"threshold", thr}, {"accuracy", acc}, {"coverage", cov}};
  }
  io::ResultFiles out;
  out.summary = {{"teacher_accuracy", teacher_acc},
                 {"pure_lookup_accuracy", run.accuracy(images)},
                 {"largest_threshold_within_" + cell(o.max_loss) + "_points_of_teacher", target},
                 {"at_threshold_5", at5},
                 {"images", count}};
  out.tables.emplace_back("mixed_threshold", std::move(csv));
  out.plots.emplace_back(
      "fig5_mixed_threshold",
      "set datafile separator ','\nset title 'Fig. 5: mixed MBI against the threshold'\n"
      "set xlabel 'threshold (eq. 1 distance)'\nset ylabel 'accuracy (%)'\nset y2label 'coverage (%)'\n"
      "set ytics nomirror\nset y2tics\nset key below\n"
      "plot 'mixed_threshold.csv' every ::1 using 1:2 with lines lw 2 title 'accuracy', '' every ::1 using 1:($3*100) "
      "axes x1y2 with lines lw 2 title 'coverage (images answered by lookups)'\n");
  return out;
}

}  // namespace mbi::experiment
