"""The registry of surfaces, in teaching order, and :func:`get_surface`."""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from surfaces._activations import KINK, PLATEAU, SMOOTH_KINK
from surfaces._classic import BEALE, HIMMELBLAU, RASTRIGIN, ROSENBROCK, SIX_HUMP_CAMEL
from surfaces._quadratics import BOWL, RAVINE
from surfaces._saddles import MONKEY_SADDLE, SADDLE, SADDLE_ESCAPE
from surfaces._surface import Surface

SURFACES: Mapping[str, Surface] = MappingProxyType(
    {
        surface.name: surface
        for surface in (
            BOWL,
            RAVINE,
            SADDLE,
            SADDLE_ESCAPE,
            MONKEY_SADDLE,
            ROSENBROCK,
            BEALE,
            HIMMELBLAU,
            SIX_HUMP_CAMEL,
            RASTRIGIN,
            PLATEAU,
            KINK,
            SMOOTH_KINK,
        )
    }
)
"""Read-only mapping ``name -> Surface`` in teaching order (iteration order is the menu order)."""


def get_surface(name: str) -> Surface:
    """Look up a surface by its registry name.

    Parameters
    ----------
    name : str
        A key of :data:`SURFACES`, e.g. ``"rosenbrock"``.

    Returns
    -------
    Surface
        The registered surface.

    Raises
    ------
    KeyError
        If ``name`` is unknown; the message lists the valid names.

    Examples
    --------
    >>> get_surface("rosenbrock").minima
    array([[1., 1.]])
    """
    try:
        return SURFACES[name]
    except KeyError:
        valid = ", ".join(SURFACES)
        raise KeyError(f"Unknown surface {name!r}; valid names: {valid}") from None
