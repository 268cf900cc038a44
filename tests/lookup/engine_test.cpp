// Lookup inference against references written for obviousness, on a synthetic RAM table
// (tests/common/synthetic_ram.hpp): no LibTorch, no MNIST.
#include "mbi/lookup/engine.hpp"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <utility>

#include "mbi/core/error.hpp"
#include "mbi/lookup/lookup_run.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/lookup/table_file.hpp"
#include "mbi/search/observed_index.hpp"
#include "synthetic_ram.hpp"
#include "test_util.hpp"

namespace mbi {
namespace {

struct Fixture : test::SyntheticRam {
  Fixture() : SyntheticRam(120, 60, 2, false) {}
};

// Lookup inference as the paper describes it, step by step, with a plain exhaustive scan
// over reference distances: the engine must agree row for row.
struct ReferenceStep {
  std::uint32_t row;
  std::uint32_t distance;
};
std::vector<ReferenceStep> reference_lookup(const RamConfig& c, const TableData& t, const std::uint8_t* pixels) {
  const GlimpseGeometry g = GlimpseGeometry::from(c);
  const GlimpseQuantizer q(g, c.norm_mean, c.norm_std, c.phi_lo, c.phi_hi, c.phi_levels());
  const IntegralImage image({pixels, static_cast<std::size_t>(c.image_rows * c.image_cols)}, c.image_rows,
                            c.image_cols, c.norm_mean, c.norm_std);
  const std::size_t words = t.key_layout.words();
  const std::vector<std::uint32_t> weights = t.key_layout.word_weights(t.segment_weights);
  std::vector<std::uint8_t> phi(static_cast<std::size_t>(g.size()));
  std::vector<std::uint8_t> hidden(static_cast<std::size_t>(c.hidden), 0);
  std::vector<std::uint8_t> values(t.key_layout.total_values());
  std::vector<std::uint64_t> key(words);
  int x = location_to_pixel(c.start_x, c.image_cols);
  int y = location_to_pixel(c.start_y, c.image_rows);
  std::vector<ReferenceStep> steps;
  for (int s = 0; s < c.glimpses; ++s) {
    q.levels(image, x, y, phi.data());
    ram_key_values(c, phi.data(), hidden.data(), x, y, values.data());
    t.key_layout.encode(values, key);
    ReferenceStep best{kNoIndex, 0xFFFFFFFFU};
    for (std::size_t r = 0; r < t.rows(); ++r) {
      const std::uint32_t d = test::reference_distance(key.data(), &t.keys[r * words], weights.data(), words);
      if (d < best.distance) best = {static_cast<std::uint32_t>(r), d};
    }
    steps.push_back(best);
    t.value_layout.decode({&t.next_hidden[best.row * t.value_layout.words()], t.value_layout.words()}, hidden);
    x = t.next_location[2 * best.row];
    y = t.next_location[2 * best.row + 1];
  }
  return steps;
}

TEST(LookupEngine, ExhaustiveLookupsRetraceTheTeacherOnItsOwnImages) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  const std::vector<int> teacher = test::teacher_predictions(f.config, f.train);
  LookupEngine engine(table, f.config);
  LookupOptions exhaustive;
  exhaustive.index = &table.exhaustive();
  for (std::size_t i = 0; i < f.train.count(); ++i) {
    const LookupResult r = engine.infer(f.train.image(i), exhaustive);
    ASSERT_TRUE(r.completed);
    EXPECT_EQ(r.max_distance, 0U) << "image " << i;
    EXPECT_EQ(r.prediction, teacher[i]) << "image " << i;
  }
}

TEST(LookupEngine, EqualsAPlainReferenceOnOtherImages) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  LookupEngine engine(table, f.config);
  LookupOptions exhaustive;
  exhaustive.index = &table.exhaustive();
  std::size_t inexact = 0;
  for (std::size_t i = 0; i < f.other.count(); ++i) {
    const std::vector<ReferenceStep> want = reference_lookup(f.config, f.data, f.other.image(i));
    const LookupResult got = engine.infer(f.other.image(i), exhaustive);
    ASSERT_EQ(got.steps.size(), want.size());
    for (std::size_t s = 0; s < want.size(); ++s) {
      ASSERT_EQ(got.steps[s].row, want[s].row) << "image " << i << " step " << s;
      ASSERT_EQ(got.steps[s].distance, want[s].distance);
      inexact += want[s].distance > 0 ? 1 : 0;
    }
    EXPECT_EQ(got.prediction, f.data.prediction[want.back().row]);
  }
  EXPECT_GT(inexact, 0U);  // the other images do leave the table's keys
}

