#include "mbi/train/threads.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <thread>

// OpenBLAS's own thread count, when LibTorch's BLAS is OpenBLAS (Debian's LibTorch); weak, so
// that a LibTorch on another BLAS (MKL in PyTorch's CUDA builds) links and skips it.
extern "C" void openblas_set_num_threads(int threads) __attribute__((weak));

namespace mbi::train {

void set_threads(int threads) {
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
  // LibTorch's setting does not reach OpenBLAS's pool, which sizes itself from the cores (or
  // OPENBLAS_NUM_THREADS) when it loads: `--threads 1` then still multiplied matrices on every
  // core, and on a loaded machine (two ranks, a job beside) its threads waited on each other,
  // three times slower than one thread (issue 20).
  if (openblas_set_num_threads != nullptr) openblas_set_num_threads(n);
}

int threads() { return torch::get_num_threads(); }

}  // namespace mbi::train
