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


