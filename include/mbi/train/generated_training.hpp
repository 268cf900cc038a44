#pragma once
// Generated networks in LibTorch (issue 16): the layers whose weights are generated from small
// quantized bases (mlg/generated_network.hpp says how), their training by the published recipe
// (Gu et al., ICCV 2021, as their public code does it) and the export to plain numbers that the
// in-situ inference (mlg/in_situ.hpp) runs.
//
// Quantizer of a stored tensor x at k bits (forward values exactly the ones mlg computes):
//   t = tanh(x) / max|tanh(x)|,  code = round((t + 1) / 2 (2^k - 1)),
//   value = scale (2 code / (2^k - 1) - 1) with scale = max|x| (not trained through),
// DoReFa's symmetric levels with the tensor's magnitude kept; the gradient passes the rounding
// straight through (to tanh's derivative). 32-bit tensors are used as they are.
// Training: knowledge distillation from a float teacher of the same architecture,
//   alpha T^2 KL + (1 - alpha) CE (T = 3, alpha = 0.9),
// plus `orthonormality` x the mean of MSE(G, I) over the Gram matrices G of the generation
// factors (each level-1 basis group B_g B_g^T; the columns of each U_g, normalised with the
// norm not trained through; the rows of U as level 2's basis without level 1; the columns of
// V), started by projection onto the teacher (Adam on each layer's weight MSE to the
// teacher's, as the authors do with RAdam, which LibTorch 1.13 lacks) or by SVD for level 2
// alone. Adam with a cosine schedule; the epoch with the best validation accuracy is kept.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "mbi/core/image_set.hpp"
#include "mbi/mlg/generated_network.hpp"

namespace mbi::train {

// The straight-through quantizer above (bits 1..8; 32 returns x). `codes`, when given, gets
// the codes (uint8).
torch::Tensor quantize_stored(const torch::Tensor& x, int bits, torch::Tensor* codes = nullptr, float* scale = nullptr);

// The factors of one stored weight (mlg::GeneratedWeight's B, U, V) as LibTorch tensors,
// undefined where its form has none.
struct WeightFactors {
  torch::Tensor basis, coefficients, mixing;
};
// Random factors for `form`, each level's sum normalised so the product has about the Kaiming
// spread of a weight with in x span inputs.
WeightFactors initial_factors(const mlg::GeneratedWeight& form);
// The weight generated from `factors` through their quantizers, shape (out, in x span).
torch::Tensor generate_weight(const mlg::GeneratedWeight& form, const WeightFactors& factors);
// Fits `factors` to `target` (out, in x span): when the form stores it whole, copied (float) or
// set so that each weight lands on its nearest level (coded); by SVD when `svd` and the form is
// level 2 alone; else by projection (`steps` Adam steps at `lr` on the MSE of the generated
// weight, through the quantizers).
void fit_factors(const mlg::GeneratedWeight& form, WeightFactors& factors, const torch::Tensor& target, int steps,
                 double lr, bool svd);
// `form` with the stored tensors of `factors` (codes and scales, or floats).
mlg::GeneratedWeight stored_weight(const mlg::GeneratedWeight& form, const WeightFactors& factors);

class GeneratedNetImpl : public torch::nn::Module {
 public:
  // The module for `layout` (mlg::lay_out): parameters shaped as its stored tensors,
  // initialised at random (Kaiming for whole weights), batch norms fresh.
  explicit GeneratedNetImpl(const mlg::GeneratedNetwork& layout);
  // Pixels as floats in [0, 255], shape (N, channels x rows x cols); logits (N, classes).
  torch::Tensor forward(const torch::Tensor& pixels);
  // Each convolution's weight as generated now (out x in x kernel rows x kernel cols).
  std::vector<torch::Tensor> generated_weights();
  // The orthonormality loss (0 when no layer is generated).
  torch::Tensor orthonormality_loss();
  // Starts every stored tensor from `teacher`'s weights (same architecture, any method):
  // SVD where the weight is level 2 alone with 32-bit factors... and projection otherwise
  // (`steps` Adam steps at `lr` on the weight MSE), whole weights copied. Batch norms and
  // biases copied too.
  void start_from(GeneratedNetImpl& teacher, int steps, double lr, bool svd);
  // The network as plain numbers (eval mode): codes, scales, batch norms folded.
  mlg::GeneratedNetwork export_network() const;
  // Sets a network stored whole in float (method "full", as exported) into this module of the
  // same layout: weights, folded batch norms (as mean 0, variance 1 - eps) and biases.
  void import_network(const mlg::GeneratedNetwork& network);
  const mlg::GeneratedNetwork& layout() const { return layout_; }

 private:
  struct Conv {
    int op = 0;  // index in layout_.ops
    WeightFactors factors;
    torch::Tensor bias;  // undefined when absent
  };
  torch::Tensor weight_of(const Conv& c) const;

  mlg::GeneratedNetwork layout_;
  std::vector<Conv> convs_;
  std::vector<torch::nn::BatchNorm2d> norms_;
};
TORCH_MODULE(GeneratedNet);

struct GeneratedTrainOptions {
  int epochs = 10;
  int batch = 128;
  double lr = 2e-3;  // Adam, cosine decay to 0 over the epochs
  double weight_decay = 0;
  int augment_shift = 0;
  std::uint64_t seed = 1;
  bool progress = true;
  double distill_alpha = 0.9, distill_temperature = 3;
  double orthonormality = 0.05;
  std::string init = "projection";  // projection | svd | random
  int projection_steps = 1000;
  double projection_lr = 2e-2;
  // Written after every epoch (atomically) and read back by `resume`: the run goes on from
  // the last finished epoch, with the same result as an uninterrupted run. Empty: none.
  std::filesystem::path checkpoint{};
  bool resume = false;
  // Stop after this many epochs of the schedule (0 = run them all): a long run split across
  // sessions, resumed later with `resume`.
  int stop_after = 0;
};

struct GeneratedEpoch {
  int epoch = 0;
  double loss = 0, train_accuracy = 0, val_accuracy = 0, seconds = 0;
};

struct GeneratedTrainResult {
  GeneratedNet model{nullptr};  // the best validation epoch, in eval mode
  int best_epoch = 0;
  double best_val_accuracy = 0;
  std::vector<GeneratedEpoch> log;
  int resumed_from = 0;  // epochs read from the checkpoint
};

// Trains `layout` on `train_set` (validation on `val_set`), distilled from `teacher` when given
// (a network of the same architecture; else plain cross-entropy and a random start).
GeneratedTrainResult train_generated(const mlg::GeneratedNetwork& layout, const GeneratedTrainOptions& options,
                                     const ImageSet& train_set, const ImageSet& val_set,
                                     const mlg::GeneratedNetwork* teacher = nullptr);
// Percent correct of the LibTorch model on `images` (eval mode).
double generated_accuracy(GeneratedNet& model, const ImageSet& images);

}  // namespace mbi::train
