"""The baseline for the latency ratio: the same race as Descent's default scene, on a bare page.

One select_slider with the app's label and options, the same computation (the default
optimizers on Rosenbrock for the default number of steps, from a ``start x`` number input),
and one plain ``go.Figure`` (contour + one line per optimizer, no animation, no loss panel, no
table, no caching). ``benchmarks/load.py --latency`` runs it next to ``app.py``.

Run alone with ``streamlit run harness/minimal_race_page.py``.
"""

import numpy as np
import plotly.graph_objects as go
import streamlit as st

from analysis.race import race
from scene import Scene

LR_OPTIONS = tuple(float(f"{v:.2g}") for v in np.logspace(-4, 1, 51))
scene = Scene().with_surface("rosenbrock")
surface = scene.get_surface()
(x0, x1), _ = surface.bounds

lr = st.select_slider("Learning rate (log scale)", LR_OPTIONS, value=scene.lr,
                      format_func=lambda v: f"{v:g}", key="lr")
sx = st.number_input("start x", x0, x1, value=float(surface.start[0]), format="%.3f",
                     key="start_x")
specs = [(name, {**hp, "lr": lr}) for name, hp in scene.optimizer_specs()]
entries = race(surface, specs, (float(sx), float(surface.start[1])), scene.steps)
xs, ys, Z = surface.grid(80)
fig = go.Figure(go.Contour(x=xs, y=ys, z=np.log10(Z - Z.min() + 1e-3), showscale=False))
for e in entries:
    fig.add_scatter(x=e.points[:, 0], y=e.points[:, 1], mode="lines", name=e.name)
fig.update_layout(width=900, height=600, xaxis_range=surface.bounds[0],
                  yaxis_range=surface.bounds[1])
st.plotly_chart(fig, theme=None)
