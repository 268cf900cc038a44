#include "mbi/hw/hw_index.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <utility>
#include <string>
#include <unistd.h>

#include "mbi/core/error.hpp"
#include "mbi/core/random.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/lookup/table_file.hpp"
#include "mbi/search/exhaustive.hpp"

namespace mbi::hw {
namespace {

// A small RAM-like key: one glimpse segment of 2-bit values, a hidden state of bits, and a
// location in pixels; components phi, h, l as in eq. 1.
const std::vector<SegmentSpec> kSegments = {{"glimpse0", 16, 4}, {"hidden", 24, 2}, {"loc_x", 1, 29}, {"loc_y", 1, 29}};
const std::vector<std::uint32_t> kComponents = {0, 1, 2, 2};
const std::vector<std::uint32_t> kWeights = {1000, 533, 333, 333};
constexpr std::size_t kRows = 600;

std::vector<std::uint8_t> random_values(Random& rng) {
  std::vector<std::uint8_t> v;
  for (const SegmentSpec& s : kSegments)
    for (std::uint32_t i = 0; i < s.values; ++i) v.push_back(static_cast<std::uint8_t>(rng.index(s.levels)));
  return v;
}

// Writes a synthetic table with a k-means tree and maps it.
class HwLookupTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    path_ = new std::filesystem::path(std::filesystem::temp_directory_path() /
                                      ("mbi_hw_lookup_test_" + std::to_string(::getpid()) + ".tbl"));
    TableData d;
    d.key_layout = KeyLayout(kSegments);
    d.value_layout = KeyLayout({{"hidden", 24, 2}});
    d.segment_weights = kWeights;
    d.metadata_json = "{}";
    Random rng(11);
    // Clustered keys: 30 prototypes, each row a prototype with a few values changed.
    std::vector<std::vector<std::uint8_t>> prototypes;
    for (int p = 0; p < 30; ++p) prototypes.push_back(random_values(rng));
    std::vector<std::uint64_t> packed(d.key_layout.words());
    for (std::size_t r = 0; r < kRows; ++r) {
      std::vector<std::uint8_t> v = prototypes[rng.index(30)];
      const std::vector<std::uint8_t> noise = random_values(rng);
      for (int k = 0; k < 6; ++k) {
        const std::uint32_t i = rng.index(static_cast<std::uint32_t>(v.size()));
        v[i] = noise[i];
      }
      d.key_layout.encode(v, packed);
      d.keys.insert(d.keys.end(), packed.begin(), packed.end());
      d.next_hidden.push_back(rng.bits() & 0xFFFFFFULL);
      d.next_location.push_back(static_cast<std::uint8_t>(rng.index(29)));
      d.next_location.push_back(static_cast<std::uint8_t>(rng.index(29)));
      d.step.push_back(0);
      d.prediction.push_back(static_cast<std::uint8_t>(rng.index(10)));
    }
    d.build_tree();
    write_table(*path_, d);
    table_ = new Table(Table::open(*path_));
    tree_keys_ = new HwKeys{path_->string(), table_->key_layout(), table_->segment_weights(), table_->keys(),
                            table_->forest()};
    all_keys_ = new HwKeys{path_->string(), table_->key_layout(), table_->segment_weights(), table_->keys(), nullptr};
  }
  static void TearDownTestSuite() {
    delete tree_keys_;
    delete all_keys_;
    delete table_;
    std::filesystem::remove(*path_);
    delete path_;
  }

  // Queries near stored keys (a key with two values changed).
  static std::vector<std::vector<std::uint8_t>> queries(std::size_t n, std::uint64_t seed) {
    Random rng(seed);
    const std::uint32_t width = table_->key_layout().total_values();
    std::vector<std::vector<std::uint8_t>> out;
    std::vector<std::uint8_t> v(width);
    for (std::size_t i = 0; i < n; ++i) {
      table_->key_layout().decode(table_->key(rng.index(static_cast<std::uint32_t>(kRows))), v);
      const std::vector<std::uint8_t> noise = random_values(rng);
      for (int k = 0; k < 2; ++k) {
        const std::uint32_t j = rng.index(width);
        v[j] = noise[j];
      }
      out.push_back(v);
    }
    return out;
  }
  static SearchResult digital(const std::vector<std::uint8_t>& q, std::uint32_t probes, bool exhaustive) {
    std::vector<std::uint64_t> packed(table_->key_layout().words());
    table_->key_layout().encode(q, packed);
    SearchParams params;
    params.probes = probes;
    return exhaustive ? exhaustive_nearest(packed, table_->keys(), table_->word_weights())
                      : table_->index().search_one(packed, -1, params);
  }
  // Candidates from the table's tree, or every row.
  static HwSearcher searcher(const HwLookupOptions& o, bool exhaustive = false) {
    const HwKeys& keys = exhaustive ? *all_keys_ : *tree_keys_;
    return HwSearcher(keys, std::make_shared<const DecodedTable>(keys), kComponents, o);
  }
  static ArrayConfig lossless() {
    ArrayConfig a = without_mismatch(ArrayConfig{});
    a.adc_bits = 8;
    return a;
  }

