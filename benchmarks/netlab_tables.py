"""Every table of docs/netlab_results.md, computed from ``netlab/`` and printed as markdown.

    python benchmarks/netlab_tables.py                 # every table (about 5 min on 1 core)
    python benchmarks/netlab_tables.py --only grid     # one or more sections, comma-separated
    python benchmarks/netlab_tables.py --appendix      # + the learning-rate sweep (long)

Sections, in the document's order: ``references`` (the reference shapes), ``clusters`` (2-3-1
ReLU from 256 seeds, 10,000 Adam steps), ``grid`` (the comparison: 64 paired seeds, 2000
steps, tuned learning rates), ``same-lr-adam`` and ``same-lr-sgd`` (learning rate held fixed),
``stuck`` (what stuck ReLU runs look like), ``claims`` (`netlab.evaluate_claims` on the grid,
and where its verdicts differ at 5000 steps), ``steps-5000`` (the grid at 5000 steps against
2000), and with ``--appendix`` the learning-rate sweep on the tuning seeds 0-63. The numbers
are deterministic (same seeds, same data); only the grid's "wall s" column is a timing. The
output is kept in ``docs/bench/netlab_tables.txt`` (``benchmarks/_record.py``).
"""

from __future__ import annotations

import argparse
import functools
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import netlab  # noqa: E402
from benchmarks._record import recorded  # noqa: E402
from netlab import Comparison, ComparisonRow, Dataset, GridConfig, References  # noqa: E402

POINTS = 128
STEPS = 2000
LONG_STEPS = 5000
RUNS = 64
CLUSTER_SEEDS = range(256)
CLUSTER_STEPS = 10_000
CLUSTER_LR = 0.01
SAME_LR_ADAM = (0.01, 0.03, 0.1)
SAME_LR_ADAM_ACTIVATIONS = ("relu", "leaky_relu", "elu", "selu", "softplus", "tanh", "sigmoid")
SAME_LR_SGD = 0.3
PARALLEL_DEGREES = 8.0
"""Two live units whose weight vectors are within this angle "point the same way" (their
lines are near-parallel), whatever their offsets: the stuck-run breakdown counts them."""
SWEEP_LR: dict[tuple[str, str], tuple[float, ...]] = {
    ("relu", "sgd"): (0.03, 0.1, 0.3, 1.0),
    ("relu", "adam"): (0.001, 0.003, 0.01, 0.03, 0.1),
    ("leaky_relu", "sgd"): (0.03, 0.1, 0.3, 1.0),
    ("leaky_relu", "adam"): (0.001, 0.003, 0.01, 0.03, 0.1),
    ("elu", "sgd"): (0.03, 0.1, 0.3, 0.6, 1.0),
    ("elu", "adam"): (0.003, 0.01, 0.03, 0.1),
    ("softplus", "sgd"): (0.1, 0.3, 0.6),
    ("softplus", "adam"): (0.003, 0.01, 0.03, 0.1),
    ("sigmoid", "sgd"): (0.3, 1.0, 3.0),
    ("sigmoid", "adam"): (0.03, 0.1, 0.3),
    ("tanh", "sgd"): (0.3, 1.0, 3.0),
    ("tanh", "adam"): (0.03, 0.1, 0.3),
}
"""The learning rates the appendix tried per (activation, optimizer)."""


class Lab(NamedTuple):
    """The data every table shares, its reference losses, and the grid's settings."""

    data: Dataset
    ref: References

    @property
    def stuck_level(self) -> float:
        """Half the valley's MSE: at or above it a run is "in the valley or worse"."""
        return self.ref.valley / 2

    def compare(
        self, configs: Sequence[GridConfig], steps: int = STEPS, seeds: Sequence[int] | None = None
    ) -> Comparison:
        return netlab.run_comparison(
            self.data,
            netlab.grid_seeds(RUNS) if seeds is None else seeds,
            steps=steps,
            threshold=self.ref.threshold,
            stuck_level=self.stuck_level,
            configs=configs,
        )


def make_lab() -> Lab:
    data = netlab.make_data(np.random.default_rng(0), POINTS)
    return Lab(data, netlab.references(data))


