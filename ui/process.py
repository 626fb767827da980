"""Once per server process (not per run: app.py itself is executed afresh on every run)."""

from __future__ import annotations

import gc

_frozen = False


def freeze_imports() -> None:
    """After the process's first run has imported the app: move every object alive then (the
    modules, about 120,000-180,000 objects) out of the cyclic garbage collector's reach. They
    live as long as the process, yet each full collection walked them all, and the collector
    runs full collections on its own while races allocate (docs/performance.md).

    The flag is ours, not ``gc.get_freeze_count() == 0``: that call walks the whole frozen
    list of objects, on every run."""
    global _frozen
    if not _frozen:
        gc.collect()  # the imports' own garbage first: frozen objects are never collected
        gc.freeze()
        _frozen = True
