// Ternary training: the TWN rule of ternarize(), a short training on synthetic images that
// learns, the exported integer network agreeing with the LibTorch model it came from, and a
// start from the same network in float.
#include "mbi/train/ternary_training.hpp"

#include <gtest/gtest.h>

#include <random>

#include "mbi/cim/float_network.hpp"
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

// Float networks for the analog crossbar (issue 17): the exported network (batch norms
// folded) computes what the LibTorch model does; the mean mapped conductance the energy
// regularization lowers is the exported network's; weight noise acts in training only.
TEST(FloatTraining, ExportedNetworkComputesTheLibTorchForwardPass) {
  torch::set_num_threads(1);
  const ImageSet train_set = bars(400, 5), val_set = bars(100, 6);
  for (const std::string kind : {"cnn", "mlp"}) {
    TernaryArchitecture a;
    a.kind = kind;
    a.float_baseline = true;
    a.conv_channels = {4, 6};
    a.hidden = {12};
    TernaryTrainResult r = train_ternary(a, {.epochs = 2, .batch = 32, .progress = false}, train_set, val_set);
    const cim::FloatNetwork n = r.model->export_float_network("t");
    torch::NoGradGuard no_grad;
    const torch::Tensor x =
        torch::from_blob(const_cast<std::uint8_t*>(val_set.pixels.data()), {100, 144}, torch::kUInt8).to(torch::kFloat32);
    const torch::Tensor logits = r.model->forward(x);
    for (std::int64_t i = 0; i < 100; ++i) {
      const std::vector<float> got = cim::float_logits(n, val_set.image(static_cast<std::size_t>(i)));
      for (std::int64_t k = 0; k < 3; ++k) {
        const float want = logits[i][k].item<float>();
        ASSERT_NEAR(got[static_cast<std::size_t>(k)], want, 1e-4F * (1 + std::abs(want))) << kind << " image " << i;
      }
    }
  }
}

TEST(FloatTraining, MappedConductanceIsTheExportedNetworksAndEnergyRegularizationLowersIt) {
  torch::set_num_threads(1);
  const ImageSet train_set = bars(600, 7), val_set = bars(100, 8);
  TernaryArchitecture a;
  a.kind = "mlp";  // one position per layer: the per-read mean is the per-weight mean
  a.float_baseline = true;
  a.hidden = {16};
  TernaryTrainOptions o{.epochs = 4, .batch = 32, .progress = false};
  TernaryTrainResult plain = train_ternary(a, o, train_set, val_set);
  plain.model->train();
  const torch::Tensor x =
      torch::from_blob(const_cast<std::uint8_t*>(val_set.pixels.data()), {100, 144}, torch::kUInt8).to(torch::kFloat32);
  plain.model->forward(x);
  const double mapped = plain.model->mapped_conductance().item<double>();
  plain.model->eval();
  EXPECT_NEAR(mapped, cim::mean_mapped_conductance(plain.model->export_float_network("p")), 1e-5);
  o.energy_regularization = 1.0;
  TernaryTrainResult lean = train_ternary(a, o, train_set, val_set);
  EXPECT_LT(lean.log.back().mapped_conductance, 0.8 * plain.log.back().mapped_conductance);
  EXPECT_GT(lean.best_val_accuracy, 90.0);  // still learns
}

TEST(FloatTraining, WeightNoiseActsInTrainingOnly) {
  torch::set_num_threads(1);
  torch::manual_seed(3);
  TernaryArchitecture a;
  a.kind = "mlp";
  a.float_baseline = true;
  a.hidden = {16};
  TernaryNet net(a, 12, 12, 3);
  const ImageSet images = bars(64, 9);
  const torch::Tensor x =
      torch::from_blob(const_cast<std::uint8_t*>(images.pixels.data()), {64, 144}, torch::kUInt8).to(torch::kFloat32);
  torch::NoGradGuard no_grad;
  net->train();
  const torch::Tensor clean = net->forward(x);
  // A device table that reads every magnitude back exactly changes nothing.
  WeightNoise exact{.kind = WeightNoise::Kind::device, .mean = {0, 1}, .stddev = {0, 0}};
  net->set_weight_noise(exact);
  EXPECT_TRUE(torch::allclose(net->forward(x), clean, 1e-5, 1e-6));
  // One that reads every weight at half its magnitude changes the logits (the last layer has
  // no batch norm to undo it).
  WeightNoise half{.kind = WeightNoise::Kind::device, .mean = {0, 0.5}, .stddev = {0, 0}};
  net->set_weight_noise(half);
  EXPECT_FALSE(torch::allclose(net->forward(x), clean, 1e-3, 1e-4));
  // Gaussian noise: every training forward pass draws anew; evaluation sees the weights.
  net->set_weight_noise({.kind = WeightNoise::Kind::gaussian, .sigma = 0.2});
  EXPECT_FALSE(torch::allclose(net->forward(x), net->forward(x), 1e-3, 1e-4));
  net->eval();
  const torch::Tensor evaluated = net->forward(x);
  net->set_weight_noise({});
  EXPECT_TRUE(torch::equal(net->forward(x), evaluated));
  // Refusals.
  EXPECT_THROW(net->set_weight_noise({.kind = WeightNoise::Kind::device, .mean = {0}, .stddev = {0}}), Error);
  EXPECT_THROW(net->set_weight_noise({.kind = WeightNoise::Kind::gaussian, .sigma = -1}), Error);
  TernaryArchitecture ternary = a;
  ternary.float_baseline = false;
  TernaryNet t(ternary, 12, 12, 3);
  EXPECT_THROW(t->set_weight_noise({.kind = WeightNoise::Kind::gaussian}), Error);
  EXPECT_THROW(train_ternary(ternary, {.epochs = 1, .progress = false, .energy_regularization = 0.1}, images, images), Error);
  EXPECT_THROW(train_ternary(a, {.epochs = 1, .progress = false, .energy_regularization = -1}, images, images), Error);
}

}  // namespace
}  // namespace mbi::train