def table(head: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A markdown table."""
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def median_steps(row: ComparisonRow) -> str:
    steps = row.steps_to_threshold[row.success]
    return f"{np.median(steps):.0f}" if steps.size else "-"


def versus(row: ComparisonRow, base: ComparisonRow) -> str:
    """Seeds where only ``row`` / only ``base`` succeeds, with the exact McNemar p."""
    p = netlab.paired(row, base)
    return f"{p.only_a}/{p.only_b}, p={p.p_value:.2g}"


def steps_versus(row: ComparisonRow, base: ComparisonRow) -> str:
    """Median ratio of steps to the threshold on the seeds where both succeed, the counts of
    seeds where ``row`` is faster / slower, and a sign test."""
    both = row.success & base.success
    if not both.any():
        return "no common success"
    a, b = row.steps_to_threshold[both], base.steps_to_threshold[both]
    faster, slower = int(np.sum(a < b)), int(np.sum(a > b))
    ratio = statistics.median((a / b).tolist())
    return (
        f"{ratio:.2f} over {int(both.sum())} ({faster}/{slower}, "
        f"p={netlab.sign_test(faster, slower):.2g})"
    )


# -- the sections ---------------------------------------------------------------------------


def references_table(lab: Lab) -> str:
    ref = lab.ref
    rows = [
        ("constant (every unit dead) = var(y)", ref.constant),
        ("ramp (1 unit)", ref.ramp),
        ("valley (2 opposite units)", ref.valley),
        ("hexagonal pyramid (3 units)", ref.pyramid),
    ]
    return table(
        ("reference shape (on this data)", "MSE", "× pyramid"),
        [(name, f"{v:.2e}", f"{v / ref.pyramid:.0f}") for name, v in rows],
    ) + (
        f"\n\nSuccess threshold = {netlab.PYRAMID_FACTOR:g} × pyramid = {ref.threshold:.3g}; "
        f"escaping the valley = final MSE < valley / 2 = {lab.stuck_level:.3g}."
    )


class Cluster(NamedTuple):
    name: str
    member: Callable[[npt.NDArray[np.float64], References], npt.NDArray[np.bool_]]


CLUSTERS = (
    Cluster("hexagonal pyramid", lambda f, r: f <= r.threshold),
    Cluster(
        '"wedge with a cut": all 3 units alive, one line cuts a corner off a 2-unit wedge',
        lambda f, r: (f > r.threshold) & (f < r.valley / 2),
    ),
    Cluster("valley", lambda f, r: (f >= r.valley / 2) & (f < (r.valley + r.ramp) / 2)),
    Cluster("a ramp, or every unit dead", lambda f, r: f >= (r.valley + r.ramp) / 2),
)
"""Where long ReLU runs end, split at the gaps between the clusters of final losses: the
success threshold, half the valley's MSE, and halfway between the valley's and the ramp's."""


def clusters_table(lab: Lab) -> str:
    res = netlab.train_config(
        lab.data,
        CLUSTER_SEEDS,
        "relu",
        3,
        "adam",
        {"lr": CLUSTER_LR},
        steps=CLUSTER_STEPS,
        threshold=lab.ref.threshold,
        record_every=CLUSTER_STEPS,
    )
    final, pyr, n = res.final_loss, lab.ref.pyramid, len(CLUSTER_SEEDS)
    rows = []
    for cluster in CLUSTERS:
        f = final[cluster.member(final, lab.ref)]
        span = (
            (f"{f.min():.1e} - {f.max():.1e}", f"{f.min() / pyr:.3g} - {f.max() / pyr:.3g}")
            if f.size
            else ("-", "-")
        )
        rows.append((cluster.name, f"{f.size} ({f.size / n:.0%})", *span))
    best = float(final.min())
    return (
        f"2-3-1 ReLU, seeds {CLUSTER_SEEDS.start}-{CLUSTER_SEEDS.stop - 1}, "
        f"{CLUSTER_STEPS} Adam steps (lr {CLUSTER_LR:g})\n\n"
        + table(("cluster", "runs", "final MSE", "× pyramid"), rows)
        + f"\n\nBest run: {best:.3g} ({1 - best / pyr:.0%} below the symmetric pyramid fit "
        f"{pyr:.3g})."
    )


def grid_table(cmp: Comparison) -> str:
    head = (
        "activation",
        "H",
        "optimizer",
        "lr",
        "reach threshold",
        "95% CI",
        "valley or worse",
        "median final MSE",
        "median steps to threshold",
        "mean dead",
        "mean merged",
        "wall s",
    )
    rows = []
    for r in cmp.rows:
        lo, hi = netlab.wilson_interval(r.successes, r.runs)
        rows.append(
            (
                r.activation,
                r.hidden,
                r.optimizer,
                dict(r.hparams)["lr"],
                f"{r.successes}/{r.runs}",
                f"{lo:.2f}-{hi:.2f}",
                f"{np.mean(r.final_loss >= cmp.stuck_level):.0%}",
                f"{np.median(r.final_loss):.2e}",
                median_steps(r),
                f"{r.dead_units.mean():.2f}",
                f"{r.merged_units.mean():.2f}",
                f"{r.seconds:.1f}",
            )
        )
    return table(head, rows)


def same_lr_rows(
    cmp: Comparison, key: Callable[[ComparisonRow], tuple[object, ...]]
) -> list[tuple[object, ...]]:
    """One row per configuration, compared with the ReLU row of the same ``key``."""
    bases = {key(r): r for r in cmp.rows if r.activation == "relu"}
    rows = []
    for r in cmp.rows:
        base = bases[key(r)]
        is_base = r is base
        escaped = int(np.sum(r.final_loss < cmp.stuck_level))
        rows.append(
            (
                *key(r),
                r.activation,
                f"{r.successes}/{r.runs}",
                "-" if is_base else versus(r, base),
                f"{escaped}/{r.runs}",
                median_steps(r),
                "-" if is_base else steps_versus(r, base),
            )
        )
    return rows


SAME_LR_TAIL = (
    "activation",
    "reach threshold",
    "vs relu",
    "escape valley",
    "median steps",
    "steps vs relu",
)


def same_lr_adam_table(lab: Lab) -> str:
    configs = [
        GridConfig(a, 3, "adam", (("lr", lr),))
        for lr in SAME_LR_ADAM
        for a in SAME_LR_ADAM_ACTIVATIONS
    ]
    cmp = lab.compare(configs)
    rows = same_lr_rows(cmp, lambda r: (dict(r.hparams)["lr"],))
    return table(("Adam lr", *SAME_LR_TAIL), rows)


def same_lr_sgd_table(lab: Lab) -> str:
    configs = [
        GridConfig(a, h, "sgd", (("lr", SAME_LR_SGD),))
        for h in netlab.GRID_HIDDEN
        for a in netlab.GRID_ACTIVATIONS
    ]
    cmp = lab.compare(configs)
    return f"SGD at lr {SAME_LR_SGD:g}\n\n" + table(
        ("H", *SAME_LR_TAIL), same_lr_rows(cmp, lambda r: (r.hidden,))
    )


def near_parallel(
    params: npt.NDArray[np.float64], live: npt.NDArray[np.bool_]
) -> npt.NDArray[np.bool_]:
    """Per run: two live units whose weight vectors are within `PARALLEL_DEGREES`."""
    W1, _, _, _ = netlab.unpack(params)
    u = W1 / np.maximum(np.linalg.norm(W1, axis=-1, keepdims=True), 1e-300)
    cos = u @ np.swapaxes(u, -1, -2)
    H = cos.shape[-1]
    pair = (cos > np.cos(np.radians(PARALLEL_DEGREES))) & ~np.eye(H, dtype=bool)
    pair &= live[..., :, None] & live[..., None, :]
    return pair.any(axis=(-1, -2))


def stuck_breakdown(lab: Lab) -> str:
    """What the 2-3-1 ReLU runs of the grid (both optimizers) look like at the end."""
    results = [
        netlab.train_config(
            lab.data,
            netlab.grid_seeds(RUNS),
            "relu",
            3,
            opt,
            {"lr": netlab.GRID_LR[("relu", opt)]},
            steps=STEPS,
            threshold=lab.ref.threshold,
            record_every=STEPS,
        )
        for opt in netlab.GRID_OPTIMIZERS
    ]
    final = np.concatenate([r.final_loss for r in results])
    dead = np.concatenate([r.dead for r in results])
    merged = np.concatenate([r.merged for r in results])
    params = np.concatenate([r.params for r in results])
    ok = final <= lab.ref.threshold
    clean = ~dead.any(-1) & ~merged.any(-1)
    miss = ~ok
    broken = miss & ~clean
    between = miss & clean & (final < lab.stuck_level)
    valley = miss & clean & (final >= lab.stuck_level)
    parallel = valley & near_parallel(params, ~dead)
    rng = f"{final[between].min():.1e} - {final[between].max():.1e}" if between.any() else "-"
    runs = final.size
    return "\n".join(
        [
            f"2-3-1 ReLU, {' and '.join(netlab.GRID_OPTIMIZERS)} at the grid's lrs, "
            f"{runs} runs, {STEPS} steps",
            f"- runs that succeed with 3 live, distinct units: {int((ok & clean).sum())}/"
            f"{int(ok.sum())}",
            f"- runs that miss the threshold: {int(miss.sum())}; with a dead or merged unit: "
            f"{int(broken.sum())} ({broken.sum() / max(1, miss.sum()):.0%}); with a dead unit: "
            f"{int((miss & dead.any(-1)).sum())}",
            f"- misses with no dead and no merged unit: {int((miss & clean).sum())}",
            f"  - between the threshold and the valley, all 3 alive: {int(between.sum())} "
            f"(final MSE {rng})",
            f"  - in the valley, all alive: {int(valley.sum())}; of them with two units' weight "
            f"vectors within {PARALLEL_DEGREES:g} degrees: {int(parallel.sum())}",
        ]
    )


def steps_5000_table(short: Comparison, long: Comparison) -> str:
    rows = []
    for a, b in zip(short.rows, long.rows, strict=True):
        label = f"{a.activation} H={a.hidden} {a.optimizer} (lr {dict(a.hparams)['lr']:g})"
        rows.append(
            (
                label,
                f"{a.successes}/{a.runs}",
                f"{b.successes}/{b.runs}",
                f"{np.mean(a.final_loss >= short.stuck_level):.0%}",
                f"{np.mean(b.final_loss >= long.stuck_level):.0%}",
                f"{np.median(a.final_loss):.2e}",
                f"{np.median(b.final_loss):.2e}",
            )
        )
    head = (
        "configuration",
        f"reach threshold, {STEPS} steps",
        f"{LONG_STEPS} steps",
        f"valley or worse, {STEPS}",
        f"{LONG_STEPS}",
        f"median final MSE, {STEPS}",
        f"{LONG_STEPS}",
    )
    return table(head, rows)


def lr_sweep_table(lab: Lab) -> str:
    """The appendix: successes at H = 3 and H = 8 for each lr tried, on seeds 0-63."""
    rows = []
    for (act, opt), lrs in SWEEP_LR.items():
        cmp = lab.compare(
            [GridConfig(act, h, opt, (("lr", lr),)) for lr in lrs for h in netlab.GRID_HIDDEN],
            seeds=range(RUNS),
        )
        cells = [
            f"{lr:g}: {cmp.rows[2 * i].successes} + {cmp.rows[2 * i + 1].successes}"
            for i, lr in enumerate(lrs)
        ]
        rows.append((act, opt, "; ".join(cells), f"{netlab.GRID_LR[(act, opt)]:g}"))
    return table(
        ("activation", "optimizer", "lr: successes at H = 3 + at H = 8 (of 64 each)", "chosen"),
        rows,
    )


SECTIONS = (
    "references",
    "clusters",
    "grid",
    "same-lr-adam",
    "same-lr-sgd",
    "stuck",
    "claims",
    "steps-5000",
)


class Grids:
    """The comparison grid at 2000 and at 5000 steps, each computed once, when first used."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab

    @functools.cached_property
    def short(self) -> Comparison:
        return self.lab.compare(netlab.make_grid())

    @functools.cached_property
    def long(self) -> Comparison:
        return self.lab.compare(netlab.make_grid(), steps=LONG_STEPS)


def claims_text(grids: Grids) -> str:
    """`netlab.evaluate_claims` on the grid (as the page shows it), and its verdicts at 5000
    steps."""
    lines = []
    long = {c.claim: c.verdict for c in netlab.evaluate_claims(grids.long)}
    for c in netlab.evaluate_claims(grids.short):
        at_long = long.get(c.claim, "-")
        change = "" if at_long == c.verdict else f" (at {LONG_STEPS} steps: {at_long})"
        lines.append(f"- {c.source}: {c.claim} -> **{c.verdict}**{change}\n  {c.measurement}")
    return "\n".join(lines)


def section_text(section: str, lab: Lab, grids: Grids) -> str:
    """The printed body of one section."""
    return {
        "references": lambda: references_table(lab),
        "clusters": lambda: clusters_table(lab),
        "grid": lambda: grid_table(grids.short),
        "same-lr-adam": lambda: same_lr_adam_table(lab),
        "same-lr-sgd": lambda: same_lr_sgd_table(lab),
        "stuck": lambda: stuck_breakdown(lab),
        "steps-5000": lambda: steps_5000_table(grids.short, grids.long),
        "claims": lambda: claims_text(grids),
    }[section]()


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--only",
        default=",".join(SECTIONS),
        help=f"comma-separated sections of: {', '.join(SECTIONS)}",
    )
    parser.add_argument("--appendix", action="store_true", help="also the lr sweep (long)")
    args = parser.parse_args(argv)
    chosen = args.only.split(",")
    unknown = set(chosen) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; valid: {', '.join(SECTIONS)}")
    lab = make_lab()
    print(
        f"Data: make_data(default_rng(0), {POINTS}); var(y) = {lab.ref.constant:.4f}; "
        f"grid seeds {netlab.GRID_SEED_START}-{netlab.GRID_SEED_START + RUNS - 1}\n"
    )
    grids = Grids(lab)
    for section in (s for s in SECTIONS if s in chosen):
        print(f"## {section}\n\n{section_text(section, lab, grids)}\n", flush=True)
    if args.appendix:
        print("## appendix: lr sweep (seeds 0-63)\n")
        print(lr_sweep_table(lab) + "\n")


if __name__ == "__main__":
    name = "netlab_tables"
    if "--only" in " ".join(sys.argv):
        name += "_partial"
    with recorded(name):
        main()
