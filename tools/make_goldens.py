"""Write the golden trajectories: the reference optimizers' paths on our surfaces.

Regenerate (needs torch, and the package of any non-torch reference)::

    python tools/make_goldens.py

It runs every `Reference` of the optimizer table (``tests/optimizer_table.py``: torch.optim
classes, torch.optim.LBFGS, ...) in float64 on the golden surfaces, from several starts, for
every case, without a schedule and under each lr schedule (torch's LR schedulers), and writes
``tests/fixtures/goldens.npz``. The reference is fed our exact analytic gradient (``p.grad``
is set from the surface's NumPy gradient in the closure), so the fixture pins optimizer and
schedule semantics only. ``tests/test_goldens.py`` compares `optimizers.run` to every point
without torch; with torch installed (``REQUIRE_TORCH=1`` in CI), the tests regenerate the
fixture in memory and compare it to the committed file.

**To add a reference optimizer**, add one row to ``TABLE`` in ``tests/optimizer_table.py``
(``reference=Reference(build, cases)``; see that module's docstring), run this script and
commit the fixture. A golden surface, start or schedule is one entry in ``SURFACES``,
``STARTS`` or ``SCHEDULES`` below.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script: import the project from the checkout
    sys.path.insert(0, str(ROOT))

from optimizers import make  # noqa: E402
from optimizers.run import DIVERGENCE_BOUND  # noqa: E402
from surfaces import SURFACES  # noqa: E402
from tests.optimizer_table import TABLE, make_kwargs  # noqa: E402

FIXTURE = ROOT / "tests" / "fixtures" / "goldens.npz"

STARTS: Mapping[str, tuple[tuple[float, float], ...]] = {
    "bowl": ((1.5, -1.0), (-0.7, 0.4), (0.05, 1.8)),
    "ravine": ((-1.5, 0.8), (1.2, -0.5), (0.3, 0.05)),
    # Off the x-axis the descent direction is unbounded; torch's strong-Wolfe line search
    # fails (IndexError) from some starts, such as (1.0, 0.3): not these.
    "saddle": ((-1.5, 0.001), (1.2, 0.05), (0.2, 1.5)),
    "rosenbrock": ((-1.2, 1.0), (0.5, -0.8), (1.5, 1.7)),
    "himmelblau": ((0.0, 0.0), (-1.0, 3.0), (4.0, -4.0)),
    "beale": ((1.0, 1.0), (-2.0, 2.0), (3.5, -0.5)),
    "kink": ((1.5, 1.5), (-0.3, 1.0), (0.2, -1.5)),
}
"""Golden surface -> starts (one run each)."""

SCHEDULES: tuple[tuple[str, Mapping[str, Any]], ...] = (
    ("step", {"step_size": 7, "gamma": 0.5}),
    ("exponential", {"gamma": 0.95}),
    ("inverse_time", {"decay": 0.1}),
    ("cosine", {"T_max": 30, "eta_min": 0.1}),  # torch's equals ours up to T_max
    ("cosine_periodic", {"T_max": 8, "eta_min": 0.1}),  # down, up and down again
)
"""The lr schedules (ours), each run with every case on `SCHEDULED_SURFACES`."""

SCHEDULED_SURFACES = ("rosenbrock", "kink")
"""Where the scheduled runs go; every surface also runs without a schedule."""

CONSTANT: tuple[str, Mapping[str, Any]] = ("constant", {})


@dataclass(frozen=True)
class Spec:
    """One golden: an optimizer case on a surface under a schedule, from several starts."""

    name: str
    case: int
    surface: str
    schedule: tuple[str, Mapping[str, Any]]
    steps: int

    @property
    def hparams(self) -> Mapping[str, Any]:
        """Our hyperparameters of this case (JSON-able, from the table)."""
        reference = TABLE[self.name].reference
        assert reference is not None
        return reference.cases[self.case]

    @property
    def starts(self) -> tuple[tuple[float, float], ...]:
        return STARTS[self.surface]

    @property
    def key(self) -> str:
        """A readable, unique id (also the test id)."""
        return f"{self.name}-{self.case}-{self.surface}-{self.schedule[0]}"


def specs() -> Iterator[Spec]:
    """Every golden, in table order."""
    for name, row in TABLE.items():
        ref = row.reference
        if ref is None:
            continue
        for case in range(len(ref.cases)):
            for surface in STARTS:
                yield Spec(name, case, surface, CONSTANT, ref.steps)
            if ref.schedules:
                for schedule in SCHEDULES:
                    for surface in SCHEDULED_SURFACES:
                        yield Spec(name, case, surface, schedule, ref.steps)


def _torch_scheduler(opt: Any, kind: str, kw: Mapping[str, Any], steps: int) -> Any:
    """torch's LR scheduler for our schedule ``kind`` (our ``eta_min`` is a fraction of lr)."""
    from torch.optim import lr_scheduler

    lr = opt.param_groups[0]["lr"]
    if kind == "constant":
        return None
    if kind == "step":
        return lr_scheduler.StepLR(opt, step_size=kw["step_size"], gamma=kw["gamma"])
    if kind == "exponential":
        return lr_scheduler.ExponentialLR(opt, gamma=kw["gamma"])
    if kind == "inverse_time":
        decay = kw["decay"]
        return lr_scheduler.LambdaLR(opt, lambda t: 1.0 / (1.0 + decay * t))
    if kind in ("cosine", "cosine_periodic"):
        # Ours holds at eta_min after T_max; torch's climbs back: equal while t <= T_max.
        assert kind == "cosine_periodic" or steps <= kw["T_max"], "cosine is torch's to T_max"
        return lr_scheduler.CosineAnnealingLR(opt, T_max=kw["T_max"], eta_min=kw["eta_min"] * lr)
    raise ValueError(f"no torch scheduler for schedule {kind!r}")


