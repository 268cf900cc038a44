// The RAM teacher with generated layers: stored as floats it is left as it was; stored as
// generated weights, every inference weight becomes exactly what its stored form generates, the
// bits add up layer by layer, and the baseline (training only) is neither changed nor counted.
#include "mbi/train/ram_generation.hpp"

#include <gtest/gtest.h>

#include "parameter_copy.hpp"
#include "synthetic_ram.hpp"

namespace mbi::train {
namespace {

using test::copy_of;

TEST(RamGeneration, FloatStorageLeavesTheTeacherAsItWas) {
  torch::manual_seed(1);
  RamModel model(test::small_ram_config());
  const auto before = copy_of(model);
  mlg::StoragePolicy full;
  full.method = "full";
  const RamGeneration g = generate_ram_layers(model, full, 10, 1e-2, false);
  EXPECT_EQ(g.stored_bits, g.float_bits);
  for (const auto& p : model->named_parameters()) EXPECT_TRUE(torch::equal(p.value(), before.at(p.key()))) << p.key();
}

TEST(RamGeneration, WeightsBecomeWhatTheirStoredFormGeneratesAndTheBitsAddUp) {
  torch::manual_seed(2);
  RamConfig c = test::small_ram_config();
  c.glimpse_hidden = 32;
  c.loc_hidden = 32;
  c.glimpse_out = 64;
  RamModel model(c);
  const auto before = copy_of(model);
  mlg::StoragePolicy p;
  p.method = "mlg";
  p.level1 = false;
  p.basis_out = 4;
  p.bits_coefficients = 6;
  p.bits_mixing = 4;
  const RamGeneration g = generate_ram_layers(model, p, 200, 2e-2, false);
  std::uint64_t stored = 0, whole = 0, biases = 0;
  for (const auto& layer : g.layers) {
    stored += layer["stored_bits"].get<std::uint64_t>();
    whole += layer["float_bits"].get<std::uint64_t>();
    EXPECT_LT(layer["relative_rms_error"].get<double>(), 1.0) << layer["name"];
    EXPECT_NE(layer["name"].get<std::string>().rfind("baseline_fc", 0), 0u);
  }
  for (const auto& q : model->named_parameters())
    if (q.value().dim() == 1 && q.key().rfind("baseline_fc", 0) != 0) biases += 32 * static_cast<std::uint64_t>(q.value().numel());
  EXPECT_EQ(g.stored_bits, stored + biases);
  EXPECT_EQ(g.float_bits, whole + biases);
  EXPECT_LT(g.memory_ratio(), 0.5);
  // phi_out (64 x 32): rank 4 through 4-bit and 6-bit factors, so its rank is at most 4.
  const torch::Tensor w = model->named_parameters()["phi_out.weight"].detach();
  const torch::Tensor singular = std::get<1>(torch::linalg_svd(w, false));
  EXPECT_LT(singular[4].item<float>(), 1e-4F * singular[0].item<float>());
  EXPECT_FALSE(torch::equal(w, before.at("phi_out.weight")));
  // The last layer stays float, the baseline untouched.
  EXPECT_TRUE(torch::equal(model->named_parameters()["classifier.weight"], before.at("classifier.weight")));
  EXPECT_TRUE(torch::equal(model->named_parameters()["baseline_fc.weight"], before.at("baseline_fc.weight")));
}

}  // namespace
}  // namespace mbi::train
