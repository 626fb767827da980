"""The source documents' claims, each checked against a `Comparison` by paired statistics.

A claim is *supported* when the measurement agrees at the 5 % level (exact McNemar or sign
test over the same seeds), *contradicted* when it significantly disagrees, and *not
supported* when the difference it predicts does not show up. Two outcomes are tested per run:
reaching the success threshold, and *escaping the valley* (final loss below the comparison's
``stuck_level``). The verdicts are computed from the numbers, so they change when the grid
(seeds, steps, learning rates) changes.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

from netlab._compare import Comparison, ComparisonRow, paired_outcomes, sign_test

ALPHA = 0.05
SMOOTH = ("elu", "selu", "softplus", "tanh", "sigmoid")

Outcome = Callable[[ComparisonRow], npt.NDArray[np.bool_]]


class Claim(NamedTuple):
    """One claim of the documents and what the grid measured."""

    source: str
    claim: str
    measurement: str
    verdict: str


def _rows(cmp: Comparison, **where: object) -> list[ComparisonRow]:
    return [r for r in cmp.rows if all(getattr(r, key) == value for key, value in where.items())]


def _find(cmp: Comparison, activation: str, hidden: int, optimizer: str) -> ComparisonRow | None:
    rows = _rows(cmp, activation=activation, hidden=hidden, optimizer=optimizer)
    return rows[0] if rows else None


def _success(row: ComparisonRow) -> npt.NDArray[np.bool_]:
    return row.success


def _escaped(cmp: Comparison) -> Outcome:
    return lambda row: row.final_loss < cmp.stuck_level


def _versus(a: ComparisonRow, b: ComparisonRow, outcome: Outcome) -> tuple[str, int]:
    """Describe ``a`` vs ``b`` seed by seed; the sign is +1 if ``a`` is significantly better."""
    oa, ob = outcome(a), outcome(b)
    p = paired_outcomes(oa, ob)
    text = (
        f"{a.label} {int(oa.sum())}/{a.runs} vs {b.label} {int(ob.sum())}/{b.runs} "
        f"(only first {p.only_a}, only second {p.only_b}, p={p.p_value:.2g})"
    )
    sign = 0 if p.p_value >= ALPHA else (1 if p.only_a > p.only_b else -1)
    return text, sign


def _pairs(
    cmp: Comparison,
    other: Callable[[ComparisonRow], tuple[str, int, str] | None],
    rows: Sequence[ComparisonRow],
) -> list[tuple[ComparisonRow, ComparisonRow]]:
    out = []
    for r in rows:
        key = other(r)
        match = _find(cmp, *key) if key else None
        if match is not None:
            out.append((r, match))
    return out


def _improvement(signs: Sequence[int]) -> str:
    """Verdict on "A is better than B" from the signs of several paired comparisons."""
    better, worse, n = signs.count(1), signs.count(-1), len(signs)
    if better == n:
        return "supported"
    if better and not worse:
        return f"partly supported ({better} of {n} significant)"
    if worse and not better:
        return f"contradicted ({worse} of {n} significantly worse)"
    if better and worse:
        return f"mixed ({better} better, {worse} worse of {n})"
    return "not supported (no significant difference)"


def _no_improvement(signs: Sequence[int]) -> str:
    """Verdict on "A did NOT work better than B"."""
    better = signs.count(1)
    if better == 0:
        return "supported (no significant improvement)"
    return f"contradicted ({better} of {len(signs)} significantly better)"


def _no_difference(signs: Sequence[int]) -> str:
    """Verdict on "A and B make no big difference" (either direction contradicts)."""
    differ = sum(1 for s in signs if s != 0)
    if differ == 0:
        return "supported (no significant difference)"
    return f"contradicted ({differ} of {len(signs)} differ significantly)"


def _compare_claim(
    cmp: Comparison,
    pairs: list[tuple[ComparisonRow, ComparisonRow]],
    verdict: Callable[[Sequence[int]], str],
    source: str,
    claim: str,
) -> Claim | None:
    """A claim tested on both outcomes: reaching the threshold and escaping the valley."""
    if not pairs:
        return None
    texts, verdicts = [], []
    outcomes: list[tuple[str, Outcome]] = [("threshold", _success)]
    if np.isfinite(cmp.stuck_level):
        outcomes.append(("escape the valley", _escaped(cmp)))
    for name, outcome in outcomes:
        parts, signs = zip(*(_versus(a, b, outcome) for a, b in pairs), strict=True)
        texts.append(f"[{name}] " + "; ".join(parts))
        verdicts.append(f"{name}: {verdict(list(signs))}")
    return Claim(source, claim, " ".join(texts), "; ".join(verdicts))


def _stuck_claim(cmp: Comparison) -> Claim | None:
    rows = _rows(cmp, activation="relu", hidden=3)
    if not rows:
        return None
    level = cmp.stuck_level
    parts, stuck = [], []
    for r in rows:
        valley = int(np.sum(r.final_loss >= level))
        text = f"{r.label}: {r.runs - r.successes}/{r.runs} miss the threshold"
        if np.isfinite(level):
            text += f", {valley}/{r.runs} end in the valley or worse"
        parts.append(text)
        stuck.append((valley if np.isfinite(level) else r.runs - r.successes) > r.runs / 2)
    return Claim(
        "001 question",
        "A 2-3-1 ReLU network usually gets stuck in a local minimum (the 'valley').",
        "; ".join(parts),
        "supported" if all(stuck) else ("partly supported" if any(stuck) else "contradicted"),
    )


def _dead_claim(cmp: Comparison) -> Claim | None:
    rows = _rows(cmp, activation="relu", hidden=3)
    if not rows:
        return None
    succ = np.concatenate([r.success for r in rows])
    flawed = np.concatenate([(r.dead_units + r.merged_units) > 0 for r in rows])
    dead = np.concatenate([r.dead_units > 0 for r in rows])
    stuck = ~succ
    n_stuck = int(stuck.sum())
    if n_stuck == 0:
        return None
    share = float(flawed[stuck].mean())
    text = (
        f"relu H=3, all optimizers: {int(flawed[stuck].sum())}/{n_stuck} runs that miss the "
        f"threshold ({share:.0%}) have a dead or merged unit ({int(dead[stuck].sum())} a dead "
        f"one); runs that succeed: {int(flawed[succ].sum())}/{int(succ.sum())}"
    )
    verdict = (
        "supported" if share >= 0.9 else ("partly supported" if share >= 0.5 else "not supported")
    )
    return Claim(
        "001 answer",
        "Stuck runs have a dead unit, or two units merged onto the same weights.",
        text,
        verdict,
    )


def _speed_claim(cmp: Comparison) -> Claim | None:
    texts, faster, slower = [], 0, 0
    for r in cmp.rows:
        base = _find(cmp, "relu", r.hidden, r.optimizer) if r.activation in SMOOTH else None
        if base is None:
            continue
        both = r.success & base.success
        if not both.any():
            texts.append(f"{r.label}: no seed reaches the threshold with both")
            continue
        s_smooth, s_relu = r.steps_to_threshold[both], base.steps_to_threshold[both]
        wins, losses = int(np.sum(s_smooth < s_relu)), int(np.sum(s_smooth > s_relu))
        p = sign_test(wins, losses)
        ratio = float(np.median(s_smooth / np.maximum(s_relu, 1)))
        texts.append(
            f"{r.label} vs {base.label}: median step ratio {ratio:.2f} over {int(both.sum())} "
            f"seeds (faster on {wins}, slower on {losses}, sign test p={p:.2g})"
        )
        if p < ALPHA:
            faster += wins > losses
            slower += wins < losses
    if not texts:
        return None
    if faster and not slower:
        verdict = "supported"
    elif slower and not faster:
        verdict = "contradicted"
    elif faster and slower:
        verdict = f"mixed (faster in {faster}, slower in {slower} configurations)"
    else:
        verdict = "not supported (no significant difference)"
    return Claim(
        "002 book (quoted)",
        "A smooth activation such as ELU speeds up gradient descent.",
        "Steps to the threshold, on the seeds where both succeed: " + "; ".join(texts),
        verdict,
    )


def evaluate_claims(cmp: Comparison) -> tuple[Claim, ...]:
    """Check every claim the grid has the rows for.

    Parameters
    ----------
    cmp : Comparison
        A paired grid from `run_comparison` (relu must be one of its activations and H = 3
        one of its sizes for most claims).

    Returns
    -------
    tuple of Claim
        In the order of the documents; claims without the rows they need are left out.
    """
    h3 = [r for r in cmp.rows if r.hidden == 3]
    vs_relu = lambda r: ("relu", r.hidden, r.optimizer)  # noqa: E731
    names = list(dict.fromkeys(r.optimizer for r in cmp.rows))
    candidates = (
        _stuck_claim(cmp),
        _dead_claim(cmp),
        _compare_claim(
            cmp,
            _pairs(
                cmp,
                lambda r: (r.activation, 3, r.optimizer),
                [r for r in cmp.rows if r.hidden != 3],
            ),
            _improvement,
            "001 answer",
            "More hidden units help.",
        ),
        _compare_claim(
            cmp,
            _pairs(cmp, vs_relu, [r for r in h3 if r.activation in SMOOTH]),
            _improvement,
            "001 answer",
            "A smooth or unbounded activation (sigmoid-like, exponential) helps.",
        ),
        _compare_claim(
            cmp,
            _pairs(cmp, vs_relu, [r for r in h3 if r.activation in ("elu", "selu")]),
            _no_improvement,
            "001 question",
            "ELU / SELU did not work better.",
        ),
        _compare_claim(
            cmp,
            _pairs(cmp, vs_relu, [r for r in h3 if r.activation == "leaky_relu"]),
            _no_difference,
            "001 question/comments",
            "ReLU variants (leaky ReLU) make no big difference.",
        ),
        _compare_claim(
            cmp,
            _pairs(
                cmp,
                lambda r: (r.activation, r.hidden, names[1]),
                _rows(cmp, activation="relu", optimizer=names[0]),
            )
            if len(names) > 1
            else [],
            _no_difference,
            "001 question",
            "With ReLU, the choice of optimizer makes no big difference.",
        ),
        _speed_claim(cmp),
    )
    return tuple(c for c in candidates if c is not None)
