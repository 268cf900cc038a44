// Ternary training: the TWN rule of ternarize(), a short training on synthetic images that
// learns, the exported integer network agreeing with the LibTorch model it came from, and a
// start from the same network in float.
#include "mbi/train/ternary_training.hpp"

#include <gtest/gtest.h>

#include <random>

#include "mbi/core/error.hpp"
#include "mbi/ternary/reference.hpp"

namespace mbi::train {
namespace {

// 12x12 images of 3 classes: a bright bar in one of three places, plus noise.
ImageSet bars(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  ImageSet s;
  s.rows = s.cols = 12;
  s.classes = 3;
  for (std::size_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(rng() % 3);
    for (int r = 0; r < 12; ++r)
      for (int c = 0; c < 12; ++c) {
        const bool bar = c >= 1 + label * 4 && c < 3 + label * 4 && r > 2 && r < 10;
        s.pixels.push_back(static_cast<std::uint8_t>(std::min<std::uint64_t>(255, (bar ? 180 : 0) + rng() % 60)));
      }
    s.labels.push_back(static_cast<std::uint8_t>(label));
  }
  return s;
}

TEST(Ternarize, KeepsWeightsAboveSevenTenthsOfTheMeanMagnitude) {
  const torch::Tensor w = torch::tensor({{1.0f, -0.1f, 0.5f, -2.0f}, {0.0f, 0.0f, 0.0f, 0.0f}});
  const TernaryWeights t = ternarize(w, true);
  // Row 0: mean |w| = 0.9, delta 0.63: keeps 1 and -2, alpha = 1.5.
  EXPECT_TRUE(torch::equal(t.signs[0], torch::tensor({1, 0, 0, -1}, torch::kInt8)));
  EXPECT_NEAR(t.alpha[0].item<double>(), 1.5, 1e-6);
  EXPECT_EQ(t.signs[1].abs().sum().item<int>(), 0);  // all zero: nothing kept, alpha 0
  EXPECT_EQ(t.alpha[1].item<double>(), 0.0);
  const TernaryWeights layer = ternarize(w, false);
  EXPECT_EQ(layer.alpha.numel(), 1);
}

TEST(TernaryTraining, LearnsAndExportsAnIntegerNetworkThatAgrees) {
  torch::set_num_threads(1);
  const ImageSet train_set = bars(600, 1), val_set = bars(200, 2);
  for (const std::string kind : {"cnn", "mlp"}) {
    TernaryArchitecture a;
    a.kind = kind;
    a.conv_channels = {4, 8};
    a.hidden = {16};
    TernaryTrainOptions o;
    o.epochs = 4;
    o.batch = 32;
    o.progress = false;
    TernaryTrainResult r = train_ternary(a, o, train_set, val_set);
    EXPECT_GT(r.best_val_accuracy, 90.0) << kind;
    const ternary::Network n = r.model->export_network(kind);
    EXPECT_NO_THROW(n.validate());
    // The integer network predicts as the LibTorch model does (float rounding may flip an
    // image whose sum sits on a threshold; none of these should).
    torch::NoGradGuard no_grad;
    const torch::Tensor x =
        torch::from_blob(const_cast<std::uint8_t*>(val_set.pixels.data()), {200, 144}, torch::kUInt8).to(torch::kFloat32);
    const torch::Tensor predicted = r.model->forward(x).argmax(1);
    int agree = 0;
    for (std::size_t i = 0; i < val_set.count(); ++i)
      agree += ternary::predict(n, val_set.image(i)) == predicted[static_cast<std::int64_t>(i)].item<int>() ? 1 : 0;
    EXPECT_GE(agree, 198) << kind;
  }
  TernaryArchitecture f;
  f.float_baseline = true;
  f.conv_channels = {4};
  f.hidden = {8};
  TernaryTrainResult r = train_ternary(f, {.epochs = 1, .batch = 64, .progress = false}, train_set, val_set);
  EXPECT_THROW(r.model->export_network("float"), Error);
}

TEST(TernaryTraining, FromFloatStartsFromTheFloatNetworkAndDistillsFromIt) {
  torch::set_num_threads(1);
  const ImageSet train_set = bars(300, 3), val_set = bars(100, 4);
  TernaryArchitecture a;
  a.kind = "mlp";
  a.hidden = {16};
  TernaryTrainOptions o;
  o.epochs = 1;
  o.batch = 32;
  o.progress = false;
  o.from_float_epochs = 3;
  o.lr = 1e-7;  // the ternary phase barely moves: what it ends with is where it started
  TernaryTrainResult r = train_ternary(a, o, train_set, val_set);
  ASSERT_TRUE(r.float_model);
  EXPECT_EQ(r.float_log.size(), 3U);
  EXPECT_EQ(r.log.size(), 1U);
  EXPECT_TRUE(r.float_model->architecture().float_baseline);
  EXPECT_FALSE(r.model->architecture().float_baseline);
  // Every weight and batch-norm statistic was copied from the float network (the clips too).
  const auto from = r.float_model->named_parameters(), to = r.model->named_parameters();
  for (const auto& p : from) EXPECT_TRUE(torch::allclose(p.value(), to[p.key()], 1e-4, 1e-5)) << p.key();
  // Refusals.
  o.distill_alpha = 1.5;
  EXPECT_THROW(train_ternary(a, o, train_set, val_set), Error);
}

}  // namespace
}  // namespace mbi::train
