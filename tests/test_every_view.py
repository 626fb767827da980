"""The crash class, guarded as a class: every view on every surface, every preset and the ends
of every control open without an exception, twice, in fresh sessions (the second from the
caches, where a cached function that draws fails with ``CacheReplayClosureError``).

Each case is a link, as a student would open it. A case fails on any exception element on
the page; an ``st.error`` with a clear message is allowed (bad input is reported, not raised).
"""

from __future__ import annotations

from urllib.parse import parse_qsl

import pytest
from streamlit.testing.v1 import AppTest

from scene.presets import PRESETS
from scene.scene import (
    ALL_OPTIMIZERS,
    CUSTOM,
    DECAY_SETTINGS,
    LR_RANGE,
    MOMENTUM_RANGE,
    NETWORK,
    NOISE_RANGE,
    STEPS_RANGE,
    VIEWS,
)
from surfaces import SURFACES
from tests.conftest import ROOT

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

ALL_SURFACES = (*SURFACES, CUSTOM, NETWORK)


def _edge_links() -> list[str]:
    lo_lr, hi_lr = LR_RANGE
    links = [f"lr={lo_lr:g}", f"lr={hi_lr:g}", f"mom={MOMENTUM_RANGE[0]:g}",
             f"mom={MOMENTUM_RANGE[1]:g}", f"n={STEPS_RANGE[0]}", f"n={STEPS_RANGE[1]}",
             f"noise={NOISE_RANGE[1]:g}", "noise=1&seed=2147483647"]
    for schedule, (_, (lo, hi), _) in DECAY_SETTINGS.items():
        links += [f"sch={schedule}&dec={lo:g}", f"sch={schedule}&dec={hi:g}"]
    links += ["sch=step&ss=1", f"sch=step&ss={STEPS_RANGE[1]}"]
    # Each optimizer alone and first (the sweep and basins views pick the first), with no
    # momentum and the largest lr, in every view that runs it.
    for name in ALL_OPTIMIZERS:
        for view in ("race", "sweep", "basins", "step"):
            links.append(f"s=ravine&opt={name}&mom=0&lr={hi_lr:g}&view={view}")
        links.append(f"s=himmelblau&opt={name},sgd&mom=0&view=basins")
    links.append("opt=-")  # no optimizer at all
    # a copy first (the views that run one optimizer pick it), without the decay, with a
    # factor on the slider's lr, in every view
    for view in VIEWS:
        links.append("s=himmelblau&opt=momentum~2,momentum,adam&sch=exponential&dec=0.99"
                     f"&hp=momentum~2.decay=0;adam.lr_factor=4&view={view}")
    links.append("s=ravine&opt=prodigy,prodigy~2&hp=prodigy~2.growth_rate=1.01"
                 ";prodigy~2.beta3=0.5")
    return links


CASES = (
    [f"s={s}&view={v}" for s in ALL_SURFACES for v in VIEWS]
    + [p.query for p in PRESETS.values()]
    + _edge_links()
)


def _open(link: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in parse_qsl(link, keep_blank_values=True):
        at.query_params[key] = value
    at.run()
    return at


@pytest.mark.parametrize("link", CASES)
def test_link_opens_twice_without_exception(link: str) -> None:
    for visit in ("first", "second (from caches)"):
        at = _open(link)
        assert not at.exception, f"{link} ({visit} visit): {at.exception[0].value}"


def test_every_sweep_axis_metric_and_overlay_opens() -> None:
    """The sweep view's own controls, each option, on a fresh session and then its caches."""
    from ui.explore import Y_AXES

    for visit in ("first", "second (from caches)"):
        at = _open("s=ravine&view=sweep&opt=nesterov,rmsprop,adam,sgd,muon,lion,prodigy")
        for name in ("nesterov", "rmsprop", "adam", "sgd", "muon", "lion", "prodigy"):
            at.selectbox(key="sweep_opt").set_value(name).run()
            options = [label for label, (_, only) in Y_AXES.items()
                       if only is None or name in only]
            for label in options:
                at.selectbox(key="sweep_y").set_value(label).run()
                assert not at.exception, f"{name} × {label} ({visit}): {at.exception[0].value}"
        at.radio(key="sweep_metric").set_value("steps_to_tol").run()
        at.toggle(key="sweep_search").set_value(True).run()
        assert not at.exception, f"overlay ({visit}): {at.exception[0].value}"


@pytest.mark.parametrize("point", [(1e4, -1e4), (0.0, 0.0), (-1e-300, 1e-300)])
def test_gradient_check_at_extreme_points(point) -> None:
    at = _open("s=rosenbrock&view=gradcheck")
    at.number_input(key="gc_x").set_value(point[0])
    at.number_input(key="gc_y").set_value(point[1]).run()
    assert not at.exception, at.exception[0].value
