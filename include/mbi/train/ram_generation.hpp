#pragma once
// The RAM teacher with generated layers (issue 16): each of the weights its inference uses
// (glimpse, core, location and classifier layers; not the baseline, which only training reads)
// stored as a generated weight (mlg/generated_network.hpp) and fitted to the trained weight,
// after training, without retraining. A dense layer over a vector has one position per input,
// so only level 2 (and the quantizers) apply; layers where no level saves parameters are stored
// whole at the policy's bits (32 for mlg). The model's weights are then replaced by what the
// stored form generates, so every command (eval, distill) runs the compressed teacher as is.
#include <nlohmann/json.hpp>

#include <cstdint>

#include "mbi/mlg/architecture.hpp"
#include "mbi/train/ram_model.hpp"

namespace mbi::train {

struct RamGeneration {
  nlohmann::json layers = nlohmann::json::array();  // per layer: name, shape, form, bits, fit error
  std::uint64_t stored_bits = 0;  // weights as stored + biases (32 bits each)
  std::uint64_t float_bits = 0;   // the same layers in float32
  double memory_ratio() const { return float_bits == 0 ? 0.0 : static_cast<double>(stored_bits) / static_cast<double>(float_bits); }
};

// Replaces `model`'s inference weights by their generated form under `policy` (fitted with
// `steps` projection steps at `lr`, or by SVD where asked and possible). Throws mbi::Error for
// a policy that does not validate.
RamGeneration generate_ram_layers(RamModel& model, const mlg::StoragePolicy& policy, int steps, double lr, bool svd);

}  // namespace mbi::train
