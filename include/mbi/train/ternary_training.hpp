#pragma once
// Ternary networks in LibTorch: training with ternary weights and low-bit activations, and
// the export to the integer network of mbi/ternary (what the associative processor and the
// crossbar baseline run).
//
// Weights: per output channel, threshold delta = 0.7 mean|W| (Li & Liu, "Ternary Weight
// Networks", 2016); w = sign(W) where |W| > delta, else 0; the channel's scale alpha = mean|W|
// over the kept weights. The forward pass uses alpha * w, the backward pass hands the gradient
// to W unchanged (straight-through). The last layer has one alpha for all its outputs, so its
// integer sums rank the classes as the float logits do.
// Activations: batch norm, then a PACT clip to [0, c] with a learned c (Choi et al., 2018),
// rounded to 2^bits levels with a straight-through gradient. Pixels are rounded to the same
// levels. With `float_baseline` the same network trains with float weights and plain ReLUs
// (the "same network in float" the ternary one is measured against).
#include <cstdint>
#include <string>
#include <vector>

#include <torch/torch.h>

#include "mbi/cim/float_network.hpp"
#include "mbi/core/image_set.hpp"
#include "mbi/ternary/network.hpp"

namespace mbi::train {

// Noise on the weights of a float network during training (issue 17), in the forward pass
// only (the gradient passes straight through), per output column as the analog crossbar
// scales them (cim/analog_crossbar.hpp): u = |w| / max_j |w_oj|.
//   gaussian  w + sigma max_j |w_oj| N(0, 1): the classic noise-aware training;
//   device    sign(w) (mean(u) + stddev(u) N(0, 1)) max_j |w_oj| with the mean and spread of
//             what the device reads back by magnitude (device/pcm_weight_noise.hpp): the
//             device model's own noise, drift and compensation included (device-enhanced).
struct WeightNoise {
  enum class Kind { none, gaussian, device } kind = Kind::none;
  double sigma = 0.1;               // gaussian
  std::vector<double> mean{}, stddev{};  // device: per magnitude, evenly spaced over 0..1
};

struct TernaryArchitecture {
  std::string kind = "cnn";                // "cnn" (LeNet-5 class) or "mlp"
  std::vector<int> conv_channels = {16, 32};  // cnn: 5x5 convolutions, each followed by a 2x2 max pool
  std::vector<int> hidden = {128};         // dense hidden layers (cnn: after the convolutions)
  int activation_bits = 4;
  bool float_baseline = false;
};

class TernaryNetImpl : public torch::nn::Module {
 public:
  TernaryNetImpl(const TernaryArchitecture& architecture, int rows, int cols, int classes);
  // Pixels as floats in [0, 255], shape (N, rows * cols); returns logits (N, classes).
  torch::Tensor forward(const torch::Tensor& pixels);
  const TernaryArchitecture& architecture() const { return architecture_; }
  // The integer network: ternary weights, thresholds folding alpha, the batch norm (its
  // running statistics), the clip and the rounding. Eval mode only; not for float baselines.
  ternary::Network export_network(const std::string& name) const;
  // A float baseline as plain numbers, batch norms folded into weights and biases. Eval mode.
  cim::FloatNetwork export_float_network(const std::string& name) const;
  // Float baselines: the noise on the weights in training mode (none by default).
  void set_weight_noise(const WeightNoise& noise);
  // Float baselines: the mean mapped conductance per multiply-accumulate of the last forward
  // pass, sum over layers of positions x sum_oj u_oj over sum of positions x weights (u as
  // for WeightNoise): the read energy of the analog crossbar up to a constant, for the
  // energy regularization. Differentiable; defined after a forward pass.
  torch::Tensor mapped_conductance() const { return mapped_conductance_; }

 private:
  struct Block {
    bool conv = false;
    torch::nn::Conv2d conv_layer{nullptr};
    torch::nn::Linear dense_layer{nullptr};
    torch::nn::BatchNorm2d bn2{nullptr};
    torch::nn::BatchNorm1d bn1{nullptr};
    torch::Tensor clip;  // PACT's c, one per layer
    int padding = 0;  // of the convolution
    bool pool = false;
  };
  torch::Tensor weight_used(const torch::Tensor& w, bool per_channel, std::int64_t positions);
  torch::Tensor activate(const Block& b, const torch::Tensor& x) const;

  TernaryArchitecture architecture_;
  int rows_, cols_, classes_;
  std::vector<Block> blocks_;
  torch::nn::Linear last_{nullptr};
  WeightNoise noise_;
  torch::Tensor noise_mean_, noise_stddev_;  // noise_ as tensors
  torch::Tensor mapped_sum_, mapped_conductance_;
  double mapped_count_ = 0;
};
TORCH_MODULE(TernaryNet);

// The ternary weights (-1, 0, +1) and per-channel scales of a weight tensor (out x ...).
struct TernaryWeights {
  torch::Tensor signs;   // same shape, int8
  torch::Tensor alpha;   // (out) or (1) float
};
TernaryWeights ternarize(const torch::Tensor& w, bool per_channel);

struct TernaryTrainOptions {
  int epochs = 20;
  int batch = 128;
  double lr = 2e-3;  // Adam, cosine decay to 0 over the epochs
  double weight_decay = 0;
  int augment_shift = 0;  // random shifts of up to N pixels
  std::uint64_t seed = 1;
  bool progress = true;
  // Start from float (0 = off): train the same network in float for this many epochs first,
  // start the ternary network from its weights and batch norms, and distill from it:
  // loss = alpha T^2 KL(softmax(teacher / T) || softmax(student / T)) + (1 - alpha) CE.
  int from_float_epochs = 0;
  double distill_alpha = 0.9;
  double distill_temperature = 3;
  // Float networks (issue 17): weight noise in training, and the energy regularization
  // loss term lambda x mapped_conductance() (0 = off).
  WeightNoise weight_noise{};
  double energy_regularization = 0;
};

struct TernaryEpoch {
  int epoch = 0;
  double loss = 0, train_accuracy = 0, val_accuracy = 0, seconds = 0;
  double mapped_conductance = 0;  // float networks: mean over the epoch's batches
};

struct TernaryTrainResult {
  TernaryNet model{nullptr};  // the weights of the best validation epoch, in eval mode
  int best_epoch = 0;
  double best_val_accuracy = 0;
  std::vector<TernaryEpoch> log;
  // With from_float_epochs: the float network it started from (and distilled from).
  TernaryNet float_model{nullptr};
  double float_val_accuracy = 0;
  std::vector<TernaryEpoch> float_log;
};

// Trains on `train_set`, picks the epoch with the best accuracy on `val_set` (the float start
// too, when asked for).
TernaryTrainResult train_ternary(const TernaryArchitecture& architecture, const TernaryTrainOptions& options,
                                 const ImageSet& train_set, const ImageSet& val_set);
// Percent correct of the LibTorch model (fake-quantized as trained) on `images`.
double ternary_accuracy(TernaryNet& model, const ImageSet& images);

}  // namespace mbi::train
