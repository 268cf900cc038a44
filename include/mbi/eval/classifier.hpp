#pragma once
// The evaluation contract every inference system of mbi implements (the teacher, lookups,
// mixed mode, and the systems to come: CAM programs, generated weights, noisy analog
// memories), so that one command can lay them side by side on the same images: accuracy,
// bytes stored, counted hardware events and, through an energy table, joules.
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/eval/footprint.hpp"
#include "mbi/eval/ledger.hpp"

namespace mbi::eval {

class Classifier {
 public:
  virtual ~Classifier() = default;

  // Short name of the system ("teacher", "mbi", "mixed", ...).
  virtual std::string system() const = 0;
  // What the system stores to classify, by kind.
  virtual Footprint footprint() const = 0;
  // Predicts the class of every image of `images` into `predictions` (one per image; -1 for
  // no answer) and adds the hardware events it spent to `ledger`. Throws mbi::Error for
  // images it cannot take (another size) or a predictions span of another length.
  virtual void classify(const ImageSet& images, std::span<int> predictions, Ledger& ledger) = 0;
  // System-specific figures of the last classify() call (coverage, comparisons per image...),
  // copied into its Report. None by default.
  virtual std::vector<std::pair<std::string, double>> metrics() const { return {}; }
};

}  // namespace mbi::eval
