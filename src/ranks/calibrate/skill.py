"""Probabilistic skill of an ensemble against observations: interval coverage, the
continuous ranked probability score (CRPS) and skill against a naive baseline.

An *observation* is one reported figure with its simulated ensemble (one value per
replicate or posterior draw). A scalar target gives one observation; a dated series with a
band gives one per date (:class:`Observation` does not care which). The predictive
distribution of a reported figure is the ensemble plus the target's observation error
(:func:`ranks.calibrate.summaries.obs_sd`), so a perfect model covers its figures at the
nominal rate.

- coverage at level L: the share of observations inside the central L interval of their
  predictive distribution (50%, 80%, 95%);
- CRPS (same unit as the figure; lower is better):
  ``E|X - y| - E|X - X'| / 2`` over the predictive draws X;
- skill: ``1 - CRPS / CRPS_baseline`` (1 perfect, 0 no better than the baseline, negative
  worse), baseline the prior predictive (the calibration's prior simulations) or, for a
  dated series, persistence (the last observed value carried forward).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ranks.report.targets import Observation, TargetResult

LEVELS = (0.5, 0.8, 0.95)


def predictive(obs: Observation, values: np.ndarray, n: int = 400, seed: int = 0
               ) -> np.ndarray:
    """Draws of the reported figure: ``values`` resampled plus the observation error."""
    rng = np.random.default_rng(seed)
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if v.size == 0:
        return v
    idx = rng.integers(0, v.size, size=max(n, v.size))
    return v[idx] + rng.normal(size=idx.size) * obs.sd


def crps(draws: np.ndarray, y: float) -> float:
    """CRPS of the empirical distribution of ``draws`` at ``y`` (sorted-sample formula)."""
    x = np.sort(np.asarray(draws, dtype=np.float64))
    n = x.size
    if n == 0:
        return float("nan")
    term1 = float(np.mean(np.abs(x - y)))
    i = np.arange(1, n + 1)
    term2 = float(np.sum((2 * i - n - 1) * x)) / (n * n)
    return term1 - term2


def inside(draws: np.ndarray, y: float, level: float) -> bool:
    """Whether ``y`` lies in the central ``level`` interval of ``draws``."""
    lo, hi = np.quantile(draws, [(1 - level) / 2, 1 - (1 - level) / 2])
    return bool(lo <= y <= hi)


@dataclass
class Skill:
    """Scores of one observation."""

    obs: Observation
    hits: dict[float, bool]
    crps: float
    crps_baseline: float | None
    interval: dict[float, tuple[float, float]]

    @property
    def skill(self) -> float | None:
        if self.crps_baseline is None or not self.crps_baseline > 0:
            return None
        return 1.0 - self.crps / self.crps_baseline


def score(obs: Observation) -> Skill:
    """Coverage, CRPS and baseline CRPS of one observation (baseline: the prior predictive
    when given, else persistence for a point of a series)."""
    pred = predictive(obs, obs.ensemble)
    hits = {lev: inside(pred, obs.observed, lev) for lev in LEVELS}
    iv: dict[float, tuple[float, float]] = {}
    for lev in LEVELS:
        lo, hi = np.quantile(pred, [(1 - lev) / 2, 1 - (1 - lev) / 2])
        iv[lev] = (float(lo), float(hi))
    base = None
    if obs.baseline is not None and np.isfinite(obs.baseline).any():
        base = crps(predictive(obs, obs.baseline), obs.observed)
    elif obs.persistence is not None:
        base = abs(obs.persistence - obs.observed)  # CRPS of a point forecast
    return Skill(obs, hits, crps(pred, obs.observed), base, iv)


@dataclass
class SkillSummary:
    """Scores of a set of observations."""

    scores: list[Skill]

    @property
    def n(self) -> int:
        return len(self.scores)

    def coverage(self, level: float) -> float:
        return float(np.mean([s.hits[level] for s in self.scores])) if self.scores else \
            float("nan")

    def mean_crps(self) -> float:
        return float(np.mean([s.crps for s in self.scores])) if self.scores else float("nan")

    def skill(self) -> float | None:
        """``1 - sum CRPS / sum baseline CRPS`` over observations with a baseline (CRPS in
        each figure's unit, so targets of large value weigh more; per-target skills are in
        the table)."""
        pairs = [(s.crps, s.crps_baseline) for s in self.scores if s.crps_baseline]
        if not pairs:
            return None
        a, b = np.array(pairs).T
        return float(1.0 - a.sum() / b.sum()) if b.sum() > 0 else None

    def as_dict(self) -> dict:
        return {"observations": self.n,
                "coverage": {f"{int(lev * 100)}%": self.coverage(lev) for lev in LEVELS},
                "crps_mean": self.mean_crps(), "skill_vs_baseline": self.skill(),
                "per_observation": [
                    {"label": s.obs.label, "observed": s.obs.observed, "crps": s.crps,
                     "crps_baseline": s.crps_baseline, "skill": s.skill,
                     **{f"in_{int(lev * 100)}": s.hits[lev] for lev in LEVELS},
                     **{f"interval_{int(lev * 100)}": list(s.interval[lev]) for lev in LEVELS}}
                    for s in self.scores]}


def summarize(observations: list[Observation]) -> SkillSummary:
    """Score every observation."""
    return SkillSummary([score(o) for o in observations])


def prior_predictive(cal_dir: str | Path | None) -> dict[str, np.ndarray]:
    """Target id -> values of a calibration's finished prior (training) simulations: the
    naive baseline. {} when there is no such calibration directory."""
    if not cal_dir:
        return {}
    p = Path(cal_dir) / "simulations.parquet"
    if not p.exists():
        return {}
    tab = pd.read_parquet(p)
    ok = tab[(tab["status"] == "ok") & (tab["kind"] == "train")]
    return {c[2:]: ok[c].to_numpy(dtype=np.float64) for c in ok.columns if c.startswith("t:")}


def heldout_skill(results: list[TargetResult], cal_dir: str | Path | None = None,
                  held_out: bool = True) -> SkillSummary:
    """Scores of the held-out (``held_out``) or fitted targets' observations, with the
    prior predictive of the calibration in ``cal_dir`` as baseline where it has the
    target."""
    base = prior_predictive(cal_dir)
    obs: list[Observation] = []
    for r in results:
        for o in r.observations():
            if o.fitted == held_out:  # a series' points may be fitted or held out each
                continue
            if o.baseline is None and o.target in base:
                o.baseline = base[o.target]
            if o.ensemble.size >= 2:
                obs.append(o)
    return summarize(obs)


__all__ = ["LEVELS", "Skill", "SkillSummary", "crps", "heldout_skill", "inside", "predictive",
           "prior_predictive", "score", "summarize"]
