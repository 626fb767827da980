"""Lecture presets: one click loads a named teaching scene. Each preset is a URL query.

The captions say what to look at. Every sentence of a caption that states an outcome (who
ends lower, who diverges and when, who reaches the minimum and by which step) is also a
`Claim` of its preset, and tests/test_presets.py races the preset's scene and checks each
one, so a caption cannot drift from the picture it sits on.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from urllib.parse import parse_qs

from scene.scene import Scene
from scene.urlstate import scene_from_query


@dataclass(frozen=True)
class Claim:
    """One checkable sentence about a race, on the numbers the page shows.

    ``kind`` is one of:

    - ``"ends_below"``: ``optimizer``'s final loss is below ``other``'s (a diverged run
      ends at +inf);
    - ``"mostly_below"``: ``optimizer``'s loss is below ``other``'s at a fraction of at
      least ``lo`` of the steps;
    - ``"reaches"``: ``optimizer`` first gets within the results table's tolerance of the
      minimum's loss at a step in ``[lo, hi]``;
    - ``"misses"``: it never gets within that tolerance;
    - ``"diverges"``: it diverges at a step in ``[lo, hi]``;
    - ``"stable"``: it never diverges;
    - ``"settles"``: its mean loss over steps 25-75 is between ``lo`` and ``hi`` times its
      mean over the last 50 steps (``lo`` > 1: the jitter of noisy gradients fades; ``hi``
      small: it does not);
    - ``"final_in"``: its final loss is in ``[lo, hi]`` (a diverged run's is +inf);
    - ``"diagonal"``: every step moves both coordinates by the same amount (a sign step);
    - ``"overshoots"``: it ends on the far side of the minimum it approached, in every
      coordinate (it ran past it).

    ``variant`` is a query that overrides the preset's (``"lr=0.06"``): a claim about what
    the caption says happens after one change.
    """

    kind: str
    optimizer: str
    other: str = ""
    lo: float = 0.0
    hi: float = float("inf")
    variant: str = ""


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    caption: str
    query: str
    claims: tuple[Claim, ...] = field(default=())

    def scene(self) -> Scene:
        scene, warnings = scene_from_query(parse_qs(self.query))
        if warnings:  # a preset is our own text: a warning here is a bug, not user input
            raise ValueError(f"preset {self.name!r}: {warnings}")
        return scene


# The three annealing presets: one noisy bowl, SGD and Momentum under the schedule beside
# SGD #2 at the constant lr (a baseline), and the same claims but for how much lower the
# decayed runs' late loss is.
_NOISY_BOWL = "s=bowl&opt=sgd,momentum,sgd~2&lr=0.3&n=300&noise=1&hp=sgd~2.decay=0"


def _annealing_claims(lower: float) -> tuple[Claim, ...]:
    return (
        Claim("settles", "sgd~2", hi=3),
        Claim("settles", "sgd", lo=lower),
        Claim("settles", "momentum", lo=lower),
        Claim("ends_below", "sgd", "sgd~2"),
    )


_PRESETS = (
    Preset(
        "momentum_ravine", "Momentum in a ravine",
        "A ravine 25 times steeper across than along. With lr = 0.02, SGD's steps along the "
        "flat floor are tiny: after 150 steps it is still short of the minimum (its loss "
        "never gets within 10⁻³). Momentum accumulates those steps into speed, overshoots "
        "and swings back, and gets there by step ~60; Nesterov's look-ahead damps the swing "
        "and gets there first. Raise lr to 0.06: Nesterov diverges.",
        "s=ravine&opt=sgd,momentum,nesterov&lr=0.02&n=150",
        claims=(
            Claim("misses", "sgd"),
            Claim("reaches", "momentum", lo=40, hi=90),
            Claim("reaches", "nesterov", hi=39),
            Claim("diverges", "nesterov", variant="lr=0.06"),
        ),
    ),
    Preset(
        "saddle", "Escaping a saddle point",
        "Started almost exactly on the saddle's stable direction, SGD first slides into the "
        "saddle and lingers where the gradient vanishes; momentum and the adaptive methods "
        "(RMSprop and Adam rescale the tiny escape direction) leave much sooner.",
        "s=saddle_escape&opt=sgd,momentum,rmsprop,adam&lr=0.05&n=200",
        claims=(
            Claim("reaches", "sgd", lo=120),
            Claim("reaches", "momentum", hi=80),
            Claim("reaches", "rmsprop", hi=80),
            Claim("reaches", "adam", hi=80),
        ),
    ),
    Preset(
        "lr_too_large", "The learning rate is too large",
        "lr = 0.09 is above 2/L = 0.08 for this ravine: every SGD step overshoots further "
        "and it diverges. Heavy-ball momentum is stable up to 2(1+μ)/L = 0.152, so the same "
        "lr works for it; Adam's normalised steps never blow up.",
        "s=ravine&opt=sgd,momentum,adam&lr=0.09&n=150",
        claims=(
            Claim("diverges", "sgd"),
            Claim("stable", "momentum"),
            Claim("reaches", "momentum"),
            Claim("stable", "adam"),
        ),
    ),
    Preset(
        "adam_vs_sgd_rosenbrock", "Adam vs SGD on Rosenbrock",
        "Each at a learning rate that suits it: SGD at 0.001 (above ~0.002 its loss spikes "
        "as it bounces off the valley's steep walls), Adam at 0.1. SGD crawls along the "
        "banana valley; Adam's per-coordinate scaling takes steps of about the same size "
        "along it, is ahead for almost the whole race and reaches the minimum.",
        "s=rosenbrock&opt=sgd,adam&lr=0.001&n=1000&hp=adam.lr=0.1",
        claims=(
            Claim("mostly_below", "adam", "sgd", lo=0.9),
            Claim("reaches", "adam"),
            Claim("misses", "sgd"),
            Claim("stable", "sgd"),
        ),
    ),
    Preset(
        "newton_saddle", "Newton vs saddle-free Newton",
        "Near a saddle the Hessian has a negative eigenvalue. Plain Newton divides by it and "
        "so walks uphill along that direction: it jumps straight onto the saddle and stays. "
        "Saddle-free Newton uses |H| (Dauphin et al. 2014) and escapes to a minimum within "
        "~20 steps. Gradient descent is still by the saddle after these 60 steps; give it "
        "200 and it escapes too, slowly.",
        "s=saddle_escape&opt=sgd,newton,saddle_free_newton&lr=0.05&n=60",
        claims=(
            Claim("misses", "newton"),
            Claim("reaches", "saddle_free_newton", hi=25),
            Claim("misses", "sgd"),
            Claim("reaches", "sgd", variant="n=200"),
        ),
    ),
    Preset(
        "annealing_step", "Annealing 1/3: step decay",
        "Noisy gradients on the bowl. SGD #2 keeps the constant lr 0.3: its loss keeps "
        "jittering at one level (less than 3x lower late than early). Halving lr every 50 "
        "steps lowers that level in stages: over the last 50 steps SGD's loss is more than "
        "10x lower than over steps 25-75, and ends below SGD #2's. Compare with the "
        "exponential and 1/t presets.",
        f"{_NOISY_BOWL}&sch=step&dec=0.5&ss=50",
        claims=_annealing_claims(10),
    ),
    Preset(
        "annealing_exponential", "Annealing 2/3: exponential decay",
        "Same noisy bowl; lr·0.98ᵗ shrinks smoothly, so the jitter fades continuously: over "
        "the last 50 steps the loss is more than 5x lower than over steps 25-75, while SGD "
        "#2 at the constant lr 0.3 jitters on at one level.",
        f"{_NOISY_BOWL}&sch=exponential&dec=0.98",
        claims=_annealing_claims(5),
    ),
    Preset(
        "annealing_inverse_time", "Annealing 3/3: 1/t decay",
        "Same noisy bowl; lr/(1 + 0.05·t) decays fast at first, then slowly: the notes' 1/t "
        "schedule, which keeps making (slow) progress late in training. Over the last 50 "
        "steps the loss is more than 5x lower than over steps 25-75; SGD #2, at the "
        "constant lr 0.3, stays at its jitter level.",
        f"{_NOISY_BOWL}&sch=inverse_time&dec=0.05",
        claims=_annealing_claims(5),
    ),
    Preset(
        "noisy", "Noisy (stochastic) gradients",
        "Gradient noise σ = 3 (a minibatch estimate). SGD with lr 0.02 and momentum with "
        "lr 0.002, μ = 0.9 take the same effective step (lr/(1−μ)), but momentum averages "
        "the noise over ~10 steps: a smoother path, and a lower final loss. Change the seed "
        "to see another draw.",
        "s=ravine&opt=sgd,momentum&lr=0.02&n=300&noise=3&hp=momentum.lr=0.002",
        claims=(Claim("ends_below", "momentum", "sgd"),),
    ),
    Preset(
        "kink", "Kink: a ReLU-style valley",
        "|x − y/2| has a crease: the gradient flips sign across it, so gradient descent "
        "rattles from side to side and never settles with a constant lr. Load the smooth "
        "valley preset next to compare.",
        "s=kink&opt=sgd,momentum,adam&lr=0.05&n=200",
        claims=(Claim("misses", "sgd"), Claim("misses", "momentum")),
    ),
    Preset(
        "smooth_kink", "Smooth valley: softplus instead of |·|",
        "The same valley with the crease smoothed (softplus, like ELU/softplus activations "
        "instead of ReLU): the gradient shrinks near the floor, so the same optimizers "
        "settle instead of rattling.",
        "s=smooth_kink&opt=sgd,momentum,adam&lr=0.05&n=200",
        claims=(Claim("reaches", "sgd"), Claim("reaches", "momentum"),
                Claim("reaches", "adam")),
    ),
    Preset(
        "lion_diagonal", "Lion takes diagonal steps",
        "Lion steps by lr times the sign of a momentum mix: every step moves both coordinates "
        "by exactly lr, whatever the gradient, so its path is a staircase of 45° segments. "
        "On the ravine at lr 0.05 it reaches the minimum by step ~50, while Adam at the same "
        "lr is still short of it after 150 steps.",
        "s=ravine&opt=lion,adam&lr=0.05&n=150",
        claims=(
            Claim("diagonal", "lion"),
            Claim("reaches", "lion", lo=35, hi=65),
            Claim("misses", "adam"),
        ),
    ),
    Preset(
        "schedule_free", "Schedule-Free needs no schedule",
        "Noisy gradients on the bowl, a constant lr 0.3 for both. SGD keeps jittering at a "
        "loss of ~0.4; Schedule-Free SGD takes its gradients between its SGD iterate and "
        "their running average, and ends near 0.01, 30x lower: about where SGD ends with a "
        "cosine decay of lr to 0 (choose the cosine schedule with final lr 0).",
        "s=bowl&opt=sgd,sgd_schedule_free&lr=0.3&n=300&noise=1",
        claims=(
            Claim("ends_below", "sgd_schedule_free", "sgd"),
            Claim("final_in", "sgd_schedule_free", hi=0.03),
            Claim("final_in", "sgd", lo=0.1),
            Claim("final_in", "sgd", hi=0.03, variant="sch=cosine&dec=0"),
        ),
    ),
    Preset(
        "prodigy_lr", "Prodigy finds its own lr",
        "Both at their defaults on the ravine: Adam at lr 10⁻³ crawls (its loss is still "
        "above 1 after 150 steps), while Prodigy, whose lr is a multiplier (1) of a step size "
        "d it estimates from 10⁻⁶ up, finds the scale of the problem and reaches the minimum "
        "by step ~75.",
        "s=ravine&opt=prodigy,adam&lr=0.001&n=150",
        claims=(
            Claim("reaches", "prodigy", lo=60, hi=90),
            Claim("misses", "adam"),
            Claim("final_in", "adam", lo=1.0),
        ),
    ),
    Preset(
        "ademamix_remembers", "AdEMAMix remembers",
        "Adam and AdEMAMix at lr 0.05 on the ravine. Adam slows into the minimum and reaches "
        "it by step ~210. AdEMAMix adds a slow momentum (β₃ = 0.9999: a memory of ~10⁴ steps, "
        "weighted ×5) that keeps pushing the way the old gradients pointed: it runs past the "
        "minimum and is still on the far side after 300 steps.",
        "s=ravine&opt=adam,ademamix&lr=0.05&n=300",
        claims=(
            Claim("reaches", "adam", lo=180, hi=240),
            Claim("overshoots", "ademamix"),
            Claim("ends_below", "adam", "ademamix"),
        ),
    ),
)

OPENER_CLAIMS = (
    Claim("ends_below", "momentum", "sgd"),
    Claim("ends_below", "nesterov", "sgd"),
    Claim("ends_below", "sgd", "adam"),
    Claim("ends_below", "sgd", "rmsprop"),
)
"""What the default scene (Rosenbrock, one small shared lr) shows, as its surface's
description says it: momentum runs along the valley, SGD crawls, and the adaptive methods,
taking steps of about lr, have barely started."""

PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in _PRESETS})


@functools.lru_cache(maxsize=1)
def _by_race() -> dict[Scene, str]:
    return {p.scene().race_key(): name for name, p in PRESETS.items()}


def preset_of(scene: Scene) -> Preset | None:
    """The preset whose race ``scene`` shows (a preset's link, shared with a class, shows
    its caption too), or None."""
    name = _by_race().get(scene.race_key())
    return None if name is None else PRESETS[name]
