// Data-parallel training must take the steps one process takes. Two ranks on the loopback
// address, each with half of every batch, must end with the parameters of one process that
// saw the whole batches; rank 1 must write nothing; a run begun on two ranks must resume on
// one as if it had never changed. The ranks are this test binary started again (fork and
// exec, never a bare fork of a process whose LibTorch thread pools already run), each
// running the disabled worker test below with the usual environment variables.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "mbi/core/error.hpp"
#include "mbi/train/distributed.hpp"
#include "mbi/train/model_file.hpp"
#include "mbi/train/trainer.hpp"
#include "synthetic_ram.hpp"

extern char** environ;

namespace mbi::train {
namespace {

namespace fs = std::filesystem;

constexpr int kBatch = 16;

// A model small enough that a step takes milliseconds, on images whose class shows in where
// their blob lies.
RamModel fresh_model() {
  RamConfig c = test::small_ram_config();
  c.glimpse_hidden = 16;
  c.loc_hidden = 8;
  c.glimpse_out = 24;
  c.core_width = 24;
  torch::manual_seed(5);
  return RamModel(c);
}

// Every random draw of training on: shifted images, random starts, sampled locations, and a
// REINFORCE term weighted enough to matter in the step.
TrainOptions options(const fs::path& run_dir, int epochs) {
  TrainOptions o;
  o.epochs = epochs;
  o.batch = kBatch;
  o.lr = 1e-2;
  o.reinforce_weight = 0.5;
  o.random_start = true;
  o.augment_shift = 1;
  o.seed = 3;
  o.run_dir = run_dir;
  o.progress = false;
  return o;
}

ImageSet train_images(std::size_t n) { return test::blob_images(test::small_ram_config(), n, 21); }
ImageSet val_images() { return test::blob_images(test::small_ram_config(), 9, 22); }

// Sets (or, with nullopt, unsets) environment variables for one scope.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<const char*, std::optional<std::string>>> vars) {
    for (const auto& [name, value] : vars) {
      const char* old = std::getenv(name);
      saved_.emplace_back(name, old == nullptr ? std::nullopt : std::optional<std::string>(old));
      if (value) {
        ::setenv(name, value->c_str(), 1);
      } else {
        ::unsetenv(name);
      }
    }
  }
  ~ScopedEnv() {
    for (const auto& [name, value] : saved_) {
      if (value) {
        ::setenv(name.c_str(), value->c_str(), 1);
      } else {
        ::unsetenv(name.c_str());
      }
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// A loopback port nobody listens on now (the kernel's pick, released at once).
int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (fd < 0 || ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0)
    throw std::runtime_error("no free loopback port");
  ::close(fd);
  return ntohs(addr.sin_port);
}

// The worker: one rank of a training run, set up by the environment its parent gave it.
TEST(DistributedWorker, DISABLED_TrainsItsShard) {
  const char* dir = std::getenv("MBI_DIST_TEST_DIR");
  if (dir == nullptr) GTEST_SKIP() << "run by Distributed.* tests only";
  torch::set_num_threads(1);
  DistributedOptions d;
  d.timeout_seconds = 60;
  const Distributed group(d);
  const auto images = static_cast<std::size_t>(std::stoul(std::getenv("MBI_DIST_TEST_IMAGES")));
  const int epochs = std::stoi(std::getenv("MBI_DIST_TEST_EPOCHS"));
  RamModel model = fresh_model();
  TrainOptions o = options(fs::path(dir) / ("run" + std::to_string(group.rank())), epochs);
  o.distributed = &group;
  train_ram(model, train_images(images), val_images(), o);
  // What this rank ends with, for the parent to compare (a test file, not the trainer's).
  save_model(fs::path(dir) / ("final" + std::to_string(group.rank()) + ".pt"), model);
}

// Starts two ranks of the worker on a free loopback port and waits for both (at most a
// minute: a hung rank fails the test instead of the build).
void run_two_ranks(const fs::path& dir, std::size_t images, int epochs) {
  const int port = free_port();
  std::vector<std::string> base;
  for (char** e = environ; *e != nullptr; ++e) base.emplace_back(*e);
  const std::vector<std::string> shared = {"WORLD_SIZE=2", "MASTER_ADDR=127.0.0.1",
                                           "MASTER_PORT=" + std::to_string(port), "MBI_DIST_TEST_DIR=" + dir.string(),
                                           "MBI_DIST_TEST_IMAGES=" + std::to_string(images),
                                           "MBI_DIST_TEST_EPOCHS=" + std::to_string(epochs)};
  std::string filter = "--gtest_filter=DistributedWorker.DISABLED_TrainsItsShard";
  std::string disabled = "--gtest_also_run_disabled_tests";
  std::string self = fs::read_symlink("/proc/self/exe").string();
  std::vector<pid_t> children;
  for (int rank = 0; rank < 2; ++rank) {
    // Everything the child needs is built before fork: between fork and exec it only execs.
    std::vector<std::string> env = base;
    env.insert(env.end(), shared.begin(), shared.end());
    env.push_back("RANK=" + std::to_string(rank));
    std::vector<char*> envp;
    for (auto& s : env) envp.push_back(s.data());
    envp.push_back(nullptr);
    std::vector<char*> argv = {self.data(), filter.data(), disabled.data(), nullptr};
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0) << "fork failed";
    if (pid == 0) {
      ::execve(self.c_str(), argv.data(), envp.data());
      ::_exit(127);
    }
    children.push_back(pid);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(90);
  std::vector<int> status(children.size(), -1);
  std::size_t running = children.size();
  while (running > 0 && std::chrono::steady_clock::now() < deadline) {
    for (std::size_t i = 0; i < children.size(); ++i) {
      if (status[i] != -1) continue;
      int s = 0;
      if (::waitpid(children[i], &s, WNOHANG) == children[i]) {
        status[i] = s;
        --running;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (status[i] != -1) continue;
    ::kill(children[i], SIGKILL);
    ::waitpid(children[i], nullptr, 0);
    ADD_FAILURE() << "rank " << i << " still running after 90 s: killed";
  }
  for (std::size_t i = 0; i < children.size(); ++i) {
    if (status[i] == -1) continue;
    EXPECT_TRUE(WIFEXITED(status[i]) && WEXITSTATUS(status[i]) == 0) << "rank " << i << " failed: status " << status[i];
  }
}

// Every parameter within float tolerance (1e-5 relative, 1e-6 absolute near zero).
void expect_same_parameters(const fs::path& a, const fs::path& b) {
  ASSERT_TRUE(fs::exists(a)) << a;
  ASSERT_TRUE(fs::exists(b)) << b;
  auto ma = load_model(a).model;
  auto mb = load_model(b).model;
  const auto pa = ma->named_parameters();
  const auto pb = mb->named_parameters();
  ASSERT_EQ(pa.size(), pb.size());
  for (const auto& item : pa) {
    const auto& x = item.value();
    const auto& y = pb[item.key()];
    EXPECT_TRUE(torch::allclose(x, y, 1e-5, 1e-6))
        << item.key() << ": largest difference " << (x - y).abs().max().item<double>();
  }
}

fs::path fresh_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() / ("mbi_distributed_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

// One process, the whole batches: the reference every world size must match.
void train_alone(const fs::path& run_dir, std::size_t images, int epochs) {
  torch::set_num_threads(1);
  RamModel model = fresh_model();
  train_ram(model, train_images(images), val_images(), options(run_dir, epochs));
}

TEST(Distributed, TwoRanksWithHalfBatchesTakeTheOneRankStep) {
  const fs::path dir = fresh_dir("step");
  train_alone(dir / "alone", kBatch, 1);  // one batch: one optimiser step
  run_two_ranks(dir, kBatch, 1);          // each rank 8 of its 16 images
  expect_same_parameters(dir / "run0" / "last.pt", dir / "alone" / "last.pt");
  // The ranks end equal, and only rank 0 wrote a run folder.
  expect_same_parameters(dir / "final1.pt", dir / "final0.pt");
  EXPECT_FALSE(fs::exists(dir / "run1"));
  fs::remove_all(dir);
}

TEST(Distributed, RaggedBatchesAndResumeOnAnotherWorldSize) {
  // 23 images in batches of 16: a step of 8 + 8 rows, then one of 3 + 4, whose shares are
  // weighted by rows, not averaged as equals. Then the two-rank run resumes alone.
  const fs::path dir = fresh_dir("resume");
  constexpr std::size_t kImages = 23;
  train_alone(dir / "alone", kImages, 2);
  run_two_ranks(dir, kImages, 1);
  ASSERT_TRUE(fs::exists(dir / "run0" / "state.json"));
  train_alone(dir / "run0", kImages, 2);  // resumes after epoch 1 with world size 1
  expect_same_parameters(dir / "run0" / "last.pt", dir / "alone" / "last.pt");
  fs::remove_all(dir);
}

TEST(Distributed, WorldOfOneOpensNoGroup) {
  const ScopedEnv env({{"RANK", std::nullopt}, {"WORLD_SIZE", std::nullopt}, {"MASTER_ADDR", std::nullopt},
                       {"MASTER_PORT", std::nullopt}});
  const Distributed alone{DistributedOptions{}};
  EXPECT_EQ(alone.world_size(), 1);
  EXPECT_EQ(alone.rank(), 0);
  EXPECT_TRUE(alone.is_main());
  EXPECT_FALSE(alone.active());
  EXPECT_EQ(alone.shard(3, 10).begin, 3U);
  EXPECT_EQ(alone.shard(3, 10).end, 10U);
  EXPECT_EQ(alone.sum({1.5, 2.0}), (std::vector<double>{1.5, 2.0}));
  // Gradients and metric sums are left as they are.
  RamModel model = fresh_model();
  for (auto& p : model->parameters()) p.mutable_grad() = torch::ones_like(p);
  std::vector<double> sums = {4.0};
  alone.sum_gradients(*model, sums);
  EXPECT_EQ(sums[0], 4.0);
  for (const auto& p : model->parameters()) EXPECT_TRUE(torch::equal(p.grad(), torch::ones_like(p)));
  // RANK=0 WORLD_SIZE=1, as a launcher may set them, is the same single process.
  const ScopedEnv one({{"RANK", "0"}, {"WORLD_SIZE", "1"}});
  EXPECT_FALSE(Distributed{DistributedOptions{}}.active());
}

TEST(Distributed, ShardsCoverEveryRowOnceInOrder) {
  for (int world = 1; world <= 5; ++world)
    for (std::size_t rows = 0; rows <= 12; ++rows) {
      std::size_t next = 7;
      for (int rank = 0; rank < world; ++rank) {
        const RowRange r = shard_rows(7, 7 + rows, rank, world);
        EXPECT_EQ(r.begin, next);
        EXPECT_LE(r.size(), rows / static_cast<std::size_t>(world) + 1);
        EXPECT_GE(r.size(), rows / static_cast<std::size_t>(world));
        next = r.end;
      }
      EXPECT_EQ(next, 7 + rows);
    }
}

// The one-line error, or "" when none was thrown.
std::string error_of(const DistributedOptions& o) {
  try {
    const Distributed d(o);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST(Distributed, BadSettingsNameTheFlagOrVariable) {
  const ScopedEnv env({{"RANK", std::nullopt}, {"WORLD_SIZE", std::nullopt}, {"MASTER_ADDR", std::nullopt},
                       {"MASTER_PORT", std::nullopt}});
  DistributedOptions o;
  o.rank = 2;
  o.world_size = 2;
  EXPECT_NE(error_of(o).find("--rank 2"), std::string::npos) << error_of(o);
  o.rank = 1;
  EXPECT_NE(error_of(o).find("--master-addr"), std::string::npos) << error_of(o);
  o = {};
  o.rank = 1;  // a rank without a world of more than one
  EXPECT_NE(error_of(o).find("--rank 1"), std::string::npos) << error_of(o);
  {
    const ScopedEnv bad({{"RANK", "one"}, {"WORLD_SIZE", "2"}});
    EXPECT_NE(error_of({}).find("RANK=one"), std::string::npos) << error_of({});
  }
  {
    const ScopedEnv bad({{"RANK", "2"}, {"WORLD_SIZE", "2"}});
    EXPECT_NE(error_of({}).find("RANK=2"), std::string::npos) << error_of({});
  }
  // A master nobody serves: rank 1 gives up after the timeout, naming where it looked.
  o = {};
  o.rank = 1;
  o.world_size = 2;
  o.master_addr = "127.0.0.1";
  o.master_port = free_port();
  o.timeout_seconds = 1;
  const std::string unreachable = error_of(o);
  EXPECT_NE(unreachable.find("cannot reach the master at 127.0.0.1:"), std::string::npos) << unreachable;
  EXPECT_EQ(unreachable.find('\n'), std::string::npos) << unreachable;
}

}  // namespace
}  // namespace mbi::train
