#pragma once
// In-situ generation at inference: a generated network (generated_network.hpp) runs one image
// at a time, each convolution's weights generated tile by tile next to the compute, as the
// hardware of Gu et al. does, never held whole. Standard library only.
//
// What one inference reads and spends (batch 1, weights only: the activations move alike in
// every system, so they are left out of the comparison):
//   stored bytes   every stored tensor read once from off-chip memory: B, U, V (packed codes and
//                  their scales), float weights, batch norms, biases (memory().total_bytes());
//   level 1 MACs   W1 = U B, once per layer (small integer codes: a generation MAC);
//   level 2 MACs   W = V W1, for each tile of `tile` output channels (a generation MAC);
//   buffer bytes   with level 2, W1 is written once to an on-chip buffer and read back once
//                  per tile (2 bytes per value: products of codes of <= 8 bits, summed);
//   network MACs   the convolutions' own multiply-accumulates (float32).
#include <cstdint>
#include <vector>

#include "mbi/mlg/generated_network.hpp"

namespace mbi::mlg {

struct InSituOptions {
  int tile = 16;  // output channels generated at once
};

struct InSituCounts {
  std::uint64_t stored_bytes = 0, level1_macs = 0, level2_macs = 0, buffer_bytes = 0, network_macs = 0;
  InSituCounts& operator+=(const InSituCounts& other);
};

// The counts of one inference (they do not depend on the image).
InSituCounts in_situ_counts(const GeneratedNetwork& network, const InSituOptions& options);

// The logits (classes values) of one image (input.size() pixels), weights generated tile by
// tile. Throws mbi::Error for a tile < 1.
std::vector<float> in_situ_logits(const GeneratedNetwork& network, const std::uint8_t* pixels, const InSituOptions& options);

// The same network with every weight generated whole first (GeneratedWeight::generate()):
// the digital reference the in-situ path must equal.
std::vector<float> reference_logits(const GeneratedNetwork& network, const std::uint8_t* pixels);

}  // namespace mbi::mlg
