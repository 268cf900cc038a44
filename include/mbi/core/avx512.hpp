#pragma once
// What every AVX-512 translation unit (the search library's distance kernels, the lookup
// library's glimpse code) and its run-time dispatcher share.

// GCC 12.1-12.2 warn inside their own AVX-512 intrinsics, which start from a deliberately
// undefined register (GCC bug 105593, fixed in 12.3). The warnings land where the intrinsics
// are inlined, so they are silenced around kernel bodies: MBI_AVX512_CODE_BEGIN before them,
// MBI_AVX512_CODE_END after.
#if defined(__GNUC__) && !defined(__clang__)
#define MBI_AVX512_CODE_BEGIN                                  \
  _Pragma("GCC diagnostic push")                               \
  _Pragma("GCC diagnostic ignored \"-Wuninitialized\"")        \
  _Pragma("GCC diagnostic ignored \"-Wmaybe-uninitialized\"")
#define MBI_AVX512_CODE_END _Pragma("GCC diagnostic pop")
#else
#define MBI_AVX512_CODE_BEGIN
#define MBI_AVX512_CODE_END
#endif

namespace mbi::detail {

// Whether this CPU (and its OS, which must save the vector registers) runs AVX-512 F, BW, DQ
// and VL, the base of every AVX-512 path here. Always false off x86-64 GCC/Clang.
inline bool cpu_has_avx512() {
#if defined(__x86_64__) && defined(__GNUC__)
  __builtin_cpu_init();  // needed when this runs before libgcc's own constructor
  // __builtin_cpu_supports also checks that the OS saves the vector registers (XGETBV).
  return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
         __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
#else
  return false;
#endif
}

}  // namespace mbi::detail