// The tree probed leaf by leaf to the end finds the exhaustive distances, and a bounded
// search with epsilon 0 too, with fewer comparisons.
TEST(LookupEngine, TreeSearchesReachTheExhaustiveDistances) {
  Fixture f;
  TableData t = f.data;
  KMeansTreeParams p;
  p.max_leaf_size = 8;
  t.build_tree(p, /*per_step=*/false);
  const Table table = Table::borrow(t);
  LookupEngine engine(table, f.config);
  LookupOptions exhaustive;
  exhaustive.index = &table.exhaustive();
  LookupOptions all_leaves;
  all_leaves.search.probes = static_cast<std::uint32_t>(table.rows());
  LookupOptions bounded;
  bounded.search.epsilon = 0;
  std::uint64_t bounded_comparisons = 0, exhaustive_comparisons = 0;
  for (std::size_t i = 0; i < f.other.count(); ++i) {
    const LookupResult a = engine.infer(f.other.image(i), exhaustive);
    for (const LookupOptions* o : {&all_leaves, &bounded}) {
      const LookupResult b = engine.infer(f.other.image(i), *o);
      ASSERT_EQ(b.steps.size(), a.steps.size());
      for (std::size_t s = 0; s < a.steps.size(); ++s) ASSERT_EQ(b.steps[s].distance, a.steps[s].distance);
      if (o == &bounded) bounded_comparisons += b.comparisons;
    }
    exhaustive_comparisons += a.comparisons;
  }
  EXPECT_LT(bounded_comparisons, exhaustive_comparisons);
}

// A table searched where it is built and the same table written and mapped give the same
// lookups, step for step, with a per-step forest and a budget.
TEST(LookupEngine, BorrowedAndMappedTablesAgree) {
  Fixture f;
  TableData t = f.data;
  t.build_tree({}, /*per_step=*/true, /*trees=*/2, /*global_trees=*/1);
  const auto path = std::filesystem::temp_directory_path() / ("mbi_engine_" + std::to_string(::getpid()) + ".tbl");
  write_table(path, t);
  const Table mapped = Table::open(path);
  const Table borrowed = Table::borrow(t);
  EXPECT_EQ(borrowed.resident_bytes(), mapped.resident_bytes());
  EXPECT_EQ(table_file_bytes(t), std::filesystem::file_size(path));
  LookupEngine a(mapped, f.config);
  LookupEngine b(borrowed, f.config);
  LookupOptions o;
  o.search.max_comparisons = 40;
  for (std::size_t i = 0; i < f.other.count(); ++i) {
    const LookupResult ra = a.infer(f.other.image(i), o);
    const LookupResult rb = b.infer(f.other.image(i), o);
    ASSERT_EQ(ra.steps.size(), rb.steps.size());
    for (std::size_t s = 0; s < ra.steps.size(); ++s) {
      EXPECT_EQ(ra.steps[s].row, rb.steps[s].row);
      EXPECT_EQ(ra.steps[s].comparisons, rb.steps[s].comparisons);
    }
  }
  std::filesystem::remove(path);
}

// Batches, chunks, threads and early stops change nothing about any image's lookups.
TEST(LookupEngine, BatchesAndThreadsEqualOneImageAtATime) {
  Fixture f;
  TableData t = f.data;
  t.build_tree({}, /*per_step=*/true, 3);
  const Table table = Table::borrow(t);
  LookupEngine engine(table, f.config);
  LookupOptions budget;
  budget.search.max_comparisons = 30;
  std::vector<std::uint32_t> worst;
  for (std::size_t i = 0; i < f.other.count(); ++i) worst.push_back(engine.infer(f.other.image(i), budget).max_distance);
  std::nth_element(worst.begin(), worst.begin() + 30, worst.end());
  LookupOptions stopping = budget;
  stopping.stop_above = worst[30];
  std::vector<const std::uint8_t*> images;
  for (std::size_t i = 0; i < f.other.count(); ++i) images.push_back(f.other.image(i));
  for (const LookupOptions& o : {budget, stopping, LookupOptions{}}) {
    std::vector<LookupResult> batch(images.size());
    engine.infer_batch(images, o, batch);
    const LookupRun one_thread = run_lookups(table, f.config, f.other, o, 1, false);
    const LookupRun two_threads = run_lookups(table, f.config, f.other, o, 2, false);
    EXPECT_EQ(one_thread.prediction, two_threads.prediction);
    EXPECT_EQ(one_thread.max_distance, two_threads.max_distance);
    for (std::size_t i = 0; i < images.size(); ++i) {
      const LookupResult alone = engine.infer(images[i], o);
      ASSERT_EQ(batch[i].prediction, alone.prediction);
      ASSERT_EQ(batch[i].completed, alone.completed);
      ASSERT_EQ(batch[i].max_distance, alone.max_distance);
      ASSERT_EQ(batch[i].comparisons, alone.comparisons);
      EXPECT_EQ(one_thread.prediction[i], alone.completed ? alone.prediction : -1);
    }
  }
  std::vector<LookupResult> too_few(images.size() - 1);
  EXPECT_THROW(engine.infer_batch(images, budget, too_few), Error);
}

