"""Time and peak memory of the exploration tools: the sweep map and the basin map.

    python benchmarks/bench_explore.py [--repeats 5] [--workers 1]

1. Sweep: 200 x 200 (lr x momentum) x 300 steps of ``sgd`` on the ravine, with the per-step
   steps-to-tolerance reduction (target < 0.5 s), and without it (``tol=None``).
2. Basins: 300 x 300 starts x 300 steps of ``sgd`` (lr 0.01) on Himmelblau (target < 1 s).

Time is the best of ``--repeats`` runs (wall clock; the machine may be shared, so the best is
the least disturbed one) with CPU time alongside. Peak memory is measured in a separate run
under ``tracemalloc`` (NumPy reports its buffers to it): the largest amount of Python/NumPy
memory allocated at once, above what was allocated before the call. The output is kept in
``docs/bench/bench_explore.txt`` (``benchmarks/_record.py``).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.basins import basins  # noqa: E402
from analysis.sweep import sweep  # noqa: E402
from benchmarks._record import recorded  # noqa: E402
from surfaces import get_surface  # noqa: E402


def timed(fn: Callable[[], object], repeats: int) -> tuple[float, float]:
    """Best wall time and the CPU time of that run, in seconds."""
    best = (float("inf"), float("inf"))
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = time.perf_counter() - w0, time.process_time() - c0
        best = min(best, (wall, cpu))
    return best


def peak_mib(fn: Callable[[], object]) -> float:
    """Peak traced allocation during ``fn()``, in MiB."""
    tracemalloc.start()
    tracemalloc.reset_peak()
    base, _ = tracemalloc.get_traced_memory()
    fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return (peak - base) / 2**20


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--workers", type=int, default=1)
    args = parser.parse_args()

    ravine, himmelblau = get_surface("ravine"), get_surface("himmelblau")
    lrs, mus = np.geomspace(1e-4, 1.0, 200), np.linspace(0.0, 0.99, 200)
    cases = {
        "sweep 200x200 x 300 steps (sgd, ravine)": (
            lambda: sweep(ravine, "sgd", x_values=lrs, y_values=mus, steps=300, tol=1e-3,
                          workers=args.workers), 0.5),
        "  same, tol=None (no per-step loss)": (
            lambda: sweep(ravine, "sgd", x_values=lrs, y_values=mus, steps=300, tol=None,
                          workers=args.workers), 0.5),
        "basins 300x300 x 300 steps (sgd, himmelblau)": (
            lambda: basins(himmelblau, "sgd", {"lr": 0.01}, resolution=300, steps=300,
                           workers=args.workers), 1.0),
    }
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f}, "
          f"numpy {np.__version__}, workers={args.workers}")
    print(f"| {'case':<46} | wall (best) | cpu    | target | peak memory |")
    print(f"| {'-' * 46} | ----------- | ------ | ------ | ----------- |")
    for name, (fn, target) in cases.items():
        fn()  # warm up (imports, caches)
        wall, cpu = timed(fn, args.repeats)
        mem = peak_mib(fn)
        ok = "ok" if wall < target else "MISS"
        print(f"| {name:<46} | {wall:8.3f} s  | {cpu:5.3f}s | <{target:g} s {ok:>4} | "
              f"{mem:8.1f} MiB |")


if __name__ == "__main__":
    with recorded("bench_explore"):
        main()
