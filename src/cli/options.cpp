#include "options.hpp"

#include <torch/torch.h>

#include <numeric>
#include <thread>

namespace mbi::cli {

void DataOptions::add_to(CLI::App& cmd) {
  cmd.add_option("--data", dir, "folder with IDX files (train-images-idx3-ubyte[.gz], ...)")
      ->capture_default_str();
  cmd.add_option("--val-fraction", val_fraction, "fraction of the training file held out for validation")
      ->check(CLI::Range(0.0, 0.9))
      ->capture_default_str();
  cmd.add_option("--split-seed", split_seed, "seed of the train/validation split")->capture_default_str();
  cmd.add_option("--limit", limit, "use only the first N images of each split (0 = all)")->capture_default_str();
}

data::ImageSet DataOptions::load(const std::string& split) const {
  data::ImageSet set = data::load_named_split(dir, split, val_fraction, split_seed);
  if (limit > 0 && limit < set.count()) {
    std::vector<std::size_t> first(limit);
    std::iota(first.begin(), first.end(), std::size_t{0});
    const int classes = set.classes;
    set = set.subset(first);
    set.classes = classes;
  }
  return set;
}

void set_threads(int threads) {
  const int n = threads > 0 ? threads : static_cast<int>(std::max(1U, std::thread::hardware_concurrency()));
  torch::set_num_threads(n);
}

}  // namespace mbi::cli
