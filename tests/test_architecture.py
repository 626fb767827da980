"""The import direction is one way: ui -> (viz, scene) -> analysis -> (surfaces, optimizers,
netlab). ``scene`` (the app's state: Scene, URL codec, presets) sits where analysis sat for the
ui: it may import analysis and below, and nothing imports it but the ui, pages and tools."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# package -> top-level modules it must never import
UI = {"ui", "pages", "app", "streamlit"}
FORBIDDEN = {
    "surfaces": {"optimizers", "analysis", "scene", "viz", "plotly", "torch", "netlab"} | UI,
    "optimizers": {"surfaces", "analysis", "scene", "viz", "plotly", "torch", "netlab"} | UI,
    "analysis": {"scene", "viz", "plotly"} | UI,
    "scene": {"viz", "plotly"} | UI,
    "viz": {"scene"} | UI,
    "netlab": {"analysis", "scene", "viz", "plotly"} | UI,
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


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_never_imports_upwards(package: str) -> None:
    folder = ROOT / package
    if not folder.exists():
        pytest.skip(f"{package}/ does not exist yet")
    files = sorted(folder.rglob("*.py"))
    assert files
    for path in files:
        bad = imported_roots(path) & FORBIDDEN[package]
        assert not bad, f"{path.relative_to(ROOT)} imports {sorted(bad)}"


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