  static std::filesystem::path* path_;
  static Table* table_;
  static HwKeys* tree_keys_;
  static HwKeys* all_keys_;
};
std::filesystem::path* HwLookupTest::path_ = nullptr;
Table* HwLookupTest::table_ = nullptr;
HwKeys* HwLookupTest::tree_keys_ = nullptr;
HwKeys* HwLookupTest::all_keys_ = nullptr;

TEST_F(HwLookupTest, IdealModeIsTheTableSearch) {
  ASSERT_NE(table_->tree(), nullptr);
  for (const bool exhaustive : {false, true})
    for (const std::uint32_t probes : {1U, 3U}) {
      HwLookupOptions o;
      o.mode = HwLookupMode::ideal;
      HwSearcher s = searcher(o, exhaustive);
      for (const auto& q : queries(300, 5)) {
        const SearchResult want = digital(q, probes, exhaustive);
        const SearchResult got = s.nearest(q, 0, probes);
        ASSERT_EQ(got.index, want.index);
        ASSERT_EQ(got.distance, want.distance);
        ASSERT_EQ(got.comparisons, want.comparisons);
      }
    }
}

TEST_F(HwLookupTest, ThermometerThroughMatchedDevicesGivesTheDigitalLookup) {
  for (const Descent descent : {Descent::digital, Descent::circuit}) {
    HwLookupOptions o;
    o.coding = Coding::thermometer;
    o.array = lossless();
    o.descent = descent;
    HwSearcher s = searcher(o);
    for (const auto& q : queries(300, 6)) {
      const SearchResult want = digital(q, 1, false);
      const SearchResult got = s.nearest(q, 0);
      ASSERT_EQ(got.index, want.index);
      ASSERT_EQ(got.distance, want.distance);
    }
    EXPECT_EQ(s.counters().saturated_reads, 0U);
    EXPECT_EQ(s.counters().searches, 300U);
    // Every comparison (centroid or key) is one read of each of the key's arrays.
    EXPECT_EQ(s.counters().array_reads,
              (s.counters().centroid_comparisons + s.counters().key_comparisons) * s.arrays_per_key());
  }
}

TEST_F(HwLookupTest, BinaryCodingDepartsFromTheDigitalLookup) {
  HwLookupOptions o;
  o.coding = Coding::binary;
  o.array = lossless();
  HwSearcher s = searcher(o);
  std::size_t differ = 0;
  for (const auto& q : queries(300, 7)) differ += s.nearest(q, 0).index != digital(q, 1, false).index ? 1 : 0;
  EXPECT_GT(differ, 0U);  // bit-weighted Hamming is not Manhattan on the 29-level location
}

TEST_F(HwLookupTest, ZeroNoiseIsNoiseless) {
  HwLookupOptions plain;
  plain.array = lossless();
  HwLookupOptions zero = plain;
  zero.noise = NoiseOptions{};  // all zero
  zero.mitigation = parse_mitigation("reads:4");
  HwSearcher a = searcher(plain), b = searcher(zero);
  for (const auto& q : queries(200, 8)) ASSERT_EQ(a.nearest(q, 1).index, b.nearest(q, 1).index);
  // Identical reads are not repeated.
  EXPECT_EQ(a.counters().array_reads, b.counters().array_reads);
}

TEST_F(HwLookupTest, NoiseIsReproducibleAndMitigationsReduceErrors) {
  const auto qs = queries(400, 9);
  std::vector<std::uint32_t> exact;
  for (const auto& q : qs) exact.push_back(digital(q, 1, false).index);
  auto errors = [&](const std::string& mitigation) {
    HwLookupOptions o;
    o.array = lossless();
    o.noise.distance_sigma = 4.0;
    o.mitigation = parse_mitigation(mitigation);
    o.descent = Descent::digital;  // same candidates: errors come from the leaf reads alone
    HwSearcher s = searcher(o);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < qs.size(); ++i) wrong += s.nearest(qs[i], 2).index != exact[i] ? 1 : 0;
    return wrong;
  };
  const std::size_t none = errors("none");
  EXPECT_EQ(none, errors("none"));  // reseeded from the query: same draws every run
  EXPECT_GT(none, 20U);
  EXPECT_LT(errors("reads:8"), none / 2);
  EXPECT_LT(errors("median:8"), none);
  EXPECT_LT(errors("topk:4:7"), none * 3 / 4);
}

