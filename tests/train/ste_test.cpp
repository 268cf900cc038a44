// The straight-through hidden-state quantiser: exact forward values, clamp gradient.
#include <gtest/gtest.h>

#include "mbi/train/ram_model.hpp"

namespace mbi::train {
namespace {

TEST(HiddenQuantizer, OneBitForwardValues) {
  const auto h = torch::tensor({-0.7F, 0.0F, 0.3F, 0.49F, 0.51F, 1.0F, 2.5F});
  const auto q = quantize_hidden_ste(h, 2);
  const std::vector<float> want = {0, 0, 0, 0, 1, 1, 1};
  for (int i = 0; i < 7; ++i) EXPECT_FLOAT_EQ(q[i].item<float>(), want[static_cast<std::size_t>(i)]) << i;
}

TEST(HiddenQuantizer, TwoBitForwardValues) {
  const auto q = quantize_hidden_ste(torch::tensor({0.1F, 0.2F, 0.5F, 0.9F}), 4);
  EXPECT_FLOAT_EQ(q[0].item<float>(), 0.0F);
  EXPECT_NEAR(q[1].item<float>(), 1.0F / 3, 1e-6);
  EXPECT_NEAR(q[2].item<float>(), 2.0F / 3, 1e-6);  // 1.5 rounds to even -> 2
  EXPECT_FLOAT_EQ(q[3].item<float>(), 1.0F);
}

TEST(HiddenQuantizer, StraightThroughGradientIsTheClampGradient) {
  // d/dh sum(w * q(h)) must be w inside (0, 1) and 0 outside: rounding passes gradient
  // through, clamping blocks it. A plain round() would give 0 everywhere.
  auto h = torch::tensor({-0.5F, 0.2F, 0.7F, 1.5F}, torch::requires_grad());
  const auto w = torch::tensor({1.0F, 2.0F, 3.0F, 4.0F});
  (quantize_hidden_ste(h, 2) * w).sum().backward();
  const auto g = h.grad();
  EXPECT_FLOAT_EQ(g[0].item<float>(), 0.0F);
  EXPECT_FLOAT_EQ(g[1].item<float>(), 2.0F);
  EXPECT_FLOAT_EQ(g[2].item<float>(), 3.0F);
  EXPECT_FLOAT_EQ(g[3].item<float>(), 0.0F);
}

TEST(RamModel, GradientReachesCoreThroughQuantisedHiddenState) {
  RamConfig c;
  c.hidden = 8;
  c.core_width = 16;
  torch::manual_seed(0);
  RamModel model(c);
  const auto phi = torch::randn({4, c.phi_size()});
  const auto loc = torch::zeros({4, 2});
  auto h = model->core_step(phi, loc, torch::zeros({4, c.hidden}));
  h = model->core_step(phi, loc, h);
  torch::nll_loss(model->classify(h), torch::tensor({0, 1, 2, 3}, torch::kInt64)).backward();
  double grad = 0;
  for (const auto& p : model->named_parameters())
    if (p.key().rfind("h2h", 0) == 0) grad += p.value().grad().abs().sum().item<double>();
  EXPECT_GT(grad, 0.0);
}

}  // namespace
}  // namespace mbi::train
