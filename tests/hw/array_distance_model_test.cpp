#include "mbi/hw/array_distance_model.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <numeric>

#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"

namespace mbi::hw {
namespace {

std::vector<SegmentSpec> paper_segments() {
  return {{"glimpse0", 16, 4}, {"glimpse1", 16, 4}, {"glimpse2", 16, 4},
          {"hidden", 64, 2},   {"loc_x", 1, 29},    {"loc_y", 1, 29}};
}
const std::vector<double> kPaperWeights = {29.98, 29.98, 29.98, 16.08, 9.93, 9.93};
const std::vector<std::uint32_t> kPaperComponents = {0, 0, 0, 1, 2, 2};

// Random values for n vectors of the given segments.
std::vector<std::uint8_t> random_values(const std::vector<SegmentSpec>& segments, std::size_t n, std::uint64_t seed) {
  Random rng(seed);
  std::vector<std::uint8_t> out;
  for (std::size_t i = 0; i < n; ++i)
    for (const SegmentSpec& s : segments)
      for (std::uint32_t v = 0; v < s.values; ++v) out.push_back(static_cast<std::uint8_t>(rng.index(s.levels)));
  return out;
}

// A matched array with an ADC that cannot saturate on these keys: the readout is exact.
ArrayConfig exact_config(std::uint32_t adc_bits = 6) {
  ArrayConfig c = without_mismatch(ArrayConfig{});
  c.adc_bits = adc_bits;
  return c;
}

struct Distances {
  std::vector<double> hw, ideal, coded;
};

Distances run(ArrayDistanceModel& model, const std::vector<std::uint8_t>& query, const std::vector<std::uint8_t>& keys,
              std::size_t tile = 0) {
  const std::size_t n = keys.size() / model.total_values();
  Distances d{std::vector<double>(n), std::vector<double>(n), std::vector<double>(n)};
  model.distances(query, keys, d.hw, tile);
  model.ideal_distances(query, keys, d.ideal);
  model.coded_distances(query, keys, d.coded);
  return d;
}

TEST(ArrayDistanceModel, ThermometerWithMatchedDevicesIsWeightedManhattan) {
  const auto segments = paper_segments();
  ArrayDistanceModel model(segments, exact_config(), Coding::thermometer, kPaperWeights, 7, kPaperComponents);
  const auto query = random_values(segments, 1, 1);
  const auto keys = random_values(segments, 64, 2);
  const Distances d = run(model, query, keys);
  for (std::size_t i = 0; i < d.hw.size(); ++i) {
    EXPECT_NEAR(d.hw[i], d.ideal[i], 1e-9 * d.ideal[i] + 1e-9) << i;
    EXPECT_NEAR(d.coded[i], d.ideal[i], 1e-9 * d.ideal[i] + 1e-9) << i;
  }
}

TEST(ArrayDistanceModel, ThermometerExactWithIdealAdcToo) {
  const auto segments = paper_segments();
  ArrayDistanceModel model(segments, exact_config(0), Coding::thermometer, kPaperWeights, 7, kPaperComponents);
  const auto query = random_values(segments, 1, 3);
  const auto keys = random_values(segments, 32, 4);
  const Distances d = run(model, query, keys);
  for (std::size_t i = 0; i < d.hw.size(); ++i) EXPECT_NEAR(d.hw[i], d.ideal[i], 1e-6) << i;
}

TEST(ArrayDistanceModel, BinaryWithMatchedDevicesIsBitWeightedHamming) {
  const auto segments = paper_segments();
  // 7 bits: the largest binary slice distance here is 16 x 3 = 48 (phi) or 2 x 31 (loc).
  ArrayDistanceModel model(segments, exact_config(7), Coding::binary, kPaperWeights, 7, kPaperComponents);
  const auto query = random_values(segments, 1, 5);
  const auto keys = random_values(segments, 64, 6);
  const Distances d = run(model, query, keys);
  bool differs_from_manhattan = false;
  for (std::size_t i = 0; i < d.hw.size(); ++i) {
    EXPECT_NEAR(d.hw[i], d.coded[i], 1e-9 * d.coded[i] + 1e-9) << i;
    differs_from_manhattan |= std::abs(d.coded[i] - d.ideal[i]) > 1e-6;
  }
  EXPECT_TRUE(differs_from_manhattan);
}

TEST(ArrayDistanceModel, BinaryKeyTwoQueryOneReadsThree) {
  const std::vector<SegmentSpec> segments = {{"v", 1, 4}};
  ArrayDistanceModel binary(segments, exact_config(5), Coding::binary, {1.0}, 1);
  ArrayDistanceModel thermo(segments, exact_config(5), Coding::thermometer, {1.0}, 1);
  const std::vector<std::uint8_t> query = {1}, key = {2};
  std::vector<double> out(1);
  binary.distances(query, key, out);
  EXPECT_NEAR(out[0], 3.0, 1e-9);
  thermo.distances(query, key, out);
  EXPECT_NEAR(out[0], 1.0, 1e-9);
}

TEST(ArrayDistanceModel, SplitAcrossArraysSumsTheSlices) {
  // 100 values of 4 levels: 10 per array -> 10 arrays; a 200-level value cut over 7 arrays.
  const std::vector<SegmentSpec> segments = {{"many", 100, 4}, {"wide", 1, 200}};
  ArrayDistanceModel model(segments, exact_config(), Coding::thermometer, {1.0, 1.0}, 3);
  ASSERT_EQ(model.arrays_per_key(), 10U + 7U);
  const auto query = random_values(segments, 1, 8);
  const auto keys = random_values(segments, 16, 9);
  std::vector<double> components(model.components());
  for (std::size_t i = 0; i < 16; ++i) {
    const std::span<const std::uint8_t> key(keys.data() + i * model.total_values(), model.total_values());
    model.component_distances(query, key, components, i);
    double many = 0, wide = 0;
    for (std::size_t v = 0; v < 100; ++v) many += std::abs(int(key[v]) - int(query[v]));
    wide = std::abs(int(key[100]) - int(query[100]));
    EXPECT_NEAR(components[0], many, 1e-9);
    EXPECT_NEAR(components[1], wide, 1e-9);
  }
}

TEST(ArrayDistanceModel, FiveBitAdcSaturatesAFullMismatchArray) {
  const std::vector<SegmentSpec> segments = {{"h", 32, 2}};
  ArrayConfig config = exact_config(5);
  ArrayDistanceModel model(segments, config, Coding::thermometer, {1.0}, 1);
  std::vector<std::uint8_t> query(32, 0), key(32, 1);
  std::vector<double> out(1);
  model.distances(query, key, out);
  EXPECT_NEAR(out[0], 31.0, 1e-9);
  EXPECT_EQ(model.saturated_reads(), 1U);
  key[0] = 0;
  model.distances(query, key, out);
  EXPECT_NEAR(out[0], 31.0, 1e-9);
  EXPECT_EQ(model.array_reads(), 2U);
}

TEST(ArrayDistanceModel, SameSeedSameChipOtherTileOtherDevices) {
  const auto segments = paper_segments();
  ArrayConfig config;  // 60 mV mismatch
  config.device.sigma_vth_mv = 150.0;  // large, so that tiles differ visibly
  ArrayDistanceModel a(segments, config, Coding::thermometer, kPaperWeights, 11, kPaperComponents);
  ArrayDistanceModel b(segments, config, Coding::thermometer, kPaperWeights, 11, kPaperComponents);
  const auto query = random_values(segments, 1, 12);
  const auto keys = random_values(segments, 32, 13);
  const Distances da = run(a, query, keys), db = run(b, query, keys), other = run(a, query, keys, 1);
  EXPECT_EQ(da.hw, db.hw);
  EXPECT_NE(da.hw, other.hw);
}

TEST(ArrayDistanceModel, RejectsMismatchedInput) {
  const std::vector<SegmentSpec> segments = {{"a", 4, 4}, {"b", 4, 4}};
  EXPECT_THROW(ArrayDistanceModel(segments, ArrayConfig{}, Coding::binary, {1.0}, 1), Error);
  EXPECT_THROW(ArrayDistanceModel(segments, ArrayConfig{}, Coding::binary, {1.0, 2.0}, 1, {0, 0}), Error);
  ArrayDistanceModel model(segments, ArrayConfig{}, Coding::binary, {1.0, 2.0}, 1);
  std::vector<std::uint8_t> query(8), keys(15);
  std::vector<double> out(2);
  EXPECT_THROW(model.distances(query, keys, out), Error);
  NoiseOptions bad;
  bad.reads = 0;
  EXPECT_THROW(model.set_noise(bad), Error);
  bad = {};
  bad.bit_flip_probability = 1.0;
  EXPECT_THROW(model.set_noise(bad), Error);
}

// --- noise --------------------------------------------------------------------------

double mean_abs_error(ArrayDistanceModel& model, const std::vector<std::uint8_t>& query,
                      const std::vector<std::uint8_t>& keys) {
  const Distances d = run(model, query, keys);
  double sum = 0;
  for (std::size_t i = 0; i < d.hw.size(); ++i) sum += std::abs(d.hw[i] - d.ideal[i]);
  return sum / static_cast<double>(d.hw.size());
}

TEST(Noise, ZeroSigmaEqualsNoiseless) {
  const auto segments = paper_segments();
  const ArrayConfig config;  // with mismatch: the comparison must hold for any chip
  ArrayDistanceModel plain(segments, config, Coding::thermometer, kPaperWeights, 5, kPaperComponents);
  ArrayDistanceModel zero(segments, config, Coding::thermometer, kPaperWeights, 5, kPaperComponents);
  NoiseOptions noise;
  noise.distance_sigma = 0.0;
  noise.bit_flip_probability = 0.0;
  noise.conductance_sigma = 0.0;
  noise.reads = 5;
  noise.combine = ReadCombine::median;
  zero.set_noise(noise);
  const auto query = random_values(segments, 1, 21);
  const auto keys = random_values(segments, 64, 22);
  EXPECT_EQ(run(plain, query, keys).hw, run(zero, query, keys).hw);
}

TEST(Noise, DistanceNoiseHasTheRequestedSpread) {
  // One component, weight 1: the output minus the exact distance is the added noise.
  const std::vector<SegmentSpec> segments = {{"phi", 10, 4}};
  ArrayDistanceModel model(segments, exact_config(), Coding::thermometer, {1.0}, 5);
  NoiseOptions noise;
  noise.distance_sigma = 2.0;
  model.set_noise(noise);
  const auto query = random_values(segments, 1, 1);
  const auto keys = random_values(segments, 4000, 2);
  const Distances d = run(model, query, keys);
  double sum = 0, sq = 0;
  for (std::size_t i = 0; i < d.hw.size(); ++i) {
    const double e = d.hw[i] - d.ideal[i];
    sum += e;
    sq += e * e;
  }
  const double n = static_cast<double>(d.hw.size());
  EXPECT_NEAR(sum / n, 0.0, 0.15);
  EXPECT_NEAR(std::sqrt(sq / n), 2.0, 0.1);
}

TEST(Noise, NoisyReadsAreSeededAndReproducible) {
  const auto segments = paper_segments();
  NoiseOptions noise;
  noise.distance_sigma = 1.0;
  noise.bit_flip_probability = 0.01;
  noise.conductance_sigma = 0.1;
  ArrayDistanceModel a(segments, ArrayConfig{}, Coding::thermometer, kPaperWeights, 9, kPaperComponents);
  ArrayDistanceModel b(segments, ArrayConfig{}, Coding::thermometer, kPaperWeights, 9, kPaperComponents);
  a.set_noise(noise);
  b.set_noise(noise);
  const auto query = random_values(segments, 1, 1);
  const auto keys = random_values(segments, 8, 2);
  const auto first = run(a, query, keys).hw;
  EXPECT_EQ(first, run(b, query, keys).hw);
  EXPECT_NE(first, run(a, query, keys).hw);  // the next read differs
  a.reseed_reads(9);
  EXPECT_EQ(first, run(a, query, keys).hw);
}

TEST(Noise, BitFlipsAndConductanceFluctuationAddError) {
  const auto segments = paper_segments();
  const auto query = random_values(segments, 1, 31);
  const auto keys = random_values(segments, 256, 32);
  for (int kind = 0; kind < 2; ++kind) {
    ArrayDistanceModel model(segments, exact_config(), Coding::thermometer, kPaperWeights, 5, kPaperComponents);
    EXPECT_LT(mean_abs_error(model, query, keys), 1e-6);
    NoiseOptions noise;
    (kind == 0 ? noise.bit_flip_probability : noise.conductance_sigma) = kind == 0 ? 0.02 : 0.5;
    model.set_noise(noise);
    EXPECT_GT(mean_abs_error(model, query, keys), 1.0) << kind;
  }
}

TEST(Noise, BitFlipRateMatchesProbability) {
  // One thermometer column per value, weight 1, key = query: every flip adds exactly 1.
  const std::vector<SegmentSpec> segments = {{"bits", 1000, 2}};
  ArrayConfig config = exact_config(0);
  ArrayDistanceModel model(segments, config, Coding::thermometer, {1.0}, 5);
  NoiseOptions noise;
  noise.bit_flip_probability = 0.05;
  model.set_noise(noise);
  const auto query = random_values(segments, 1, 1);
  std::vector<double> out(20);
  std::vector<std::uint8_t> keys;
  for (int i = 0; i < 20; ++i) keys.insert(keys.end(), query.begin(), query.end());
  model.distances(query, keys, out);
  const double mean = std::accumulate(out.begin(), out.end(), 0.0) / 20.0;
  EXPECT_NEAR(mean, 50.0, 6.0);  // 1000 x 0.05, std of the mean ~1.5
}

TEST(Noise, RepeatedReadsReduceError) {
  const auto segments = paper_segments();
  const auto query = random_values(segments, 1, 41);
  const auto keys = random_values(segments, 256, 42);
  NoiseOptions noise;
  noise.distance_sigma = 2.0;
  noise.bit_flip_probability = 0.01;
  noise.conductance_sigma = 0.2;
  auto error_with = [&](std::uint32_t reads, ReadCombine combine) {
    ArrayDistanceModel model(segments, ArrayConfig{}, Coding::thermometer, kPaperWeights, 5, kPaperComponents);
    NoiseOptions n = noise;
    n.reads = reads;
    n.combine = combine;
    model.set_noise(n);
    return mean_abs_error(model, query, keys);
  };
  const double single = error_with(1, ReadCombine::mean);
  EXPECT_LT(error_with(5, ReadCombine::mean), 0.7 * single);
  EXPECT_LT(error_with(5, ReadCombine::median), 0.8 * single);
}

TEST(Noise, MedianVotingBeatsMeanOnRareLargeErrors) {
  // Bit flips alone: rare, large (loc columns carry weight 9.93 each) - the median discards them.
  const auto segments = paper_segments();
  const auto query = random_values(segments, 1, 51);
  const auto keys = random_values(segments, 256, 52);
  auto error_with = [&](ReadCombine combine) {
    ArrayDistanceModel model(segments, exact_config(), Coding::thermometer, kPaperWeights, 5, kPaperComponents);
    NoiseOptions n;
    n.bit_flip_probability = 0.002;
    n.reads = 5;
    n.combine = combine;
    model.set_noise(n);
    return mean_abs_error(model, query, keys);
  };
  EXPECT_LT(error_with(ReadCombine::median), error_with(ReadCombine::mean));
}

}  // namespace
}  // namespace mbi::hw
