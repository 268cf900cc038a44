// The PCM statistics study: conductances fall with time since programming, the global drift
// compensation brings their mean back, one seed gives one table, and bad lists are refused.
#include "mbi/experiment/device_studies.hpp"

#include <gtest/gtest.h>

#include "mbi/core/error.hpp"

namespace mbi::experiment {
namespace {

TEST(DeviceStudies, PcmConductancesDriftDownAndCompensationRestoresThem) {
  const device::PcmModel pcm({});
  const io::ResultFiles r = pcm_statistics(pcm, {5, 20}, {1, 86400, 31536000}, 4000, 3);
  const nlohmann::json& p = r.summary["points"];
  ASSERT_EQ(p.size(), 6U);  // level by level: 2 levels x 3 times
  for (std::size_t level = 0; level < 2; ++level) {
    const double target = level == 0 ? 5.0 : 20.0;
    double previous = 1e9;
    for (std::size_t k = 0; k < 3; ++k) {
      const nlohmann::json& point = p[level * 3 + k];
      EXPECT_EQ(point["level_us"].get<double>(), target);
      EXPECT_LT(point["mean_us"].get<double>(), previous);  // drift only lowers conductance
      previous = point["mean_us"].get<double>();
      EXPECT_NEAR(point["compensated_mean_us"].get<double>() / target, 1.0, 0.05);
    }
    EXPECT_LT(previous, 0.8 * target);  // after a year, more than 20 % lost uncompensated
  }
  EXPECT_EQ(r.table("pcm_statistics").rows().size(), 6U);
  EXPECT_EQ(pcm_statistics(pcm, {5, 20}, {1, 86400, 31536000}, 4000, 3).summary, r.summary);
  EXPECT_THROW(pcm_statistics(pcm, {}, {1}, 10, 1), Error);
  EXPECT_THROW(pcm_statistics(pcm, {5}, {-1}, 10, 1), Error);
  EXPECT_THROW(pcm_statistics(pcm, {30}, {1}, 10, 1), Error);  // above g_max
}

}  // namespace
}  // namespace mbi::experiment
