// Layouts before training: the shapes of each architecture on any image size, how each storage
// method lays out a weight (the levels used only where they save parameters), the memory
// counted bit by bit against a hand count, and fitting a configuration to a memory ratio.
#include "mbi/mlg/architecture.hpp"

#include <gtest/gtest.h>

#include <string>

#include "mbi/core/error.hpp"

namespace mbi::mlg {
namespace {

StoragePolicy method(const std::string& name) {
  StoragePolicy p;
  p.method = name;
  return p;
}

TEST(Architecture, LenetShapesFitAnyImageSize) {
  const GeneratedNetwork mnist = lay_out({}, {1, 28, 28}, 10, method("full"));
  EXPECT_EQ(mnist.shapes().back(), (Shape{10, 1, 1}));
  EXPECT_EQ(mnist.classes(), 10);
  // The dense layer covers the 32 x 7 x 7 activations: a 7 x 7 kernel.
  EXPECT_EQ(mnist.ops[8].kind, OpKind::conv);
  EXPECT_EQ(mnist.ops[8].kernel_rows, 7);
  const GeneratedNetwork odd = lay_out({}, {1, 12, 20}, 3, method("mlg"));
  EXPECT_EQ(odd.shapes().back(), (Shape{3, 1, 1}));
  EXPECT_EQ(odd.ops[8].kernel_rows, 3);
  EXPECT_EQ(odd.ops[8].kernel_cols, 5);
  EXPECT_THROW(lay_out({}, {1, 3, 3}, 10, method("full")), Error);
}

TEST(Architecture, Resnet20HalvesTwiceAndRefusesUnevenSizes) {
  const GeneratedNetwork net = lay_out({.name = "resnet20"}, {1, 28, 28}, 10, method("mlg"));
  int convs = 0;
  for (const Op& op : net.ops) convs += op.kind == OpKind::conv ? 1 : 0;
  EXPECT_EQ(convs, 20);  // 1 + 3 stages x 3 blocks x 2 + the dense layer
  const auto shapes = net.shapes();
  EXPECT_EQ(shapes[shapes.size() - 3], (Shape{64, 7, 7}));
  EXPECT_EQ(shapes.back(), (Shape{10, 1, 1}));
  EXPECT_THROW(lay_out({.name = "resnet20"}, {1, 30, 30}, 10, method("full")), Error);
  EXPECT_THROW(lay_out({.name = "vgg"}, {1, 28, 28}, 10, method("full")), Error);
}

TEST(Architecture, LevelsAreUsedOnlyWhereTheySave) {
  StoragePolicy p = method("mlg");
  p.basis_in = 2;
  p.basis_out = 8;
  // A first convolution (one input channel): no level 1; level 2 with 8 groups.
  const GeneratedWeight first = lay_out_weight(16, 1, 25, false, p);
  EXPECT_FALSE(first.level1);
  EXPECT_TRUE(first.level2);
  EXPECT_EQ(first.coefficients.size(), 8u * 1 * 25);
  EXPECT_EQ(first.mixing.size(), 16u * 8);
  // A dense layer over 32 x 7 x 7: both levels.
  const GeneratedWeight dense = lay_out_weight(128, 32, 49, false, p);
  EXPECT_TRUE(dense.level1 && dense.level2);
  EXPECT_EQ(dense.basis.size(), 8u * 2 * 49);
  EXPECT_EQ(dense.coefficients.size(), 8u * 32 * 2);
  EXPECT_EQ(dense.mixing.size(), 128u * 8);
  EXPECT_EQ(dense.basis.bits, 3);
  EXPECT_EQ(dense.coefficients.bits, 6);
  EXPECT_EQ(dense.mixing.bits, 3);
  // bo not below out: no level 2, and U holds W1 = W.
  const GeneratedWeight narrow = lay_out_weight(6, 32, 25, false, p);
  EXPECT_FALSE(narrow.level2);
  EXPECT_EQ(narrow.basis_out, 6);
  // The last layer stays float unless asked.
  const GeneratedWeight last = lay_out_weight(10, 128, 1, true, p);
  EXPECT_FALSE(last.level1 || last.level2);
  EXPECT_EQ(last.coefficients.bits, 32);
  p.generate_last = true;
  EXPECT_TRUE(lay_out_weight(10, 128, 1, true, p).level2);
  // Level 1 alone: every output channel its own groups.
  p.level2 = false;
  const GeneratedWeight one = lay_out_weight(128, 32, 49, false, p);
  EXPECT_TRUE(one.level1);
  EXPECT_FALSE(one.level2);
  EXPECT_EQ(one.basis_out, 128);
}

TEST(Architecture, MemoryIsCountedBitByBit) {
  StoragePolicy p = method("quant");
  p.bits = 2;
  const GeneratedNetwork net = lay_out({.width = 4}, {1, 8, 8}, 3, p);
  // conv 4x1x25, conv 8x4x25, dense 32 x 8 x (2x2), dense 3 x 32 (float, bias).
  const std::uint64_t coded = 4 * 25 + 8 * 4 * 25 + 32 * 8 * 4;
  const GeneratedNetwork::Memory m = net.memory();
  EXPECT_EQ(m.coefficient_bits, coded * 2 + 3 * 32);  // three scales
  EXPECT_EQ(m.full_weight_bits, 3u * 32 * 32);
  EXPECT_EQ(m.norm_bits, 2u * (4 + 8 + 32) * 32);
  EXPECT_EQ(m.bias_bits, 3u * 32);
  EXPECT_EQ(net.float_bits(), (coded + 3 * 32) * 32 + m.norm_bits + m.bias_bits);
  EXPECT_DOUBLE_EQ(net.memory_ratio(), static_cast<double>(m.total_bits()) / static_cast<double>(net.float_bits()));
}

TEST(Architecture, FittingFindsTheLargestKnobWithinTheRatio) {
  const Architecture lenet;
  for (const std::string name : {"mlg", "lowrank", "quant"}) {
    StoragePolicy p = method(name);
    const double target = name == "quant" ? 0.1 : 0.02;
    const StoragePolicy fitted = fit_to_ratio(lenet, {1, 28, 28}, 10, p, target);
    EXPECT_LE(lay_out(lenet, {1, 28, 28}, 10, fitted).memory_ratio(), target) << name;
    StoragePolicy more = fitted;
    (name == "quant" ? more.bits : name == "lowrank" ? more.rank : more.basis_out) += 1;
    EXPECT_GT(lay_out(lenet, {1, 28, 28}, 10, more).memory_ratio(), target) << name;
  }
  // Above what the knob can reach, it stops at the largest value a layer uses (bo up to the
  // dense layer's 128 outputs), not at an arbitrary bound.
  EXPECT_EQ(fit_to_ratio(lenet, {1, 28, 28}, 10, method("mlg"), 0.5).basis_out, 128);
  // One bit per weight is the least plain quantization can store: 1/32 and the float rest.
  EXPECT_THROW(fit_to_ratio(lenet, {1, 28, 28}, 10, method("quant"), 0.02), Error);
}

}  // namespace
}  // namespace mbi::mlg