def reference_path(
    name: str,
    case: Mapping[str, Any],
    surface: str,
    start: Sequence[float],
    steps: int,
    schedule: tuple[str, Mapping[str, Any]] = CONSTANT,
) -> np.ndarray:
    """The path of ``name``'s reference (its `Reference` in the table) with our
    hyperparameters ``case`` on ``surface`` from ``start``: shape ``(steps + 1, 2)``, float64,
    as the reference computes it (non-finite values and all; the comparison applies our
    divergence rule)."""
    import torch

    reference = TABLE[name].reference
    if reference is None:
        raise ValueError(f"optimizer {name!r} has no reference in the table")
    s = SURFACES[surface]
    hparams = dict(make(name, **make_kwargs(name, case, surface)).hparams)
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # torch keeps step and NAdam's mu_product in it
    try:
        p = torch.tensor(start, dtype=torch.float64, requires_grad=True)
        opt = reference.build([p], hparams)
        if reference.prepare is not None:
            reference.prepare(opt)
        scheduler = _torch_scheduler(opt, *schedule, steps)

        def closure() -> Any:
            x = p.detach().numpy().copy()
            p.grad = torch.from_numpy(np.asarray(s.grad(x), dtype=np.float64))
            return torch.tensor(float(s.value(x)))

        path = [p.detach().numpy().copy()]
        with np.errstate(all="ignore"):
            for _ in range(steps):
                opt.step(closure)
                if scheduler is not None:
                    scheduler.step()
                path.append(p.detach().numpy().copy())
    finally:
        torch.set_default_dtype(old)
    return np.array(path)


def golden_paths(spec: Spec) -> np.ndarray:
    """The reference's paths of one golden, shape ``(n_starts, steps + 1, 2)``."""
    return np.stack(
        [
            reference_path(spec.name, spec.hparams, spec.surface, start, spec.steps, spec.schedule)
            for start in spec.starts
        ]
    )


def reference_divergence(path: np.ndarray) -> int:
    """Our run loop's divergence rule on a reference path ``(steps + 1, 2)``: the first step
    with a non-finite coordinate or one beyond `optimizers.run.DIVERGENCE_BOUND`; ``-1`` if
    none (`optimizers.run` then freezes the run, the reference goes on)."""
    outside = ~np.all(np.abs(path) <= DIVERGENCE_BOUND, axis=-1)  # NaN is outside
    return int(np.argmax(outside)) if outside.any() else -1


def generate() -> tuple[list[dict[str, Any]], list[np.ndarray]]:
    """Every golden: its metadata (JSON-able) and its paths ``(n_starts, steps + 1, 2)``."""
    meta, paths = [], []
    for spec in specs():
        meta.append(
            {
                "key": spec.key,
                "name": spec.name,
                "case": spec.case,
                "hparams": dict(spec.hparams),
                "surface": spec.surface,
                "schedule": [spec.schedule[0], dict(spec.schedule[1])],
                "steps": spec.steps,
                "starts": [list(s) for s in spec.starts],
            }
        )
        paths.append(golden_paths(spec))
    return meta, paths


def save(meta: list[dict[str, Any]], paths: list[np.ndarray], path: Path = FIXTURE) -> None:
    import torch

    header = {"torch": torch.__version__, "numpy": np.__version__, "goldens": meta}
    path.parent.mkdir(parents=True, exist_ok=True)
    arrays = {f"p{i:04d}": a for i, a in enumerate(paths)}
    np.savez_compressed(path, meta=np.array(json.dumps(header)), **arrays)


def load(path: Path = FIXTURE) -> tuple[dict[str, Any], list[np.ndarray]]:
    """The committed fixture: its header (versions, ``goldens`` metadata) and paths."""
    with np.load(path, allow_pickle=False) as data:
        header = json.loads(str(data["meta"]))
        paths = [data[f"p{i:04d}"] for i in range(len(header["goldens"]))]
    return header, paths


def main() -> None:
    meta, paths = generate()
    save(meta, paths)
    print(
        f"wrote {len(meta)} goldens ({sum(p.shape[0] for p in paths)} paths) to "
        f"{FIXTURE.relative_to(ROOT)}: {FIXTURE.stat().st_size / 1e3:.0f} kB"
    )


if __name__ == "__main__":
    main()
