"""Test and benchmark harness: start a Streamlit server, drive it in headless Chromium.

Used by the browser tests (tests/test_e2e.py) and the benchmarks; not imported by the app.
"""
