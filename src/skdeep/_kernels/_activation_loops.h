/* The element loops of the activations and of the sigmoid cross-entropy, for float32 and float64.
 *
 * These are the loops that evaluate exp, expm1 or log1p (_vector_math.h) on every element. Where
 * the compiler supports it (GCC on x86-64 Linux with glibc), each loop is compiled three times,
 * for AVX-512, AVX2 and the x86-64 baseline, and the loader picks the widest the processor
 * runs (target_clones, resolved once per process, as NumPy dispatches its own loops): the
 * baseline (SSE2) vectorises the float32 loops four at a time but leaves the float64 ones scalar,
 * several times slower than NumPy's vectorised exp and tanh. No flag changes the arithmetic: no
 * contraction into fused multiply-adds (ISO C mode), no reassociation, so every variant gives
 * the same bits. Elsewhere the loops are compiled once for the build's target.
 *
 * The kernels call them on contiguous runs (a block of rows) and split the rows over threads
 * themselves; the loops are element-wise, so the split never changes a result.
 */
#ifndef SKDEEP_ACTIVATION_LOOPS_H
#define SKDEEP_ACTIVATION_LOOPS_H

#include <stddef.h>

#include "_vector_math.h"

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__) \
    && defined(__GLIBC__)
#define SKD_DISPATCH __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define SKD_DISPATCH
#endif

/* Each kernel module uses some of the loops only. */
#if defined(__GNUC__)
#define SKD_MAYBE_UNUSED __attribute__((unused))
#else
#define SKD_MAYBE_UNUSED
#endif

/* The activations, numbered as the kernels' Python side (ACTIVATION_CODES) numbers them. */
enum skd_activation {
    SKD_IDENTITY = 0,
    SKD_LOGISTIC = 1,
    SKD_TANH = 2,
    SKD_RELU = 3,
    SKD_LEAKY_RELU = 4,
    SKD_ELU = 5,
    SKD_SOFTPLUS = 6,
};

#define SKD_LEAKY_RELU_SLOPE 0.01

/* One set of loops per type: _activation_loops_impl.h is written once for a type SKD_T with
 * names suffixed by SKD_NAME, and included here for float and for double. */
#define SKD_T float
#define SKD_NAME(name) name##_f
#define SKD_ONE 1.0f
#define SKD_ZERO 0.0f
#include "_activation_loops_impl.h"
#undef SKD_T
#undef SKD_NAME
#undef SKD_ONE
#undef SKD_ZERO

#define SKD_T double
#define SKD_NAME(name) name##_d
#define SKD_ONE 1.0
#define SKD_ZERO 0.0
#include "_activation_loops_impl.h"
#undef SKD_T
#undef SKD_NAME
#undef SKD_ONE
#undef SKD_ZERO

#endif
