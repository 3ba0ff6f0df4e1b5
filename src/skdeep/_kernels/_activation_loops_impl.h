/* The loops of _activation_loops.h for one type, SKD_T, with names suffixed by SKD_NAME.
 * No include guard: _activation_loops.h includes this file once per type. */

static inline SKD_T SKD_NAME(skd_identity)(SKD_T x) { return x; }

/* x < 0 ? 0 : x keeps NaN, as np.maximum(x, 0) does. */
static inline SKD_T SKD_NAME(skd_relu)(SKD_T x)
{
    return SKD_NAME(skd_select)(x < SKD_ZERO, SKD_ZERO, x);
}

static inline SKD_T SKD_NAME(skd_leaky_relu)(SKD_T x)
{
    return SKD_NAME(skd_select)(x > SKD_ZERO, x, x * (SKD_T)SKD_LEAKY_RELU_SLOPE);
}

/* values = f(values + bias) in place, over n_rows rows of n_cols (bias: one per column, or NULL
 * for none). */
#define SKD_ACTIVATE_LOOP(function)                                                 \
    if (bias == NULL) {                                                             \
        for (ptrdiff_t k = 0; k < n_rows * n_cols; k++) {                           \
            values[k] = function(values[k]);                                        \
        }                                                                           \
    } else {                                                                        \
        for (ptrdiff_t i = 0; i < n_rows; i++) {                                    \
            SKD_T *row = values + i * n_cols;                                       \
            for (ptrdiff_t j = 0; j < n_cols; j++) {                                \
                row[j] = function(row[j] + bias[j]);                                \
            }                                                                       \
        }                                                                           \
    }                                                                               \
    break;

SKD_DISPATCH SKD_MAYBE_UNUSED
static void SKD_NAME(skd_activate)(int code, SKD_T *values, const SKD_T *bias, ptrdiff_t n_rows,
                                   ptrdiff_t n_cols)
{
    switch (code) {
    case SKD_IDENTITY:
        if (bias == NULL) {
            break;
        }
        SKD_ACTIVATE_LOOP(SKD_NAME(skd_identity))
    case SKD_LOGISTIC:
        SKD_ACTIVATE_LOOP(SKD_NAME(skd_logistic))
    case SKD_TANH:
        SKD_ACTIVATE_LOOP(SKD_NAME(skd_tanh))
    case SKD_RELU:
        SKD_ACTIVATE_LOOP(SKD_NAME(skd_relu))
    case SKD_LEAKY_RELU:
        SKD_ACTIVATE_LOOP(SKD_NAME(skd_leaky_relu))
    case SKD_ELU:
        SKD_ACTIVATE_LOOP(SKD_NAME(skd_elu))
    case SKD_SOFTPLUS:
        SKD_ACTIVATE_LOOP(SKD_NAME(skd_softplus))
    }
}

#undef SKD_ACTIVATE_LOOP

/* grad *= f'(x), written from y = f(x), over n elements. Each product keeps the order of the
 * NumPy expressions it replaces (grad * y * (1 - y), grad * (1 - y * y), ...), and a zero
 * derivative multiplies (rather than selects) so that a NaN gradient stays NaN. */
#define SKD_DERIVATIVE_LOOP(expression)                                             \
    for (ptrdiff_t k = 0; k < n; k++) {                                             \
        SKD_T out = y[k];                                                           \
        grad[k] = expression;                                                       \
    }                                                                               \
    break;

SKD_DISPATCH SKD_MAYBE_UNUSED
static void SKD_NAME(skd_multiply_derivative)(int code, const SKD_T *y, SKD_T *grad, ptrdiff_t n)
{
    switch (code) {
    case SKD_IDENTITY:
        break;
    case SKD_LOGISTIC:
        SKD_DERIVATIVE_LOOP((grad[k] * out) * (SKD_ONE - out))
    case SKD_TANH:
        SKD_DERIVATIVE_LOOP(grad[k] * (SKD_ONE - out * out))
    case SKD_RELU:
        SKD_DERIVATIVE_LOOP(grad[k] * SKD_NAME(skd_select)(out > SKD_ZERO, SKD_ONE, SKD_ZERO))
    case SKD_LEAKY_RELU:
        SKD_DERIVATIVE_LOOP(
            grad[k] * SKD_NAME(skd_select)(out > SKD_ZERO, SKD_ONE, (SKD_T)SKD_LEAKY_RELU_SLOPE))
    case SKD_ELU:
        SKD_DERIVATIVE_LOOP(grad[k] * SKD_NAME(skd_select)(out > SKD_ZERO, SKD_ONE, out + SKD_ONE))
    case SKD_SOFTPLUS:
        /* sigmoid(x) = 1 - exp(-softplus(x)), as -expm1(-y): precise where y is tiny. */
        SKD_DERIVATIVE_LOOP(grad[k] * -SKD_NAME(skd_expm1)(-out))
    }
}

#undef SKD_DERIVATIVE_LOOP

/* values = exp(values) in place, for values <= 0 (scores minus their row's maximum). */
SKD_DISPATCH SKD_MAYBE_UNUSED
static void SKD_NAME(skd_exp_in_place)(SKD_T *values, ptrdiff_t n)
{
    for (ptrdiff_t k = 0; k < n; k++) {
        values[k] = SKD_NAME(skd_exp)(values[k]);
    }
}

/* The sigmoid cross-entropy of n scores s against targets y: losses = softplus(s) - y s, and
 * scores = sigmoid(s) - y in place, both from the one exp(-|s|). */
SKD_DISPATCH SKD_MAYBE_UNUSED
static void SKD_NAME(skd_sigmoid_cross_entropy)(SKD_T *scores, const SKD_T *targets,
                                                SKD_T *losses, ptrdiff_t n)
{
    for (ptrdiff_t k = 0; k < n; k++) {
        SKD_T s = scores[k];
        SKD_T y = targets[k];
        SKD_T t = SKD_NAME(skd_exp)(-SKD_NAME(skd_abs)(s));
        SKD_T positive = SKD_NAME(skd_select)(s < SKD_ZERO, SKD_ZERO, s);
        losses[k] = (positive + SKD_NAME(skd_log1p_unit)(t)) - y * s;
        scores[k] = SKD_NAME(skd_select)(s >= SKD_ZERO, SKD_ONE, t) / (SKD_ONE + t) - y;
    }
}
