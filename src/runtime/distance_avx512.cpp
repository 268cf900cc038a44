// The two AVX-512 kernel sets; the shared body is distance_avx512.inl.
#include "mbi/distance.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

// GCC 12.1-12.2 warn inside their own AVX-512 intrinsics, which start from a deliberately
// undefined register (GCC bug 105593, fixed in 12.3). The warnings land where the
// intrinsics are inlined, so they are silenced for the kernel bodies below.
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#endif

#define MBI_AVX512_TARGET __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,popcnt")))
#define MBI_AVX512_NAMESPACE avx512_table
#define MBI_AVX512_NATIVE_POPCOUNT 0
#include "distance_avx512.inl"
#undef MBI_AVX512_TARGET
#undef MBI_AVX512_NAMESPACE
#undef MBI_AVX512_NATIVE_POPCOUNT

#define MBI_AVX512_TARGET \
  __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl,avx512vpopcntdq,popcnt")))
#define MBI_AVX512_NAMESPACE avx512_native
#define MBI_AVX512_NATIVE_POPCOUNT 1
#include "distance_avx512.inl"
#undef MBI_AVX512_TARGET
#undef MBI_AVX512_NAMESPACE
#undef MBI_AVX512_NATIVE_POPCOUNT

#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC diagnostic pop
#endif

namespace mbi::detail {
const DistanceKernels* avx512_kernels() { return avx512_table::kernels(); }
const DistanceKernels* avx512_vpopcntdq_kernels() { return avx512_native::kernels(); }
}  // namespace mbi::detail

#else  // not x86-64 with GCC/Clang

namespace mbi::detail {
const DistanceKernels* avx512_kernels() { return nullptr; }
const DistanceKernels* avx512_vpopcntdq_kernels() { return nullptr; }
}  // namespace mbi::detail

#endif
