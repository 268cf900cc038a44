// The CAM array against a plain row-by-row model of the same bits: every compare must tag
// exactly the matching rows, every write change exactly the tagged rows, and the counts and
// racetrack shifts follow from the operations.
#include "mbi/ap/cam_array.hpp"

#include <gtest/gtest.h>

#include <random>
#include <vector>

#include "mbi/core/error.hpp"

namespace mbi::ap {
namespace {

using Rows = std::vector<std::vector<bool>>;

TEST(CamArray, CompareAndWriteMatchARowByRowModel) {
  for (const std::size_t rows : {1U, 63U, 64U, 65U, 300U}) {
    const std::uint32_t columns = 11;
    std::mt19937 rng(static_cast<unsigned>(rows));
    CamArray cam(rows, columns);
    Rows model(rows, std::vector<bool>(columns));
    for (std::size_t r = 0; r < rows; ++r) {
      const std::uint64_t v = rng() & ((1U << columns) - 1);
      cam.store(r, 0, columns, v);
      for (std::uint32_t c = 0; c < columns; ++c) model[r][c] = (v >> c) & 1U;
    }
    for (int step = 0; step < 200; ++step) {
      std::vector<ColumnBit> key, value;
      for (std::uint32_t c = 0; c < columns; ++c) {
        if (rng() % 4 == 0) key.push_back({c, rng() % 2 == 1});
        if (rng() % 5 == 0) value.push_back({c, rng() % 2 == 1});
      }
      cam.compare(key);
      std::vector<bool> expect(rows);
      std::size_t expected_count = 0;
      for (std::size_t r = 0; r < rows; ++r) {
        bool match = true;
        for (const ColumnBit& k : key) match = match && model[r][k.column] == k.bit;
        expect[r] = match;
        expected_count += match;
        ASSERT_EQ(cam.tagged(r), match) << "rows " << rows << ", step " << step << ", row " << r;
      }
      ASSERT_EQ(cam.count_tagged(), expected_count);
      ASSERT_EQ(cam.any_tagged(), expected_count > 0);
      cam.write(value);
      for (std::size_t r = 0; r < rows; ++r)
        if (expect[r])
          for (const ColumnBit& v : value) model[r][v.column] = v.bit;
    }
    for (std::size_t r = 0; r < rows; ++r) {
      const std::uint64_t v = cam.load(r, 0, columns);
      for (std::uint32_t c = 0; c < columns; ++c) ASSERT_EQ(((v >> c) & 1U) == 1U, model[r][c]) << r << " " << c;
    }
  }
}

TEST(CamArray, EmptyKeyTagsEveryRowAndFirstTaggedFindsTheLowest) {
  CamArray cam(130, 3);
  cam.compare({});
  EXPECT_EQ(cam.count_tagged(), 130U);
  cam.store(77, 0, 3, 5);
  cam.store(129, 0, 3, 5);
  const std::vector<ColumnBit> key = {{0, true}, {2, true}};
  cam.compare(key);
  EXPECT_EQ(cam.first_tagged(), std::optional<std::size_t>(77));
  EXPECT_EQ(cam.count_tagged(), 2U);
  const std::vector<ColumnBit> none = {{1, true}};
  cam.compare(none);
  EXPECT_FALSE(cam.any_tagged());
  EXPECT_EQ(cam.first_tagged(), std::nullopt);
}

TEST(CamArray, CountsWhatItDid) {
  CamArray cam(100, 8);
  for (std::size_t r = 0; r < 100; r += 4) cam.store(r, 0, 1, 1);  // 25 rows with column 0 set
  const std::vector<ColumnBit> key = {{0, true}, {1, false}};
  const std::vector<ColumnBit> value = {{5, true}, {6, true}, {7, false}};
  cam.compare(key);
  cam.write(value);
  const OpCounts& n = cam.counts();
  EXPECT_EQ(n.compares, 1U);
  EXPECT_EQ(n.compare_row_bits, 200U);  // 100 rows x 2 key bits
  EXPECT_EQ(n.writes, 1U);
  EXPECT_EQ(n.write_row_bits, 75U);  // 25 tagged rows x 3 bits
  EXPECT_EQ(n.row_stores, 25U);
  EXPECT_EQ(n.track_shifts, 0U);  // no racetrack
  const eval::Ledger ledger = n.to_ledger();
  EXPECT_EQ(ledger.count("ap.compare_row_bit"), 200U);
  EXPECT_EQ(ledger.count("ap.write_row_bit"), 75U);
  EXPECT_EQ(ledger.count("rtm.track_shift"), 0U);
  EXPECT_EQ(ledger.events().count("rtm.track_shift"), 0U);  // zero counters are left out
}

TEST(CamArray, RefusesColumnsAndRowsOutsideIt) {
  EXPECT_THROW(CamArray(0, 4), Error);
  EXPECT_THROW(CamArray(4, 0), Error);
  CamArray cam(10, 4);
  const std::vector<ColumnBit> key = {{4, true}};
  EXPECT_THROW(cam.compare(key), Error);
  EXPECT_THROW(cam.write(key), Error);
  EXPECT_THROW(cam.store(10, 0, 1, 1), Error);
  EXPECT_THROW(cam.store(0, 2, 3, 1), Error);
  EXPECT_THROW(cam.load(0, 0, 65), Error);
}

// Columns 0..7 on one track of 8 domains: with one port at domain 0, reaching domain d from
// rest takes d shifts and the track stays there; with two ports (domains 0 and 4 at rest)
// the nearer port serves.
TEST(Racetrack, CountsShiftsToTheNearestPort) {
  RacetrackTracks one(16, {.domains_per_track = 8, .ports_per_track = 1});
  EXPECT_EQ(one.align(3), 3U);
  EXPECT_EQ(one.align(3), 0U);
  EXPECT_EQ(one.align(7), 4U);
  EXPECT_EQ(one.align(0), 7U);
  EXPECT_EQ(one.align(9), 1U);  // the second track, still at rest
  EXPECT_EQ(one.align(0), 0U);  // tracks move independently
  RacetrackTracks two(8, {.domains_per_track = 8, .ports_per_track = 2});
  EXPECT_EQ(two.align(5), 1U);  // port 1 (domain 4) is one shift away
  EXPECT_EQ(two.align(3), 2U);  // now port 0 reads domain 1 and port 1 domain 5: domain 3 is 2 away
  EXPECT_THROW(RacetrackTracks(8, {.domains_per_track = 8, .ports_per_track = 3}), Error);
  EXPECT_THROW(RacetrackTracks(8, {.domains_per_track = 8, .ports_per_track = 0}), Error);
}

TEST(Racetrack, TheArrayCountsShiftsOfTheColumnsItTouches) {
  CamArray cam(50, 16, {.domains_per_track = 8, .ports_per_track = 1});
  const std::vector<ColumnBit> key = {{2, true}, {6, false}};  // one track: 2 then 4 more shifts
  cam.compare(key);
  EXPECT_EQ(cam.counts().track_shifts, 6U);
  const std::vector<ColumnBit> value = {{10, true}};  // the other track, from rest: 2
  cam.write(value);
  EXPECT_EQ(cam.counts().track_shifts, 8U);
  EXPECT_EQ(cam.counts().track_row_shifts, 8U * 50U);  // every row's copy of the track moves
  const eval::Ledger ledger = cam.counts().to_ledger();
  EXPECT_EQ(ledger.count("rtm.track_shift"), 8U);
  EXPECT_EQ(ledger.count("rtm.track_row_shift"), 400U);
  EXPECT_EQ(ledger.count("ap.compare_row_bit"), 100U);
}

}  // namespace
}  // namespace mbi::ap
