"""Time the slide exports: a 300-frame GIF of a 5-optimizer race (800x600, and the 16:9
1920x1080 slide with the loss chart), PNG, SVG (and MP4).

    python benchmarks/bench_export.py [--surface rosenbrock] [--steps 600] [--repeat 3]

Races the real optimizers on a real surface (an error stops the benchmark: no stand-in race
is ever timed). Prints the best time of ``repeat`` runs and the size of each file as a
markdown table, kept in ``docs/bench/bench_export.txt`` (``benchmarks/_record.py``).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from analysis.race import RaceEntry, race  # noqa: E402
from benchmarks._record import recorded  # noqa: E402
from surfaces import Surface, get_surface  # noqa: E402
from viz import export  # noqa: E402
from viz.race import frame_steps  # noqa: E402

SPECS = [
    ("sgd", {"lr": 1e-3}),
    ("momentum", {"lr": 1e-3, "momentum": 0.9}),
    ("nesterov", {"lr": 1e-3, "momentum": 0.9, "nesterov": True}),
    ("rmsprop", {"lr": 1e-2}),
    ("adam", {"lr": 2e-2}),
]


def real_race(surface_name: str, steps: int) -> tuple[Surface, list[RaceEntry], str]:
    surface = get_surface(surface_name)
    entries = list(race(surface, SPECS, surface.start, steps))
    return surface, entries, f"real race on {surface_name}"


def best_time(fn: Callable[[], bytes], repeat: int) -> tuple[float, bytes]:
    times, data = [], b""
    for _ in range(repeat):
        start = time.perf_counter()
        data = fn()
        times.append(time.perf_counter() - start)
    return min(times), data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--surface", default="rosenbrock")
    parser.add_argument("--steps", type=int, default=600)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--save", type=Path, help="folder to write the files to")
    args = parser.parse_args()

    surface, entries, source = real_race(args.surface, args.steps)
    attribution = export.attribution_line(surface.title, "lr=0.001 · descent.app")
    frames = len(frame_steps(args.steps, 300))
    print(f"{source}: {len(entries)} optimizers, {args.steps} steps, {frames} frames\n")

    wide = export.SLIDES["16:9"]
    jobs: dict[str, Callable[[], bytes]] = {
        "GIF 800x600": lambda: export.race_gif(surface, entries, attribution=attribution),
        "PNG 1600x1200": lambda: export.race_png(surface, entries, attribution=attribution),
        "SVG 1600x1200": lambda: export.race_svg(surface, entries, attribution=attribution),
        "GIF 16:9 1920x1080 (loss chart)": lambda: export.race_gif(
            surface, entries, attribution=attribution, **wide.animation_kwargs()),
        "PNG 16:9 1920x1080 (loss chart)": lambda: export.race_png(
            surface, entries, attribution=attribution, **wide.picture_kwargs()),
    }
    if export.mp4_available():
        jobs["MP4 800x600"] = lambda: export.race_mp4(surface, entries, attribution=attribution)
    print("| export | best time (s) | size (KB) |")
    print("| --- | ---: | ---: |")
    for name, job in jobs.items():
        seconds, data = best_time(job, args.repeat)
        print(f"| {name} | {seconds:.2f} | {len(data) / 1024:.0f} |")
        if args.save:
            args.save.mkdir(parents=True, exist_ok=True)
            stem = "race-wide" if "16:9" in name else "race"
            (args.save / f"{stem}.{name.split()[0].lower()}").write_bytes(data)
    if not export.mp4_available():
        print("\n(MP4 skipped: pip install imageio-ffmpeg)")


if __name__ == "__main__":
    with recorded("bench_export"):
        main()
