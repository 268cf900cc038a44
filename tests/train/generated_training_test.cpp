// Generated networks in LibTorch: the quantizer's forward values are mlg's own floats and its
// gradient passes through; the exported network computes LibTorch's forward pass by in-situ
// generation (every method, a residual network too); the starts from a teacher (SVD gives the
// best rank-r approximation, projection moves toward the teacher); training learns, and a
// resumed run ends byte for byte where an uninterrupted one does.
#include "mbi/train/generated_training.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>
#include <string>

#include <unistd.h>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/mlg/architecture.hpp"
#include "mbi/mlg/in_situ.hpp"
#include "mbi/mlg/network_file.hpp"
#include "mbi/train/image_tensors.hpp"

namespace mbi::train {
namespace {

// Three classes of 12x12 images: a bright square in one of three places, on noise.
ImageSet squares(std::size_t count, std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  ImageSet s;
  s.rows = 12;
  s.cols = 12;
  s.classes = 3;
  for (std::size_t i = 0; i < count; ++i) {
    const int label = static_cast<int>(rng() % 3);
    s.labels.push_back(static_cast<std::uint8_t>(label));
    const int r0 = label == 0 ? 1 : label == 1 ? 6 : 3, c0 = label == 0 ? 1 : label == 1 ? 6 : 7;
    for (int r = 0; r < 12; ++r)
      for (int c = 0; c < 12; ++c) {
        const bool in = r >= r0 && r < r0 + 4 && c >= c0 && c < c0 + 4;
        s.pixels.push_back(static_cast<std::uint8_t>(in ? 160 + rng() % 90 : rng() % 90));
      }
  }
  return s;
}

mlg::StoragePolicy policy(const std::string& method) {
  mlg::StoragePolicy p;
  p.method = method;
  p.basis_in = 2;
  p.basis_out = 3;
  p.bits = method == "quant" ? 3 : 32;
  p.rank = 2;
  return p;
}

TEST(QuantizeStored, ForwardValuesAreMlgsLevelsAndTheGradientPassesThrough) {
  torch::manual_seed(3);
  for (int bits = 1; bits <= 8; ++bits) {
    const torch::Tensor x = torch::randn({50}).requires_grad_(true);
    torch::Tensor codes;
    float scale = 0;
    const torch::Tensor q = quantize_stored(x, bits, &codes, &scale);
    EXPECT_FLOAT_EQ(scale, x.detach().abs().max().item<float>());
    mlg::StoredTensor t;
    t.bits = bits;
    t.scale = scale;
    const torch::Tensor c = codes.contiguous();
    t.codes.assign(c.data_ptr<std::uint8_t>(), c.data_ptr<std::uint8_t>() + c.numel());
    for (std::int64_t i = 0; i < 50; ++i) {
      EXPECT_LT(t.codes[static_cast<std::size_t>(i)], 1 << bits);
      EXPECT_EQ(q[i].item<float>(), t.value(static_cast<std::size_t>(i))) << bits << " bits, element " << i;  // bit for bit
    }
    // The largest magnitude maps to the outermost level.
    const std::int64_t top = x.detach().abs().argmax().item<std::int64_t>();
    EXPECT_FLOAT_EQ(std::abs(q[top].item<float>()), scale);
    q.sum().backward();
    EXPECT_GT(x.grad().abs().sum().item<float>(), 0.0F) << bits;
  }
  const torch::Tensor x = torch::randn({4});
  EXPECT_TRUE(torch::equal(quantize_stored(x, 32), x));
  EXPECT_THROW(quantize_stored(x, 9), Error);
}

// The LibTorch forward pass (eval mode, batch norms with running statistics) against the
// exported network run by in-situ generation and by whole weights.
void expect_export_follows_libtorch(const mlg::Architecture& arch, const std::string& method) {
  torch::manual_seed(11);
  const mlg::GeneratedNetwork layout = mlg::lay_out(arch, {1, 12, 12}, 3, policy(method));
  GeneratedNet net(layout);
  // A few steps of training in train mode, so batch norms hold real statistics.
  const ImageSet data = squares(64, 5);
  torch::optim::Adam adam(net->parameters(), torch::optim::AdamOptions(1e-2));
  for (int step = 0; step < 3; ++step) {
    const torch::Tensor loss = torch::nn::functional::cross_entropy(net->forward(to_pixels(data)), to_labels(data));
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  net->eval();
  const mlg::GeneratedNetwork exported = net->export_network();
  EXPECT_NEAR(exported.memory_ratio(), layout.memory_ratio(), 1e-12);
  torch::NoGradGuard no_grad;
  const torch::Tensor logits = net->forward(to_pixels(data));
  double largest = 0, scale = 0;
  for (std::size_t i = 0; i < data.count(); ++i) {
    const std::vector<float> in_situ = mlg::in_situ_logits(exported, data.image(i), {.tile = 2});
    const std::vector<float> whole = mlg::reference_logits(exported, data.image(i));
    for (std::size_t k = 0; k < 3; ++k) {
      const double want = logits[static_cast<std::int64_t>(i)][static_cast<std::int64_t>(k)].item<float>();
      largest = std::max({largest, std::abs(in_situ[k] - want), std::abs(whole[k] - want)});
      scale = std::max(scale, std::abs(want));
    }
  }
  EXPECT_LT(largest, 1e-4 * std::max(1.0, scale)) << arch.name << " " << method;
}

TEST(GeneratedNet, ExportedNetworkComputesTheLibTorchForwardPass) {
  for (const std::string method : {"full", "quant", "lowrank", "mlg"}) expect_export_follows_libtorch({.width = 4}, method);
  expect_export_follows_libtorch({.name = "resnet20", .width = 4, .blocks = 1}, "mlg");
  expect_export_follows_libtorch({.name = "resnet20", .width = 4, .blocks = 1}, "full");
}

TEST(GeneratedNet, SvdStartIsTheBestRankRApproximation) {
  torch::manual_seed(2);
  const mlg::Architecture arch{.width = 4};
  GeneratedNet teacher(mlg::lay_out(arch, {1, 12, 12}, 3, policy("full")));
  GeneratedNet student(mlg::lay_out(arch, {1, 12, 12}, 3, policy("lowrank")));
  student->start_from(*teacher, 0, 0, true);
  torch::NoGradGuard no_grad;
  const auto want = teacher->generated_weights(), got = student->generated_weights();
  // The dense layer (32 outputs over 8 x 3 x 3, rank 2): the error is the singular values
  // beyond the second (Eckart-Young).
  const std::size_t dense = 2;
  const torch::Tensor a = want[dense].reshape({want[dense].size(0), -1});
  const torch::Tensor singular = std::get<1>(torch::linalg_svd(a, false));
  const double tail = singular.slice(0, 2).pow(2).sum().sqrt().item<double>();
  const double error = (got[dense].reshape_as(a) - a).pow(2).sum().sqrt().item<double>();
  EXPECT_NEAR(error, tail, 1e-4 * (1 + tail));
  // Layers stored whole are copied.
  EXPECT_TRUE(torch::allclose(got.back(), want.back()));
}

TEST(FitFactors, ACodedWholeWeightLandsOnTheNearestLevel) {
  torch::manual_seed(6);
  const torch::Tensor target = torch::randn({8, 3, 4}) * 0.3;
  const double largest = target.abs().max().item<double>();
  for (const int bits : {1, 2, 4, 8}) {
    mlg::StoragePolicy p = policy("quant");
    p.bits = bits;
    const mlg::GeneratedWeight form = mlg::lay_out_weight(8, 3, 4, false, p);
    WeightFactors f = initial_factors(form);
    fit_factors(form, f, target, 0, 0, false);
    const torch::Tensor got = generate_weight(form, f).view_as(target);
    // Levels largest (2 c / (2^k - 1) - 1): within half a level's spacing of the target.
    const double spacing = 2 * largest / ((1 << bits) - 1);
    EXPECT_LE((got - target).abs().max().item<double>(), 0.5 * spacing * (1 + 1e-4)) << bits << " bits";
    EXPECT_NEAR(got.abs().max().item<double>(), largest, 1e-5 * largest) << bits << " bits";
  }
}

TEST(GeneratedNet, ProjectionMovesTheGeneratedWeightsTowardTheTeacher) {
  torch::manual_seed(4);
  const mlg::Architecture arch{.width = 4};
  GeneratedNet teacher(mlg::lay_out(arch, {1, 12, 12}, 3, policy("full")));
  GeneratedNet student(mlg::lay_out(arch, {1, 12, 12}, 3, policy("mlg")));
  const auto error = [&] {
    torch::NoGradGuard no_grad;
    const auto want = teacher->generated_weights(), got = student->generated_weights();
    double e = 0;
    for (std::size_t k = 0; k < want.size(); ++k) e += (got[k] - want[k]).pow(2).sum().item<double>();
    return e;
  };
  const double before = error();
  student->start_from(*teacher, 200, 2e-2, false);
  EXPECT_LT(error(), 0.5 * before);
}

TEST(GeneratedTraining, LearnsAndAResumedRunEndsWhereAnUninterruptedOneDoes) {
  const ImageSet train_set = squares(300, 1), val_set = squares(90, 2);
  const mlg::GeneratedNetwork layout = mlg::lay_out({.width = 4}, {1, 12, 12}, 3, policy("mlg"));
  GeneratedTrainOptions o;
  o.epochs = 2;
  o.batch = 32;
  o.lr = 1e-2;
  o.progress = false;
  o.seed = 9;
  const GeneratedTrainResult straight = train_generated(layout, o, train_set, val_set);
  EXPECT_GT(straight.best_val_accuracy, 60.0);  // three classes: chance is 33 %
  const std::filesystem::path dir = std::filesystem::temp_directory_path() / ("mbi_gen_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  // Stopped after epoch 1 (as a killed run would be, its checkpoint written), then resumed.
  GeneratedTrainOptions first = o;
  first.checkpoint = dir / "run.ckpt";
  first.stop_after = 1;
  const GeneratedTrainResult part = train_generated(layout, first, train_set, val_set);
  EXPECT_EQ(part.log.size(), 1u);
  ASSERT_TRUE(std::filesystem::exists(first.checkpoint));
  GeneratedTrainOptions again = first;
  again.stop_after = 0;
  again.resume = true;
  const GeneratedTrainResult resumed = train_generated(layout, again, train_set, val_set);
  EXPECT_EQ(resumed.resumed_from, 1);
  ASSERT_EQ(resumed.log.size(), 2u);
  EXPECT_EQ(resumed.log[1].val_accuracy, straight.log[1].val_accuracy);
  mlg::save_generated_network(dir / "a.gnet", straight.model->export_network());
  mlg::save_generated_network(dir / "b.gnet", resumed.model->export_network());
  EXPECT_EQ(read_file(dir / "a.gnet"), read_file(dir / "b.gnet"));
  // Another configuration's checkpoint is refused.
  GeneratedTrainOptions other = again;
  other.lr = 5e-3;
  EXPECT_THROW(train_generated(layout, other, train_set, val_set), Error);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace mbi::train
