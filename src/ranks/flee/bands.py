"""Replicate runs of one Flee scenario: per-camp 5-95 % bands and their coverage of the data.

A run gives one number per camp and day; planners need a range.  :func:`run_replicates` runs a
scenario for consecutive seeds and keeps every run's camp counts; :class:`Replicates` gives the
per-camp, per-day 5th, 50th and 95th percentiles over runs (``numpy.quantile``, linear
interpolation) and the coverage of the observed data: the share of (camp, day) pairs with
data whose observed value lies inside the band (ends included).  With well-calibrated
stochastic runs a 5-95 % band would cover about 90 % of the data; coverage far below that
means the model's spread does not account for the data (bias, or too little variability).
Counts are agents (people / hasten).
"""

from __future__ import annotations

import csv
import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from ranks.flee.engine import FleeEngine, RunResult
from ranks.flee.reader import Scenario
from ranks.flee.validation import camp_maape, metrics

QUANTILES = (0.05, 0.5, 0.95)


@dataclass
class Replicates:
    """Camp counts of ``R`` runs (seeds ``seeds``) of one scenario."""

    scenario: Scenario
    seeds: list[int]
    camp_names: list[str]
    sims: np.ndarray  # (R, T, C) agents per camp at the end of each day
    obs: np.ndarray  # (T, C) observed (people / hasten), NaN where no series
    total: np.ndarray  # (T,) observed total, NaN without data
    run_metrics: list[dict[str, float]]  # per run (empty without data)
    agent_steps: int  # summed over runs
    wall_s: float  # summed over runs (reading excluded)
    first: RunResult | None = None  # the first seed's full result
    warnings: list[str] = field(default_factory=list)

    @property
    def has_data(self) -> np.ndarray:
        """(C,) camps with a validation series."""
        return ~np.isnan(self.obs[0]) if self.obs.size else np.zeros(0, bool)

    def quantiles(self) -> np.ndarray:
        """(3, T, C) 5th, 50th and 95th percentiles over runs."""
        return np.quantile(self.sims.astype(np.float64), QUANTILES, axis=0)

    def coverage(self) -> tuple[float, np.ndarray]:
        """(overall, per camp) share of observed values inside the 5-95 % band (NaN: no data)."""
        q = self.quantiles()
        inside = (self.obs >= q[0]) & (self.obs <= q[2])
        has = ~np.isnan(self.obs)
        per_camp = np.full(len(self.camp_names), np.nan)
        n = has.sum(axis=0)
        per_camp[n > 0] = inside.sum(axis=0)[n > 0] / n[n > 0]
        overall = float(inside[has].mean()) if has.any() else float("nan")
        return overall, per_camp

    def mean_metrics(self) -> dict[str, float | None]:
        """Mean over runs of each error metric (None without data)."""
        if not self.run_metrics:
            return {"averaged_relative_difference": None, "total_error": None, "maape": None}
        return {k: float(np.nanmean([m[k] for m in self.run_metrics]))
                for k in self.run_metrics[0]}

    def camp_maape(self) -> np.ndarray:
        """(C,) per-camp MAAPE of the median run (NaN without data)."""
        out = np.full(len(self.camp_names), np.nan)
        has = self.has_data
        if has.any():
            med = self.quantiles()[1]
            out[has] = camp_maape(med[:, has], self.obs[:, has])
        return out

    def summary(self) -> dict[str, Any]:
        """JSON-ready summary: seeds, metric means and ranges, coverage per camp."""
        cov, per_camp = self.coverage()
        m = self.mean_metrics()
        ranges = {k: [float(np.nanmin([r[k] for r in self.run_metrics])),
                      float(np.nanmax([r[k] for r in self.run_metrics]))]
                  for k in (self.run_metrics[0] if self.run_metrics else {})}
        return {
            "replicates": len(self.seeds),
            "seeds": list(self.seeds),
            "metrics_mean": m,
            "metrics_range": ranges,
            "band": "5th-95th percentile over replicates, per camp and day",
            "coverage": None if math.isnan(cov) else round(cov, 4),
            "coverage_by_camp": {c: (None if math.isnan(v) else round(float(v), 4))
                                 for c, v in zip(self.camp_names, per_camp, strict=True)},
            "maape_by_camp_median_run": {
                c: (None if math.isnan(v) else round(float(v), 4))
                for c, v in zip(self.camp_names, self.camp_maape(), strict=True)},
            "agent_steps": self.agent_steps,
            "agent_steps_per_s": round(self.agent_steps / self.wall_s, 1) if self.wall_s else None,
        }


