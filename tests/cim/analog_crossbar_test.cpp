// The analog crossbar of PCM cells: with ideal cells and fine converters it computes the
// float network (and, decomposed into S binary slices, the float network with each weight
// rounded to 2^S - 1 levels of its column); with PCM cells the spread of a stored weight
// follows the device model (halved by 4 devices of weight scaling, times
// sqrt(sum of squared significances) for the slices), drift compensation restores the mean,
// and the read charge in the ledger is the conductances read. Same seed, same bytes.
#include "mbi/cim/analog_crossbar.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"
#include "float_fixtures.hpp"
#include "ternary_fixtures.hpp"

namespace mbi::cim {
namespace {

using test::random_float_cnn;
using test::random_images;
using ternary::LayerKind;

// Converters fine enough that only the cells matter.
AnalogConfig fine(int rows = 128) { return {.rows = rows, .dac_bits = 16, .adc_bits = 24, .adc_range = 1000}; }

AnalogCells ideal_cells() {
  AnalogCells cells;
  cells.ideal = true;
  return cells;
}

std::vector<std::vector<float>> analog_logits(const FloatNetwork& n, const AnalogConfig& c, const AnalogCells& cells,
                                              const ImageSet& images, eval::Ledger* ledger = nullptr) {
  AnalogCrossbarClassifier xbar(n, c, cells);
  std::vector<int> predictions(images.count());
  eval::Ledger own;
  xbar.classify(images, predictions, ledger ? *ledger : own);
  return xbar.last_logits();
}

void expect_close(const std::vector<float>& got, const std::vector<float>& want, double tolerance, const std::string& what) {
  ASSERT_EQ(got.size(), want.size()) << what;
  for (std::size_t k = 0; k < got.size(); ++k) EXPECT_NEAR(got[k], want[k], tolerance * (1 + std::abs(want[k]))) << what << " logit " << k;
}

TEST(AnalogCrossbar, IdealCellsAndFineConvertersComputeTheFloatNetwork) {
  const ImageSet images = random_images(10, 3);
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const FloatNetwork n = random_float_cnn(seed);
    for (const int rows : {128, 5, 2}) {  // one tile per column, and many tiles added digitally
      const auto logits = analog_logits(n, fine(rows), ideal_cells(), images);
      for (std::size_t i = 0; i < images.count(); ++i)
        expect_close(logits[i], float_logits(n, images.image(i)), 1e-3, "rows " + std::to_string(rows));
    }
  }
}

TEST(AnalogCrossbar, WeightScalingWithIdealCellsComputesTheSameNetwork) {
  const ImageSet images = random_images(6, 4);
  const FloatNetwork n = random_float_cnn(5);
  AnalogConfig scaled = fine();
  scaled.devices = 4;
  const auto logits = analog_logits(n, scaled, ideal_cells(), images);
  for (std::size_t i = 0; i < images.count(); ++i) expect_close(logits[i], float_logits(n, images.image(i)), 1e-3, "k = 4");
}

TEST(AnalogCrossbar, SlicesComputeTheNetworkWithWeightsRoundedToTheirLevels) {
  const ImageSet images = random_images(6, 5);
  const FloatNetwork n = random_float_cnn(6);
  for (const int slices : {1, 3, 5}) {
    const int levels = (1 << slices) - 1;
    FloatNetwork rounded = n;
    for (FloatLayer& l : rounded.layers) {
      if (l.weights.empty()) continue;
      const std::size_t fan = l.weights.size() / static_cast<std::size_t>(l.out_channels);
      for (std::size_t o = 0; o < static_cast<std::size_t>(l.out_channels); ++o) {
        float largest = 0;
        for (std::size_t j = 0; j < fan; ++j) largest = std::max(largest, std::abs(l.weights[o * fan + j]));
        for (std::size_t j = 0; j < fan; ++j) {
          float& w = l.weights[o * fan + j];
          w = std::copysign(std::round(std::abs(w) / largest * levels) / levels * largest, w);
        }
      }
    }
    AnalogConfig c = fine();
    c.slices = slices;
    const auto logits = analog_logits(n, c, ideal_cells(), images);
    for (std::size_t i = 0; i < images.count(); ++i)
      expect_close(logits[i], float_logits(rounded, images.image(i)), 1e-3, "slices " + std::to_string(slices));
  }
}

// One input at full scale and `outputs` weights of 1: each logit is one stored weight as read.
FloatNetwork unit_weights(int outputs) {
  FloatNetwork n;
  n.input = {1, 1, 1};
  FloatLayer d{.kind = LayerKind::dense, .out_channels = outputs};
  d.weights.assign(static_cast<std::size_t>(outputs), 1.0F);
  n.layers = {d};
  return n;
}

ImageSet one_bright_pixel() {
  ImageSet s;
  s.rows = s.cols = 1;
  s.classes = 2;
  s.pixels = {255};
  s.labels = {0};
  return s;
}

struct Spread {
  double mean = 0, stddev = 0;
};

Spread spread_of_weights(const AnalogConfig& c, double seconds, bool compensate, std::uint64_t seed = 1) {
  constexpr int kOutputs = 20000;
  const FloatNetwork n = unit_weights(kOutputs);
  AnalogCells cells;
  cells.seconds = seconds;
  cells.drift_compensation = compensate;
  cells.seed = seed;
  const auto logits = analog_logits(n, c, cells, one_bright_pixel())[0];
  double sum = 0, sum2 = 0;
  for (const float v : logits) {
    sum += v;
    sum2 += static_cast<double>(v) * v;
  }
  const double mean = sum / kOutputs;
  return {mean, std::sqrt(sum2 / kOutputs - mean * mean)};
}

TEST(AnalogCrossbar, AStoredWeightSpreadsAsTheDeviceModelSays) {
  // Right after programming (t = 0 in aihwkit's sense: t0 after the pulse), no drift: the
  // spread of g+ - g- over g_max is programming noise and one 1/f read of the cell at g_max,
  // plus the partner at 0 uS (a rectified normal, drawn here through the model itself).
  const device::PcmParameters p;
  const device::PcmModel model(p);
  Random random(99);
  double zero_sum = 0, zero_sum2 = 0;
  constexpr int kZeros = 200000;
  for (int i = 0; i < kZeros; ++i) {
    const double g = model.read(model.program(0.0, random), 0.0, random);
    zero_sum += g;
    zero_sum2 += g * g;
  }
  const double zero_mean = zero_sum / kZeros, zero_var = zero_sum2 / kZeros - zero_mean * zero_mean;
  const device::PcmCell at_max{.target = p.g_max, .programmed = p.g_max, .nu = 0};
  const double expected =
      std::sqrt(std::pow(model.programming_sigma(p.g_max), 2) + std::pow(model.read_sigma(at_max, 0.0), 2) + zero_var) / p.g_max;

  AnalogConfig one = fine();
  one.adc_range = 8;  // four devices of weight scaling read four times the current
  const Spread plain = spread_of_weights(one, 0.0, false);
  EXPECT_NEAR(plain.mean, 1.0 - zero_mean / p.g_max, 0.002);
  EXPECT_NEAR(plain.stddev, expected, 0.05 * expected);

  AnalogConfig scaled = one;
  scaled.devices = 4;  // four devices per polarity: twice the signal to noise
  EXPECT_NEAR(spread_of_weights(scaled, 0.0, false, 2).stddev, plain.stddev / 2, 0.04 * plain.stddev / 2);

  AnalogConfig sliced = one;
  sliced.slices = 4;  // every bit at g_max, read by significance 1, 2, 4, 8 over 15
  const double factor = std::sqrt(1.0 + 4 + 16 + 64) / 15;
  EXPECT_NEAR(spread_of_weights(sliced, 0.0, false, 3).stddev, plain.stddev * factor, 0.04 * plain.stddev * factor);

  AnalogConfig reread = one;
  reread.reads = 8;  // averaging reads removes read noise, not programming noise
  const Spread averaged = spread_of_weights(reread, 0.0, false, 4);
  EXPECT_LT(averaged.stddev, 0.9 * plain.stddev);
  EXPECT_GT(averaged.stddev, model.programming_sigma(p.g_max) / p.g_max * 0.95);
}

TEST(AnalogCrossbar, DriftCompensationRestoresTheMeanAfterADay) {
  AnalogConfig c = fine();
  c.adc_range = 4;
  const Spread drifted = spread_of_weights(c, 86400, false);
  const Spread compensated = spread_of_weights(c, 86400, true);
  EXPECT_LT(drifted.mean, 0.8);  // two thirds of the conductance is left after a day
  EXPECT_NEAR(compensated.mean, 1.0, 0.02);
}

TEST(AnalogCrossbar, ReadChargeIsTheConductanceReadTimesThePulse) {
  constexpr int kOutputs = 10;
  const FloatNetwork n = unit_weights(kOutputs);
  const double full = kOutputs * 25e6;  // pS: every weight at g_max = 25 uS, one full pulse
  const auto charge = [&](const AnalogConfig& c) {
    eval::Ledger ledger;
    analog_logits(n, c, ideal_cells(), one_bright_pixel(), &ledger);
    return static_cast<double>(ledger.count("pcm.read_ps_pulse"));
  };
  AnalogConfig c = fine();
  EXPECT_NEAR(charge(c), full, 1);
  c.devices = 3;
  EXPECT_NEAR(charge(c), 3 * full, 3);  // weight scaling reads k devices
  c.devices = 1;
  c.slices = 4;
  EXPECT_NEAR(charge(c), full, 1);  // the slices' pulses add up to one full pulse
  c.slices = 0;
  c.reads = 2;
  EXPECT_NEAR(charge(c), 2 * full, 2);
}

TEST(AnalogCrossbar, SameSeedSameLogitsOtherSeedOtherDevices) {
  const ImageSet images = random_images(4, 8);
  const FloatNetwork n = random_float_cnn(2);
  AnalogCells a;
  a.seed = 5;
  AnalogCells b = a;
  b.seed = 6;
  const AnalogConfig c;
  EXPECT_EQ(analog_logits(n, c, a, images), analog_logits(n, c, a, images));
  EXPECT_NE(analog_logits(n, c, a, images), analog_logits(n, c, b, images));
}

TEST(AnalogCrossbar, BadConfigurationsAndImagesAreRefused) {
  const FloatNetwork n = random_float_cnn(1);
  EXPECT_THROW(AnalogCrossbarClassifier(n, {.rows = 4, .devices = 2, .slices = 3}, {}), Error);  // 6 devices > 4 rows
  EXPECT_THROW(AnalogCrossbarClassifier(n, {.adc_bits = 1}, {}), Error);
  EXPECT_THROW(AnalogCrossbarClassifier(n, {.adc_range = 0}, {}), Error);
  AnalogCells cells;
  cells.seconds = -1;
  EXPECT_THROW(AnalogCrossbarClassifier(n, {}, cells), Error);
  AnalogCrossbarClassifier xbar(n, {}, {});
  ImageSet wrong = one_bright_pixel();
  std::vector<int> predictions(1);
  eval::Ledger ledger;
  EXPECT_THROW(xbar.classify(wrong, predictions, ledger), Error);
}

}  // namespace
}  // namespace mbi::cim
