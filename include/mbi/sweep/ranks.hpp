#pragma once
// The processes a sweep runs on ("ranks"): one process, local worker processes forked from
// it, or the ranks of an Open MPI job (`mpirun -np N mbi experiment ...`). They share a trial
// list and a results folder (sweep.hpp); this is all they need from each other: who they
// are, one number every rank agrees on (the run's id), and a last meeting where every rank
// says whether its trials went well.
#include <cstdint>
#include <memory>
#include <string>

namespace mbi::sweep {

class Ranks {
 public:
  virtual ~Ranks() = default;
  virtual int rank() const = 0;  // 0 .. size() - 1; rank 0 writes what the sweep concludes
  virtual int size() const = 0;
  // The same number on every rank, drawn afresh for every run: it names this run's claims.
  virtual std::uint64_t run_id() const = 0;
  // Waits, without spinning a core, until every rank has called it; true when every rank
  // passed ok. A forked local worker does not return: it exits with 0 (ok) or 1.
  virtual bool all_done(bool ok) = 0;
  // "rank r of n", or "" for a single process: prefixes of log lines.
  std::string tag() const;
  bool is_main() const { return rank() == 0; }
};

// Whether this process was started by Open MPI's mpirun (its environment says so).
bool launched_by_mpirun();

// Whether this build can join an Open MPI job (it was built against Debian's libopenmpi-dev).
bool built_with_mpi();

// The ranks of this process: an Open MPI job's when mpirun started it, else `local_workers`
// processes (this one is rank 0; the others are forked here, before the caller loads
// anything, and share nothing but the files), else this process alone. Throws mbi::Error when
// mpirun started a build without MPI, or local workers are asked of an MPI job (each rank is
// one process: start more ranks instead).
std::unique_ptr<Ranks> make_ranks(int local_workers = 1);

}  // namespace mbi::sweep
