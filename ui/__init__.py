"""Streamlit wiring for app.py: widgets <-> Scene, URL sync. Layout only; no maths here."""
