#include "mbi/lookup/table_file.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <numeric>
#include <algorithm>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/checksum.hpp"
#include "mbi/core/error.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/search/exhaustive.hpp"
#include "test_util.hpp"

namespace mbi {
namespace {

// The table's own search, step-blind (`probes` leaves from the root) or at a glimpse step.
SearchResult nearest(const Table& t, std::span<const std::uint64_t> query, std::uint32_t probes = 1) {
  SearchParams params;
  params.probes = probes;
  return t.index().search_one(query, -1, params);
}
SearchResult nearest_at_step(const Table& t, std::span<const std::uint64_t> query, int step, const SearchParams& params) {
  return t.index().search_one(query, step, params);
}

namespace fs = std::filesystem;

class TableFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("mbi_table_test_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path file(const std::string& name) const { return dir_ / name; }

  // A table whose every column remembers the row it came from, so reorderings can be checked:
  // next_location holds the row's low two bytes, step its third.
  static TableData make_table(std::size_t rows, std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    TableData t;
    t.key_layout = test::ram_layout();
    t.value_layout = KeyLayout({{"hidden", 64, 2}});
    t.segment_weights = {30, 16, 10};
    t.metadata_json = R"({"teacher": "ram.bin", "crc32": "1234abcd", "note": "ünïcode"})";
    t.keys = test::clustered_keys(t.key_layout, rows, 32, 10, rng);
    t.next_hidden = test::random_words(rows * t.value_layout.words(), rng);
    for (std::size_t r = 0; r < rows; ++r) {
      t.next_location.push_back(static_cast<std::uint8_t>(r));
      t.next_location.push_back(static_cast<std::uint8_t>(r >> 8));
      t.step.push_back(static_cast<std::uint8_t>(r >> 16));
      t.prediction.push_back(static_cast<std::uint8_t>(rng() % 10));
    }
    return t;
  }

  static std::string bytes_of(const fs::path& p) { return read_file(p); }
  static void overwrite(const fs::path& p, const std::string& bytes) {
    std::ofstream(p, std::ios::binary | std::ios::trunc).write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  // The error message of opening `p`, or "" when it opens.
  static std::string open_error(const fs::path& p) {
    try {
      Table table = Table::open(p);
    } catch (const Error& e) {
      return e.what();
    }
    return "";
  }

  fs::path dir_;
};

void expect_same(const TableData& t, const Table& m) {
  ASSERT_EQ(m.rows(), t.rows());
  EXPECT_EQ(m.key_layout(), t.key_layout);
  EXPECT_EQ(m.value_layout(), t.value_layout);
  EXPECT_TRUE(std::ranges::equal(m.segment_weights(), t.segment_weights));
  EXPECT_TRUE(std::ranges::equal(m.word_weights(), t.key_layout.word_weights(t.segment_weights)));
  EXPECT_EQ(m.metadata_json(), t.metadata_json);
  EXPECT_TRUE(std::ranges::equal(m.keys(), t.keys));
  EXPECT_TRUE(std::ranges::equal(m.next_hidden(), t.next_hidden));
  EXPECT_TRUE(std::ranges::equal(m.next_location(), t.next_location));
  EXPECT_TRUE(std::ranges::equal(m.step(), t.step));
  EXPECT_TRUE(std::ranges::equal(m.prediction(), t.prediction));
  EXPECT_EQ(reinterpret_cast<std::uintptr_t>(m.keys().data()) % 64, 0U);
}

TEST_F(TableFileTest, RoundTripWithoutTree) {
  const TableData t = make_table(1500, 1);
  write_table(file("a.mbit"), t);
  const Table m = Table::open(file("a.mbit"));
  expect_same(t, m);
  EXPECT_EQ(m.tree(), nullptr);
  EXPECT_TRUE(std::ranges::equal(m.key(7), std::span(t.keys).subspan(7 * 5, 5)));
  EXPECT_TRUE(std::ranges::equal(m.next_hidden(7), std::span(t.next_hidden).subspan(7, 1)));
  const SearchResult r = nearest(m, m.key(42));
  EXPECT_EQ(r.distance, 0U);
  EXPECT_EQ(r.comparisons, 1500U);
}

TEST_F(TableFileTest, RoundTripWithTreeKeepsRowsTogether) {
  const TableData original = make_table(3000, 2);
  TableData t = original;
  t.build_tree();
  ASSERT_TRUE(t.tree.has_value());
  for (std::size_t p = 0; p < t.rows(); ++p) {  // every column moved with its key
    const std::size_t row = t.next_location[2 * p] | (t.next_location[2 * p + 1] << 8) | (t.step[p] << 16);
    ASSERT_TRUE(std::equal(t.keys.begin() + p * 5, t.keys.begin() + p * 5 + 5, original.keys.begin() + row * 5));
    ASSERT_EQ(t.next_hidden[p], original.next_hidden[row]);
    ASSERT_EQ(t.prediction[p], original.prediction[row]);
  }
  write_table(file("t.mbit"), t);
  Table loaded = Table::open(file("t.mbit"));
  const Table m = std::move(loaded);  // spans survive a move
  expect_same(t, m);
  ASSERT_NE(m.tree(), nullptr);
  EXPECT_EQ(m.tree()->serialize(), t.tree->serialize());
  const auto weights = t.key_layout.word_weights(t.segment_weights);
  std::mt19937_64 rng(3);
  const auto queries = test::clustered_keys(t.key_layout, 100, 32, 15, rng);
  for (std::size_t q = 0; q < 100; ++q) {
    const std::span<const std::uint64_t> query(queries.data() + q * 5, 5);
    const SearchResult a = nearest(m, query, 2);
    const SearchResult b = t.tree->search(query, t.keys, weights, 2);
    EXPECT_EQ(a.index, b.index);
    EXPECT_EQ(a.comparisons, b.comparisons);
    EXPECT_LT(a.comparisons, 3000U);
  }
}

TEST_F(TableFileTest, PerStepTreeSearchesOnlyTheQueryStep) {
  TableData t = make_table(3000, 7);
  for (std::size_t r = 0; r < t.rows(); ++r) t.step[r] = static_cast<std::uint8_t>(r % 5);  // steps 0..4
  t.build_tree({}, /*per_step=*/true);
  write_table(file("s.mbit"), t);
  const Table m = Table::open(file("s.mbit"));
  ASSERT_TRUE(m.tree_per_step());
  const auto weights = t.key_layout.word_weights(t.segment_weights);
  std::mt19937_64 rng(8);
  const auto queries = test::clustered_keys(t.key_layout, 50, 32, 15, rng);
  for (std::size_t q = 0; q < 50; ++q) {
    const std::span<const std::uint64_t> query(queries.data() + q * 5, 5);
    for (int step = 0; step < 5; ++step) {
      SearchParams o;
      o.max_comparisons = 100;
      const SearchResult some = nearest_at_step(m, query, step, o);
      ASSERT_EQ(m.step()[some.index], step);
      o.max_comparisons = 0xFFFFFFFFU;
      const SearchResult all = nearest_at_step(m, query, step, o);
      // Exhaustive over the step's rows alone.
      std::uint32_t best = 0xFFFFFFFFU;
      for (std::size_t r = 0; r < m.rows(); ++r)
        if (m.step()[r] == step) best = std::min(best, test::reference_distance(query.data(), m.key(r).data(), weights.data(), 5));
      ASSERT_EQ(m.step()[all.index], step);
      ASSERT_EQ(all.distance, best);
    }
    // A step without rows, and the step-blind search, still answer from the whole table.
    EXPECT_NE(nearest_at_step(m, query, 9, {}).index, kNoIndex);
    EXPECT_NE(nearest(m, query, 2).index, kNoIndex);
  }
}

TEST_F(TableFileTest, GlobalTreeIsNotPerStep) {
  TableData t = make_table(3000, 9);
  for (std::size_t r = 0; r < t.rows(); ++r) t.step[r] = static_cast<std::uint8_t>(r % 5);
  t.build_tree();
  write_table(file("g.mbit"), t);
  const Table m = Table::open(file("g.mbit"));
  EXPECT_FALSE(m.tree_per_step());
  // Without step routing, a step-aware search is the plain tree search.
  std::mt19937_64 rng(10);
  const auto query = test::clustered_keys(t.key_layout, 1, 32, 15, rng);
  SearchParams o;
  o.probes = 2;
  EXPECT_EQ(nearest_at_step(m, query, 3, o).index, nearest(m, query, 2).index);
}

TEST_F(TableFileTest, EmptyTableRoundTrips) {
  const TableData t = make_table(0, 3);
  write_table(file("e.mbit"), t);
  const Table m = Table::open(file("e.mbit"));
  expect_same(t, m);
  EXPECT_EQ(nearest(m, std::vector<std::uint64_t>(5, 0)).index, kNoIndex);
}

TEST_F(TableFileTest, OverwritesAtomically) {
  write_table(file("o.mbit"), make_table(10, 4));
  write_table(file("o.mbit"), make_table(20, 5));
  EXPECT_EQ(Table::open(file("o.mbit")).rows(), 20U);
  for (const auto& entry : fs::directory_iterator(dir_))  // no temporary left behind
    EXPECT_EQ(entry.path().filename().string().find(".tmp"), std::string::npos);
}

TEST_F(TableFileTest, RefusesInconsistentData) {
  TableData t = make_table(10, 6);
  t.prediction.pop_back();
  try {
    write_table(file("bad.mbit"), t);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("bad.mbit"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("prediction"), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(file("bad.mbit")));
  t = make_table(10, 6);
  t.segment_weights.push_back(1);
  EXPECT_THROW(write_table(file("bad.mbit"), t), Error);
  t = make_table(10, 6);
  EXPECT_THROW(t.reorder_rows(std::vector<std::uint32_t>(10, 0)), Error);
}

TEST_F(TableFileTest, KeptRowsAreTheChosenOnesInOrderAndBadChoicesAreRefused) {
  const TableData full = make_table(12, 8);
  TableData t = full;
  t.build_tree();
  const std::vector<std::uint32_t> kept = {1, 4, 5, 11};
  t = full;
  t.keep_rows(kept);
  ASSERT_EQ(t.rows(), 4U);
  EXPECT_FALSE(t.tree.has_value());
  const std::size_t kw = full.key_layout.words(), vw = full.value_layout.words();
  for (std::size_t p = 0; p < kept.size(); ++p) {
    const std::size_t r = kept[p];
    EXPECT_TRUE(std::equal(t.keys.begin() + p * kw, t.keys.begin() + (p + 1) * kw, full.keys.begin() + r * kw));
    EXPECT_TRUE(std::equal(t.next_hidden.begin() + p * vw, t.next_hidden.begin() + (p + 1) * vw,
                           full.next_hidden.begin() + r * vw));
    EXPECT_EQ(t.next_location[2 * p], full.next_location[2 * r]);
    EXPECT_EQ(t.next_location[2 * p + 1], full.next_location[2 * r + 1]);
    EXPECT_EQ(t.step[p], full.step[r]);
    EXPECT_EQ(t.prediction[p], full.prediction[r]);
  }
  t.build_tree();  // the kept rows make a table again
  write_table(file("kept.mbit"), t);
  EXPECT_EQ(Table::open(file("kept.mbit")).rows(), 4U);
  t = full;
  EXPECT_THROW(t.keep_rows(std::vector<std::uint32_t>{3, 3}), Error);
  EXPECT_THROW(t.keep_rows(std::vector<std::uint32_t>{5, 2}), Error);
  EXPECT_THROW(t.keep_rows(std::vector<std::uint32_t>{12}), Error);
}

TEST(RowHits, CountEveryStepTakenByItsRow) {
  LookupTrace trace;
  trace.steps = 2;
  trace.row = {0, 3, 3, kNoIndex, 3, 1};
  EXPECT_EQ(row_hits(trace, 5), (std::vector<std::uint32_t>{1, 1, 0, 3, 0}));
}

TEST_F(TableFileTest, RefusesDamagedFilesWithOneLineNamingTheFile) {
  write_table(file("good.mbit"), make_table(200, 7));
  const std::string good = bytes_of(file("good.mbit"));
  const fs::path bad = file("bad.mbit");
  const auto check = [&](const std::string& bytes, const std::string& expected) {
    overwrite(bad, bytes);
    const std::string message = open_error(bad);
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_NE(message.find(bad.string()), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
  };
  std::string b = good;
  b[0] = 'X';
  check(b, "not an MBI table");
  check("MBIT", "truncated");
  check("", "empty file");
  b = good;
  b[8] = 2;
  check(b, "unsupported table format version 2");
  check(good.substr(0, good.size() - 100), "truncated");
  check(good.substr(0, 40), "truncated");
  check(good + "extra", "inconsistent size");
  b = good;
  b[good.size() / 2] ^= 0x10;
  check(b, "checksum mismatch");
  // Header fields are outside the checksum; a wrong row count is caught by the size checks.
  b = good;
  const std::uint64_t rows = 201;
  std::memcpy(b.data() + 24, &rows, 8);
  check(b, "inconsistent sizes");
  EXPECT_NE(open_error(file("missing.mbit")).find("cannot open"), std::string::npos);
}

TEST_F(TableFileTest, RefusesForgedSectionsEvenWithAValidChecksum) {
  write_table(file("good.mbit"), make_table(50, 8));
  const std::string good = bytes_of(file("good.mbit"));
  const auto reseal = [](std::string bytes) {  // recompute the CRC as a forger would
    const std::uint32_t crc = crc32(bytes.data() + 64, bytes.size() - 64);
    std::memcpy(bytes.data() + 32, &crc, 4);
    return bytes;
  };
  std::string b = good;
  std::memcpy(b.data() + 64 + 4 * 24, "XXXX", 4);  // rename the KEYS section
  overwrite(file("f.mbit"), reseal(b));
  EXPECT_NE(open_error(file("f.mbit")).find("missing section KEYS"), std::string::npos);
  b = good;
  const std::uint64_t huge = 1ULL << 40;
  std::memcpy(b.data() + 64 + 4 * 24 + 16, &huge, 8);  // KEYS size beyond the file
  overwrite(file("f.mbit"), reseal(b));
  EXPECT_NE(open_error(file("f.mbit")).find("outside the file"), std::string::npos);
  // The header's reserved bytes (36..63) are outside the checksum: they are checked apart.
  b = good;
  b[40] = 1;
  overwrite(file("f.mbit"), b);
  EXPECT_NE(open_error(file("f.mbit")).find("header byte 40 is not zero"), std::string::npos);
  b = good;
  b[64 + 4 * 24 + 5] = 1;  // the KEYS directory entry's reserved bytes
  overwrite(file("f.mbit"), reseal(b));
  EXPECT_NE(open_error(file("f.mbit")).find("bytes 4-7 are not zero"), std::string::npos);
}

// A small file with a valid checksum declaring 0 rows and a key layout of billions of words
// must be refused before anything of that size is allocated.
TEST_F(TableFileTest, RefusesALayoutOfHugeKeys) {
  TableData t;
  t.key_layout = KeyLayout({{"glimpse", 16, 4}});
  t.value_layout = KeyLayout({{"hidden", 8, 2}});
  t.segment_weights = {1};
  t.metadata_json = "{}";
  write_table(file("zero.mbit"), t);
  std::string b = bytes_of(file("zero.mbit"));
  // The KLAY section: u32 segments, then per segment u32 values, u32 levels, name.
  ASSERT_EQ(std::string_view(b.data() + 64, 4), "KLAY");  // the first directory entry
  std::uint64_t klay = 0;
  std::memcpy(&klay, b.data() + 64 + 8, 8);
  const std::uint32_t values = 0xFFFFFFF0U, levels = 256;
  std::memcpy(b.data() + klay + 4, &values, 4);
  std::memcpy(b.data() + klay + 8, &levels, 4);
  const std::uint32_t crc = crc32(b.data() + 64, b.size() - 64);
  std::memcpy(b.data() + 32, &crc, 4);
  overwrite(file("huge.mbit"), b);
  const std::string e = open_error(file("huge.mbit"));
  EXPECT_NE(e.find("huge.mbit"), std::string::npos) << e;
  EXPECT_NE(e.find("words"), std::string::npos) << e;
  EXPECT_THROW(KeyLayout({{"a", 0xFFFFFFFFU, 256}}), Error);  // 2^40 bits: refused, not wrapped
}


// The node under which tree `tree` holds `step`'s rows (the root's child whose first key has
// that step), computed from scratch: what a forest search must start from.
std::uint32_t step_child(const KMeansTree& tree, std::span<const std::uint32_t> rows, const TableData& t, int step) {
  const KMeansTreeNode& root = tree.nodes()[0];
  for (std::uint32_t c = root.first_child; c < root.first_child + root.child_count; ++c) {
    const std::uint32_t first = tree.nodes()[c].begin;
    if (t.step[rows.empty() ? first : rows[first]] == step) return c;
  }
  return 0;
}

TEST_F(TableFileTest, ForestSearchesEveryTreeWithAShareOfTheBudgetAndKeepsTheClosest) {
  TableData t = make_table(4000, 11);
  for (std::size_t r = 0; r < t.rows(); ++r) t.step[r] = static_cast<std::uint8_t>(r % 4);
  t.build_tree({.branching = 4, .max_leaf_size = 16}, /*per_step=*/true, 3);
  ASSERT_EQ(t.forest.size(), 2U);
  for (const ForestTree& f : t.forest) {
    ASSERT_EQ(f.rows.size(), t.rows());
    std::vector<std::uint32_t> sorted = f.rows;
    std::sort(sorted.begin(), sorted.end());
    for (std::uint32_t r = 0; r < 4000; ++r) ASSERT_EQ(sorted[r], r);
    EXPECT_NE(f.tree.serialize(), t.tree->serialize());  // other seeds, other splits
  }
  write_table(file("forest.mbit"), t);
  const Table m = Table::open(file("forest.mbit"));
  expect_same(t, m);
  ASSERT_EQ(m.tree_count(), 3U);
  ASSERT_TRUE(m.tree_per_step());
  EXPECT_EQ(m.resident_bytes(), fs::file_size(file("forest.mbit")) + 2 * t.keys.size() * 8);
  const std::size_t w = 5;
  for (std::size_t i = 1; i < 3; ++i) {
    EXPECT_EQ(m.forest()->tree(i).serialize(), t.forest[i - 1].tree.serialize());
    ASSERT_TRUE(std::ranges::equal(m.forest()->tree_rows(i), t.forest[i - 1].rows));
    for (std::size_t p = 0; p < t.rows(); ++p)  // the copied keys are the table's, in the tree's order
      ASSERT_TRUE(std::equal(m.forest()->tree_keys(i).begin() + p * w, m.forest()->tree_keys(i).begin() + p * w + w,
                             t.keys.begin() + std::size_t{m.forest()->tree_rows(i)[p]} * w));
  }

  // Reference: search each tree alone from its step's node with a third of the budget,
  // map its answer to a table row, keep the closest (then lowest row), add the comparisons.
  const auto weights = t.key_layout.word_weights(t.segment_weights);
  std::mt19937_64 rng(12);
  const auto queries = test::clustered_keys(t.key_layout, 60, 32, 15, rng);
  std::vector<std::uint64_t> keys_of[3];
  for (std::size_t i = 1; i < 3; ++i) keys_of[i].assign(m.forest()->tree_keys(i).begin(), m.forest()->tree_keys(i).end());
  int forest_closer = 0;
  for (std::size_t q = 0; q < 60; ++q) {
    const std::span<const std::uint64_t> query(queries.data() + q * w, w);
    const int step = static_cast<int>(q % 4);
    for (const std::uint32_t budget : {30U, 90U, 300U}) {
      SearchParams o;
      o.max_comparisons = budget / 3;
      TreeSearchContext at;
      SearchResult expected;
      expected.comparisons = 0;
      std::uint32_t first_tree_distance = 0;
      for (std::size_t i = 0; i < 3; ++i) {
        const KMeansTree& tree = i == 0 ? *t.tree : t.forest[i - 1].tree;
        const std::span<const std::uint32_t> rows = i == 0 ? std::span<const std::uint32_t>() : t.forest[i - 1].rows;
        at.start_node = step_child(tree, rows, t, step);
        const SearchResult r = tree.search(query, i == 0 ? t.keys : keys_of[i], weights, o, at);
        const std::uint32_t row = i == 0 ? r.index : rows[r.index];
        if (i == 0) first_tree_distance = r.distance;
        expected.comparisons += r.comparisons;
        if (r.distance < expected.distance || (r.distance == expected.distance && row < expected.index)) {
          expected.index = row;
          expected.distance = r.distance;
        }
      }
      SearchParams asked;
      asked.max_comparisons = budget;
      const SearchResult got = nearest_at_step(m, query, step, asked);
      ASSERT_EQ(got.index, expected.index) << "query " << q << " budget " << budget;
      ASSERT_EQ(got.distance, expected.distance);
      ASSERT_EQ(got.comparisons, expected.comparisons);
      ASSERT_EQ(m.step()[got.index], step);
      ASSERT_LE(got.distance, first_tree_distance);
      forest_closer += got.distance < first_tree_distance ? 1 : 0;
    }
    // Every leaf of every tree: the exhaustive best over the step's rows.
    SearchParams all;
    all.max_comparisons = 0xFFFFFFFFU;
    std::uint32_t best = 0xFFFFFFFFU;
    for (std::size_t r = 0; r < m.rows(); ++r)
      if (m.step()[r] == step) best = std::min(best, test::reference_distance(query.data(), m.key(r).data(), weights.data(), 5));
    EXPECT_EQ(nearest_at_step(m, query, step, all).distance, best);
  }
  EXPECT_GT(forest_closer, 0);  // the other trees do find closer keys than the first alone
}

TEST_F(TableFileTest, ForestIsDeterministicAndLeavesTheFirstTreeAlone) {
  TableData a = make_table(2000, 13);
  TableData b = a;
  TableData single = a;
  a.build_tree({}, false, 2);
  b.build_tree({}, false, 2);
  single.build_tree({}, false, 1);
  write_table(file("a.mbit"), a);
  write_table(file("b.mbit"), b);
  EXPECT_EQ(bytes_of(file("a.mbit")), bytes_of(file("b.mbit")));
  EXPECT_EQ(a.tree->serialize(), single.tree->serialize());
  EXPECT_EQ(a.keys, single.keys);
  EXPECT_THROW(a.build_tree({}, false, kMaxTrees + 1), Error);
  EXPECT_THROW(a.build_tree({}, false, 0), Error);
  std::vector<std::uint32_t> identity(2000);
  std::iota(identity.begin(), identity.end(), 0U);
  a.reorder_rows(identity);
  EXPECT_TRUE(a.forest.empty());  // trees no longer match reordered rows
}

TEST_F(TableFileTest, ForestTreesAcrossStepsSearchEveryRow) {
  TableData t = make_table(3000, 16);
  for (std::size_t r = 0; r < t.rows(); ++r) t.step[r] = static_cast<std::uint8_t>(r % 3);
  t.build_tree({.branching = 4, .max_leaf_size = 16}, /*per_step=*/true, 2, /*global_trees=*/1);
  EXPECT_THROW(TableData(t).build_tree({}, true, 2, 2), Error);  // the first tree follows per_step
  write_table(file("across.mbit"), t);
  const Table m = Table::open(file("across.mbit"));
  ASSERT_EQ(m.tree_count(), 2U);
  EXPECT_TRUE(m.tree_per_step());
  EXPECT_FALSE(m.every_tree_per_step());
  const auto weights = t.key_layout.word_weights(t.segment_weights);
  const std::vector<std::uint64_t> keys1(m.forest()->tree_keys(1).begin(), m.forest()->tree_keys(1).end());
  std::mt19937_64 rng(17);
  const auto queries = test::clustered_keys(t.key_layout, 90, 32, 15, rng);
  int other_step = 0;
  for (std::size_t q = 0; q < 90; ++q) {
    const std::span<const std::uint64_t> query(queries.data() + q * 5, 5);
    const int step = static_cast<int>(q % 3);
    SearchParams o;
    o.max_comparisons = 60;
    TreeSearchContext at;
    at.start_node = step_child(*t.tree, {}, t, step);
    const SearchResult first = t.tree->search(query, t.keys, weights, o, at);
    at.start_node = 0;  // the tree across steps is searched from its root
    const SearchResult second = t.forest[0].tree.search(query, keys1, weights, o, at);
    const std::uint32_t second_row = t.forest[0].rows[second.index];
    const bool take_second =
        second.distance < first.distance || (second.distance == first.distance && second_row < first.index);
    SearchParams asked;
    asked.max_comparisons = 120;
    const SearchResult got = nearest_at_step(m, query, step, asked);
    ASSERT_EQ(got.index, take_second ? second_row : first.index);
    ASSERT_EQ(got.comparisons, first.comparisons + second.comparisons);
    other_step += m.step()[got.index] != step ? 1 : 0;
  }
  EXPECT_GT(other_step, 0);  // closer keys of other steps are found
}

// A bounded search through a table keeps its promise against the rows its trees reach:
// the step's rows for per-step trees, every row once one tree spans the steps. A forest
// passes each tree's best to the next as a bound, so it costs less than its trees alone.
TEST_F(TableFileTest, BoundedSearchIsWithinItsFactorOfTheRowsItsTreesReach) {
  TableData t = make_table(3000, 18);
  for (std::size_t r = 0; r < t.rows(); ++r) t.step[r] = static_cast<std::uint8_t>(r % 3);
  TableData per_step = t;
  per_step.build_tree({.branching = 4, .max_leaf_size = 16}, /*per_step=*/true, 2);
  t.build_tree({.branching = 4, .max_leaf_size = 16}, /*per_step=*/true, 2, /*global_trees=*/1);
  write_table(file("bounded-across.mbit"), t);
  write_table(file("bounded-steps.mbit"), per_step);
  const Table across = Table::open(file("bounded-across.mbit"));
  const Table steps = Table::open(file("bounded-steps.mbit"));
  const auto weights = t.key_layout.word_weights(t.segment_weights);
  EXPECT_EQ(across.forest()->bounds(1).radius.size(), across.forest()->tree(1).nodes().size());
  EXPECT_THROW(across.forest()->bounds(2), Error);
  std::mt19937_64 rng(19);
  const auto queries = test::clustered_keys(t.key_layout, 90, 32, 15, rng);
  for (std::size_t q = 0; q < 90; ++q) {
    const std::span<const std::uint64_t> query(queries.data() + q * 5, 5);
    const int step = static_cast<int>(q % 3);
    std::vector<std::uint64_t> step_keys;
    for (std::size_t r = 0; r < steps.rows(); ++r)
      if (steps.step()[r] == step) {
        const auto k = steps.key(r);
        step_keys.insert(step_keys.end(), k.begin(), k.end());
      }
    const SearchResult step_best = exhaustive_nearest(query, step_keys, weights);
    const SearchResult all_best = exhaustive_nearest(query, across.keys(), weights);
    for (const double epsilon : {0.0, 0.2}) {
      SearchParams o;
      o.epsilon = epsilon;
      const SearchResult a = nearest_at_step(across, query, step, o);
      ASSERT_EQ(a.distance, weighted_distance(query.data(), across.key(a.index).data(), weights.data(), 5));
      ASSERT_LE(static_cast<double>(a.distance), (1 + epsilon) * all_best.distance + 1e-9);
      const SearchResult s = nearest_at_step(steps, query, step, o);
      ASSERT_EQ(steps.step()[s.index], step);
      ASSERT_LE(static_cast<double>(s.distance), (1 + epsilon) * step_best.distance + 1e-9);
      if (epsilon == 0.0) {
        ASSERT_EQ(a.distance, all_best.distance);
        ASSERT_EQ(s.distance, step_best.distance);
      }
    }
  }
}

// Offset of the directory entry of section `tag` in a table file's bytes.
std::size_t entry_of(const std::string& bytes, std::string_view tag) {
  std::uint32_t count = 0;
  std::memcpy(&count, bytes.data() + 12, 4);
  for (std::size_t i = 0; i < count; ++i)
    if (std::string_view(bytes.data() + 64 + i * 24, 4) == tag) return 64 + i * 24;
  ADD_FAILURE() << "no section " << tag;
  return 0;
}

TEST_F(TableFileTest, RefusesBrokenForestSections) {
  TableData t = make_table(500, 14);
  t.build_tree({}, true, 3);
  write_table(file("good.mbit"), t);
  const std::string good = bytes_of(file("good.mbit"));
  const auto reseal = [](std::string bytes) {
    const std::uint32_t crc = crc32(bytes.data() + 64, bytes.size() - 64);
    std::memcpy(bytes.data() + 32, &crc, 4);
    return bytes;
  };
  const auto refused = [&](const std::string& bytes, const std::string& expected) {
    overwrite(file("f.mbit"), reseal(bytes));
    const std::string message = open_error(file("f.mbit"));
    EXPECT_NE(message.find(expected), std::string::npos) << message;
    EXPECT_NE(message.find("f.mbit"), std::string::npos) << message;
  };
  std::string b = good;
  std::memcpy(b.data() + entry_of(b, "ROW1"), "XXXX", 4);
  refused(b, "missing section ROW1");
  b = good;
  std::memcpy(b.data() + entry_of(b, "TRE1"), "XXXX", 4);
  std::memcpy(b.data() + entry_of(b, "ROW1"), "XXXX", 4);
  refused(b, "TRE2 without the trees before it");
  b = good;
  std::memcpy(b.data() + entry_of(b, "TREE"), "XXXX", 4);
  refused(b, "without section TREE");
  b = good;
  std::uint64_t rows_at = 0;
  std::memcpy(&rows_at, b.data() + entry_of(b, "ROW2") + 8, 8);
  std::memcpy(b.data() + rows_at, b.data() + rows_at + 4, 4);  // a row twice, another never
  refused(b, "the row map of tree 2 is not a permutation");
  b = good;
  const std::uint64_t short_size = 400 * 4;
  std::memcpy(b.data() + entry_of(b, "ROW1") + 16, &short_size, 8);
  refused(b, "inconsistent sizes: section ROW1");
  // A forest tree from another table.
  TableData other = make_table(400, 15);
  other.build_tree({}, true, 2);
  TableData mixed = t;
  mixed.forest[0].tree = other.forest[0].tree;
  EXPECT_THROW(write_table(file("never.mbit"), mixed), Error);
  EXPECT_FALSE(fs::exists(file("never.mbit")));
}

}  // namespace
}  // namespace mbi
