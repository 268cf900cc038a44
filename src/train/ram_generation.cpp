#include "mbi/train/ram_generation.hpp"

#include <string>

#include "mbi/core/error.hpp"
#include "mbi/train/generated_training.hpp"

namespace mbi::train {

RamGeneration generate_ram_layers(RamModel& model, const mlg::StoragePolicy& policy, int steps, double lr, bool svd) {
  policy.validate();
  RamGeneration out;
  for (auto& item : model->named_parameters()) {
    const std::string& name = item.key();
    torch::Tensor& p = item.value();
    if (name.rfind("baseline_fc.", 0) == 0) continue;  // training only
    if (p.dim() == 1) {                                // a bias: stored as float32
      out.stored_bits += 32 * static_cast<std::uint64_t>(p.numel());
      out.float_bits += 32 * static_cast<std::uint64_t>(p.numel());
      continue;
    }
    const int rows = static_cast<int>(p.size(0)), cols = static_cast<int>(p.size(1));
    const bool last = name.rfind("classifier.", 0) == 0;
    const mlg::GeneratedWeight form = mlg::lay_out_weight(rows, cols, 1, last, policy);
    WeightFactors factors = initial_factors(form);
    fit_factors(form, factors, p.detach(), steps, lr, svd);
    const mlg::GeneratedWeight stored = stored_weight(form, factors);
    torch::Tensor generated;
    {
      torch::NoGradGuard no_grad;
      generated = generate_weight(form, factors).view(p.sizes());
      const double error = (generated - p).pow(2).mean().sqrt().item<double>();
      const double spread = p.pow(2).mean().sqrt().item<double>();
      out.layers.push_back({{"name", name},
                            {"shape", {rows, cols}},
                            {"level2", stored.level2},
                            {"basis_out", stored.basis_out},
                            {"stored_bits", stored.stored_bits()},
                            {"float_bits", 32 * stored.weight_count()},
                            {"relative_rms_error", spread > 0 ? error / spread : 0.0}});
      p.copy_(generated);
    }
    out.stored_bits += stored.stored_bits();
    out.float_bits += 32 * stored.weight_count();
  }
  return out;
}

}  // namespace mbi::train
