#include "mbi/experiment/mixed_threshold.hpp"

#include <algorithm>
#include <cmath>

#include "mbi/core/error.hpp"
#include "mbi/eval/ledger.hpp"
#include "mbi/lookup/mixed.hpp"
#include "mbi/lookup/ram_keys.hpp"

namespace mbi::experiment {
namespace {

double teacher_accuracy_of(const std::vector<int>& teacher, const ImageSet& images) {
  std::size_t correct = 0;
  for (std::size_t i = 0; i < images.count(); ++i) correct += teacher[i] == images.labels[i] ? 1 : 0;
  return 100.0 * static_cast<double>(correct) / static_cast<double>(std::max<std::size_t>(images.count(), 1));
}

}  // namespace

std::vector<MixedPoint> mixed_curve(const LookupRun& run, const std::vector<int>& teacher, const ImageSet& images,
                                    double norm, double step) {
  const std::size_t count = images.count();
  if (run.prediction.size() != count || teacher.size() != count)
    throw Error("mixed sweep: " + std::to_string(run.prediction.size()) + " lookups and " +
                std::to_string(teacher.size()) + " teacher predictions for " + std::to_string(count) + " images");
  if (!(step > 0)) throw Error("--step: must be positive");
  const double n = static_cast<double>(std::max<std::size_t>(count, 1));
  const double top =
      run.max_distance.empty() ? 0.0 : *std::max_element(run.max_distance.begin(), run.max_distance.end()) / norm;
  std::vector<MixedPoint> curve;
  for (double thr = 0; thr <= top + step; thr += step) {
    const MixedPolicy policy(thr, norm);
    std::size_t covered = 0, correct = 0, lookup_correct = 0;
    for (std::size_t i = 0; i < count; ++i) {
      const bool use_lookup = policy.lookups_answer(run.max_distance[i]);
      const int pred = use_lookup ? run.prediction[i] : teacher[i];
      covered += use_lookup ? 1 : 0;
      correct += pred == images.labels[i] ? 1 : 0;
      lookup_correct += use_lookup && pred == images.labels[i] ? 1 : 0;
    }
    curve.push_back({thr, 100.0 * static_cast<double>(correct) / n, static_cast<double>(covered) / n,
                     covered ? 100.0 * static_cast<double>(lookup_correct) / static_cast<double>(covered) : 100.0});
  }
  return curve;
}

ThresholdChoice choose_threshold(const std::vector<MixedPoint>& curve, double teacher_accuracy, double max_loss,
                                 std::size_t images) {
  ThresholdChoice c;
  c.teacher_accuracy = teacher_accuracy;
  c.max_loss = max_loss;
  c.images = images;
  if (!curve.empty()) c.point = curve.front();
  for (const MixedPoint& p : curve)
    if (p.accuracy >= teacher_accuracy - max_loss) c.point = p;
  return c;
}

ThresholdChoice choose_threshold_on(const Table& table, const RamConfig& config, const ImageSet& val,
                                    const LookupOptions& options, eval::Classifier& teacher,
                                    const MixedThresholdOptions& choice, int threads) {
  if (val.count() == 0) throw Error("choosing the mixed threshold: the validation split is empty");
  LookupOptions all_steps = options;
  all_steps.stop_above = LookupOptions{}.stop_above;
  const LookupRun run = run_lookups(table, config, val, all_steps, threads, false);
  std::vector<int> predictions(val.count());
  eval::Ledger ledger;
  teacher.classify(val, predictions, ledger);
  const double norm = eq1_normalizer(config, {table.segment_weights().begin(), table.segment_weights().end()});
  return choose_threshold(mixed_curve(run, predictions, val, norm, choice.step),
                          teacher_accuracy_of(predictions, val), choice.max_loss, val.count());
}

io::ResultFiles mixed_threshold_sweep(const LookupRun& run, const std::vector<int>& teacher, const ImageSet& images,
                                      double norm, const MixedThresholdOptions& o) {
  const std::vector<MixedPoint> curve = mixed_curve(run, teacher, images, norm, o.step);
  const double teacher_acc = teacher_accuracy_of(teacher, images);
  CsvTable csv({"threshold", "accuracy", "coverage", "lookup_accuracy"});
  nlohmann::json target = nullptr;
  nlohmann::json at5 = nullptr;
  for (const MixedPoint& p : curve) {
    csv.add({cell(p.threshold), cell(p.accuracy), cell(p.coverage), cell(p.lookup_accuracy)});
    // The largest threshold that keeps accuracy within max_loss points of the teacher.
    if (p.accuracy >= teacher_acc - o.max_loss)
      target = {{"threshold", p.threshold}, {"accuracy", p.accuracy}, {"coverage", p.coverage}};
    if (std::abs(p.threshold - 5.0) < o.step / 2)
      at5 = {{"threshold", p.threshold}, {"accuracy", p.accuracy}, {"coverage", p.coverage}};
  }
  io::ResultFiles out;
  out.summary = {{"teacher_accuracy", teacher_acc},
                 {"pure_lookup_accuracy", run.accuracy(images)},
                 {"largest_threshold_within_" + cell(o.max_loss) + "_points_of_teacher", target},
                 {"at_threshold_5", at5},
                 {"images", images.count()}};
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
