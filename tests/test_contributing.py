"""CONTRIBUTING.md stays true: the files it names exist, its worked examples run, and every
registered optimizer, view and surface has what the guide says it needs."""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pytest

import optimizers
from analysis.explain import EXPLAINERS
from scene.scene import SURFACE_DEFAULTS, VIEWS
from surfaces import SURFACES
from tests.conftest import ROOT
from viz import theme

GUIDE = (ROOT / "CONTRIBUTING.md").read_text(encoding="utf-8")
REGISTERED = (*optimizers.OPTIMIZERS, *optimizers.SECOND_ORDER)
# What a worked example invents: files it tells you to create, not files that exist.
EXAMPLE_FILES = {"analysis/histogram.py", "tests/test_histogram.py"}


def code_block(marker: str) -> str:
    """The fenced Python block of the guide that contains ``marker``."""
    for block in re.findall(r"```python\n(.*?)```", GUIDE, re.S):
        if marker in block:
            lines = block.splitlines()
            indent = min(len(x) - len(x.lstrip()) for x in lines if x.strip())
            return "\n".join(x[indent:] for x in lines)
    raise AssertionError(f"no code block with {marker!r}")


def test_every_file_the_guide_names_exists():
    named = set(re.findall(r"`((?:[\w.]+/)+[\w.]+\.(?:py|md))`", GUIDE))
    assert len(named) > 20
    missing = sorted(p for p in named - EXAMPLE_FILES if not (ROOT / p).exists())
    assert not missing, missing


@pytest.mark.parametrize("name", REGISTERED)
def test_every_registered_optimizer_is_complete(name):
    """An explainer, a label, a colour and a marker of its own, and its test-table rows."""
    from tests import test_stepthrough
    from tests.optimizer_table import TABLE

    assert name in EXPLAINERS, f"{name}: no explainer in analysis/explain"
    assert name in theme.OPTIMIZER_LABELS and name in theme.OPTIMIZER_SYMBOLS
    assert name in theme.OPTIMIZER_COLORS, f"{name}: no colour in viz/theme.py"
    assert name in TABLE, f"{name}: no row in tests/optimizer_table.py"
    assert TABLE[name].first_steps, f"{name}: no hand-derived first steps"
    stepped = {n for n, _ in test_stepthrough.CASES + test_stepthrough.SECOND_CASES}
    assert name in stepped, f"{name}: no row in tests/test_stepthrough.py"


def test_optimizer_colours_and_markers_are_distinct():
    for table in (theme.OPTIMIZER_COLORS, theme.OPTIMIZER_SYMBOLS):
        values = [table[name] for name in REGISTERED]
        assert len(set(values)) == len(values)


def test_every_view_has_a_page():
    from pages.race import OTHER_VIEWS

    assert set(VIEWS) == {"race", "3d"} | set(OTHER_VIEWS)


def test_every_surface_has_its_default_scene():
    assert set(SURFACES) <= set(SURFACE_DEFAULTS)


def test_worked_surface_example_is_exact():
    from surfaces import _common
    from surfaces._surface import Array, Surface

    space: dict[str, Any] = {"np": np, "npt": np.typing, "Array": Array, "Surface": Surface,
                             **{k: getattr(_common, k) for k in dir(_common)}}  # fmt: skip
    exec(code_block("BOOTH = Surface("), space)
    booth = space["BOOTH"]
    np.testing.assert_allclose(booth.value(booth.minima), [0.0], atol=1e-12)
    np.testing.assert_allclose(booth.grad(booth.minima), [[0.0, 0.0]], atol=1e-12)
    p, h = np.array([[-2.0, 0.5]]), 1e-6
    for i, e in enumerate(np.eye(2)):
        fd = (booth.value(p + h * e) - booth.value(p - h * e)) / (2 * h)
        np.testing.assert_allclose(booth.grad(p)[..., i], fd, rtol=1e-6)
        fd2 = (booth.grad(p + h * e) - booth.grad(p - h * e)) / (2 * h)
        np.testing.assert_allclose(booth.hessian(p)[..., i, :], fd2, rtol=1e-6)


def test_worked_optimizer_and_explainer_examples_run():
    import doctest

    from analysis.explain import base, sgd
    from optimizers import _core

    space: dict[str, Any] = {"np": np, "Any": Any, "NamedTuple": __import__("typing").NamedTuple,
                             "Array": _core.Array, "Optimizer": _core.Optimizer,
                             "valid_lr": _core.valid_lr, "scaled_lr": _core.scaled_lr,
                             "frozen": _core.frozen}  # fmt: skip
    exec(code_block("def signsgd(*, lr"), space)
    opt = space["signsgd"](lr=0.1)
    finder = doctest.DocTestFinder()
    (test,) = finder.find(space["signsgd"], "signsgd", globs={"np": np, **space})
    assert doctest.DocTestRunner().run(test).failed == 0
    with pytest.raises(ValueError, match="Invalid learning rate"):
        space["signsgd"](lr=-1.0)

    explain_space = {**vars(sgd), **vars(base)}
    exec(code_block("def signsgd(s: Step)"), explain_space)
    x = np.array([1.0, -2.0])
    new, after = opt.update(2 * x, opt.init(x), x)
    step = base.Step("signsgd", 1, opt.hparams, x, new, 2 * x, np.zeros(2), 0.1, 0.1, 1.0,
                     False, opt.init(x), after)  # fmt: skip
    parts = explain_space["signsgd"](step)
    np.testing.assert_allclose(parts.formula_step, new - x)
    assert parts.lines[-1].startswith("x_k")


def test_worked_preset_example_tells_the_truth():
    from scene.presets import Claim, Preset
    from tests.test_presets import _holds, _race

    preset = eval(code_block("Preset(").rstrip().rstrip(","), {"Preset": Preset, "Claim": Claim})
    entries, rows = _race(preset.scene())
    for claim in preset.claims:
        assert _holds(claim, entries, rows), claim