// Lookups over borrowed images keep every step when asked: the trace holds, image by image,
// what infer() finds alone, with the steps an early stop skipped marked as not taken; and
// images of another size are refused naming the table.
TEST(LookupEngine, TraceOfBorrowedImagesEqualsOneImageAtATime) {
  Fixture f;
  TableData t = f.data;
  t.build_tree({}, /*per_step=*/true, 3);
  const Table table = Table::borrow(t, "traced");
  LookupEngine engine(table, f.config);
  LookupOptions stopping;
  stopping.search.max_comparisons = 30;
  stopping.stop_above = engine.infer(f.other.image(0), stopping).max_distance;  // some images stop early
  LookupTrace trace;
  const LookupRun run = run_lookups(table, f.config, ImageView::of(f.other), stopping, 2, false, &trace);
  ASSERT_EQ(trace.steps, static_cast<std::size_t>(f.config.glimpses));
  ASSERT_EQ(trace.row.size(), f.other.count() * trace.steps);
  std::size_t stopped = 0;
  for (std::size_t i = 0; i < f.other.count(); ++i) {
    const LookupResult alone = engine.infer(f.other.image(i), stopping);
    EXPECT_EQ(run.prediction[i], alone.completed ? alone.prediction : -1);
    stopped += alone.completed ? 0 : 1;
    for (std::size_t s = 0; s < trace.steps; ++s) {
      const std::size_t cell = i * trace.steps + s;
      if (s < alone.steps.size()) {
        EXPECT_EQ(trace.row[cell], alone.steps[s].row);
        EXPECT_EQ(trace.distance[cell], alone.steps[s].distance);
        EXPECT_EQ(trace.comparisons[cell], alone.steps[s].comparisons);
        EXPECT_EQ(trace.loc_x[cell], alone.steps[s].loc_x);
        EXPECT_EQ(trace.loc_y[cell], alone.steps[s].loc_y);
      } else {
        EXPECT_EQ(trace.row[cell], kNoIndex);
        EXPECT_EQ(trace.loc_x[cell], -1);
      }
    }
  }
  EXPECT_GT(stopped, 0U);
  const LookupRun plain = run_lookups(table, f.config, f.other, stopping, 1, false);
  EXPECT_EQ(plain.prediction, run.prediction);
  ImageView wrong = ImageView::of(f.other);
  wrong.cols -= 1;
  try {
    run_lookups(table, f.config, wrong, stopping, 1, false);
    FAIL() << "images of another size were taken";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("traced"), std::string::npos) << e.what();
  }
}

// An observed index sees every query the engine asks, in order, and answers as its inner one.
TEST(LookupEngine, ObservedIndexSeesEveryQuery) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  std::vector<int> steps;
  std::size_t exact = 0;
  const ObservedIndex observed(table.exhaustive(), [&](std::span<const std::uint64_t> q, int step,
                                                       const SearchResult& r) {
    EXPECT_EQ(q.size(), table.key_layout().words());
    steps.push_back(step);
    exact += r.distance == 0 ? 1 : 0;
  });
  LookupEngine engine(table, f.config);
  LookupOptions o;
  o.index = &observed;
  engine.infer(f.train.image(0), o);
  EXPECT_EQ(steps, (std::vector<int>{0, 1, 2}));
  EXPECT_EQ(exact, 3U);  // a distilled image's steps are all in the table
}

// The k nearest rows by the reference distance, nearest first, ties to the lower row: an
// index that can rank (as the hardware index does), written for obviousness.
class ReferenceKnn final : public NearestIndex {
 public:
  explicit ReferenceKnn(const TableData& t) : t_(t), weights_(t.key_layout.word_weights(t.segment_weights)) {}
  std::uint32_t words() const override { return t_.key_layout.words(); }
  std::size_t rows() const override { return t_.rows(); }
  void search(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
              std::span<SearchResult> results) const override {
    for (std::size_t i = 0; i < results.size(); ++i)
      search_k(queries.subspan(i * words(), words()), group, params, {&results[i], 1});
  }
  std::size_t search_k(std::span<const std::uint64_t> query, int, const SearchParams&,
                       std::span<SearchResult> out) const override {
    std::vector<std::pair<std::uint32_t, std::uint32_t>> all;  // distance, row
    for (std::size_t r = 0; r < t_.rows(); ++r)
      all.emplace_back(test::reference_distance(query.data(), &t_.keys[r * words()], weights_.data(), words()),
                       static_cast<std::uint32_t>(r));
    std::sort(all.begin(), all.end());
    const std::size_t k = std::min(out.size(), all.size());
    for (std::size_t i = 0; i < k; ++i) out[i] = {all[i].second, all[i].first, static_cast<std::uint32_t>(t_.rows()), 0};
    return k;
  }

