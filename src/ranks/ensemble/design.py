"""Sweep designs: grid, Latin hypercube, Sobol (Saltelli) and Morris, via SALib.

Every design is first drawn in the unit hypercube (columns ``u.<name>`` of design.parquet);
values are then ``min + u * (max - min)`` (or the same in log space with ``log: true``),
rounded for integer parameters. Sensitivity analysis uses the unit coordinates, so Morris
elementary effects are per full range of each parameter.
"""

from __future__ import annotations

import itertools
import warnings
from typing import Any

import numpy as np
import pandas as pd

from ranks.ensemble.spec import ParamSpec, SweepSpec


def salib_problem(spec: SweepSpec) -> dict[str, Any]:
    """The SALib problem in unit coordinates."""
    names = [p.label for p in spec.parameters]
    return {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}


#: Most runs (design points x replicates) a sweep may have: more is a typo or a job for
#: another tool; the sweep is refused before the design is drawn.
MAX_RUNS = 100_000


def design_size(spec: SweepSpec) -> int:
    """Number of design points ``spec`` makes, computed without drawing them."""
    d = len(spec.parameters)
    if spec.design == "grid":
        n = 1
        for p in spec.parameters:
            n *= len(p.values) if p.values is not None else (p.points or spec.levels)
        return n
    n = int(spec.samples or 0)
    if spec.design == "lhs":
        return n
    if spec.design == "sobol":
        return n * (2 * d + 2 if spec.second_order else d + 2)
    return n * (d + 1)  # morris


def unit_design(spec: SweepSpec) -> np.ndarray:
    """Design points in the unit hypercube, shape (points, parameters)."""
    problem = salib_problem(spec)
    d = problem["num_vars"]
    if spec.design == "grid":
        axes = []
        for p in spec.parameters:
            if p.values is not None:
                axes.append(np.full(len(p.values), np.nan))  # values are used as given
            else:
                axes.append(np.linspace(0.0, 1.0, p.points or spec.levels))
        idx = list(itertools.product(*[range(len(a)) for a in axes]))
        return np.array([[axes[j][i[j]] for j in range(d)] for i in idx], dtype=np.float64)
    n = int(spec.samples or 0)
    if spec.design == "lhs":
        from SALib.sample import latin

        return np.asarray(latin.sample(problem, n, seed=spec.seed), dtype=np.float64)
    if spec.design == "sobol":
        from SALib.sample import sobol

        with warnings.catch_warnings():  # N not a power of 2: SALib warns, still valid
            warnings.simplefilter("ignore")
            return np.asarray(sobol.sample(problem, n, calc_second_order=spec.second_order,
                                           scramble=True, seed=spec.seed), dtype=np.float64)
    from SALib.sample import morris

    return np.asarray(morris.sample(problem, n, num_levels=spec.levels, seed=spec.seed),
                      dtype=np.float64)


def _grid_values(spec: SweepSpec) -> list[list[float]]:
    axes = []
    for p in spec.parameters:
        if p.values is not None:
            axes.append(list(p.values))
        else:
            u = np.linspace(0.0, 1.0, p.points or spec.levels)
            axes.append([to_value(p, float(x), None) for x in u])
    return [list(v) for v in itertools.product(*axes)]


def to_value(p: ParamSpec, u: float, integer: bool | None) -> float:
    """Map a unit coordinate to the parameter's value."""
    assert p.min is not None and p.max is not None
    if p.log:
        v = float(np.exp(np.log(p.min) + u * (np.log(p.max) - np.log(p.min))))
    else:
        v = p.min + u * (p.max - p.min)
    return float(round(v)) if integer else v


def build_design(spec: SweepSpec, integer: list[bool]) -> pd.DataFrame:
    """design.parquet: ``point``, ``u.<name>`` (unit coordinates) and ``<name>`` (values)."""
    u = unit_design(spec)
    df = pd.DataFrame({"point": np.arange(len(u), dtype=np.int64)})
    grid = _grid_values(spec) if spec.design == "grid" else None
    for j, p in enumerate(spec.parameters):
        df[f"u.{p.label}"] = u[:, j]
        if grid is not None:
            vals = [row[j] for row in grid]
            df[p.label] = [float(round(v)) if integer[j] else float(v) for v in vals]
        else:
            df[p.label] = [to_value(p, float(x), integer[j]) for x in u[:, j]]
    return df


def point_overrides(spec: SweepSpec, row: pd.Series, integer: list[bool]) -> dict[str, Any]:
    """Scenario overrides (dotted path -> value) of one design point."""
    out: dict[str, Any] = {}
    for j, p in enumerate(spec.parameters):
        v = float(row[p.label])
        out[p.path] = int(round(v)) if integer[j] else v
    return out
