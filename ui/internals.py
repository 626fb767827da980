"""Inside the optimizers: a row of small figures under the race, each drawn only where it
applies (a decay schedule; Prodigy; a Schedule-Free optimizer), each with the caption that
says what to see."""

from __future__ import annotations

import logging

import numpy as np
import streamlit as st

from analysis.internals import (
    IGNORES_SCHEDULE,
    PRODIGY,
    SCHEDULE_FREE,
    Internals,
    lr_curves,
)
from analysis.race import RaceEntry, base_name
from scene import Scene
from ui import cached
from viz import internals as figures
from viz.spec import SpecFigure

PER_ROW = 3
_CONFIG = {"displaylogo": False, "displayModeBar": False}
_LOG = logging.getLogger(__name__)


def _panels(scene: Scene, entries: tuple[RaceEntry, ...]) -> list[tuple[str, SpecFigure, str]]:
    """``(key, figure, caption)`` of every figure that applies to ``scene``."""
    # only a race with Prodigy or Schedule-Free has internals to re-run (and to cache)
    wanted = {PRODIGY, *SCHEDULE_FREE} & {base_name(n) for n in scene.optimizers}
    inside = cached.internals(scene) if wanted else Internals(prodigy=(), schedule_free=())
    panels = []
    curves = lr_curves(entries)  # Prodigy's among them: its lr multiplies its d
    if scene.schedule != "constant" and curves:
        kind, params = scene.schedule_spec()
        # The caption's numbers come from the longest curve that follows the schedule (a
        # diverged run's is cut short; a racer may run without the schedule).
        lrs = max((c.lrs for c in curves if c.scheduled), key=len, default=None)
        ignored = sorted({base_name(e.name) for e in entries} & IGNORES_SCHEDULE)
        panels.append(("internals_lr", figures.lr_figure(curves, inside.prodigy),
                       figures.lr_caption(kind or "", params, lrs, ignored)))
    if inside.prodigy:
        panels.append(("internals_d", figures.prodigy_figure(inside.prodigy),
                       figures.prodigy_caption(inside.prodigy)))
    background = cached.map_background(scene) if inside.schedule_free else None
    for seq in inside.schedule_free:
        panels.append((f"internals_{seq.name}",
                       figures.sequences_figure(scene.get_surface(), seq, background),
                       figures.sequences_caption(seq)))
    return panels


def internals_view(scene: Scene, entries: tuple[RaceEntry, ...]) -> None:
    """The figures of `_panels`, up to `PER_ROW` in a row, each with its caption (under the
    race only: the other views have figures of their own)."""
    if scene.view != "race":
        return
    try:
        panels = _panels(scene, entries)
    except (ValueError, TypeError, ArithmeticError, np.linalg.LinAlgError) as err:
        # These figures only add to the race: without them the page still works.
        _LOG.warning("no internals for %s: %r", scene, err)
        st.caption("The optimizers' internals could not be computed for this scene.")
        return
    for start in range(0, len(panels), PER_ROW):
        for column, (key, figure, caption) in zip(
                st.columns(PER_ROW, gap="small"), panels[start:start + PER_ROW], strict=False):
            column.plotly_chart(figure, theme=None, key=key, config=_CONFIG)
            column.caption(caption)
