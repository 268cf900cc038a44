#include "mbi/sweep/ranks.hpp"

#include <signal.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <random>
#include <vector>

#include "mbi/core/error.hpp"

namespace mbi::sweep {

// Defined in mpi_ranks.cpp: the Open MPI job's ranks, or null in a build without MPI.
std::unique_ptr<Ranks> make_mpi_ranks(std::uint64_t fresh_id);

namespace {

// A run id that differs between runs (and between machines, for MPI rank 0 draws it).
std::uint64_t fresh_run_id() {
  std::random_device device;
  const auto now = static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  return (static_cast<std::uint64_t>(device()) << 32) ^ device() ^ now ^ (static_cast<std::uint64_t>(getpid()) << 17);
}

class SingleRank final : public Ranks {
 public:
  SingleRank() : id_(fresh_run_id()) {}
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::uint64_t run_id() const override { return id_; }
  bool all_done(bool ok) override { return ok; }

 private:
  std::uint64_t id_;
};

// Workers forked before the caller loads anything: each a whole copy of this process that
// shares only the results folder. Rank 0 (the parent) waits for them at all_done.
class LocalRanks final : public Ranks {
 public:
  explicit LocalRanks(int workers) : id_(fresh_run_id()), size_(workers) {
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
    for (int r = 1; r < workers; ++r) {
      const pid_t pid = fork();
      if (pid < 0) {
        stop_children();
        throw Error("--workers: could not start local worker " + std::to_string(r) + " (fork failed)");
      }
      if (pid == 0) {
        rank_ = r;
        children_.clear();
        return;
      }
      children_.push_back(pid);
    }
  }
  ~LocalRanks() override {
    if (rank_ == 0 && !waited_) stop_children();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::uint64_t run_id() const override { return id_; }
  bool all_done(bool ok) override {
    if (rank_ != 0) {
      std::cout.flush();
      std::cerr.flush();
      std::fflush(nullptr);
      std::_Exit(ok ? 0 : 1);
    }
    bool all_ok = ok;
    for (const pid_t pid : children_) {
      int status = 0;
      while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      all_ok = all_ok && WIFEXITED(status) && WEXITSTATUS(status) == 0;
    }
    waited_ = true;
    return all_ok;
  }

 private:
  void stop_children() {
    for (const pid_t pid : children_) kill(pid, SIGTERM);
    for (const pid_t pid : children_) waitpid(pid, nullptr, 0);
    children_.clear();
  }

  std::uint64_t id_;
  int size_;
  int rank_ = 0;
  bool waited_ = false;
  std::vector<pid_t> children_;
};

}  // namespace

std::string Ranks::tag() const {
  return size() > 1 ? "rank " + std::to_string(rank()) + " of " + std::to_string(size()) : "";
}

bool launched_by_mpirun() {
  return std::getenv("OMPI_COMM_WORLD_SIZE") != nullptr || std::getenv("PMIX_RANK") != nullptr ||
         std::getenv("PMI_SIZE") != nullptr;
}

std::unique_ptr<Ranks> make_ranks(int local_workers) {
  if (local_workers < 1) throw Error("--workers: expected at least 1");
  if (launched_by_mpirun()) {
    if (!built_with_mpi())
      throw Error("started by mpirun, but this mbi was built without MPI (install libopenmpi-dev: scripts/setup.sh, "
                  "then rebuild)");
    if (local_workers > 1)
      throw Error("--workers: an MPI job's ranks are its processes; start more ranks (mpirun -np N) instead");
    return make_mpi_ranks(fresh_run_id());
  }
  if (local_workers == 1) return std::make_unique<SingleRank>();
  return std::make_unique<LocalRanks>(local_workers);
}

}  // namespace mbi::sweep
