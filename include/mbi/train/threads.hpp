#pragma once
// The threads LibTorch computes with, set once per command (`--threads`).
namespace mbi::train {

// Sets LibTorch's intra-op threads and OpenBLAS's (0 = all cores).
void set_threads(int threads);
// What LibTorch computes with now.
int threads();

}  // namespace mbi::train
