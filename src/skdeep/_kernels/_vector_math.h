/* exp, expm1, log1p and the activations built on them, written so that a loop calling them
 * vectorises.
 *
 * The C library's expf, tanhf, expm1f and log1pf are scalar calls (tanhf and expm1f take about
 * 10 ns each), while NumPy's own loops are vectorised: a kernel calling libm would be many times
 * slower than the NumPy passes it replaces. These functions are branch-free (every test is a
 * select), use only +, -, *, / and bit operations, and are static inline: the compiler inlines
 * them into the kernel's loop and vectorises it with the instructions the build targets, without
 * any fast-math flag, so each element's result does not depend on the vector width.
 * The selects are bit masks (skd_select_f): under the default -ftrapping-math the compiler will
 * not turn `c ? a : b` into a vector blend when a is a floating-point operation it must not
 * speculate, and the loop would stay scalar.
 *
 * Accuracy: a few units in the last place, as for the C library. Each function evaluates a
 * Taylor series on a reduced argument, with enough terms for its type that the truncation error
 * is below a tenth of a unit in the last place:
 *   exp(x) = 2^n exp(r) and expm1(x) = 2^n expm1(r) + (2^n - 1), with x = n ln 2 + r and
 *   |r| <= ln(2) / 2 (Cody and Waite's reduction, ln 2 split into an exact high part and a low
 *   part);
 *   log1p(t) for t in [0, 1] as log(u) + (t - (u - 1)) / u with u = 1 + t rounded (the second
 *   term restores what the rounding of 1 + t lost), log(u) = k ln 2 + 2 atanh((m - 1) / (m + 1))
 *   with u = 2^k m, m in [sqrt(1/2), sqrt(2)].
 * Results below the smallest normal number are flushed to zero (exp of x < -87.3 in float32,
 * x < -708.3 in float64); the kernels call exp and expm1 on non-positive arguments only.
 */
#ifndef SKDEEP_VECTOR_MATH_H
#define SKDEEP_VECTOR_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

/* ------------------------------------------------------------------------------------ float32 */
static inline int32_t skd_bits_f(float x) { int32_t i; memcpy(&i, &x, sizeof i); return i; }
static inline float skd_float_of_bits(int32_t i) { float x; memcpy(&x, &i, sizeof x); return x; }

static inline float skd_abs_f(float x) { return fabsf(x); }

/* condition ? a : b, with both sides computed. */
static inline float skd_select_f(int condition, float a, float b)
{
    int32_t mask = -(int32_t)condition;
    return skd_float_of_bits((skd_bits_f(a) & mask) | (skd_bits_f(b) & ~mask));
}

#define SKD_LOG2E_F 1.44269504088896341f
#define SKD_LN2_F 0.693147180559945309f
/* ln 2 = HI + LO with HI exact in 15 bits, so n * HI is exact for |n| < 2^9. */
#define SKD_LN2_HI_F 0.693145751953125f
#define SKD_LN2_LO_F 1.42860676533018923e-06f
/* Adding 1.5 * 2^23 rounds a float32 of magnitude below 2^22 to an integer, found in the low
 * bits of the sum. */
#define SKD_ROUNDER_F 12582912.0f
/* ln of the smallest normal float32, and where expm1 has reached -1 to float32 precision. */
#define SKD_EXP_MIN_F (-87.33654f)
#define SKD_EXPM1_MIN_F (-30.0f)

/* expm1(r) for |r| <= ln(2) / 2 (up to r^7 / 7!: the next term is below 2e-8 r). */
static inline float skd_expm1_reduced_f(float r)
{
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    return r + (r * r) * p;
}

