"""The import direction is one way: pages/ui/app -> (viz, scene) -> analysis -> surfaces,
optimizers, netlab; README's layout table says which project packages each lower layer
imports, and this test holds the code to it (the table is parsed, not copied).

``scene`` (the app's state: Scene, URL codec, presets) sits where analysis sat for the ui: it
imports analysis and what analysis imports; viz and scene never import each other (their
rows do not name each other), and nothing below them imports either."""

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Every top-level name of this project that a module could import.
PROJECT = frozenset({
    "surfaces", "optimizers", "analysis", "scene", "viz", "netlab", "ui", "pages", "harness",
    "benchmarks", "deploy", "tools", "tests", "app",
})
LOWER = ("surfaces", "optimizers", "netlab", "analysis", "scene", "viz")
# Never below the pages, whatever README says: the app, its widgets and the test harness.
UPPER = frozenset({"ui", "pages", "harness", "app", "benchmarks", "tools", "tests"})
# Third-party libraries a layer must not import (the project's own layers come from README).
THIRD_PARTY = {
    "surfaces": {"streamlit", "plotly", "torch"},
    "optimizers": {"streamlit", "plotly", "torch", "scipy"},
    "netlab": {"streamlit", "plotly", "torch"},
    "analysis": {"streamlit", "plotly"},
    "scene": {"streamlit", "plotly"},
    "viz": {"streamlit"},
}


def imported_roots(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def readme_layout() -> dict[str, set[str]]:
    """README's layout table: folder -> the project packages its "imports" cell names."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("## Layout", 1)[1].split("\n\n", 2)[1]
    layout = {}
    for line in table.splitlines()[2:]:
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        words = set(re.findall(r"[a-z_]+", re.sub(r"\(.*?\)", "", cells[-1])))
        for folder in re.findall(r"`([a-z_]+)(?:/|\.py)`", cells[0]):
            layout[folder] = words & PROJECT
    return layout


def package_imports(package: str) -> set[str]:
    folder = ROOT / package
    assert folder.is_dir(), f"{package}/ is missing"
    files = sorted(folder.rglob("*.py"))
    assert files, f"{package}/ has no Python files"
    return set().union(*(imported_roots(path) for path in files))


def test_readme_layout_table_is_parsed() -> None:
    layout = readme_layout()
    assert set(LOWER) <= set(layout)
    assert {"ui", "app", "pages", "harness"} <= set(layout)
    assert layout["optimizers"] == set()
    for package in LOWER:
        assert not layout[package] & UPPER, f"README lets {package} import {layout[package]}"
    assert "scene" not in layout["viz"] and "viz" not in layout["scene"]
    for package in ("surfaces", "optimizers", "netlab", "analysis"):
        assert not layout[package] & {"scene", "viz"}, f"README lets {package} import upwards"


@pytest.mark.parametrize("package", LOWER)
def test_package_never_imports_upwards(package: str) -> None:
    allowed = readme_layout()[package] | {package}
    for path in sorted((ROOT / package).rglob("*.py")):
        roots = imported_roots(path)
        bad = (roots & PROJECT - allowed) | (roots & THIRD_PARTY[package])
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)} (README's layout)"


@pytest.mark.parametrize("package", LOWER)
def test_readme_names_exactly_what_each_layer_imports(package: str) -> None:
    actual = package_imports(package) & PROJECT - {package}
    assert readme_layout()[package] == actual, f"README's {package}/ row: say {sorted(actual)}"


def test_checker_sees_imports(tmp_path: Path) -> None:
    probe = tmp_path / "probe.py"
    probe.write_text("import streamlit as st\nfrom plotly import graph_objects\nfrom . import x\n")
    assert imported_roots(probe) == {"streamlit", "plotly"}


def test_ci_runs_the_readme_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    marker = "<!-- test-command -->"
    assert marker in readme, "README marks its test command"
    block = readme.split(marker, 1)[1].split("```", 2)[1]
    command = block.split("\n", 1)[1].strip()
    assert command and command in ci, f"{command!r} must appear verbatim in .ci/run"


def test_the_default_page_does_not_load_sympy() -> None:
    # SymPy is ~34 MB per server process and a slower gc; only a typed formula needs it.
    import subprocess
    import sys

    probe = (
        "import sys\n"
        "from streamlit.testing.v1 import AppTest\n"
        "at = AppTest.from_file('app.py', default_timeout=120).run()\n"
        "assert not at.exception, at.exception\n"
        "print('sympy' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], cwd=ROOT, capture_output=True,
                         text=True, timeout=300, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"
