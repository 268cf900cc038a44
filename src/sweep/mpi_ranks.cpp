// The ranks of an Open MPI job. Only this file sees MPI: a build without it (no
// libopenmpi-dev) still runs sweeps in one process or in local workers.
#include <memory>

#include "mbi/sweep/ranks.hpp"

#ifdef MBI_HAVE_MPI
#include <mpi.h>

#include <chrono>
#include <thread>

#include "mbi/core/error.hpp"
#endif

namespace mbi::sweep {

#ifdef MBI_HAVE_MPI
namespace {

// Waits for a non-blocking collective with short sleeps: a blocking MPI call busy-polls a
// core, which the other ranks on the same machine need for their trials.
void wait_gently(MPI_Request& request) {
  int done = 0;
  while (true) {
    MPI_Test(&request, &done, MPI_STATUS_IGNORE);
    if (done) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

class MpiRanks final : public Ranks {
 public:
  explicit MpiRanks(std::uint64_t fresh_id) {
    int initialized = 0;
    MPI_Initialized(&initialized);
    if (!initialized && MPI_Init(nullptr, nullptr) != MPI_SUCCESS) throw Error("mpirun: MPI_Init failed");
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
    // Rank 0's draw names the run on every rank.
    unsigned long long id = fresh_id;
    MPI_Request request;
    MPI_Ibcast(&id, 1, MPI_UNSIGNED_LONG_LONG, 0, MPI_COMM_WORLD, &request);
    wait_gently(request);
    id_ = id;
  }
  ~MpiRanks() override {
    // A rank leaving early (an error before the last meeting) ends the job instead of leaving
    // the others waiting for it forever.
    if (!finished_) MPI_Abort(MPI_COMM_WORLD, 1);
    MPI_Finalize();
  }
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::uint64_t run_id() const override { return id_; }
  bool all_done(bool ok) override {
    int mine = ok ? 1 : 0, all = 0;
    MPI_Request request;
    MPI_Iallreduce(&mine, &all, 1, MPI_INT, MPI_MIN, MPI_COMM_WORLD, &request);
    wait_gently(request);
    finished_ = true;
    return all == 1;
  }

 private:
  int rank_ = 0, size_ = 1;
  std::uint64_t id_ = 0;
  bool finished_ = false;
};

}  // namespace

bool built_with_mpi() { return true; }
std::unique_ptr<Ranks> make_mpi_ranks(std::uint64_t fresh_id) { return std::make_unique<MpiRanks>(fresh_id); }
#else
bool built_with_mpi() { return false; }
std::unique_ptr<Ranks> make_mpi_ranks(std::uint64_t) { return nullptr; }
#endif

}  // namespace mbi::sweep
