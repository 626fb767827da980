"""Streamlit's floor: one slider and a 3-point Plotly chart (the latency baseline)."""

import plotly.graph_objects as go
import streamlit as st

v = st.slider("value", 0, 100, 50, key="value")
fig = go.Figure(go.Scatter(x=[0, 1, 2], y=[0, v, 0]))
fig.update_yaxes(range=[0, 100])  # fixed, so a new value redraws a different path
st.plotly_chart(fig, theme=None)