/* n = round(x / ln 2) as a float and as 2^n, and the reduced argument r = x - n ln 2. */
static inline float skd_reduce_f(float x, float *scale)
{
    float shifted = x * SKD_LOG2E_F + SKD_ROUNDER_F;
    float n = shifted - SKD_ROUNDER_F;
    int32_t exponent = skd_bits_f(shifted) - skd_bits_f(SKD_ROUNDER_F);
    *scale = skd_float_of_bits((exponent + 127) << 23);
    return (x - n * SKD_LN2_HI_F) - n * SKD_LN2_LO_F;
}

static inline float skd_exp_f(float x)
{
    float clamped = skd_select_f(x < SKD_EXP_MIN_F, SKD_EXP_MIN_F, x);
    float scale;
    float r = skd_reduce_f(clamped, &scale);
    float value = scale + scale * skd_expm1_reduced_f(r);
    return skd_select_f(x < SKD_EXP_MIN_F, 0.0f, value);
}

static inline float skd_expm1_f(float x)
{
    float clamped = skd_select_f(x < SKD_EXPM1_MIN_F, SKD_EXPM1_MIN_F, x);
    float scale;
    float r = skd_reduce_f(clamped, &scale);
    return scale * skd_expm1_reduced_f(r) + (scale - 1.0f);
}

/* log1p(t) for t in [0, 1] (up to z^4 / 9 in 2 s (1 + z / 3 + ...), z = s^2 <= 0.0295). */
static inline float skd_log1p_unit_f(float t)
{
    float u = 1.0f + t;
    float lost = t - (u - 1.0f);
    int halve = u > 1.41421356f;
    float m = skd_select_f(halve, 0.5f * u, u);
    float k = skd_select_f(halve, 1.0f, 0.0f);
    float s = (m - 1.0f) / (m + 1.0f);
    float z = s * s;
    float p = 1.0f / 9.0f;
    p = p * z + 1.0f / 7.0f;
    p = p * z + 1.0f / 5.0f;
    p = p * z + 1.0f / 3.0f;
    float log_m = 2.0f * s + (2.0f * s) * (z * p);
    return k * SKD_LN2_HI_F + (log_m + (k * SKD_LN2_LO_F + lost / u));
}

/* tanh(x) = -u / (2 + u) for x >= 0, u = expm1(-2x) in (-1, 0]: no cancellation anywhere. */
static inline float skd_tanh_f(float x)
{
    float u = skd_expm1_f(-2.0f * fabsf(x));
    return copysignf(-u / (2.0f + u), x);
}

/* 1 / (1 + exp(-x)) from t = exp(-|x|) <= 1: 1 / (1 + t) for x >= 0, t / (1 + t) below, so
 * both tails keep their relative precision and nothing overflows. */
static inline float skd_logistic_f(float x)
{
    float t = skd_exp_f(-fabsf(x));
    return skd_select_f(x >= 0.0f, 1.0f, t) / (1.0f + t);
}

/* log(1 + exp(x)) = max(x, 0) + log1p(exp(-|x|)), which never overflows. */
static inline float skd_softplus_f(float x)
{
    float positive = skd_select_f(x < 0.0f, 0.0f, x);
    return positive + skd_log1p_unit_f(skd_exp_f(-fabsf(x)));
}

/* x for x > 0, expm1(x) below (computed on min(x, 0), so it never overflows; NaN stays NaN). */
static inline float skd_elu_f(float x)
{
    float e = skd_expm1_f(skd_select_f(x > 0.0f, 0.0f, x));
    return skd_select_f(x > 0.0f, x, e);
}

/* ------------------------------------------------------------------------------------ float64 */
static inline int64_t skd_bits_d(double x) { int64_t i; memcpy(&i, &x, sizeof i); return i; }
static inline double skd_double_of_bits(int64_t i) { double x; memcpy(&x, &i, sizeof x); return x; }

static inline double skd_abs_d(double x) { return fabs(x); }

static inline double skd_select_d(int64_t condition, double a, double b)
{
    int64_t mask = -condition;
    return skd_double_of_bits((skd_bits_d(a) & mask) | (skd_bits_d(b) & ~mask));
}

