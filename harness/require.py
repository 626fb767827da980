"""Skip a test whose tool is missing, unless CI requires it: then fail.

One mechanism for every optional tool: ``REQUIRE_E2E=1`` (browser and nginx tests) and
``REQUIRE_TORCH=1`` (the live torch cross-checks). `.ci/run` sets both.
"""

from __future__ import annotations

import os
from types import ModuleType

E2E = "REQUIRE_E2E"
TORCH = "REQUIRE_TORCH"


def required(env: str = E2E) -> bool:
    """True when the environment variable ``env`` is set to something other than ``""``,
    ``0``, ``false`` or ``no``: a missing tool must fail the run instead of skipping."""
    return os.environ.get(env, "").strip() not in ("", "0", "false", "no")


def skip_or_fail(reason: str | None, env: str = E2E) -> None:
    """Skip the calling test (module) with ``reason``, or fail it when ``env`` is required
    (`required`). Does nothing when ``reason`` is None."""
    import pytest

    if reason is None:
        return
    if required(env):
        pytest.fail(f"{env}=1 but {reason}", pytrace=False)
    pytest.skip(reason, allow_module_level=True)


def import_torch() -> ModuleType:
    """``import torch``, or skip (fail under ``REQUIRE_TORCH=1``) when it is not installed."""
    try:
        import torch
    except ImportError:
        skip_or_fail("torch is not installed (pip install torch==2.13.0)", TORCH)
        raise  # not reached: skip_or_fail raised
    return torch
