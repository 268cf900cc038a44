// The two AVX-512 kernel sets; the shared body is distance_avx512.inl.
#include "mbi/search/distance.hpp"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>

#include "mbi/core/avx512.hpp"

MBI_AVX512_CODE_BEGIN

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

MBI_AVX512_CODE_END

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
