// Keys stored in PCM 2T2R cells (NoiseOptions::pcm): every mismatching cell discharges through
// its SET device, so a distance of D cells reads as the sum of D devices' conductances over
// g_max. Checked against the device model's own Monte Carlo: the mean and spread of that sum
// over many devices, with and without drift compensation; a device is the same device at
// every read (only its 1/f noise changes); the RESET devices of matching cells barely leak.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"
#include "mbi/device/pcm.hpp"
#include "mbi/hw/array_distance_model.hpp"

namespace mbi::hw {
namespace {

constexpr double kDay = 86400;
constexpr double kYear = 365 * kDay;
constexpr std::uint32_t kCells = 32;  // one value of 33 levels: 32 thermometer columns
constexpr std::size_t kTiles = 4000;  // other devices for each tile

struct Moments {
  double mean = 0, stddev = 0;
};

Moments moments(const std::vector<double>& v) {
  double sum = 0, sum2 = 0;
  for (const double x : v) {
    sum += x;
    sum2 += x * x;
  }
  const double n = static_cast<double>(v.size());
  return {sum / n, std::sqrt(std::max(sum2 / n - (sum / n) * (sum / n), 0.0))};
}

// A matched array read without an ADC: the output is the sum of the cells' drops in units.
ArrayDistanceModel pcm_model(double seconds, bool compensation, std::uint64_t seed = 5) {
  ArrayConfig config = without_mismatch(ArrayConfig{});
  config.adc_bits = 0;
  ArrayDistanceModel model({{"v", 1, kCells + 1}}, config, Coding::thermometer, {1.0}, seed);
  NoiseOptions noise;
  noise.pcm = PcmKeys{device::PcmParameters{}, seconds, compensation};
  model.set_noise(noise);
  return model;
}

// The distance query 0 -> key `key` reads on tiles 0..tiles-1 (other devices each).
std::vector<double> reads(ArrayDistanceModel& model, std::uint8_t key, std::size_t tiles = kTiles) {
  const std::vector<std::uint8_t> query = {0}, keys = {key};
  std::vector<double> out(tiles), one(1);
  for (std::size_t t = 0; t < tiles; ++t) {
    model.distances(query, keys, one, t);
    out[t] = one[0];
  }
  return out;
}

// What the device model says one SET device reads over g_max, `seconds` after programming.
Moments set_device(double seconds) {
  const device::PcmModel pcm({});
  Random r(77);
  std::vector<double> g(200000);
  for (double& x : g) x = pcm.read(pcm.program(25.0, r), seconds, r) / 25.0;
  return moments(g);
}

TEST(PcmKeys, CompensatedDistanceIsTheCellCountWithTheDevicesSpread) {
  for (const double seconds : {1.0, kDay, kYear}) {
    ArrayDistanceModel model = pcm_model(seconds, true);
    const Moments m = moments(reads(model, kCells));
    const Moments device = set_device(seconds);
    // Compensation divides by the devices' mean (estimated on 4,096 of them): the sum of 32
    // devices reads 32 units on average, spread sqrt(32) x the devices' relative spread.
    const double expected_std = std::sqrt(double{kCells}) * device.stddev / device.mean;
    EXPECT_NEAR(m.mean, kCells, 4 * expected_std / std::sqrt(double{kTiles}) + 0.01 * kCells) << seconds;
    EXPECT_NEAR(m.stddev, expected_std, 0.08 * expected_std) << seconds;
  }
}

TEST(PcmKeys, UncompensatedDistanceShrinksAsTheDevicesDrift) {
  ArrayDistanceModel model = pcm_model(kYear, false);
  const Moments m = moments(reads(model, kCells));
  const Moments device = set_device(kYear);
  EXPECT_LT(device.mean, 0.6);  // a year of drift at nu ~ 0.05 halves a SET device
  EXPECT_NEAR(m.mean, kCells * device.mean, 4 * m.stddev / std::sqrt(double{kTiles}) + 1e-9);
  EXPECT_NEAR(m.stddev, std::sqrt(double{kCells}) * device.stddev, 0.08 * std::sqrt(double{kCells}) * device.stddev);
}

TEST(PcmKeys, ADeviceIsTheSameDeviceAtEveryRead) {
  // Rereading one tile changes only the 1/f read noise: far less than moving to other devices.
  ArrayDistanceModel model = pcm_model(kDay, true);
  const std::vector<double> first = reads(model, kCells, 500), second = reads(model, kCells, 500);
  std::vector<double> same, other;
  for (std::size_t t = 0; t + 1 < first.size(); ++t) {
    same.push_back(first[t] - second[t]);
    other.push_back(first[t] - second[t + 1]);
  }
  EXPECT_LT(moments(same).stddev, 0.8 * moments(other).stddev);
  EXPECT_GT(moments(same).stddev, 0.0);  // reads do fluctuate
  // Same seed, same chip: another model reads the same devices.
  ArrayDistanceModel twin = pcm_model(kDay, true);
  EXPECT_EQ(reads(twin, kCells, 500), first);
}

TEST(PcmKeys, MatchingCellsOnlyLeakThroughResetDevices) {
  ArrayDistanceModel model = pcm_model(kDay, true);
  const Moments m = moments(reads(model, 0));  // key = query: 32 matching cells
  EXPECT_GT(m.mean, 0.0);
  EXPECT_LT(m.mean, 0.01 * kCells);  // RESET devices hold ~0.1 uS of 25
  // Half the cells match: the leak adds to 16 SET devices' reads, a small fraction of a unit.
  const Moments half = moments(reads(model, 16));
  EXPECT_NEAR(half.mean, 16.0, 0.6);
}

TEST(PcmKeys, RefusedWithOtherStorageNoiseOrABadTime) {
  ArrayDistanceModel model({{"v", 1, 9}}, ArrayConfig{}, Coding::thermometer, {1.0}, 5);
  NoiseOptions noise;
  noise.pcm = PcmKeys{};
  noise.bit_flip_probability = 0.01;
  EXPECT_THROW(model.set_noise(noise), Error);
  noise.bit_flip_probability = 0;
  noise.pcm->seconds = -1;
  EXPECT_THROW(model.set_noise(noise), Error);
  noise.pcm->seconds = kDay;
  EXPECT_NO_THROW(model.set_noise(noise));
  EXPECT_TRUE(noise.random());
}

}  // namespace
}  // namespace mbi::hw
