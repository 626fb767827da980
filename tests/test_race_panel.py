"""The race panel (ui/race_panel): its files, its JavaScript's unit tests, its decoder against
Python's, and what its messages may do to the scene. The panel in a browser: test_e2e."""

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import plotly
import pytest

from harness.browser import skip_or_fail
from scene import stops
from scene.scene import DECAY_SETTINGS, LR_RANGE, MOMENTUM_RANGE, Scene
from tests.conftest import ROOT
from ui import cached, race_panel
from viz import scrub

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
PANEL = Path(race_panel.__file__).parent
NODE = shutil.which("node")


def test_static_folder_has_plotly_from_the_python_package_and_the_modules():
    digest = race_panel.publish()
    bundled = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
    assert (race_panel.STATIC / "plotly.min.js").read_bytes() == bundled.read_bytes()
    for name in race_panel.MODULES:
        assert (race_panel.STATIC / "race_panel" / digest / name).read_bytes() == \
            (PANEL / name).read_bytes()
    assert [p.name for p in (race_panel.STATIC / "race_panel").iterdir()] == [digest]
    assert f"race_panel/{digest}/panel.js" in race_panel.BOOT_JS


def test_no_cdn_and_no_streamlit_dom_in_our_javascript():
    """The panel never reads or writes Streamlit's own markup (its sliders, its keys), which
    any Streamlit release may change; and it loads nothing from the internet."""
    for path in [*PANEL.glob("*.js"), *PANEL.glob("*.css")]:
        text = path.read_text()
        for forbidden in ("stSlider", "st-key", "aria-valuetext", "window.parent.document",
                          "http://", "https://"):
            assert forbidden not in text, f"{path.name} has {forbidden!r}"
    assert "http" not in race_panel.BOOT_JS


def need_node() -> None:
    """Skip without Node.js, or fail under ``REQUIRE_E2E=1`` (CI installs it)."""
    skip_or_fail(None if NODE else "node is not installed (apt-get install -y nodejs)")


def test_javascript_unit_tests_pass():
    need_node()
    result = subprocess.run([NODE, "--test", "ui/race_panel/"], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "# fail 0" in result.stdout and "# pass 0" not in result.stdout


def test_the_panels_decoder_reads_what_python_encodes(tmp_path):
    need_node()
    scene = Scene(lr=0.0025)  # Nesterov diverges at some stops: gaps and NaN losses
    axis = json.loads(cached.panel_axes_json(scene))["lr"]
    (tmp_path / "axis.json").write_text(json.dumps(axis))
    result = subprocess.run([NODE, str(ROOT / "tests/js/decode_axis.mjs"),
                             str(tmp_path / "axis.json")], capture_output=True, text=True,
                            timeout=120, check=True)
    got = json.loads(result.stdout)
    want = scrub.decode_axis(axis)
    assert len(got) == len(want)
    for g, w in zip(got, want, strict=True):
        assert (g is None) == (w is None)
        if w is None:
            continue
        assert g["names"] == w["names"]
        for (gx, gy), wp in zip(g["paths"], w["paths"], strict=True):
            a = np.array([gx, gy], dtype=float).T
            np.testing.assert_allclose(a, wp, rtol=1e-12, atol=1e-12, equal_nan=True)
        for gc, wc in zip(g["curves"], w["curves"], strict=True):
            np.testing.assert_allclose(np.array(gc, dtype=float), wc, rtol=1e-9,
                                       equal_nan=True)


def test_every_stop_lies_in_its_range():
    def inside(values, lo, hi):
        return list(values) == sorted(set(values)) and all(lo <= v <= hi for v in values)

    assert inside(stops.LR_STOPS, *LR_RANGE) and len(stops.LR_STOPS) == 51
    # Half a slider dragged in 1.2 s shows at least 10 states a second (issue 15): at least
    # 12 stops in each half.
    assert inside(stops.MOMENTUM_STOPS, *MOMENTUM_RANGE) and len(stops.MOMENTUM_STOPS) >= 30
    for teaching in (0.0, 0.5, 0.8, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999):
        assert teaching in stops.MOMENTUM_STOPS
    assert set(stops.DECAY_STOPS) == set(DECAY_SETTINGS)
    for kind, values in stops.DECAY_STOPS.items():
        assert inside(values, *DECAY_SETTINGS[kind][1]) and 30 <= len(values) <= 51


def test_a_forged_release_changes_nothing_it_should_not(monkeypatch):
    import streamlit as st

    from pages import race as race_page

    state = {"lr": 0.001, "momentum": 0.9, "schedule": "exponential", "decay_exponential": 0.99,
             race_page.PANEL_KEY: {"settings": {"lr": 1e9, "momentum": "x", "decay": 0.5,
                                                "schedule": "exponential"}}}
    monkeypatch.setattr(st, "session_state", state)
    race_page._on_settings()
    assert state["lr"] == 0.001 and state["momentum"] == 0.9
    assert state["decay_exponential"] == 0.99  # 0.5 is outside exponential's range
    state[race_page.PANEL_KEY] = {"settings": {"lr": 0.01, "momentum": 0.5, "decay": 0.95,
                                               "schedule": "exponential"}}
    race_page._on_settings()
    assert (state["lr"], state["momentum"], state["decay_exponential"]) == (0.01, 0.5, 0.95)
    state[race_page.PANEL_KEY] = {"settings": {"schedule": "cosine", "decay": 0.95}}
    race_page._on_settings()
    assert state["schedule"] == "cosine" and "decay_cosine" not in state  # keeps its own


def test_the_other_views_have_the_mission_sliders_in_the_sidebar():
    """Without the race panel (3D, sweep, ...) the sidebar shows the lr, momentum and decay
    sliders, on the panel's stops; what they set is still there back in the race view."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["view"] = "3d"
    at.query_params["sch"] = "exponential"
    at.query_params["dec"] = "0.99"
    at.run()
    assert not at.exception
    at.select_slider(key="w_lr").set_value(0.0025).run()
    at.select_slider(key="w_momentum").set_value(0.99).run()
    at.select_slider(key="w_decay_exponential").set_value(0.95).run()
    assert not at.exception
    assert (at.session_state["lr"], at.session_state["momentum"]) == (0.0025, 0.99)
    at.segmented_control(key="view").set_value("race").run()
    assert not at.exception
    (panel,) = at.get("bidi_component")
    values = json.loads(panel.proto.json)["values"]
    assert values == {"lr": 0.0025, "momentum": 0.99, "schedule": "exponential",
                      "decay": 0.95}
