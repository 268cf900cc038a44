#pragma once
// The RAM teacher behind the evaluation contract (eval/classifier.hpp): its LibTorch forward
// pass with mean (deterministic) locations, counting the multiply-accumulates it spends.
#include <cstdint>
#include <span>
#include <string>

#include "mbi/eval/classifier.hpp"
#include "mbi/train/ram_model.hpp"

namespace mbi::train {

// Multiply-accumulates of one inference (the fully connected layers a rollout runs: the
// glimpse and core networks every step, the location and baseline heads every step but the
// last, the classifier once). Glimpse pooling and activations are not counted.
std::uint64_t teacher_macs_per_image(const RamConfig& config);

// System "teacher". Counts "digital.mac" (teacher_macs_per_image per image); its footprint
// is its parameters as float32 ("model.weights").
class TeacherClassifier final : public eval::Classifier {
 public:
  // `model` must outlive the classifier.
  explicit TeacherClassifier(RamModel& model, int batch = 256) : model_(model), batch_(batch) {}

  std::string system() const override { return "teacher"; }
  eval::Footprint footprint() const override;
  void classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) override;

 private:
  RamModel& model_;
  int batch_;
};

}  // namespace mbi::train
