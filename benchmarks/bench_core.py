"""Speed of the optimizer core (run on demand: ``python benchmarks/bench_core.py``).

Prints a markdown table:

* Adam, 10,000 starts x 500 steps on Rosenbrock: `optimizers.run` (stores every point) and
  `optimizers.iterate` (no storage), next to a plain per-point Python loop (fewer points,
  extrapolated) and a ``torch.optim.Adam`` loop on the same ``(10000, 2)`` float64 tensor
  (gradient by the same formula, trajectory stored too; and with autograd), once at torch's
  default thread count and once at 1 thread (numpy's elementwise loops use one). Target:
  ``run`` >= 3x the torch loop. torch is required: without it the benchmark stops, unless
  ``--no-torch`` leaves the comparison out (said so in the output).
* A 200 x 200 lr x momentum sweep (``sgd`` with ``lr`` of shape ``(200, 1)`` and
  ``momentum`` of shape ``(1, 200)``), 300 steps on a quadratic ravine. Target: < 1 s.
* The app's default race (`analysis.race.race` on the default `Scene`: Rosenbrock, 5
  optimizers x 300 steps, one start each), which every rerun with new settings recomputes.
  Tiny arrays, so it measures per-call overhead; ``python benchmarks/bench_core.py race``
  runs only this one.

Times are the best of a few repeats (the machine may be shared), except the race: the
median of many, as it is short. Not a test. The output is kept in
``docs/bench/bench_core.txt`` (``benchmarks/_record.py``).
"""

from __future__ import annotations

import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks._record import recorded  # noqa: E402
from optimizers import iterate, make, run  # noqa: E402
from surfaces import get_surface  # noqa: E402

N_STARTS, STEPS, LR = 10_000, 500, 1e-2
SWEEP, SWEEP_STEPS = 200, 300
REPEATS = 3
RACE_REPEATS = 30


def rosenbrock_grad() -> Callable[[np.ndarray], np.ndarray]:
    return get_surface("rosenbrock").grad


def ravine_grad(p: np.ndarray) -> np.ndarray:
    """Gradient of the ravine f = (x^2 + 50 y^2) / 2."""
    return p * np.array([1.0, 50.0])


def best(fn: Callable[[], Any], repeats: int = REPEATS) -> tuple[float, float]:
    """Best wall-clock and best CPU (process, all threads) time of ``repeats`` calls."""
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return min(wall), min(cpu)


def race_ms(repeats: int = RACE_REPEATS) -> tuple[float, float]:
    """Median wall and CPU milliseconds of the default race (after one warm-up race)."""
    from analysis.race import race
    from scene import Scene

    scene = Scene()
    args = (scene.get_surface(), scene.optimizer_specs(), scene.start_point(), scene.steps)
    race(*args)
    wall, cpu = [], []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        race(*args)
        wall.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    return 1e3 * statistics.median(wall), 1e3 * statistics.median(cpu)


def print_race() -> None:
    scene_ms = race_ms()
    print(
        f"Default race (Rosenbrock, 5 optimizers x 300 steps): {scene_ms[0]:.1f} ms wall, "
        f"{scene_ms[1]:.1f} ms CPU (median of {RACE_REPEATS})"
    )


def torch_rows(starts: np.ndarray, point_steps: int, no_torch: bool) -> tuple[
        list[tuple[str, float, float, float]], dict[int, tuple[float, float]]]:
    """Rows for the torch.optim.Adam loops, at torch's default thread count and at 1 thread.

    Returns the rows and ``{threads: (wall, cpu)}`` of the same-formula loop. Without torch
    this fails, unless ``--no-torch`` asked to leave the comparison out."""
    if no_torch:
        return [], {}
    try:
        import torch
    except ImportError:
        raise SystemExit(
            "torch is not installed: the comparison with torch.optim.Adam needs it "
            "(pip install torch==2.13.0), or pass --no-torch to leave it out"
        ) from None

    def torch_grad(p: Any) -> Any:
        x, y = p[:, 0], p[:, 1]
        r = y - x * x
        return torch.stack([-2.0 * (1.0 - x) - 400.0 * x * r, 200.0 * r], dim=-1)

    def torch_loop() -> None:
        p = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
        adam = torch.optim.Adam([p], lr=LR)
        out = torch.empty((STEPS + 1, N_STARTS, 2), dtype=torch.float64)
        out[0] = p.detach()
        for t in range(STEPS):
            with torch.no_grad():
                p.grad = torch_grad(p)
            adam.step()
            out[t + 1] = p.detach()

    def torch_autograd() -> None:
        p = torch.tensor(starts, dtype=torch.float64, requires_grad=True)
        adam = torch.optim.Adam([p], lr=LR)
        out = torch.empty((STEPS + 1, N_STARTS, 2), dtype=torch.float64)
        out[0] = p.detach()
        for t in range(STEPS):
            adam.zero_grad()
            x, y = p[:, 0], p[:, 1]
            ((1 - x) ** 2 + 100 * (y - x * x) ** 2).sum().backward()
            adam.step()
            out[t + 1] = p.detach()

    rows, loops = [], {}
    default = torch.get_num_threads()
    for threads in dict.fromkeys((default, 1)):  # default first; once if it is 1
        torch.set_num_threads(threads)
        loops[threads] = best(torch_loop)
        rows.append((f"torch.optim.Adam loop, same gradient formula, {threads} thread(s)",
                     *loops[threads], point_steps))
        rows.append((f"torch.optim.Adam loop, autograd, {threads} thread(s)",
                     *best(torch_autograd), point_steps))
    torch.set_num_threads(default)
    return rows, loops


