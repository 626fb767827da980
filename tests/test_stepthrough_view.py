"""The step-through's equations (KaTeX-safe, rendered by Streamlit's own KaTeX) and its
figure (one arrow per vector, the path split at step k, arrows visible and inside)."""

from __future__ import annotations

import glob
import json
import math
import pickle
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import streamlit

from analysis.stepthrough import ACTUAL_STEP, explain, replay
from surfaces import SURFACES
from tests.test_stepthrough import CASES, IDS, ROSENBROCK, SECOND_CASES, schedule
from viz.spec import decode_typed_array
from viz.stepthrough import arrow_scales, stepthrough_figure

# ------------------------------------------------------------------------------- LaTeX

KATEX_COMMANDS = {
    "mathrm", "text", "nabla", "xi", "leftarrow", "cdot", "odot", "sqrt", "epsilon", "mu",
    "tau", "lambda", "alpha", "beta", "rho", "eta", "psi", "infty", "prod", "hat", "bar",
    "tilde", "widetilde", "le", "max", "left", "right", "frac", "tfrac", "textstyle", "quad",
    "times", "Delta", "mathrel", "_", "begin", "end", "delta", "Lambda", "top",
    "gamma", "min", "sum", "pm",
}


def all_equations():
    bowl = SURFACES["bowl"]
    lines = []
    for name, hp in CASES + SECOND_CASES:
        for kw in ({}, {"schedule": schedule(), "noise": 0.5, "seed": 3}):
            r = replay(bowl, name, hp, (1.0, -2.0), 8, **kw)
            for k in (1, 2, 8):
                lines += explain(r, k).equations
    return lines


def test_equations_use_only_katex_commands_and_balance():
    for line in all_equations():
        assert set(re.findall(r"\\([A-Za-z]+|_)", line)) <= KATEX_COMMANDS, line
        depth = 0
        for char in line.replace(r"\{", "").replace(r"\}", ""):
            depth += {"{": 1, "}": -1}.get(char, 0)
            assert depth >= 0, line
        assert depth == 0, line
        assert len(re.findall(r"\\left(?![a-z])", line)) == line.count(r"\right"), line
        assert "$" not in line and "\n" not in line


def streamlit_katex() -> Path | None:
    static = Path(streamlit.__file__).parent / "static" / "static" / "js"
    found = sorted(glob.glob(str(static / "katex.*.js")))
    return Path(found[0]) if found else None


@pytest.mark.skipif(shutil.which("node") is None or streamlit_katex() is None,
                    reason="needs node and the KaTeX bundled with Streamlit")
def test_equations_render_in_streamlits_katex(tmp_path):
    """Every line parses in the very KaTeX that st.latex uses (strict mode, throw on error)."""
    module = tmp_path / "katex.mjs"
    module.write_bytes(streamlit_katex().read_bytes())
    (tmp_path / "lines.json").write_text(json.dumps(all_equations()))
    script = (
        "import katex from './katex.mjs'; import fs from 'fs';"
        "const lines = JSON.parse(fs.readFileSync('./lines.json', 'utf8')); let bad = [];"
        "for (const l of lines) { try { katex.renderToString(l, {throwOnError: true,"
        " strict: 'error', displayMode: true}); } catch (e) { bad.push(e.message); } }"
        "console.log(JSON.stringify({n: lines.length, bad}));"
    )
    (tmp_path / "check.mjs").write_text(script)
    out = subprocess.run(["node", "check.mjs"], cwd=tmp_path, capture_output=True, text=True,
                         timeout=60, check=True)
    result = json.loads(out.stdout)
    assert result["n"] > 300 and result["bad"] == []


# ------------------------------------------------------------------------------ figure


@pytest.mark.parametrize(("name", "hp"), CASES[:11], ids=IDS[:11])
def test_figure_validates_with_one_arrow_per_vector(name, hp):
    r = replay(ROSENBROCK, name, hp, ROSENBROCK.start, 30, noise=0.2, seed=1)
    k = 12
    fig = stepthrough_figure(ROSENBROCK, ROSENBROCK.grid(40), r, k)
    full = fig.validated()
    ex = explain(r, k)
    arrows = [t for t in fig.spec["data"] if t.get("marker", {}).get("symbol") == "arrow"]
    assert len(arrows) == len(ex.vectors)
    scales = arrow_scales(ex.vectors, ROSENBROCK.bounds, ex.point)
    colors = set()
    for trace, (vec_name, vec) in zip(arrows, ex.vectors.items(), strict=True):
        scale = scales[vec_name]
        assert trace["name"].startswith(vec_name)
        assert trace["name"].endswith(f"(×{scale:g})") == (scale != 1)
        np.testing.assert_allclose([trace["x"][0], trace["y"][0]], ex.point)
        np.testing.assert_allclose([trace["x"][1], trace["y"][1]], ex.point + scale * vec)
        colors.add(trace["line"]["color"])
    assert len(colors) == len(arrows)  # each arrow its own colour
    assert arrows[-1]["name"].startswith(ACTUAL_STEP)
    layout = full.layout
    assert layout.yaxis.scaleanchor == "x" and layout.yaxis.scaleratio == 1
    assert tuple(layout.xaxis.range) == ROSENBROCK.bounds[0]
    assert tuple(layout.yaxis.range) == ROSENBROCK.bounds[1]
    assert fig.spec["data"][0]["name"] == "contours" and fig.spec["layout"]["images"]
    assert f"step {k} of 30" in layout.title.text