TEST_F(HwLookupTest, BitFlipsHurtAndMedianReadsHelp) {
  const auto qs = queries(300, 10);
  std::vector<std::uint32_t> exact;
  for (const auto& q : qs) exact.push_back(digital(q, 1, false).index);
  auto errors = [&](const std::string& mitigation) {
    HwLookupOptions o;
    o.array = lossless();
    o.noise.bit_flip_probability = 0.05;
    o.mitigation = parse_mitigation(mitigation);
    o.descent = Descent::digital;
    HwSearcher s = searcher(o);
    std::size_t wrong = 0;
    for (std::size_t i = 0; i < qs.size(); ++i) wrong += s.nearest(qs[i], 0).index != exact[i] ? 1 : 0;
    return wrong;
  };
  const std::size_t none = errors("none");
  EXPECT_GT(none, 10U);
  EXPECT_LT(errors("median:5"), none);
}

// Without noise, the hardware index ranks its candidates by the exact weighted distance:
// over every row, its k nearest are the k smallest reference distances (ties to the lower
// row), its first the row search() finds.
TEST_F(HwLookupTest, RanksTheKNearestCandidates) {
  HwLookupOptions o;
  o.array = lossless();
  const HwIndex index(*all_keys_, kComponents, o);
  const std::uint32_t width = table_->key_layout().total_values();
  std::vector<std::uint8_t> values(width);
  std::vector<std::uint64_t> packed(table_->key_layout().words());
  for (const auto& q : queries(40, 21)) {
    std::vector<std::pair<double, std::uint32_t>> all;
    for (std::uint32_t r = 0; r < kRows; ++r) {
      table_->key_layout().decode(table_->key(r), values);
      double d = 0;
      std::size_t v = 0;
      for (std::size_t seg = 0; seg < kSegments.size(); ++seg)
        for (std::uint32_t i = 0; i < kSegments[seg].values; ++i, ++v)
          d += kWeights[seg] * std::abs(static_cast<double>(values[v]) - static_cast<double>(q[v]));
      all.emplace_back(d, r);
    }
    std::sort(all.begin(), all.end());
    table_->key_layout().encode(q, packed);
    std::vector<SearchResult> out(7);
    ASSERT_EQ(index.search_k(packed, 0, SearchParams{}, out), 7U);
    for (std::size_t i = 0; i < out.size(); ++i) {
      EXPECT_EQ(out[i].index, all[i].second) << i;
      EXPECT_EQ(out[i].distance, static_cast<std::uint32_t>(all[i].first)) << i;
    }
    EXPECT_EQ(out[0].index, index.search_one(packed, 0, SearchParams{}).index);
    EXPECT_EQ(out[0].comparisons, kRows);
  }
  // Asking for more than there are candidates gives them all.
  std::vector<SearchResult> many(kRows + 5);
  EXPECT_EQ(index.search_k(packed, 0, SearchParams{}, many), kRows);
  SearchParams budget;
  budget.max_comparisons = 10;
  EXPECT_THROW(index.search_k(packed, 0, budget, many), Error);
}

TEST_F(HwLookupTest, IndexGivesEachThreadTheSameChip) {
  HwLookupOptions o;
  o.noise.distance_sigma = 2.0;
  const HwIndex index(*tree_keys_, kComponents, o);
  const auto qs = queries(50, 12);
  const std::size_t words = table_->key_layout().words();
  std::vector<std::uint64_t> packed(qs.size() * words);
  for (std::size_t i = 0; i < qs.size(); ++i)
    table_->key_layout().encode(qs[i], std::span<std::uint64_t>(packed).subspan(i * words, words));
  // One batch on this thread, the same queries one by one on another: the same answers.
  std::vector<SearchResult> main_thread(qs.size());
  index.search(packed, 3, {}, main_thread);
  std::vector<SearchResult> other_thread;
  std::thread t([&] {
    for (std::size_t i = 0; i < qs.size(); ++i)
      other_thread.push_back(index.search_one(std::span<const std::uint64_t>(packed).subspan(i * words, words), 3, {}));
  });
  t.join();
  for (std::size_t i = 0; i < qs.size(); ++i) {
    EXPECT_EQ(main_thread[i].index, other_thread[i].index);
    EXPECT_EQ(main_thread[i].distance, other_thread[i].distance);
  }
  EXPECT_EQ(index.counters().searches, 100U);
  // The hardware searches by leaves: a budget or a bound is refused.
  SearchParams budget;
  budget.max_comparisons = 10;
  EXPECT_THROW(index.search_one(std::span<const std::uint64_t>(packed).subspan(0, words), 0, budget), Error);
}

TEST(HwMitigation, ParsesAndRejects) {
  EXPECT_EQ(parse_mitigation("none").name(), "none");
  EXPECT_EQ(parse_mitigation("reads:4").reads, 4U);
  EXPECT_EQ(parse_mitigation("median:5").combine, ReadCombine::median);
  const HwMitigation t = parse_mitigation("topk:3:2");
  EXPECT_EQ(t.recheck_k, 3U);
  EXPECT_EQ(t.recheck_reads, 2U);
  EXPECT_EQ(t.name(), "topk:3:2");
  for (const char* bad : {"reads", "reads:0", "reads:x", "topk:3", "votes:3", ""})
    EXPECT_THROW(parse_mitigation(bad), Error) << bad;
}

}  // namespace
}  // namespace mbi::hw