def run_replicates(scen: Scenario, seeds: list[int],
                   on_run: Callable[[int], None] | None = None,
                   on_day: Callable[[int], None] | None = None) -> Replicates:
    """Run ``scen`` once per seed; ``on_run(i)`` after each run, ``on_day`` within runs."""
    sims = []
    mets: list[dict[str, float]] = []
    steps = 0
    wall = 0.0
    first: RunResult | None = None
    warnings: list[str] = []
    obs = total = None
    names: list[str] = []
    for i, seed in enumerate(seeds):
        t0 = time.perf_counter()
        res = FleeEngine(scen, seed).run(on_day)
        wall += time.perf_counter() - t0
        steps += res.agent_steps
        sims.append(res.camp_sim)
        if first is None:
            first, obs, total, names = res, res.camp_obs, res.total_obs, res.camp_names
            warnings = list(res.warnings)
        has = ~np.isnan(res.camp_obs[0]) if res.camp_obs.size else np.zeros(0, bool)
        if scen.validation is not None and has.any():
            mets.append(metrics(res.camp_sim[:, has].astype(np.float64),
                                res.camp_obs[:, has], res.total_obs))
        if on_run is not None:
            on_run(i)
    assert obs is not None and total is not None
    return Replicates(scenario=scen, seeds=list(seeds), camp_names=names,
                      sims=np.stack(sims), obs=obs, total=total, run_metrics=mets,
                      agent_steps=steps, wall_s=wall, first=first, warnings=warnings)


def _num(x: float) -> str:
    if math.isnan(x):
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:.6f}"


def write_bands_csv(rep: Replicates, path: Path) -> None:
    """One row per day and camp: ``Day,Date,camp,p05,p50,p95,observed,inside``."""
    q = rep.quantiles()
    start = rep.scenario.start_date
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(["Day", "Date", "camp", "p05", "p50", "p95", "observed", "inside"])
        for t in range(rep.sims.shape[1]):
            date = (start + dt.timedelta(days=t)).isoformat()
            for j, name in enumerate(rep.camp_names):
                o = rep.obs[t, j]
                inside = "" if math.isnan(o) else str(int(q[0, t, j] <= o <= q[2, t, j]))
                w.writerow([t, date, name, _num(q[0, t, j]), _num(q[1, t, j]),
                            _num(q[2, t, j]), _num(o), inside])


def camp_rows(rep: Replicates) -> list[list[Any]]:
    """Per-camp table rows: coverage, MAAPE, final observed, median and band."""
    q = rep.quantiles()
    _, cov = rep.coverage()
    mp = rep.camp_maape()
    rows = []
    for j, name in enumerate(rep.camp_names):
        o = rep.obs[-1, j]
        rows.append([name, "n/a" if math.isnan(cov[j]) else f"{cov[j]:.2f}",
                     "n/a" if math.isnan(mp[j]) else f"{mp[j]:.3f}",
                     "n/a" if math.isnan(o) else int(o), int(q[1, -1, j]),
                     f"{int(q[0, -1, j])}-{int(q[2, -1, j])}"])
    return rows


def write_replicate_outputs(rep: Replicates, out_dir: Path) -> dict[str, Any]:
    """Write out.csv and summary.json of the first seed (as a single run writes them, with
    a ``replicates`` block added), bands.csv and report.html; return the summary."""
    import json

    from ranks.flee.output import write_out_csv
    from ranks.flee.plots import camp_series_png, scenario_page

    assert rep.first is not None
    write_out_csv(rep.first, out_dir / "out.csv")
    summary = rep.first.summary()
    summary["replicates"] = rep.summary()
    (out_dir / "summary.json").write_text(json.dumps(summary, indent=2) + "\n",
                                          encoding="utf-8")
    write_bands_csv(rep, out_dir / "bands.csv")
    scen = rep.scenario
    where = scen.input_dir
    if where.name in ("input_csv", "input_files"):  # a FabFlee conflict directory
        where = where.parent
    title = f"Flee scenario {where.name}"
    png = camp_series_png(rep.camp_names, scen.start_date, rep.quantiles(), rep.obs, title,
                          scen.settings.hasten)
    m = rep.mean_metrics()
    cov, _ = rep.coverage()
    meta = {"replicates": len(rep.seeds), "seeds": f"{rep.seeds[0]}-{rep.seeds[-1]}",
            "days": scen.days, "ARD (mean)": m["averaged_relative_difference"],
            "total error (mean)": m["total_error"], "MAAPE (mean)": m["maape"],
            "coverage": cov}
    (out_dir / "report.html").write_text(scenario_page(title, meta, png, camp_rows(rep)),
                                         encoding="utf-8")
    return summary