def test_figure_path_is_split_at_k():
    r = replay(ROSENBROCK, "momentum", {"lr": 1e-3}, ROSENBROCK.start, 20)
    fig = stepthrough_figure(ROSENBROCK, ROSENBROCK.grid(30), r, 5)
    by_name = {t["name"]: t for t in fig.spec["data"]}
    done = by_name["Momentum: steps 0–5"]
    later = by_name["later steps"]
    np.testing.assert_allclose(np.c_[decode_typed_array(done["x"]),
                                     decode_typed_array(done["y"])], r.points[:6], rtol=1e-6)
    np.testing.assert_allclose(decode_typed_array(later["x"]), r.points[5:, 0], rtol=1e-6)
    assert later["opacity"] < done["opacity"]
    point = by_name["x<sub>4</sub> (step 5 starts here)"]
    assert (point["x"], point["y"]) == ([r.points[4, 0]], [r.points[4, 1]])
    last = stepthrough_figure(ROSENBROCK, ROSENBROCK.grid(30), r, 20)
    assert "later steps" not in {t["name"] for t in last.spec["data"]}
    pickle.loads(pickle.dumps(last))


def test_figure_rejects_steps_out_of_range():
    r = replay(ROSENBROCK, "sgd", {"lr": 1e-3}, ROSENBROCK.start, 3)
    stepthrough_figure(ROSENBROCK, ROSENBROCK.grid(20), r, 0).validated()
    for k in (-1, 4, 2.0):
        with pytest.raises(ValueError):
            stepthrough_figure(ROSENBROCK, ROSENBROCK.grid(20), r, k)


def test_zero_vectors_draw_no_arrowhead():
    r = replay(ROSENBROCK, "momentum", {"lr": 1e-3}, ROSENBROCK.start, 3)
    fig = stepthrough_figure(ROSENBROCK, ROSENBROCK.grid(20), r, 1)  # v_0 = 0
    (carried,) = [t for t in fig.spec["data"] if t["name"].startswith("μ·v_prev")]
    assert carried["marker"]["size"][1] == 0
    fig.validated()


BOX = ((-2.0, 2.0), (-1.0, 3.0))
DIAG = math.hypot(4.0, 4.0)


def is_round(x: float) -> bool:
    mantissa = x / 10.0 ** math.floor(math.log10(x) + 1e-12)
    return any(math.isclose(mantissa, m) for m in (1.0, 2.0, 5.0))


@pytest.mark.parametrize("length", [1e-9, 1e-4, 0.03, 0.5, 2.0, 40.0, 1e7])
def test_arrow_scales_make_arrows_visible_with_round_factors(length):
    vectors = {"long": np.array([length, 0.0]), "short": np.array([0.0, -length / 300]),
               "zero": np.zeros(2)}
    scales = arrow_scales(vectors, BOX)
    assert all(is_round(s) for s in scales.values())
    drawn = {name: np.hypot(*v) * scales[name] for name, v in vectors.items()}
    assert 0.1 * DIAG <= drawn["long"] <= 0.5 * DIAG
    assert drawn["short"] >= 0.025 * DIAG
    assert scales["zero"] == scales["long"]  # zero vectors keep the shared factor


def test_arrow_scales_share_one_factor_when_comparable():
    vectors = {"a": np.array([0.6, 0.2]), "b": np.array([-0.4, 0.8]), "c": np.array([0.2, 1.0])}
    assert set(arrow_scales(vectors, BOX).values()) == {1.0}
    small = {name: v / 100 for name, v in vectors.items()}
    assert len(set(arrow_scales(small, BOX).values())) == 1


def test_arrow_scales_keep_arrows_inside_the_window():
    vectors = {"a": np.array([1.5, 0.0])}  # 27 % of the diagonal: no scaling in the open
    assert arrow_scales(vectors, BOX, np.array([0.0, 1.0])) == {"a": 1.0}
    scales = arrow_scales(vectors, BOX, np.array([1.0, 1.0]))  # room for 1.0 only
    assert scales == {"a": 0.5}
    assert arrow_scales(vectors, BOX, np.array([1.95, 1.0])) == {"a": 1.0}  # no room: keep
    assert arrow_scales(vectors, BOX, np.array([9.0, 1.0])) == {"a": 1.0}  # outside: keep