def main(no_torch: bool = False) -> None:
    grad = rosenbrock_grad()
    rng = np.random.default_rng(0)
    starts = rng.uniform([-2.0, -1.0], [2.0, 3.0], size=(N_STARTS, 2))
    opt = make("adam", lr=LR)
    point_steps = N_STARTS * STEPS
    rows: list[tuple[str, float, float, float]] = []  # (name, wall, cpu, point-steps)

    rows.append(
        (
            f"optimizers.run, Adam, {N_STARTS} x {STEPS}",
            *best(lambda: run(opt, grad, starts, STEPS)),
            point_steps,
        )
    )

    def consume() -> None:
        for _ in iterate(opt, grad, starts, STEPS):
            pass

    rows.append(("optimizers.iterate (no storage)", *best(consume), point_steps))

    few = 20

    def per_point() -> None:
        for s in starts[:few]:
            x = s.copy()
            state = opt.init(x)
            for _ in range(STEPS):
                x, state = opt.update(grad(x), state, x)

    wall, cpu = best(per_point, 1)
    scale = N_STARTS / few
    rows.append(
        (
            f"per-point Python loop ({few} points, extrapolated)",
            wall * scale,
            cpu * scale,
            point_steps,
        )
    )

    extra, loops = torch_rows(starts, point_steps, no_torch)
    rows += extra

    lr = np.geomspace(1e-4, 0.05, SWEEP)[:, None]
    mom = np.linspace(0.0, 0.99, SWEEP)[None, :]
    sgd = make("sgd", lr=lr, momentum=mom)
    f = np.array([0.5, 25.0])
    sweep_ps = SWEEP * SWEEP * SWEEP_STEPS

    def sweep_reduce() -> None:
        final_loss = None
        for t, p, alive in iterate(sgd, ravine_grad, [1.0, 1.0], SWEEP_STEPS):
            if t == SWEEP_STEPS:  # reduce to a map; the paths are never stored
                final_loss = np.where(alive, (p * p) @ f, np.inf)
        assert final_loss is not None and final_loss.shape == (SWEEP, SWEEP)

    sweep_times = best(sweep_reduce)
    name = f"sweep {SWEEP}x{SWEEP} lr x momentum (sgd), {SWEEP_STEPS} steps, iterate"
    rows.append((name, *sweep_times, sweep_ps))
    run_sweep = best(lambda: run(sgd, ravine_grad, [1.0, 1.0], SWEEP_STEPS))
    rows.append(("same sweep, run (stores 301 x 200 x 200 x 2 points)", *run_sweep, sweep_ps))

    torch_note = (f"torch loops at {' and '.join(map(str, loops))} thread(s)" if loops
                  else "torch comparison left out (--no-torch)")
    print(f"Rosenbrock gradient: surfaces.get_surface('rosenbrock').grad; numpy {np.__version__}; "
          f"{torch_note}")
    print(f"Machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} (shared)")
    print()
    ratio_head = " | ".join(f"vs torch {n} thr (wall / CPU)" for n in loops)
    print("| benchmark | wall (s) | CPU (s) | point-steps / s (wall) |"
          + (f" {ratio_head} |" if loops else ""))
    print("|---|---:|---:|---:|" + "---:|" * len(loops))
    for name, wall, cpu, work in rows:
        line = f"| {name} | {wall:.3f} | {cpu:.3f} | {work / wall:,.0f} |"
        for t_wall, t_cpu in loops.values():
            line += (f" {t_wall / wall:.1f}x / {t_cpu / cpu:.1f}x |" if work == point_steps
                     else " n/a |")
        print(line)
    print()
    t_run = rows[0][1:3]
    for threads, (t_wall, t_cpu) in loops.items():
        speedup = t_wall / t_run[0]
        verdict = "met" if speedup >= 3 else "NOT met"
        print(f"optimizers.run vs torch.optim.Adam loop ({threads} thread(s)): "
              f"{speedup:.1f}x wall, {t_cpu / t_run[1]:.1f}x CPU (target >= 3x wall: {verdict})")
    verdict = "met" if sweep_times[0] < 1 else "NOT met"
    print(
        f"Target sweep < 1 s: {sweep_times[0]:.3f} s wall ({verdict}), {sweep_times[1]:.3f} s CPU"
    )
    print_race()


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("what", nargs="?", choices=("all", "race"), default="all",
                        help="race: only the app's default race")
    parser.add_argument("--no-torch", action="store_true",
                        help="leave out the torch comparison (otherwise torch is required)")
    cli = parser.parse_args()
    if cli.what == "race":
        with recorded("bench_core_race"):
            print_race()
    else:
        with recorded("bench_core" + ("_no_torch" if cli.no_torch else "")):
            main(cli.no_torch)
