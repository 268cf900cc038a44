#include "mbi/train/threads.hpp"

#include <torch/torch.h>

#include <algorithm>
#include <thread>

namespace mbi::train {

void set_threads(int threads) {
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
}

int threads() { return torch::get_num_threads(); }

}  // namespace mbi::train
