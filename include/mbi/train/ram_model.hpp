#pragma once
// The recurrent attention model (Mnih et al. 2014) as the paper configures it, with
// quantisation-aware training: the 1-bit hidden state passes gradients straight through.
#include <torch/torch.h>

#include "mbi/lookup/ram_config.hpp"

namespace mbi::train {

// Straight-through quantiser of the hidden state: clamp to [0, 1], round to `levels`
// levels in the forward pass; the backward pass is the clamp's gradient.
torch::Tensor quantize_hidden_ste(const torch::Tensor& h, int levels);

class RamModelImpl : public torch::nn::Module {
 public:
  explicit RamModelImpl(const RamConfig& config);

  const RamConfig& config() const { return config_; }

  // h_t from the (already quantised) glimpse phi [B, phi_size], the location the teacher
  // sees [B, 2] (snapped to pixels) and h_{t-1} [B, hidden].
  torch::Tensor core_step(const torch::Tensor& phi, const torch::Tensor& location, const torch::Tensor& h_prev);
  // Mean of the next location in [-1, 1]^2; reads h through detach() (REINFORCE trains it).
  torch::Tensor location_mean(const torch::Tensor& h);
  // Expected reward, from detached h.
  torch::Tensor baseline(const torch::Tensor& h);
  // Class log-probabilities.
  torch::Tensor classify(const torch::Tensor& h);

 private:
  RamConfig config_;
  torch::nn::Linear phi_fc_{nullptr}, loc_fc_{nullptr}, phi_out_{nullptr}, loc_out_{nullptr};
  torch::nn::Linear i2h_{nullptr}, h2h_{nullptr};
  torch::nn::ModuleList core_layers_{nullptr};
  torch::nn::Linear policy_fc_{nullptr}, policy_out_{nullptr}, baseline_fc_{nullptr}, classifier_{nullptr};
};
TORCH_MODULE(RamModel);

}  // namespace mbi::train
