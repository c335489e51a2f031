"""Calibration with uncertainty: priors, simulations on Dask (resumable), neural posterior
estimation, simulation-based calibration, posterior runs and probabilistic skill.

See docs/calibration.md. Calibration fits how people respond (civilians' and members'
responses and uncertain rates) to public figures; it refuses priors on armed actors'
practices (:mod:`ranks.calibrate.ethics`).
"""
