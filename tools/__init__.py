"""Maintenance scripts kept in the repository (run from the checkout: `python tools/...`)."""
