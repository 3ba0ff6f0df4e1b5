"""Experiment: what a compiled, one-pass Adam update would buy skdeep. Not part of the library.

Usage (from the repository root; needs a C compiler on the PATH, ``cc`` by default):

    python benchmarks/fused_update_experiment.py --threads 1 --rounds 7 --epochs 3

skdeep's optimisers are NumPy passes (13 per block for Adam with the L2 term, see
``bench_optimiser.py``). This script compiles a small C loop doing the same Adam + coupled L2
update in one pass per element -- the stored-sum formulation and the coefficients of
``skdeep.optimisers.Adam`` exactly -- loads it with ctypes, and measures, in one process:

1. one update of the headline's 648,010 float32 parameters: NumPy Adam vs the C loop, and how far
   apart their results are after 100 updates from the same state;
2. the headline epoch (MNIST 784-500-500-10 relu adam, batch 128) with skdeep's Adam swapped for
   the C loop in this process only, against skdeep as shipped, the GEMM bound and PyTorch with
   its default and its fused Adam.

It answers one question for the project -- whether shipping compiled code would meet the speed
targets of issue 4 -- and changes nothing in ``skdeep``.
"""

import argparse
import ctypes
import os
import shutil
import subprocess
import tempfile
import time
from types import SimpleNamespace

import common
import numpy as np

from skdeep import DeepMLPClassifier, optimisers
from skdeep._training import penalised_step
from skdeep.penalties import make_penalty

C_SOURCE = r"""
#include <math.h>
#include <stddef.h>

/* One pass of Adam with the running sums stored without their (1 - beta) factor, as
   skdeep.optimisers.Adam does:  g' = g + decay * p  (first n_decayed entries only),
   M = beta_1 M + g',  V = beta_2 V + g'^2,  p -= step * M / (sqrt(V) + eps).
   Returns ||p[:n_decayed]||^2 before the step. */
static double sweep(float *restrict p, const float *restrict g, float *restrict m,
                    float *restrict v, ptrdiff_t n, float decay, float beta_1, float beta_2,
                    float step, float eps, int with_decay)
{
    float squares = 0.0f;
    for (ptrdiff_t i = 0; i < n; i++) {
        float w = p[i];
        float gradient = g[i];
        if (with_decay) {
            squares += w * w;
            gradient += decay * w;
        }
        float first = beta_1 * m[i] + gradient;
        float second = beta_2 * v[i] + gradient * gradient;
        m[i] = first;
        v[i] = second;
        p[i] = w - step * first / (sqrtf(second) + eps);
    }
    return squares;
}

double adam_update(float *p, const float *g, float *m, float *v, ptrdiff_t n,
                   ptrdiff_t n_decayed, float decay, float beta_1, float beta_2, float step,
                   float eps)
{
    double squares = sweep(p, g, m, v, n_decayed, decay, beta_1, beta_2, step, eps, 1);
    sweep(p + n_decayed, g + n_decayed, m + n_decayed, v + n_decayed, n - n_decayed, 0.0f,
          beta_1, beta_2, step, eps, 0);
    return squares;
}
"""

# -O3 -march=native vectorises the loop; the math flags let the float sum of squares vectorise
# and sqrtf inline, while sqrt and division stay IEEE-exact (no -ffast-math reciprocals).
CFLAGS = ["-O3", "-march=native", "-fno-math-errno", "-fno-trapping-math",
          "-fassociative-math", "-fno-signed-zeros", "-shared", "-fPIC"]


def compile_kernel(compiler, directory):
    source = os.path.join(directory, "adam.c")
    library = os.path.join(directory, "adam.so")
    with open(source, "w") as file:
        file.write(C_SOURCE)
    subprocess.run([compiler, *CFLAGS, source, "-o", library, "-lm"], check=True)
    kernel = ctypes.CDLL(library).adam_update
    pointer = ctypes.POINTER(ctypes.c_float)
    kernel.argtypes = [pointer, pointer, pointer, pointer, ctypes.c_ssize_t, ctypes.c_ssize_t,
                       ctypes.c_float, ctypes.c_float, ctypes.c_float, ctypes.c_float,
                       ctypes.c_float]
    kernel.restype = ctypes.c_double
    return kernel


def compiled_adam(kernel):
    """A subclass of skdeep's Adam whose float32 update is the C loop."""
    pointer = ctypes.POINTER(ctypes.c_float)

    class CompiledAdam(optimisers.Adam):
        def sweep(self, params, grads):
            if params.dtype != np.float32 or self.amsgrad:
                yield from super().sweep(params, grads)
                return
            if getattr(self, "_m", None) is None:
                self._m, self._v = np.zeros_like(params), np.zeros_like(params)
            self._t += 1
            beta_1, beta_2, step, epsilon = self._coefficients()
            # One block: the caller adds the penalty's gradient (the L2 term, a NumPy pass of
            # its own since the optimiser no longer knows about penalties), then one C pass.
            if getattr(self, "_work", None) is None:
                self._work = np.empty_like(params)
            yield 0, params.shape[0], self._work
            kernel(*(array.ctypes.data_as(pointer)
                     for array in (params, grads, self._m, self._v)),
                   params.shape[0], 0, 0.0, beta_1, beta_2, step, epsilon)

    return CompiledAdam