 private:
  const TableData& t_;
  std::vector<std::uint32_t> weights_;
};

// Voting as LookupOptions::vote describes it, step by step: the median of the k nearest
// rows' values (hidden state value by value, location axis by axis; the lower median for
// even k), the plurality of their predictions, ties to the nearer row's class.
int reference_vote_lookup(const RamConfig& c, const TableData& t, const std::uint8_t* pixels, std::size_t k) {
  const GlimpseGeometry g = GlimpseGeometry::from(c);
  const GlimpseQuantizer q(g, c.norm_mean, c.norm_std, c.phi_lo, c.phi_hi, c.phi_levels());
  const IntegralImage image({pixels, static_cast<std::size_t>(c.image_rows * c.image_cols)}, c.image_rows,
                            c.image_cols, c.norm_mean, c.norm_std);
  const ReferenceKnn knn(t);
  std::vector<std::uint8_t> phi(static_cast<std::size_t>(g.size()));
  std::vector<std::uint8_t> hidden(static_cast<std::size_t>(c.hidden), 0);
  std::vector<std::uint8_t> values(t.key_layout.total_values());
  std::vector<std::uint64_t> key(t.key_layout.words());
  int x = location_to_pixel(c.start_x, c.image_cols);
  int y = location_to_pixel(c.start_y, c.image_rows);
  int prediction = -1;
  auto lower_median = [](std::vector<int> v) {
    std::sort(v.begin(), v.end());
    return v[(v.size() - 1) / 2];
  };
  for (int s = 0; s < c.glimpses; ++s) {
    q.levels(image, x, y, phi.data());
    ram_key_values(c, phi.data(), hidden.data(), x, y, values.data());
    t.key_layout.encode(values, key);
    std::vector<SearchResult> near(k);
    near.resize(knn.search_k(key, s, {}, near));
    std::vector<std::vector<std::uint8_t>> h(near.size(), std::vector<std::uint8_t>(hidden.size()));
    for (std::size_t j = 0; j < near.size(); ++j)
      t.value_layout.decode({&t.next_hidden[near[j].index * t.value_layout.words()], t.value_layout.words()}, h[j]);
    for (std::size_t v = 0; v < hidden.size(); ++v) {
      std::vector<int> column;
      for (const auto& hj : h) column.push_back(hj[v]);
      hidden[v] = static_cast<std::uint8_t>(lower_median(column));
    }
    std::vector<int> xs, ys;
    std::map<int, int> votes;
    for (const SearchResult& r : near) {
      xs.push_back(t.next_location[2 * r.index]);
      ys.push_back(t.next_location[2 * r.index + 1]);
      ++votes[t.prediction[r.index]];
    }
    x = lower_median(xs);
    y = lower_median(ys);
    prediction = t.prediction[near[0].index];
    for (const SearchResult& r : near)
      if (votes[t.prediction[r.index]] > votes[prediction]) prediction = t.prediction[r.index];
  }
  return prediction;
}

TEST(LookupEngine, VotingOverTheKNearestEqualsAPlainReference) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  const ReferenceKnn knn(f.data);
  LookupEngine engine(table, f.config);
  LookupOptions exhaustive;
  exhaustive.index = &table.exhaustive();
  std::size_t changed = 0;
  for (const std::uint32_t k : {1U, 2U, 5U}) {
    LookupOptions o;
    o.index = &knn;
    o.vote = k;
    for (std::size_t i = 0; i < f.other.count(); ++i) {
      const LookupResult got = engine.infer(f.other.image(i), o);
      ASSERT_TRUE(got.completed);
      EXPECT_EQ(got.prediction, reference_vote_lookup(f.config, f.data, f.other.image(i), k)) << "k " << k << " image " << i;
      const LookupResult nearest = engine.infer(f.other.image(i), exhaustive);
      if (k == 1) {
        EXPECT_EQ(got.prediction, nearest.prediction);  // a vote of one is the nearest row
      }
      // The steps record the nearest row of each step's ranking.
      EXPECT_EQ(got.steps[0].row, nearest.steps[0].row);
      changed += got.prediction != nearest.prediction ? 1 : 0;
    }
  }
  EXPECT_GT(changed, 0U);  // voting does change some answers
  // The table's own tree keeps only its best candidate: it cannot vote.
  LookupOptions tree;
  tree.vote = 3;
  EXPECT_THROW(engine.infer(f.other.image(0), tree), Error);
}

TEST(LookupEngine, RefusesATableOfAnotherTeacher) {
  Fixture f;
  const Table table = Table::borrow(f.data);
  RamConfig other = f.config;
  other.hidden = 8;
  EXPECT_THROW(LookupEngine(table, other), Error);
}

}  // namespace
}  // namespace mbi