#define SKD_LOG2E_D 1.4426950408889634074
#define SKD_LN2_D 0.69314718055994530942
/* fdlibm's split of ln 2: HI has 32 trailing zero bits, so n * HI is exact for |n| < 2^20. */
#define SKD_LN2_HI_D 6.93147180369123816490e-01
#define SKD_LN2_LO_D 1.90821492927058770002e-10
#define SKD_ROUNDER_D 6755399441055744.0
#define SKD_EXP_MIN_D (-708.3964185322641)
#define SKD_EXPM1_MIN_D (-40.0)

/* expm1(r) for |r| <= ln(2) / 2 (up to r^13 / 13!: the next term is below 2e-17 r). */
static inline double skd_expm1_reduced_d(double r)
{
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    return r + (r * r) * p;
}

static inline double skd_reduce_d(double x, double *scale)
{
    double shifted = x * SKD_LOG2E_D + SKD_ROUNDER_D;
    double n = shifted - SKD_ROUNDER_D;
    int64_t exponent = skd_bits_d(shifted) - skd_bits_d(SKD_ROUNDER_D);
    *scale = skd_double_of_bits((exponent + 1023) << 52);
    return (x - n * SKD_LN2_HI_D) - n * SKD_LN2_LO_D;
}

static inline double skd_exp_d(double x)
{
    double clamped = skd_select_d(x < SKD_EXP_MIN_D, SKD_EXP_MIN_D, x);
    double scale;
    double r = skd_reduce_d(clamped, &scale);
    double value = scale + scale * skd_expm1_reduced_d(r);
    return skd_select_d(x < SKD_EXP_MIN_D, 0.0, value);
}

static inline double skd_expm1_d(double x)
{
    double clamped = skd_select_d(x < SKD_EXPM1_MIN_D, SKD_EXPM1_MIN_D, x);
    double scale;
    double r = skd_reduce_d(clamped, &scale);
    return scale * skd_expm1_reduced_d(r) + (scale - 1.0);
}

/* log1p(t) for t in [0, 1] (up to z^9 / 21, z <= 0.0295). */
static inline double skd_log1p_unit_d(double t)
{
    double u = 1.0 + t;
    double lost = t - (u - 1.0);
    int64_t halve = u > 1.4142135623730951;
    double m = skd_select_d(halve, 0.5 * u, u);
    double k = skd_select_d(halve, 1.0, 0.0);
    double s = (m - 1.0) / (m + 1.0);
    double z = s * s;
    double p = 1.0 / 21.0;
    p = p * z + 1.0 / 19.0;
    p = p * z + 1.0 / 17.0;
    p = p * z + 1.0 / 15.0;
    p = p * z + 1.0 / 13.0;
    p = p * z + 1.0 / 11.0;
    p = p * z + 1.0 / 9.0;
    p = p * z + 1.0 / 7.0;
    p = p * z + 1.0 / 5.0;
    p = p * z + 1.0 / 3.0;
    double log_m = 2.0 * s + (2.0 * s) * (z * p);
    return k * SKD_LN2_HI_D + (log_m + (k * SKD_LN2_LO_D + lost / u));
}

static inline double skd_tanh_d(double x)
{
    double u = skd_expm1_d(-2.0 * fabs(x));
    return copysign(-u / (2.0 + u), x);
}

static inline double skd_logistic_d(double x)
{
    double t = skd_exp_d(-fabs(x));
    return skd_select_d(x >= 0.0, 1.0, t) / (1.0 + t);
}

static inline double skd_softplus_d(double x)
{
    double positive = skd_select_d(x < 0.0, 0.0, x);
    return positive + skd_log1p_unit_d(skd_exp_d(-fabs(x)));
}

static inline double skd_elu_d(double x)
{
    double e = skd_expm1_d(skd_select_d(x > 0.0, 0.0, x));
    return skd_select_d(x > 0.0, x, e);
}

#endif
