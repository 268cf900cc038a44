#pragma once
// The integer reference of a ternary network (network.hpp): plain loops over int64 sums,
// the definition every simulated device must match bit for bit, and the quantized model's
// accuracy.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "mbi/core/image_set.hpp"
#include "mbi/eval/classifier.hpp"
#include "mbi/ternary/network.hpp"

namespace mbi::ternary {

// Every layer's output for one image of network.input's shape: forward_all()[0] is the
// quantized input, forward_all()[i + 1] the output of layers[i] (levels, or the logits of the
// last layer).
std::vector<std::vector<std::int64_t>> forward_all(const Network& network, const std::uint8_t* pixels);
// The logits of one image.
std::vector<std::int64_t> logits(const Network& network, const std::uint8_t* pixels);
// The first largest logit's index.
int predict(const Network& network, const std::uint8_t* pixels);

// The reference as a classifier of the evaluation contract. It counts what a digital
// implementation would do: "ternary.add" (one per non-zero weight use) and
// "ternary.threshold_compare" (the comparisons of a binary search per activation).
class ReferenceClassifier final : public eval::Classifier {
 public:
  explicit ReferenceClassifier(const Network& network) : network_(network) {}
  std::string system() const override { return "ternary-reference"; }
  eval::Footprint footprint() const override;
  void classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) override;
  // The last classify()'s logits, per image (what a device must match bit for bit).
  const std::vector<std::vector<std::int64_t>>& last_logits() const { return logits_; }

 private:
  const Network& network_;
  std::vector<std::vector<std::int64_t>> logits_;
};

}  // namespace mbi::ternary
