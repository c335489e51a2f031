"""Target values of one simulation, in memory, and the observation model used to fit them.

A simulation's summary is the value of every target (fitted and held out) computed as
``ranks check`` computes it (:func:`ranks.report.targets.simulate`), from the replicate's
tables without writing a run directory.

Observation model: a reported figure ``y`` of a ``within`` target is read as the simulated
value plus a normal error whose 95% interval is the target's tolerance:
``y ~ Normal(sim, (tolerance / 1.96)^2)``. Bounds (``at_least``, ``at_most``) carry no value
to fit and are not used by the estimator; the calibration report checks them on the
posterior predictive. Features given to the estimator are ``log1p`` of population counts
(scaled targets) and the raw value of shares.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ranks.report.rundir import Place, RunDir, _tidy
from ranks.report.targets import LoadedTargets, Target, check_names, simulate

if TYPE_CHECKING:
    from ranks.runner import ReplicateResult
    from ranks.scenario.loader import Loaded

def run_dir_of(results: list[ReplicateResult], loaded: Loaded, scale: float,
               until: dt.date | None) -> RunDir:
    """An in-memory :class:`RunDir` of replicate results (what ``ranks run`` would write)."""
    sc = loaded.scenario
    events = _tidy(pd.concat([r.events for r in results], ignore_index=True))
    stocks = _tidy(pd.concat([r.stocks for r in results], ignore_index=True))
    manifest = {"scenario": {"name": sc.name, "path": str(loaded.path)}, "scale": scale,
                "start": sc.period.start.isoformat(),
                "end": (until or sc.period.end).isoformat(),
                "replicates": [{"replicate": r.replicate, "seed": r.seed} for r in results]}
    places = [Place(p.name, p.type, p.lat, p.lon, int(getattr(p, "population", 0) or 0))
              for p in sc.places]
    actors = {a.id: {"name": a.name, "kind": a.kind, "color": getattr(a, "color", None)}
              for a in sc.actors}
    from pathlib import Path

    return RunDir(Path("<memory>"), manifest, events, stocks, places, actors)


def target_values(lt: LoadedTargets, run: RunDir) -> dict[str, float]:
    """Mean over the run's replicates of every target (NaN where it has no data)."""
    out: dict[str, float] = {}
    for t in lt.targets:
        if not isinstance(t, Target):  # dated series: scored by ranks check, not fitted
            continue
        r = simulate(t, run)
        out[t.id] = float(np.mean(r.values)) if r.values.size else float("nan")
    return out


def check_target_names(lt: LoadedTargets, run: RunDir) -> None:
    """Actor and place names of the targets exist in the scenario (input error otherwise)."""
    check_names(lt, run)


def fit_targets(lt: LoadedTargets) -> list[Target]:
    """Targets the estimator fits: fitted (``used_in_fitting``) targets with a value
    (``compare: within``)."""
    return [t for t in lt.targets if isinstance(t, Target) and t.used_in_fitting
            and t.compare == "within"]


def obs_sd(t: Target) -> float:
    """Standard deviation of the observation error of target ``t`` (its unit):
    :meth:`Target.error_sd`."""
    return t.error_sd()


def features(targets: list[Target], x: np.ndarray) -> np.ndarray:
    """Estimator features of target values ``x`` (n, k): log1p of counts, raw shares."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    f = x.copy()
    for j, t in enumerate(targets):
        if t.is_scaled():
            f[:, j] = np.log1p(np.maximum(x[:, j], 0.0))
    return f


def add_noise(targets: list[Target], x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Simulated target values plus the observation error (counts kept non-negative)."""
    x = np.atleast_2d(np.asarray(x, dtype=np.float64))
    sd = np.array([obs_sd(t) for t in targets])
    y = x + rng.normal(size=x.shape) * sd
    for j, t in enumerate(targets):
        if t.is_scaled():
            y[:, j] = np.maximum(y[:, j], 0.0)
    return y


__all__ = ["add_noise", "features", "fit_targets", "obs_sd", "run_dir_of", "target_values"]
