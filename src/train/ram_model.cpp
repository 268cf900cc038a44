#include "mbi/train/ram_model.hpp"

namespace mbi::train {

torch::Tensor quantize_hidden_ste(const torch::Tensor& h, int levels) {
  const torch::Tensor clamped = h.clamp(0.0, 1.0);
  const double steps = levels - 1;
  const torch::Tensor rounded = torch::round(clamped * steps) / steps;
  return clamped + (rounded - clamped).detach();
}

RamModelImpl::RamModelImpl(const RamConfig& c) : config_(c) {
  using torch::nn::Linear;
  phi_fc_ = register_module("phi_fc", Linear(c.phi_size(), c.glimpse_hidden));
  loc_fc_ = register_module("loc_fc", Linear(2, c.loc_hidden));
  phi_out_ = register_module("phi_out", Linear(c.glimpse_hidden, c.glimpse_out));
  loc_out_ = register_module("loc_out", Linear(c.loc_hidden, c.glimpse_out));
  // With added layers the recurrence runs at core_width and the extra layers bring it
  // down to the hidden width; without, the recurrence produces the hidden state itself.
  const int rec_width = c.added_core_layers > 0 ? c.core_width : c.hidden;
  i2h_ = register_module("i2h", Linear(c.glimpse_out, rec_width));
  h2h_ = register_module("h2h", Linear(c.hidden, rec_width));
  core_layers_ = register_module("core_layers", torch::nn::ModuleList());
  for (int i = 0; i < c.added_core_layers; ++i) {
    const int out = i + 1 == c.added_core_layers ? c.hidden : c.core_width;
    core_layers_->push_back(Linear(c.core_width, out));
  }
  policy_fc_ = register_module("policy_fc", Linear(c.hidden, c.loc_net_hidden));
  policy_out_ = register_module("policy_out", Linear(c.loc_net_hidden, 2));
  baseline_fc_ = register_module("baseline_fc", Linear(c.hidden, 1));
  classifier_ = register_module("classifier", Linear(c.hidden, c.classes));
}

torch::Tensor RamModelImpl::core_step(const torch::Tensor& phi, const torch::Tensor& location,
                                      const torch::Tensor& h_prev) {
  const auto what = torch::relu(phi_fc_(phi));
  const auto where = torch::relu(loc_fc_(location));
  const auto g = torch::relu(phi_out_(what) + loc_out_(where));
  auto h = i2h_(g) + h2h_(h_prev);
  for (const auto& layer : *core_layers_) h = layer->as<torch::nn::Linear>()->forward(torch::relu(h));
  if (config_.hidden_bits > 0) return quantize_hidden_ste(h, config_.hidden_levels());
  return torch::relu(h);
}

torch::Tensor RamModelImpl::location_mean(const torch::Tensor& h) {
  return torch::tanh(policy_out_(torch::relu(policy_fc_(h.detach()))));
}

torch::Tensor RamModelImpl::baseline(const torch::Tensor& h) { return baseline_fc_(h.detach()).squeeze(1); }

torch::Tensor RamModelImpl::classify(const torch::Tensor& h) { return torch::log_softmax(classifier_(h), 1); }

}  // namespace mbi::train
