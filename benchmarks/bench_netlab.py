"""Timings of the network lab: one configuration (64 seeds x 2000 steps) and the page's grid.

Run from the repository root::

    python benchmarks/bench_netlab.py            # every activation, H = 3 and 8, Adam
    python benchmarks/bench_netlab.py --quick    # fewer steps, for a smoke check

Prints wall-clock and CPU time (this machine is shared: when other processes compete for its
2 cores, wall time grows while CPU time stays put, so both are reported), the time per step,
and the effect of the run blocking in `netlab._train` (``BLOCK_ELEMENTS``), each block size
in a fresh process. The output is kept in ``docs/bench/bench_netlab.txt``
(``benchmarks/_record.py``).
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import netlab  # noqa: E402
import optimizers  # noqa: E402
from benchmarks._record import recorded  # noqa: E402
from netlab import _train  # noqa: E402


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def timed(fn):  # noqa: ANN001, ANN201
    wall, cpu = time.perf_counter(), cpu_seconds()
    out = fn()
    return out, time.perf_counter() - wall, cpu_seconds() - cpu


def probe(block: int, hidden: int, runs: int, points: int) -> None:
    """Train once with `block` and print CPU seconds and page faults per step."""
    _train.BLOCK_ELEMENTS = block  # this probe process only
    data = netlab.make_data(np.random.default_rng(0), points)
    params = netlab.init_params(range(runs), hidden)
    opt = optimizers.make("adam", lr=0.01)
    steps = 300
    before, cpu = resource.getrusage(resource.RUSAGE_SELF).ru_minflt, cpu_seconds()
    netlab.train(params, data, "relu", opt, steps=steps)
    faults = resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before
    print(cpu_seconds() - cpu, faults / steps)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--probe", nargs=4, type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seeds", type=int, default=64)
    parser.add_argument("--points", type=int, default=128)
    args = parser.parse_args()
    if args.probe:
        probe(*args.probe)
        return
    with recorded("bench_netlab" + ("_quick" if args.quick else "")):
        timings(args)


def timings(args: argparse.Namespace) -> None:
    steps = 200 if args.quick else 2000
    data = netlab.make_data(np.random.default_rng(0), args.points)
    ref = netlab.references(data)
    seeds = range(args.seeds)
    print(f"{args.seeds} seeds x {steps} steps, {args.points} points, full batch, Adam")
    print(f"{'activation':<11} {'H':>3} {'wall s':>7} {'cpu s':>7} {'ms/step':>8} {'success':>8}")
    for activation in netlab.GRID_ACTIVATIONS:
        for hidden in netlab.GRID_HIDDEN:
            res, wall, cpu = timed(
                lambda a=activation, h=hidden: netlab.train_config(
                    data,
                    seeds,
                    a,
                    h,
                    "adam",
                    {"lr": 0.01},
                    steps=steps,
                    threshold=ref.threshold,
                )
            )
            print(
                f"{activation:<11} {hidden:>3} {wall:7.2f} {cpu:7.2f} "
                f"{1e3 * cpu / steps:8.2f} {int(res.success.sum()):>5}/{res.runs}"
            )

    print("\nBlocking over runs (relu, Adam, 300 steps, a fresh process each: the allocator's")
    print("state decides how many pages each step faults in). CPU seconds, page faults per step:")
    for hidden, runs, points in ((3, 64, 128), (8, 64, 128), (8, 128, 256), (16, 64, 512)):
        cells = []
        for block in (16384, _train.BLOCK_ELEMENTS, 10**9):
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--probe",
                    str(block),
                    str(hidden),
                    str(runs),
                    str(points),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout.split()
            name = "none" if block == 10**9 else str(block)
            cells.append(f"{name}: {float(out[0]):5.2f} s {float(out[1]):6.0f} flt")
        print(f"  H={hidden:<2} runs={runs:<3} n={points:<3} | " + " | ".join(cells))

    if not args.quick:
        cmp, wall, cpu = timed(
            lambda: netlab.run_comparison(data, seeds, steps=steps, threshold=ref.threshold)
        )
        print(
            f"\nComparison grid ({len(cmp.rows)} configurations): wall {wall:.1f} s, "
            f"cpu {cpu:.1f} s"
        )


if __name__ == "__main__":
    main()
