// The PCM crossbar study on a small random network: noiseless cells give the ideal accuracy
// at every time for every device, real ones spread, and the rows come as documented.
#include "mbi/experiment/crossbar_noise.hpp"

#include <gtest/gtest.h>

#include "mbi/core/error.hpp"
#include "ternary_fixtures.hpp"

namespace mbi::experiment {
namespace {

TEST(CrossbarNoise, NoiselessDevicesGiveTheIdealAccuracyAndRealOnesSpread) {
  const ternary::Network n = test::small_cnn(6, 4);
  ImageSet images = test::random_images(30, 6);
  for (std::size_t i = 0; i < images.count(); ++i) images.labels[i] = static_cast<std::uint8_t>(i % 4);
  CrossbarNoiseOptions o;
  o.crossbar = {.rows = 16, .columns = 8};
  o.seconds = {1, 86400};
  o.seeds = 3;
  o.pcm.programming_c0 = o.pcm.programming_c1 = o.pcm.programming_c2 = 0;
  o.pcm.drift_mu_slope = o.pcm.drift_mu_offset = o.pcm.drift_mu_min = o.pcm.drift_mu_max = 0;
  o.pcm.drift_sigma_slope = o.pcm.drift_sigma_offset = o.pcm.drift_sigma_min = o.pcm.drift_sigma_max = 0;
  o.pcm.read_q_scale = 0;
  const io::ResultFiles quiet = crossbar_pcm_study(n, images, o);
  const nlohmann::json& points = quiet.summary["points"];
  ASSERT_EQ(points.size(), 4U);  // 2 times x without / with compensation
  for (const auto& p : points) {
    EXPECT_EQ(p["mean_accuracy"].get<double>(), quiet.summary["ideal_accuracy"].get<double>());
    EXPECT_EQ(p["stddev_accuracy"].get<double>(), 0.0);
  }
  EXPECT_FALSE(points[0]["compensation"].get<bool>());
  EXPECT_TRUE(points[3]["compensation"].get<bool>());
  EXPECT_EQ(quiet.table("crossbar_pcm").rows().size(), 4U);
  o.seeds = 0;
  EXPECT_THROW(crossbar_pcm_study(n, images, o), Error);
}

}  // namespace
}  // namespace mbi::experiment
