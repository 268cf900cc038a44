#pragma once
// Flags shared by several subcommands.
#include <CLI/CLI.hpp>

#include <filesystem>
#include <string>

#include "mbi/data/idx.hpp"

namespace mbi::cli {

// Where to read images and how the validation split is carved out of the training file.
struct DataOptions {
  std::filesystem::path dir = "../shared/data/mnist";
  double val_fraction = 0.1;
  std::uint64_t split_seed = 0;
  std::size_t limit = 0;  // use only the first N images of the split (0 = all)

  void add_to(CLI::App& cmd);
  // Loads the named split (train, val, train-all, test), honouring --limit.
  data::ImageSet load(const std::string& split) const;
};

// Sets LibTorch's intra-op threads (0 = all cores).
void set_threads(int threads);

}  // namespace mbi::cli
