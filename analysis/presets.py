"""Lecture presets: one click loads a named teaching scene. Each preset is a URL query.

The captions say what to look at; the scenes were chosen by running them (see
tests/test_presets.py, which checks that each one still tells its story).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from urllib.parse import parse_qs

from analysis.scene import Scene
from analysis.urlstate import scene_from_query


@dataclass(frozen=True)
class Preset:
    name: str
    title: str
    caption: str
    query: str

    def scene(self) -> Scene:
        scene, warnings = scene_from_query(parse_qs(self.query))
        if warnings:  # a preset is our own text: a warning here is a bug, not user input
            raise ValueError(f"preset {self.name!r}: {warnings}")
        return scene


_PRESETS = (
    Preset(
        "momentum_ravine", "Momentum in a ravine",
        "A ravine 25 times steeper across than along. With lr = 0.02, SGD's steps along the "
        "flat floor are tiny (it is still far from the minimum after 150 steps); momentum "
        "accumulates them into speed (about 10x), overshoots and swings back; Nesterov's "
        "look-ahead damps the swing. Raise lr to 0.06: now SGD zig-zags and Nesterov "
        "diverges.",
        "s=ravine&opt=sgd,momentum,nesterov&lr=0.02&n=150",
    ),
    Preset(
        "saddle", "Escaping a saddle point",
        "Started almost exactly on the saddle's stable direction, SGD first slides into the "
        "saddle and lingers where the gradient vanishes; momentum and the adaptive methods "
        "(RMSprop and Adam rescale the tiny escape direction) leave much sooner.",
        "s=saddle_escape&opt=sgd,momentum,rmsprop,adam&lr=0.05&n=200",
    ),
    Preset(
        "lr_too_large", "The learning rate is too large",
        "lr = 0.09 is above 2/L = 0.08 for this ravine: every SGD step overshoots further "
        "and it diverges. Heavy-ball momentum is stable up to 2(1+μ)/L = 0.152, so the same "
        "lr works for it; Adam's normalised steps never blow up.",
        "s=ravine&opt=sgd,momentum,adam&lr=0.09&n=150",
    ),
    Preset(
        "adam_vs_sgd_rosenbrock", "Adam vs SGD on Rosenbrock",
        "Each with a learning rate that suits it (SGD diverges above ~0.005 here; Adam needs "
        "~0.03). SGD follows the banana valley slowly; Adam's per-coordinate scaling moves "
        "along it faster but oscillates across it.",
        "s=rosenbrock&opt=sgd,adam&lr=0.003&n=1000&hp=adam.lr=0.03",
    ),
    Preset(
        "newton_saddle", "Newton vs saddle-free Newton",
        "Near a saddle the Hessian has a negative eigenvalue. Plain Newton divides by it and "
        "so walks uphill along that direction: it jumps straight onto the saddle and stays. "
        "Saddle-free Newton uses |H| (Dauphin et al. 2014) and escapes to a minimum; "
        "gradient descent escapes too, slowly.",
        "s=saddle_escape&opt=sgd,newton,saddle_free_newton&lr=0.05&n=60",
    ),
    Preset(
        "annealing_step", "Annealing 1/3: step decay",
        "Noisy gradients on the bowl: a constant lr keeps jittering around the minimum. "
        "Halving lr every 50 steps settles it in stages (see the loss panel's plateaus). "
        "Compare with the exponential and 1/t presets.",
        "s=bowl&opt=sgd,momentum&lr=0.3&n=300&noise=1&sch=step&dec=0.5&ss=50",
    ),
    Preset(
        "annealing_exponential", "Annealing 2/3: exponential decay",
        "Same noisy bowl; lr·0.98ᵗ shrinks smoothly, so the jitter fades continuously.",
        "s=bowl&opt=sgd,momentum&lr=0.3&n=300&noise=1&sch=exponential&dec=0.98",
    ),
    Preset(
        "annealing_inverse_time", "Annealing 3/3: 1/t decay",
        "Same noisy bowl; lr/(1 + 0.05·t) decays fast at first, then slowly: the notes' 1/t "
        "schedule, which keeps making (slow) progress late in training.",
        "s=bowl&opt=sgd,momentum&lr=0.3&n=300&noise=1&sch=inverse_time&dec=0.05",
    ),
    Preset(
        "noisy", "Noisy (stochastic) gradients",
        "Gradient noise σ = 3 (a minibatch estimate). SGD with lr 0.02 and momentum with "
        "lr 0.002, μ = 0.9 take the same effective step (lr/(1−μ)), but momentum averages "
        "the noise over ~10 steps: a smoother path. Change the seed to see another draw.",
        "s=ravine&opt=sgd,momentum&lr=0.02&n=300&noise=3&hp=momentum.lr=0.002",
    ),
    Preset(
        "kink", "Kink: a ReLU-style valley",
        "|x − y/2| has a crease: the gradient flips sign across it, so gradient descent "
        "rattles from side to side and never settles with a constant lr. Load the smooth "
        "valley preset next to compare.",
        "s=kink&opt=sgd,momentum,adam&lr=0.05&n=200",
    ),
    Preset(
        "smooth_kink", "Smooth valley: softplus instead of |·|",
        "The same valley with the crease smoothed (softplus, like ELU/softplus activations "
        "instead of ReLU): the gradient shrinks near the floor, so the same optimizers "
        "settle instead of rattling.",
        "s=smooth_kink&opt=sgd,momentum,adam&lr=0.05&n=200",
    ),
)

PRESETS: Mapping[str, Preset] = MappingProxyType({p.name: p for p in _PRESETS})
