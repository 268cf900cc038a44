#pragma once
// The networks mbi generates and their peers, laid out before training: which ops, which
// shapes, and how each layer's weight is stored (generated_network.hpp), so that the memory of
// any configuration is known exactly before a single step is trained, and a configuration can
// be fitted to a memory ratio. Standard library only; training (train/generated_training.hpp)
// fills the values.
//
// Architectures (any input size and class count):
//   lenet     conv 5x5 (w, padding 2) BN ReLU maxpool 2, conv 5x5 (2w) BN ReLU maxpool 2,
//             dense (8w) BN ReLU, dense (classes, bias)              w = width (default 16)
//   resnet20  conv 3x3 (w) BN ReLU, three stages of `blocks` residual blocks (w, 2w, 4w
//             channels; the first block of stages 2 and 3 halves the size: stride 2, option-A
//             shortcut), each block conv 3x3 BN ReLU conv 3x3 BN, add, ReLU; global average
//             pool, dense (classes, bias)                            w = width (default 16)
//
// Storage methods (every layer but the last, which stays float32 unless generate_last):
//   full     float32 weights (the teacher, the denominator of the memory ratio)
//   quant    k-bit weights (k = bits), the plain-quantization peer
//   lowrank  W = V U with rank r (= level 2 alone) and factors of `bits` bits (32: float), the
//            low-rank (SVD) peer
//   mlg      levels 1 and/or 2 with bi, bo and the bits of B, U and V (qb, qu, qv); a level is
//            used in a layer only where it saves parameters: level 1 when bi < min(in, span),
//            level 2 when bo < min(out, in span) (as the authors' code does)
#include <string>

#include "mbi/mlg/generated_network.hpp"

namespace mbi::mlg {

struct Architecture {
  std::string name = "lenet";  // lenet | resnet20
  int width = 16;
  int blocks = 3;  // resnet20: blocks per stage (3: 20 layers)
};

struct StoragePolicy {
  std::string method = "mlg";  // full | quant | lowrank | mlg
  bool level1 = true, level2 = true;  // mlg: the levels allowed (the ablation turns one off)
  int basis_in = 2, basis_out = 8;    // mlg: bi, bo (bo is capped by each layer's size)
  int bits_basis = 3, bits_coefficients = 6, bits_mixing = 3;  // mlg: qb, qu, qv
  int bits = 32;                      // quant: k; lowrank: bits of the factors
  int rank = 4;                       // lowrank
  bool generate_last = false;         // store the last layer as the others (else float32)
  // Checks names and ranges. Throws mbi::Error naming the field.
  void validate() const;
  // One line: "mlg bi=2 bo=8 q=3/6/3", "quant 2-bit", "lowrank r=4 32-bit", "full".
  std::string describe() const;
};

// The network's ops with every weight laid out by `policy`, stored tensors sized and filled
// with zeros (codes 0, scales 1), batch norms as identities. Throws mbi::Error for an unknown
// architecture or an input too small for it.
GeneratedNetwork lay_out(const Architecture& architecture, const Shape& input, int classes, const StoragePolicy& policy);

// How one weight of out x in x span is stored under `policy` (`last`: the network's last layer).
GeneratedWeight lay_out_weight(int out, int in, int span, bool last, const StoragePolicy& policy);

// `policy` with its main knob (mlg: bo, or bi when level 2 is off; quant: bits; lowrank:
// rank) set to the largest value whose memory ratio is at most `ratio`, up to the largest value
// any layer can use (then the ratio asked is out of the method's reach with the other knobs as
// they are, and the record shows the ratio reached). Throws mbi::Error when even the smallest
// value exceeds it (saying the smallest ratio reachable).
StoragePolicy fit_to_ratio(const Architecture& architecture, const Shape& input, int classes,
                           const StoragePolicy& policy, double ratio);

}  // namespace mbi::mlg
