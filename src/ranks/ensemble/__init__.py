"""Ensembles on Dask: replicates in parallel, parameter sweeps that resume, sensitivity.

- :mod:`ranks.ensemble.cluster`: a Dask client on a LocalCluster or an existing scheduler,
  and a per-worker cache of loaded scenarios.
- :mod:`ranks.ensemble.replicates`: ``ranks run --workers W`` (replicates on Dask).
- :mod:`ranks.ensemble.sweep`: ``ranks sweep`` (designs, overrides, resume, ``runs.parquet``).
- :mod:`ranks.ensemble.sensitivity`: ``ranks sensitivity`` (Sobol / Morris indices).

See docs/ensembles.md.
"""
