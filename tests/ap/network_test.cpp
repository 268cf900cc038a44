// Ternary networks compiled onto the AP simulator: the AP's logits and predictions must equal
// the integer reference's for every image, whichever compiler passes are on; the passes
// counted while running must equal the program's stated passes; CSE must save arithmetic,
// and the RTM layout shifts.
#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "mbi/ap/compiler.hpp"
#include "mbi/ap/runner.hpp"
#include "mbi/core/error.hpp"
#include "mbi/ternary/reference.hpp"
#include "ternary_fixtures.hpp"

namespace mbi::ap {
namespace {

using test::random_images;
using test::small_cnn;
using ternary::Network;

TEST(ApNetwork, BitIdenticalToTheIntegerReferenceWithEveryPassOnOrOff) {
  for (std::uint64_t seed = 1; seed <= 3; ++seed) {
    const Network n = small_cnn(seed, seed == 2 ? 2 : 4);
    const ImageSet images = random_images(37, seed);
    for (int mask = 0; mask < 8; ++mask) {
      CompileOptions o;
      o.fold_constants = (mask & 1) != 0;
      o.cse = (mask & 2) != 0;
      o.rtm_layout = (mask & 4) != 0;
      o.domains_per_track = 8;
      const CompiledNetwork compiled = compile(n, o);
      const RunOutput out = run_network(compiled, images, {.batch = 16, .racetrack = {8, 2}});
      EXPECT_EQ(out.batches, 3U);
      for (std::size_t i = 0; i < images.count(); ++i) {
        ASSERT_EQ(out.logits[i], ternary::logits(n, images.image(i))) << "seed " << seed << " mask " << mask << " image " << i;
        ASSERT_EQ(out.predictions[i], ternary::predict(n, images.image(i)));
      }
      // Every pass the program states was run, once per batch.
      EXPECT_EQ(out.counts.compares, out.program_passes * out.batches) << "mask " << mask;
    }
  }
}

TEST(ApNetwork, CseSavesArithmeticAndTheRtmLayoutSavesShifts) {
  const Network n = small_cnn(4, 4);
  const ImageSet images = random_images(20, 4);
  const auto stats = [&](bool cse, bool rtm) {
    CompileOptions o;
    o.cse = cse;
    o.rtm_layout = rtm;
    o.domains_per_track = 8;
    const CompiledNetwork c = compile(n, o);
    const RunOutput out = run_network(c, images, {.batch = 20, .racetrack = {8, 2}});
    return std::make_pair(c.stats, out.counts);
  };
  const auto [plain, plain_counts] = stats(false, false);
  const auto [shared, shared_counts] = stats(true, false);
  const auto [laid, laid_counts] = stats(true, true);
  EXPECT_GT(shared.cse_temporaries, 0U);
  EXPECT_LT(shared.arithmetic_passes, plain.arithmetic_passes);
  EXPECT_EQ(plain.terms, shared.terms);
  EXPECT_LT(laid_counts.track_shifts, shared_counts.track_shifts);
  EXPECT_EQ(laid.passes, shared.passes);  // the layout moves columns, not passes
}

TEST(ApNetwork, RefusesWhatItCannotRun) {
  Network n = small_cnn(5, 3);
  n.input_thresholds.front() = 0;  // a pixel of 0 would not be level 0: padding would be wrong
  EXPECT_THROW(compile(n), Error);
  const Network good = small_cnn(5, 3);
  const CompiledNetwork c = compile(good);
  ImageSet other = random_images(2, 1);
  other.cols = 5;
  other.rows = 20;
  EXPECT_THROW(run_network(c, other, {}), Error);
}

}  // namespace
}  // namespace mbi::ap
