// --threads bounds every pool training computes with: LibTorch's and, on Debian's LibTorch,
// OpenBLAS's (which LibTorch's own setting does not reach; issue 20).
#include <gtest/gtest.h>

#include "mbi/train/threads.hpp"

extern "C" int openblas_get_num_threads() __attribute__((weak));

TEST(Threads, SetThreadsBoundsLibTorchAndOpenBlas) {
  for (const int n : {1, 2, 1}) {
    mbi::train::set_threads(n);
    EXPECT_EQ(mbi::train::threads(), n);
    if (openblas_get_num_threads != nullptr) EXPECT_EQ(openblas_get_num_threads(), n);
  }
  if (openblas_get_num_threads == nullptr) GTEST_SKIP() << "LibTorch's BLAS is not OpenBLAS here";
}
