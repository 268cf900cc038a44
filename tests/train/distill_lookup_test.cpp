// Distillation and lookup inference against the teacher itself: on the images a table was
// distilled from, exhaustive lookups must retrace the teacher exactly (every key is in the
// table at distance 0, and a key determines its value), so lookups reproduce the teacher's
// predictions. A randomly initialised teacher is as good a reference as a trained one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <memory>

#include "mbi/core/atomic_file.hpp"
#include "mbi/core/error.hpp"
#include "mbi/lookup/engine.hpp"
#include "mbi/lookup/table.hpp"
#include "mbi/lookup/ram_keys.hpp"
#include "mbi/train/distill.hpp"
#include "mbi/train/trainer.hpp"

namespace mbi {
namespace {

namespace fs = std::filesystem;

struct Fixture {
  ImageSet images;
  train::RamModel model{nullptr};
};

Fixture make_fixture(int glimpse_bits = 2, int hidden_bits = 1) {
  const fs::path mnist = fs::path(MBI_SHARED_DATA) / "mnist";
  Fixture f;
  const ImageSet test = data::load_split(mnist, "test");
  std::vector<std::size_t> first(300);
  for (std::size_t i = 0; i < first.size(); ++i) first[i] = i;
  f.images = test.subset(first);
  f.images.classes = test.classes;
  RamConfig c;
  train::fit_input_statistics(c, f.images);
  c.glimpse_bits = glimpse_bits;
  c.hidden_bits = hidden_bits;
  c.hidden = 32;
  c.core_width = 64;
  torch::manual_seed(9);
  f.model = train::RamModel(c);
  return f;
}

TableData distill_table(Fixture& f, const train::DistillOptions& o = {}) {
  train::DistillOptions opts = o;
  opts.progress = false;
  TableData t = train::distill(f.model, f.images, opts);
  t.segment_weights = eq1_segment_weights(f.model->config(), 30, 16, 10);
  t.metadata_json = "{}";
  return t;
}

class LookupTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(fs::path(MBI_SHARED_DATA) / "mnist")) GTEST_SKIP() << "no MNIST";
    torch::set_num_threads(1);
    dir_ = fs::temp_directory_path() /
           (std::string("mbi_lookup_") + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

TEST_F(LookupTest, ExhaustiveLookupsRetraceTheTeacherExactly) {
  Fixture f = make_fixture();
  TableData t = distill_table(f);
  t.build_tree();
  write_table(dir_ / "t.tbl", t);
  const Table table = Table::open(dir_ / "t.tbl");
  const auto teacher = train::predict(f.model, f.images);
  LookupEngine engine(table, f.model->config());
  LookupOptions exhaustive;
  exhaustive.index = &table.exhaustive();
  for (std::size_t i = 0; i < f.images.count(); ++i) {
    const LookupResult r = engine.infer(f.images.image(i), exhaustive);
    ASSERT_TRUE(r.completed);
    EXPECT_EQ(r.max_distance, 0U) << "image " << i;
    EXPECT_EQ(r.prediction, teacher[i]) << "image " << i;
  }
}

TEST_F(LookupTest, TreeWithEveryLeafProbedEqualsExhaustive) {
  Fixture f = make_fixture();
  TableData t = distill_table(f);
  KMeansTreeParams p;
  p.max_leaf_size = 8;
  t.build_tree(p);
  write_table(dir_ / "t.tbl", t);
  const Table table = Table::open(dir_ / "t.tbl");
  LookupEngine engine(table, f.model->config());
  LookupOptions all_leaves;
  all_leaves.search.probes = static_cast<std::uint32_t>(table.rows());
  LookupOptions exhaustive;
  exhaustive.index = &table.exhaustive();
  // Queries far from the table: other images than the distilled ones.
  const ImageSet others = data::load_split(fs::path(MBI_SHARED_DATA) / "mnist", "test");
  for (std::size_t i = 5000; i < 5100; ++i) {
    const LookupResult a = engine.infer(others.image(i), all_leaves);
    const LookupResult b = engine.infer(others.image(i), exhaustive);
    ASSERT_EQ(a.steps.size(), b.steps.size());
    for (std::size_t s = 0; s < a.steps.size(); ++s) EXPECT_EQ(a.steps[s].distance, b.steps[s].distance);
    EXPECT_EQ(a.prediction, b.prediction);
  }
  // A bounded search with epsilon 0 finds the exhaustive distances too, with fewer comparisons.
  LookupOptions bounded;
  bounded.search.epsilon = 0;
  std::uint64_t bounded_comparisons = 0;
  std::uint64_t exhaustive_comparisons = 0;
  for (std::size_t i = 5000; i < 5100; ++i) {
    const LookupResult a = engine.infer(others.image(i), bounded);
    const LookupResult b = engine.infer(others.image(i), exhaustive);
    ASSERT_EQ(a.steps.size(), b.steps.size());
    for (std::size_t s = 0; s < a.steps.size(); ++s) EXPECT_EQ(a.steps[s].distance, b.steps[s].distance);
    bounded_comparisons += a.comparisons;
    exhaustive_comparisons += a.steps.size() * table.rows();
  }
  EXPECT_LT(bounded_comparisons, exhaustive_comparisons);
}

// Batched inference interleaves the searches of a step; each image's result must be what
// inferring it alone gives, also when some images stop early (mixed mode) mid-batch, and
// also through a forest (each tree's searches interleaved, then merged).
TEST_F(LookupTest, BatchInferenceEqualsInferringImagesOneByOne) {
  Fixture f = make_fixture();
  const TableData distilled = distill_table(f);
  for (const std::size_t trees : {1, 3}) {
    TableData t = distilled;
    t.build_tree({}, true, trees);
    write_table(dir_ / "t.tbl", t);
    const Table table = Table::open(dir_ / "t.tbl");
    ASSERT_EQ(table.tree_count(), trees);
    LookupEngine engine(table, f.model->config());
    const ImageSet others = data::load_split(fs::path(MBI_SHARED_DATA) / "mnist", "test");
    std::vector<const std::uint8_t*> images;
    for (std::size_t i = 5000; i < 5100; ++i) images.push_back(others.image(i));
    LookupOptions budget;
    budget.search.max_comparisons = 50;
    LookupOptions probes;
    probes.search.probes = 2;
    LookupOptions exhaustive;
    exhaustive.index = &table.exhaustive();
    // A threshold that some steps exceed and others do not.
    std::vector<std::uint32_t> worst;
    for (const auto* image : images) worst.push_back(engine.infer(image, budget).max_distance);
    std::nth_element(worst.begin(), worst.begin() + 50, worst.end());
    LookupOptions stopping = budget;
    stopping.stop_above = worst[50];
    std::size_t stopped = 0;
    // One results vector for every batch, as callers keep theirs: what a batch leaves in it
    // must not leak into the next.
    std::vector<LookupResult> results;
    const LookupOptions one_leaf;
    // Batches of 100 also cross the engine's chunks of 32 images.
    for (const LookupOptions& o : {exhaustive, one_leaf, budget, probes, stopping}) {
      for (const std::size_t batch : {std::size_t{1}, std::size_t{7}, images.size()}) {
        for (std::size_t begin = 0; begin < images.size(); begin += batch) {
          const std::size_t n = std::min(batch, images.size() - begin);
          results.resize(n);
          engine.infer_batch({images.data() + begin, n}, o, results);
          for (std::size_t k = 0; k < n; ++k) {
            const LookupResult one = engine.infer(images[begin + k], o);
            const LookupResult& r = results[k];
            ASSERT_EQ(r.prediction, one.prediction) << "image " << begin + k << " batch " << batch;
            ASSERT_EQ(r.completed, one.completed);
            ASSERT_EQ(r.max_distance, one.max_distance);
            ASSERT_EQ(r.comparisons, one.comparisons);
            ASSERT_EQ(r.steps.size(), one.steps.size());
            for (std::size_t s = 0; s < r.steps.size(); ++s) {
              ASSERT_EQ(r.steps[s].row, one.steps[s].row);
              ASSERT_EQ(r.steps[s].loc_x, one.steps[s].loc_x);
              ASSERT_EQ(r.steps[s].loc_y, one.steps[s].loc_y);
            }
            stopped += r.completed ? 0 : 1;
          }
        }
      }
    }
    EXPECT_GT(stopped, 0U);  // the threshold did stop some images
    std::vector<LookupResult> too_few(images.size() - 1);
    EXPECT_THROW(engine.infer_batch(images, budget, too_few), Error);
  }
}

TEST_F(LookupTest, DistillationIsDeterministicAndDeduplicates) {
  Fixture f = make_fixture();
  train::DistillOptions o;
  o.fraction = 0.5;
  o.seed = 4;
  TableData a = distill_table(f, o);
  TableData b = distill_table(f, o);
  a.build_tree();
  b.build_tree();
  write_table(dir_ / "a.tbl", a);
  write_table(dir_ / "b.tbl", b);
  EXPECT_EQ(read_file(dir_ / "a.tbl"), read_file(dir_ / "b.tbl"));
  // 300 images x 5 steps = 1500 rows recorded; half kept, then identical keys merged.
  train::DistillStats stats;
  o.progress = false;
  train::distill(f.model, f.images, o, &stats);
  EXPECT_EQ(stats.rows_recorded, 1500U);
  EXPECT_EQ(stats.rows_sampled, 750U);
  EXPECT_LE(stats.rows_kept, stats.rows_sampled);
  // Every step-0 key shares h = 0 and the start location, so some glimpses repeat.
  EXPECT_GT(stats.rows_kept, 0U);
}

TEST_F(LookupTest, DaggerRoundsAddTeacherRowsDeterministically) {
  Fixture f = make_fixture();
  train::DaggerOptions o;
  o.rounds = 1;
  o.progress = false;
  TableData a = distill_table(f);
  const std::size_t before = a.rows();
  train::DaggerStats stats;
  train::add_lookup_path_rows(f.model, f.images, a, o, &stats);
  ASSERT_EQ(stats.rows_added.size(), 1U);
  // Shifted images meet keys the first table lacks; each is stored once.
  EXPECT_GT(stats.rows_added[0], 0U);
  EXPECT_EQ(a.rows(), before + stats.rows_added[0]);
  EXPECT_EQ(a.keys.size(), a.rows() * a.key_layout.words());
  EXPECT_EQ(a.next_location.size(), 2 * a.rows());
  for (std::size_t r = before; r < a.rows(); ++r) EXPECT_LT(a.step[r], f.model->config().glimpses);

  // Threads change nothing: each takes a run of images, joined in order.
  TableData b = distill_table(f);
  o.threads = 3;
  train::add_lookup_path_rows(f.model, f.images, b, o);
  a.build_tree();
  b.build_tree();
  write_table(dir_ / "a.tbl", a);
  write_table(dir_ / "b.tbl", b);
  EXPECT_EQ(read_file(dir_ / "a.tbl"), read_file(dir_ / "b.tbl"));

  // The added rows hold the teacher's exact response: lookups on the distilled images
  // still retrace the teacher with the larger table.
  const Table table = Table::open(dir_ / "a.tbl");
  const auto teacher = train::predict(f.model, f.images);
  LookupEngine engine(table, f.model->config());
  LookupOptions exhaustive;
  exhaustive.index = &table.exhaustive();
  for (std::size_t i = 0; i < 50; ++i) {
    const LookupResult r = engine.infer(f.images.image(i), exhaustive);
    EXPECT_EQ(r.max_distance, 0U);
    EXPECT_EQ(r.prediction, teacher[i]);
  }
}

// Noisy rounds search the index they are given: one that answers a wrong row (as a noisy
// device may) leads lookups off the teacher's paths, and the round adds those states' rows.
class OffByOneIndex final : public NearestIndex {
 public:
  explicit OffByOneIndex(const NearestIndex& inner) : inner_(inner) {}
  std::uint32_t words() const override { return inner_.words(); }
  std::size_t rows() const override { return inner_.rows(); }
  void search(std::span<const std::uint64_t> queries, int group, const SearchParams& params,
              std::span<SearchResult> results) const override {
    inner_.search(queries, group, params, results);
    for (SearchResult& r : results) {
      r.index = static_cast<std::uint32_t>((r.index + 1) % rows());
      r.distance += 1;
    }
  }

 private:
  const NearestIndex& inner_;
};

TEST_F(LookupTest, NoisyDaggerRoundsAddRowsWhereTheirIndexLeads) {
  Fixture f = make_fixture();
  train::DaggerOptions o;
  o.rounds = 1;
  o.progress = false;
  TableData plain = distill_table(f);
  train::DaggerStats plain_stats;
  train::add_lookup_path_rows(f.model, f.images, plain, o, &plain_stats);

  TableData noisy = distill_table(f);
  o.noisy_rounds = 1;
  std::size_t made = 0;
  o.noisy_index = [&made](const Table& t) -> std::unique_ptr<NearestIndex> {
    ++made;
    return std::make_unique<OffByOneIndex>(t.exhaustive());
  };
  train::DaggerStats stats;
  train::add_lookup_path_rows(f.model, f.images, noisy, o, &stats);
  EXPECT_EQ(made, 1U);
  ASSERT_EQ(stats.rows_added.size(), 2U);
  EXPECT_EQ(stats.rows_added[0], plain_stats.rows_added[0]);  // the plain round is unchanged
  EXPECT_GT(stats.rows_added[1], 0U);
  EXPECT_EQ(noisy.rows(), plain.rows() + stats.rows_added[1]);

  o.noisy_index = nullptr;
  TableData refused = distill_table(f);
  EXPECT_THROW(train::add_lookup_path_rows(f.model, f.images, refused, o), Error);
}

TEST_F(LookupTest, EngineRefusesATableOfAnotherConfiguration) {
  Fixture f = make_fixture();
  TableData t = distill_table(f);
  write_table(dir_ / "t.tbl", t);
  const Table table = Table::open(dir_ / "t.tbl");
  RamConfig other = f.model->config();
  other.hidden = 48;
  EXPECT_THROW(LookupEngine(table, other), Error);
}

TEST_F(LookupTest, FloatTeacherCannotBeDistilled) {
  Fixture f = make_fixture(0, 0);
  EXPECT_THROW(distill_table(f), Error);
}

TEST(Eq1Weights, NormaliserAndScaling) {
  RamConfig c;
  const auto w = eq1_segment_weights(c, 30, 15, 10);
  ASSERT_EQ(w.size(), 6U);  // 3 glimpse scales, hidden, loc x, loc y
  EXPECT_EQ(w[0], 1000U);
  EXPECT_EQ(w[3], 500U);
  EXPECT_EQ(w[4], 333U);
  EXPECT_DOUBLE_EQ(eq1_normalizer(c, w), 1833.0);
  EXPECT_EQ(eq1_segment_weights(c, 1, 1, 1), std::vector<std::uint32_t>(6, 1));
}

}  // namespace
}  // namespace mbi
