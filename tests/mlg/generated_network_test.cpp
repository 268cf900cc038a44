// Generated weights and networks: a coded value against the quantizer's formula, generation
// against a naive loop for each level combination (and tile by tile), shapes and validation
// refusals, and the memory accounting of a network counted by hand, bit by bit.
#include "mbi/mlg/generated_network.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"
#include "mlg_fixtures.hpp"

namespace mbi::mlg {
namespace {

using test::hand_sized_network;
using test::plain;
using test::random_network;
using test::random_weight;

// The message of the mbi::Error `f` throws ("" and a test failure when it throws none).
template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  ADD_FAILURE() << "no mbi::Error thrown";
  return "";
}

TEST(GeneratedWeight, CodedValueFollowsTheSymmetricQuantizerForEveryWidth) {
  for (int bits = 1; bits <= 8; ++bits) {
    StoredTensor t;
    t.bits = bits;
    t.scale = 0.3712F;
    const int levels = 1 << bits;
    for (int c = 0; c < levels; ++c) t.codes.push_back(static_cast<std::uint8_t>(c));
    for (int c = 0; c < levels; ++c) {
      const float expected =
          t.scale * (2.0F * static_cast<float>(c) / static_cast<float>((1 << bits) - 1) - 1.0F);
      EXPECT_EQ(t.value(static_cast<std::size_t>(c)), expected) << bits << " bits, code " << c;
      // And close to the exact real value of the level.
      const double exact = 0.3712 * (2.0 * c / (levels - 1) - 1.0);
      EXPECT_NEAR(t.value(static_cast<std::size_t>(c)), exact, 1e-6) << bits << " bits, code " << c;
    }
    // The extreme codes are exactly -scale and +scale.
    EXPECT_EQ(t.value(0), -t.scale);
    EXPECT_EQ(t.value(static_cast<std::size_t>(levels - 1)), t.scale);
    EXPECT_EQ(t.stored_bits(), static_cast<std::uint64_t>(levels) * bits + 32);
  }
  StoredTensor f;
  f.values = {1.5F, -2.0F, 0.25F};
  EXPECT_EQ(f.value(1), -2.0F);
  EXPECT_EQ(f.stored_bits(), 96U);
  EXPECT_EQ(StoredTensor{}.stored_bits(), 0U);
  StoredTensor empty_coded;
  empty_coded.bits = 4;
  EXPECT_EQ(empty_coded.stored_bits(), 0U);  // no scale stored for nothing
}

// W by the header's definition, written as plain nested loops over every index.
std::vector<float> naive_weight(const GeneratedWeight& w) {
  const int bo = w.basis_out, bi = w.basis_in;
  std::vector<float> w1(static_cast<std::size_t>(bo) * w.in * w.span);
  for (int g = 0; g < bo; ++g)
    for (int i = 0; i < w.in; ++i)
      for (int s = 0; s < w.span; ++s) {
        const std::size_t at = (static_cast<std::size_t>(g) * w.in + i) * w.span + s;
        if (!w.level1) {
          w1[at] = w.coefficients.value(at);
          continue;
        }
        float sum = 0;
        for (int j = 0; j < bi; ++j)
          sum += w.coefficients.value((static_cast<std::size_t>(g) * w.in + i) * bi + j) *
                 w.basis.value((static_cast<std::size_t>(g) * bi + j) * w.span + s);
        w1[at] = sum;
      }
  if (!w.level2) return w1;
  std::vector<float> out(static_cast<std::size_t>(w.out) * w.in * w.span);
  for (int o = 0; o < w.out; ++o)
    for (int i = 0; i < w.in; ++i)
      for (int s = 0; s < w.span; ++s) {
        float sum = 0;
        for (int g = 0; g < bo; ++g)
          sum += w.mixing.value(static_cast<std::size_t>(o) * bo + g) *
                 w1[(static_cast<std::size_t>(g) * w.in + i) * w.span + s];
        out[(static_cast<std::size_t>(o) * w.in + i) * w.span + s] = sum;
      }
  return out;
}

TEST(GeneratedWeight, GenerationEqualsANaiveLoopForEveryLevelCombination) {
  Random rng(5);
  for (const bool level1 : {false, true})
    for (const bool level2 : {false, true})
      for (const int bits : {-1, 32, 1, 3, 8}) {
        const GeneratedWeight w = random_weight(7, 3, 6, level1, level2, rng, bits, 3, 4);
        ASSERT_NO_THROW(w.validate());
        const std::vector<float> expected = naive_weight(w);
        const std::vector<float> got = w.generate();
        ASSERT_EQ(got.size(), expected.size());
        for (std::size_t k = 0; k < got.size(); ++k)
          ASSERT_EQ(got[k], expected[k]) << "level1 " << level1 << " level2 " << level2 << " bits " << bits << " at " << k;
        EXPECT_EQ(w.weight_count(), 7U * 3 * 6);
      }
}

TEST(GeneratedWeight, TilesOfRowsConcatenateToTheWholeWeight) {
  Random rng(8);
  for (const bool level1 : {false, true})
    for (const bool level2 : {false, true}) {
      const GeneratedWeight w = random_weight(10, 4, 9, level1, level2, rng);
      const std::vector<float> whole = w.generate();
      const std::vector<float> w1 = w.level1_output();
      EXPECT_EQ(w1.size(), static_cast<std::size_t>(w.basis_out) * 4 * 9);
      const std::size_t row = 4 * 9;
      for (const int tile : {1, 3, 4, 10, 16}) {
        std::vector<float> tiled(whole.size(), NAN);
        for (int first = 0; first < w.out; first += tile) {
          const int count = std::min(tile, w.out - first);
          w.generate_rows(w1, first, count, tiled.data() + static_cast<std::size_t>(first) * row);
        }
        EXPECT_EQ(tiled, whole) << "tile " << tile << " level1 " << level1 << " level2 " << level2;
      }
      std::vector<float> buffer(row * 11);
      EXPECT_THROW(w.generate_rows(w1, 5, 6, buffer.data()), Error);  // past the last row
      EXPECT_THROW(w.generate_rows(w1, -1, 1, buffer.data()), Error);
    }
}

TEST(GeneratedWeight, GenerationMacsCountEachLevel) {
  Random rng(2);
  const GeneratedWeight both = random_weight(8, 5, 9, true, true, rng, 4, 3, 2);
  EXPECT_EQ(both.level1_macs(), 2U * 5 * 3 * 9);  // bo in bi span
  EXPECT_EQ(both.level2_macs(), 8U * 2 * 5 * 9);  // out bo in span
  // B 2x3x9, U 2x5x3, V 8x2, all 4-bit with a scale each.
  EXPECT_EQ(both.stored_bits(), (54U * 4 + 32) + (30U * 4 + 32) + (16U * 4 + 32));
  const GeneratedWeight none = random_weight(8, 5, 9, false, false, rng, 32);
  EXPECT_EQ(none.level1_macs(), 0U);
  EXPECT_EQ(none.level2_macs(), 0U);
  EXPECT_EQ(none.stored_bits(), 8U * 5 * 9 * 32);
}

TEST(GeneratedWeight, InconsistentWeightsAreRefused) {
  Random rng(3);
  const GeneratedWeight good = random_weight(6, 2, 4, true, true, rng, 4, 2, 3);
  ASSERT_NO_THROW(good.validate());
  auto refused = [](GeneratedWeight w, const std::string& what) {
    const std::string message = error_of([&] { w.validate(); });
    EXPECT_NE(message.find(what), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  };
  GeneratedWeight w = good;
  w.coefficients.codes.pop_back();  // U must be bo x in x bi
  refused(w, "coefficients U");
  w = good;
  w.basis.codes.push_back(0);
  refused(w, "basis B");
  w = good;
  w.mixing.codes.pop_back();
  refused(w, "mixing V");
  w = good;
  w.coefficients.bits = 9;
  refused(w, "9 bits");
  w = good;
  w.basis.codes[3] = 16;  // >= 2^4
  refused(w, "code 16");
  w = good;
  w.mixing.scale = INFINITY;
  refused(w, "scale");
  w = good;
  w.level1 = false;  // B would have to be empty and U bo x in x span
  refused(w, "basis B");
  w = good;
  w.level2 = false;  // without level 2 bo must equal out
  refused(w, "basis_out");
  w = good;
  w.basis_in = 0;
  refused(w, "basis_in");
  w = good;
  w.out = 0;
  refused(w, "positive");
  // Float tensors: finite values only, no codes beside them.
  GeneratedWeight f = random_weight(3, 2, 1, false, false, rng, 32);
  ASSERT_NO_THROW(f.validate());
  f.coefficients.values[2] = NAN;
  refused(f, "not finite");
  f = random_weight(3, 2, 1, false, false, rng, 32);
  f.coefficients.codes = {1};
  refused(f, "holds codes");
  // Without level 2 but with a mixing tensor.
  GeneratedWeight v = random_weight(3, 2, 1, true, false, rng, 4);
  v.mixing = test::random_tensor(9, 4, rng);
  refused(v, "mixing V");
}

TEST(GeneratedNetwork, ShapesFollowEachOp) {
  const GeneratedNetwork n = random_network(1);
  const std::vector<Shape> s = n.shapes();
  ASSERT_EQ(s.size(), n.ops.size());
  EXPECT_EQ(s[0], (Shape{4, 12, 12}));
  EXPECT_EQ(s[4], (Shape{8, 6, 6}));     // 3x3, stride 2, padding 1
  EXPECT_EQ(s[9], (Shape{8, 6, 6}));     // add keeps the current shape
  EXPECT_EQ(s[16], (Shape{8, 3, 3}));    // max pool 2
  EXPECT_EQ(s[17], (Shape{6, 4, 3}));    // 2x3 kernel, padding 1
  EXPECT_EQ(s[19], (Shape{5, 2, 2}));    // 3x2 kernel, stride 2, padding 1
  EXPECT_EQ(s[20], (Shape{5, 1, 1}));    // global average pool
  EXPECT_EQ(s.back(), (Shape{10, 1, 1}));
  EXPECT_EQ(n.classes(), 10);
  EXPECT_NO_THROW(n.validate());
  EXPECT_NO_THROW(random_network(1, true).validate());
  // A max pool drops the partial window: 7 / 2 = 3.
  GeneratedNetwork odd;
  odd.input = {2, 7, 5};
  odd.ops = {test::max_pool(2)};
  EXPECT_EQ(odd.shapes().back(), (Shape{2, 3, 2}));
}

TEST(GeneratedNetwork, StructuralErrorsAreRefused) {
  auto refused = [](const GeneratedNetwork& n, const std::string& what) {
    const std::string message = error_of([&] { n.validate(); });
    EXPECT_NE(message.find(what), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  };
  GeneratedNetwork n = random_network(2);
  n.ops.erase(n.ops.begin() + 9);  // the first add: its save is left open
  refused(n, "without add");
  EXPECT_THROW(n.shapes(), Error);
  n = random_network(2);
  n.ops.erase(n.ops.begin() + 3);  // the first save: an add pops nothing
  refused(n, "add without a save");
  n = random_network(2);
  n.ops[7].out_channels = n.ops[7].weight.out = 7;  // 4 -> 7 channels: padding of 3 is not even
  refused(n, "cannot be aligned");
  n = random_network(2);
  n.ops[0].kernel_rows = 15;  // 15 > 12 + 2
  refused(n, "larger than its padded input");
  n = random_network(2);
  n.ops[16].pool = 9;
  refused(n, "pool 9");
  n = random_network(2);
  n.ops[0].stride = 0;
  refused(n, "stride 0");
  n = random_network(2);
  n.ops.pop_back();  // ends in 5 x 1 x 1 after the pool: still logits...
  EXPECT_NO_THROW(n.validate());
  n.ops.pop_back();  // ... but 5 x 2 x 2 is not
  refused(n, "not logits");
  n = random_network(2);
  n.ops[2].kind = static_cast<OpKind>(42);
  refused(n, "unknown kind 42");
  n = random_network(2);
  n.input = {1, 0, 12};
  refused(n, "empty");
  n = random_network(2);
  n.input_scale = NAN;
  refused(n, "input scale");
  n.ops.clear();
  n.input_scale = 1;
  refused(n, "no ops");
}

TEST(GeneratedNetwork, SizeAndNumberErrorsAreRefused) {
  auto refused = [](const GeneratedNetwork& n, const std::string& what) {
    const std::string message = error_of([&] { n.validate(); });
    EXPECT_NE(message.find(what), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  };
  GeneratedNetwork n = random_network(4);
  n.ops[1].scale.pop_back();  // batch norm of 4 channels
  refused(n, "3 scales");
  n = random_network(4);
  n.ops[1].shift[2] = NAN;
  refused(n, "not finite");
  n = random_network(4);
  n.ops[0].bias.pop_back();
  refused(n, "3 biases");
  n = random_network(4);
  n.ops[0].bias[1] = INFINITY;
  refused(n, "not finite");
  n = random_network(4);
  n.ops[4].weight.in = 5;  // the input has 4 channels
  refused(n, "expected 8 x 4 x 9");
  n = random_network(4);
  n.ops[17].kernel_cols = 2;  // the weight's span is 2 x 3
  refused(n, "expected 6 x 8 x 4");
  n = random_network(4);
  n.ops[4].weight.coefficients.codes.pop_back();
  refused(n, "op 4 (conv)");
  n = random_network(4);
  n.ops[2].bias = {1.0F};  // a ReLU has no bias
  refused(n, "not a convolution");
  n = random_network(4);
  n.ops[2].scale = {1.0F};
  refused(n, "not a batch norm");
}

TEST(GeneratedNetwork, MemoryIsCountedByKindBitByBit) {
  const GeneratedNetwork n = hand_sized_network();
  ASSERT_NO_THROW(n.validate());
  const GeneratedNetwork::Memory m = n.memory();
  EXPECT_EQ(m.basis_bits, 194U);
  EXPECT_EQ(m.coefficient_bits, 62U + 68U);
  EXPECT_EQ(m.mixing_bits, 96U);
  EXPECT_EQ(m.full_weight_bits, 6912U);
  EXPECT_EQ(m.norm_bits, 256U);
  EXPECT_EQ(m.bias_bits, 128U + 96U);
  EXPECT_EQ(m.total_bits(), 7812U);
  EXPECT_EQ(m.total_bytes(), 977U);  // 976.5 rounded up
  EXPECT_EQ(n.weight_count(), 36U + 216U + 18U);
  EXPECT_EQ(n.float_bits(), 270U * 32 + 256 + 224);
  EXPECT_DOUBLE_EQ(n.memory_ratio(), 7812.0 / 9120.0);
  // Convolutions only: 36 x 6x6 + 216 x 1x1 + 18 x 1x1.
  EXPECT_EQ(n.network_macs(), 36U * 36 + 216 + 18);
  EXPECT_EQ(n.classes(), 3);
}

TEST(GeneratedNetwork, AFloatNetworkHasMemoryRatioOne) {
  Random rng(12);
  GeneratedNetwork n;
  n.input = {1, 4, 4};
  n.ops = {test::conv(1, 3, 3, 3, 1, 1, false, false, rng, true, 32), test::batch_norm(3, rng),
           test::conv(3, 2, 4, 4, 1, 0, false, false, rng, true, 32)};
  ASSERT_NO_THROW(n.validate());
  EXPECT_EQ(n.memory().full_weight_bits, 32U * (27 + 96));
  EXPECT_EQ(n.memory().coefficient_bits, 0U);
  EXPECT_DOUBLE_EQ(n.memory_ratio(), 1.0);
  EXPECT_EQ(GeneratedNetwork{}.memory_ratio(), 0.0);
}

}  // namespace
}  // namespace mbi::mlg