def update_case(args, compiled):
    rng = np.random.default_rng(0)
    n_weights = 784 * 500 + 500 * 500 + 500 * 10
    n_params = n_weights + 500 + 500 + 10
    penalty = make_penalty(alpha=1e-4)
    start = (rng.standard_normal(n_params) * 0.05).astype(np.float32)
    gradients = [(rng.standard_normal(n_params) * 0.01).astype(np.float32) for _ in range(8)]
    results = {}
    contenders = {}
    for name, cls in (("NumPy Adam (skdeep)", optimisers.Adam), ("compiled Adam", compiled)):
        params, optimiser = start.copy(), cls()
        for step in range(100):  # the same 100 updates from the same start, for the comparison
            # A copy: the penalty adds its gradient to the gradient in place.
            flat = SimpleNamespace(params=params, grads=gradients[step % 8].copy(),
                                   n_weights=n_weights)
            penalised_step(flat, penalty, optimiser, 1.0 / 128)
        results[name] = params

        def measure(optimiser=optimiser, params=params):
            begin = time.perf_counter()
            for step in range(args.repeats):
                flat = SimpleNamespace(params=params, grads=gradients[step % 8],
                                       n_weights=n_weights)
                penalised_step(flat, penalty, optimiser, 1.0 / 128)
            return (time.perf_counter() - begin) / args.repeats
        contenders[name] = measure
    with common.ForeignLoad() as load:
        times = common.run_rounds(contenders, args.rounds)
    difference = np.abs(results["compiled Adam"] - results["NumPy Adam (skdeep)"]).max()
    common.print_table(
        f"One Adam + L2 update of {n_params:,} float32 parameters", [
            {"update": name, "median ms": f"{1000 * np.median(values):.3f}",
             "ratio to NumPy": f"{common.ratio_median(times, name, 'NumPy Adam (skdeep)'):.2f}"}
            for name, values in times.items()],
        ["update", "median ms", "ratio to NumPy"])
    print(f"largest difference in a parameter after 100 updates from the same state: "
          f"{difference:.2e} (parameters ~{np.abs(start).mean():.2f} in size)")
    print(load.note())


def epoch_case(args, torch, compiled):
    X, y, X_test, y_test = common.mnist_split(args.n_train)
    hidden = (500, 500)
    fixed = {"hidden_layer_sizes": hidden, **common.fixed_epochs(args.epochs)}
    shipped = optimisers.OPTIMISERS["adam"]
    kept = {"skdeep, NumPy Adam": [], "skdeep, compiled Adam": []}

    def skdeep_timer(name, cls):
        def measure():
            optimisers.OPTIMISERS["adam"] = cls
            try:
                return common.fit_timer(lambda: DeepMLPClassifier(**fixed), X, y, args.epochs,
                                        kept[name])()
            finally:
                optimisers.OPTIMISERS["adam"] = shipped
        return measure

    contenders = {
        "GEMM bound": lambda: common.gemm_bound_epoch(X, [784, *hidden, 10], 128),
        "skdeep, NumPy Adam": skdeep_timer("skdeep, NumPy Adam", shipped),
        "skdeep, compiled Adam": skdeep_timer("skdeep, compiled Adam", compiled),
    }
    if torch is not None:
        for name, fused in (("PyTorch", False), ("PyTorch, fused Adam", True)):
            contenders[name] = (lambda fused=fused: common.timed(
                common.torch_fit, torch, X, y, hidden, epochs=args.epochs, batch_size=128,
                fused=fused)[0] / args.epochs)
    with common.ForeignLoad() as load:
        times = common.run_rounds(contenders, args.rounds)
    reference = "skdeep, NumPy Adam"
    rows = [{
        "contender": name, "median s/epoch": f"{np.median(values):.4f}",
        "ratio to skdeep, NumPy Adam": f"{common.ratio_median(times, name, reference):.2f}",
        "ratio to compiled": f"{common.ratio_median(times, name, 'skdeep, compiled Adam'):.2f}",
        "test accuracy": (f"{kept[name][-1].score(X_test, y_test):.4f}" if name in kept else ""),
    } for name, values in times.items()]
    common.print_table(
        f"Headline epoch, {args.n_train} rows, 3 epochs per fit, {args.rounds} rounds", rows,
        ["contender", "median s/epoch", "ratio to skdeep, NumPy Adam", "ratio to compiled",
         "test accuracy"])
    print(load.note())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--repeats", type=int, default=50, help="updates per timed round")
    parser.add_argument("--n-train", type=int, default=8000)
    parser.add_argument("--compiler", default="cc")
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args()
    limiter, torch = common.start(args)  # noqa: F841 (the limit lasts while the limiter lives)
    print(f"compiler: {args.compiler} {' '.join(CFLAGS)}")
    directory = tempfile.mkdtemp()
    try:
        compiled = compiled_adam(compile_kernel(args.compiler, directory))
        update_case(args, compiled)
        epoch_case(args, torch, compiled)
    finally:
        shutil.rmtree(directory)


if __name__ == "__main__":
    main()
