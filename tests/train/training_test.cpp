// A short training run on a small slice of MNIST must clearly learn, and must be
// reproducible with one thread and the same seed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "mbi/core/error.hpp"
#include "mbi/train/trainer.hpp"

namespace mbi::train {
namespace {

namespace fs = std::filesystem;

const fs::path kMnist = fs::path(MBI_SHARED_DATA) / "mnist";

struct Slice {
  ImageSet train, val;
};

Slice load_slice() {
  const ImageSet test = data::load_split(kMnist, "test");
  std::vector<std::size_t> a(1500), b(500);
  for (std::size_t i = 0; i < a.size(); ++i) a[i] = i;
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = 5000 + i;
  Slice s{test.subset(a), test.subset(b)};
  s.train.classes = s.val.classes = test.classes;
  return s;
}

TrainResult train_small(const Slice& s, const fs::path& run_dir, RamModel& model) {
  RamConfig c;
  fit_input_statistics(c, s.train);
  c.glimpse_hidden = 64;
  c.loc_hidden = 64;
  c.glimpse_out = 128;
  c.core_width = 128;
  c.hidden = 32;
  torch::manual_seed(5);
  model = RamModel(c);
  TrainOptions o;
  o.epochs = 6;
  o.lr = 2e-3;
  o.batch = 64;
  o.seed = 11;
  o.run_dir = run_dir;
  o.progress = false;
  fs::remove_all(run_dir);
  return train_ram(model, s.train, s.val, o);
}

TEST(Training, LearnsAndIsReproducibleWithOneThread) {
  if (!fs::exists(kMnist)) GTEST_SKIP() << "no MNIST at " << kMnist;
  torch::set_num_threads(1);
  const Slice s = load_slice();
  const fs::path dir = fs::temp_directory_path() / ("mbi_training_test_" + std::to_string(::getpid()));
  RamModel m1{nullptr};
  const auto r1 = train_small(s, dir / "a", m1);
  ASSERT_EQ(r1.log.size(), 6U);
  // Chance is 2.3 nats and 10 %: a working model is far from both after six epochs.
  EXPECT_LT(r1.log.back().nll, 0.8 * r1.log.front().nll);
  EXPECT_GT(r1.best_val_accuracy, 50.0);

  RamModel m2{nullptr};
  const auto r2 = train_small(s, dir / "b", m2);
  EXPECT_EQ(r1.best_val_accuracy, r2.best_val_accuracy);
  EXPECT_EQ(r1.log.back().loss, r2.log.back().loss);
  fs::remove_all(dir);
}

TEST(Training, ResumesAfterInterruptionToTheSameResult) {
  if (!fs::exists(kMnist)) GTEST_SKIP() << "no MNIST at " << kMnist;
  torch::set_num_threads(1);
  const Slice s = load_slice();
  const fs::path dir = fs::temp_directory_path() / ("mbi_resume_test_" + std::to_string(::getpid()));
  RamModel full{nullptr};
  const auto straight = train_small(s, dir / "straight", full);

  // Run three epochs, then "restart the process" with the full budget on the same folder.
  RamConfig c = full->config();
  fs::remove_all(dir / "resumed");
  TrainOptions o;
  o.lr = 2e-3;
  o.batch = 64;
  o.seed = 11;
  o.run_dir = dir / "resumed";
  o.progress = false;
  o.epochs = 3;
  torch::manual_seed(5);
  RamModel m(c);
  train_ram(m, s.train, s.val, o);
  o.epochs = 6;
  RamModel m2(c);
  const auto resumed = train_ram(m2, s.train, s.val, o);
  EXPECT_EQ(resumed.epochs_run, 6);
  EXPECT_EQ(resumed.best_val_accuracy, straight.best_val_accuracy);
  // The record's seconds per epoch is the mean over all six, the first run's three included.
  ASSERT_EQ(resumed.log.size(), 6U);
  double sum = 0;
  for (const EpochLog& e : resumed.log) sum += e.seconds;
  EXPECT_DOUBLE_EQ(resumed.mean_epoch_seconds(), sum / 6);
  fs::remove_all(dir);
}

// issue 20: the training record's seconds_per_epoch was the last epoch's time.
TEST(Training, SecondsPerEpochIsTheMeanOfTheLoggedEpochs) {
  TrainResult r;
  EXPECT_EQ(r.mean_epoch_seconds(), 0.0);
  for (const double s : {1.0, 2.0, 6.0}) r.log.push_back(EpochLog{.seconds = s});
  EXPECT_DOUBLE_EQ(r.mean_epoch_seconds(), 3.0);
}

}  // namespace
}  // namespace mbi::train

namespace mbi::train {
namespace {

// A learning rate that blows the parameters up gives a NaN or infinite loss within a few
// batches: training stops with an error naming the epoch, before the poisoned step, and writes
// no checkpoint of the diverged model.
TEST(Training, RefusesANonFiniteLoss) {
  if (!fs::exists(kMnist)) GTEST_SKIP() << "no MNIST at " << kMnist;
  torch::set_num_threads(1);
  const Slice s = load_slice();
  RamConfig c;
  fit_input_statistics(c, s.train);
  c.hidden = 16;
  c.core_width = 32;
  c.hidden_bits = 0;  // a float hidden state, so the blow-up reaches the loss
  c.glimpse_bits = 0;
  torch::manual_seed(5);
  RamModel model(c);
  TrainOptions o;
  o.epochs = 3;
  o.lr = 1e6;
  o.batch = 32;
  o.reinforce_weight = 1e3;
  o.run_dir = fs::temp_directory_path() / ("mbi_train_nan_" + std::to_string(::getpid()));
  o.progress = false;
  fs::remove_all(o.run_dir);
  try {
    train_ram(model, s.train, s.val, o);
    FAIL() << "trained through a non-finite loss";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("training diverged"), std::string::npos) << what;
    EXPECT_NE(what.find("epoch 1"), std::string::npos) << what;
    EXPECT_EQ(what.find('\n'), std::string::npos);
  }
  EXPECT_FALSE(fs::exists(o.run_dir / "best.pt"));
  EXPECT_FALSE(fs::exists(o.run_dir / "last.pt"));
  fs::remove_all(o.run_dir);
}

}  // namespace
}  // namespace mbi::train
