#pragma once
// Data-parallel training across processes on LibTorch's c10d with the Gloo backend: every
// rank holds the whole model, trains on its own rows of each global batch, and the ranks sum
// their gradients before every optimiser step, so all of them take the same step that one
// process would take with the whole batch.
//
// A world of one process (the default) opens no process group and communicates nothing:
// every function below is then a no-op or the identity.
#include <torch/torch.h>

#include <cstddef>
#include <memory>
#include <string>
#include <vector>

namespace mbi::train {

// What a user sets; anything left unset is read from the environment variables that
// torchrun and `torch.distributed` use (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT).
struct DistributedOptions {
  int rank = -1;             // --rank; -1: RANK, else 0
  int world_size = 0;        // --world-size; 0: WORLD_SIZE, else 1
  std::string master_addr;   // --master-addr; empty: MASTER_ADDR (required above one process)
  int master_port = 0;       // --master-port; 0: MASTER_PORT, else 29500
  int timeout_seconds = 300;  // rendezvous and every collective; a stopped rank fails the others
};

// Rows [begin, end) of a global batch or data set.
struct RowRange {
  std::size_t begin = 0;
  std::size_t end = 0;
  std::size_t size() const { return end - begin; }
};

// Rank `rank`'s contiguous share of rows [begin, end) among `world` ranks: shares differ
// by at most one row (lower ranks take the smaller ones) and together cover every row once,
// in order, so the ranks' rows of a global batch are that batch.
RowRange shard_rows(std::size_t begin, std::size_t end, int rank, int world);

class Distributed {
 public:
  // One process, no communication.
  Distributed();
  // Resolves flags and environment, then (above one process) meets the other ranks at the
  // master's TCP store and opens a Gloo process group. Throws mbi::Error naming the flag or
  // environment variable at fault: a rank outside the world, a missing master address, a
  // master that cannot be reached within the timeout.
  explicit Distributed(const DistributedOptions& options);
  ~Distributed();
  Distributed(const Distributed&) = delete;
  Distributed& operator=(const Distributed&) = delete;

  int rank() const { return rank_; }
  int world_size() const { return world_size_; }
  // Rank 0: the one rank that reads run folders and writes checkpoints, logs and models.
  bool is_main() const { return rank_ == 0; }
  // More than one process: collectives actually communicate.
  bool active() const { return world_size_ > 1; }

  // This rank's share of rows [begin, end) (shard_rows).
  RowRange shard(std::size_t begin, std::size_t end) const { return shard_rows(begin, end, rank_, world_size_); }

  // Replaces every rank's gradients of `module` by their sum over the ranks, and `sums` (a
  // rank's metric sums: loss times rows, correct counts) by theirs, in one all-reduce. A
  // parameter without a gradient on a rank counts as zero there.
  void sum_gradients(torch::nn::Module& module, std::vector<double>& sums) const;
  // Sums of `values` over the ranks (validation counts, say).
  std::vector<double> sum(std::vector<double> values) const;
  // Rank 0's parameters and buffers copied into every rank's `module`.
  void broadcast_parameters(torch::nn::Module& module) const;
  // Rank 0's `bytes` (a serialized optimiser, a run state) copied to every rank.
  void broadcast_bytes(std::string& bytes) const;

 private:
  struct Group;
  int rank_ = 0;
  int world_size_ = 1;
  int timeout_seconds_ = 300;
  std::unique_ptr<Group> group_;
};

}  // namespace mbi::train
