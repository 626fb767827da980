"""House style that a machine can check: ruff clean (the config is in pyproject.toml)."""

import shutil
import subprocess

import pytest

from tests.conftest import ROOT


def test_ruff_clean():
    if shutil.which("ruff") is None:
        pytest.skip("ruff is not installed (pip install -r requirements-dev.txt)")
    result = subprocess.run(["ruff", "check", "--no-cache", "."], cwd=ROOT,
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr




def test_measured_figures_live_in_docs_not_in_code():
    """Timings and sizes go stale in comments: the code says why, docs/performance.md how much."""
    import re

    measured = re.compile(r"(~|about |takes )[0-9][0-9.,]* ?(ms|s|MB|KB|MiB|KiB|GB)\b")
    folders = ("analysis", "netlab", "optimizers", "pages", "scene", "surfaces", "ui", "viz")
    hits = [
        f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
        for folder in folders
        for path in sorted((ROOT / folder).rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if measured.search(line)
    ]
    assert not hits, "\n".join(hits)
    assert (ROOT / "docs" / "performance.md").exists()
