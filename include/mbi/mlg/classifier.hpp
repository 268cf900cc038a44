#pragma once
// A generated network as a classifier of the evaluation contract (eval/classifier.hpp), run
// by in-situ generation (in_situ.hpp). Its ledger events, per image:
//   dram.read_byte        stored bytes read from off-chip memory
//   mlg.generation_mac    level 1 and level 2 multiply-accumulates
//   mlg.buffer_byte       on-chip buffer bytes written and read (level 2's W1)
//   digital.mac           the network's own multiply-accumulates
// Footprint kinds: "mlg.basis", "mlg.coefficients", "mlg.mixing", "mlg.float_weights",
// "mlg.norms", "mlg.biases" (bytes, rounded up per kind).
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "mbi/eval/classifier.hpp"
#include "mbi/mlg/generated_network.hpp"
#include "mbi/mlg/in_situ.hpp"

namespace mbi::mlg {

class InSituClassifier : public eval::Classifier {
 public:
  // `threads` images at once (0: the hardware's threads).
  InSituClassifier(GeneratedNetwork network, InSituOptions options = {}, int threads = 1);
  std::string system() const override { return "mlg"; }
  eval::Footprint footprint() const override;
  // Throws mbi::Error for images of another size or a predictions span of another length.
  void classify(const ImageSet& images, std::span<int> predictions, eval::Ledger& ledger) override;
  // memory_ratio, stored_bytes, float_bytes, generation_macs_per_image, network_macs_per_image.
  std::vector<std::pair<std::string, double>> metrics() const override;
  const GeneratedNetwork& network() const { return network_; }

 private:
  GeneratedNetwork network_;
  InSituOptions options_;
  int threads_;
};

}  // namespace mbi::mlg
