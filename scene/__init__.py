"""The app's state, free of any UI toolkit: a :class:`Scene` (one race, fully specified, and
the labels the page shows for its fields), its URL codec and the lecture presets.

``ui`` turns widgets into a Scene and a Scene into computations; ``analysis`` runs them and
knows nothing of scenes, and ``viz`` draws their results without one. So ``scene`` sits beside
``viz``: ``ui -> (viz, scene) -> analysis -> (surfaces, optimizers, netlab)``. It may import
``analysis``, ``surfaces``, ``optimizers`` and ``netlab``; never ``viz``, ``ui``, Streamlit or
Plotly (``tests/test_architecture.py``).

- :mod:`scene.scene`: ``Scene``, its ranges, defaults, views and labels;
- :mod:`scene.urlstate`: ``Scene`` <-> query parameters, forgiving of any input;
- :mod:`scene.presets`: the lecture presets, each a URL with a caption and checked claims.
"""

from scene.presets import PRESETS, Preset
from scene.scene import Scene
from scene.urlstate import scene_from_query, scene_to_query

__all__ = ["PRESETS", "Preset", "Scene", "scene_from_query", "scene_to_query"]
