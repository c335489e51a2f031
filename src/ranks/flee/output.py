"""Write a run's ``out.csv`` (one row per day) and ``summary.json``."""

from __future__ import annotations

import csv
import datetime as dt
import json
import math
from pathlib import Path

import numpy as np

from ranks.flee.engine import RunResult


def _num(x: float) -> str:
    """Deterministic text for a float: integers bare, others with 6 decimals, NaN empty."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return ""
    if float(x).is_integer():
        return str(int(x))
    return f"{x:.6f}"


def write_out_csv(res: RunResult, path: Path) -> None:
    """Per day: each camp's simulated agents, observed count and relative error, then totals.

    Columns follow Flee's run script (``<camp> sim``, ``<camp> data``, ``<camp> error``,
    ``Total error``, ...) plus ``relative difference`` (the day's term of
    ``averaged_relative_difference``) and ``agents on links``.  Counts are agents (people /
    hasten); observed columns are empty without validation data.
    """
    T = res.camp_sim.shape[0]
    has = ~np.isnan(res.camp_obs[0]) if T else np.zeros(0, bool)
    start = res.scenario.start_date
    header = ["Day", "Date"]
    for name in res.camp_names:
        header += [f"{name} sim", f"{name} data", f"{name} error"]
    header += ["Total error", "refugees in camps (UNHCR)", "total refugees (simulation)",
               "raw UNHCR refugee count", "refugees in camps (simulation)", "refugee_debt",
               "relative difference", "agents on links", "new agents"]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(header)
        for t in range(T):
            sim = res.camp_sim[t].astype(np.float64)
            obs = res.camp_obs[t]
            row: list[str] = [str(t), (start + dt.timedelta(days=t)).isoformat()]
            for j in range(len(res.camp_names)):
                o = obs[j]
                if math.isnan(o):
                    err = float("nan")
                else:
                    err = 0.0 if o < 1e-5 else round(abs(sim[j] / o - 1.0), 4)
                row += [_num(sim[j]), _num(o), _num(err)]
            absdiff = float(np.abs(sim[has] - obs[has]).sum()) if has.any() else float("nan")
            obs_sum = float(obs[has].sum()) if has.any() else float("nan")
            raw = res.total_obs[t]
            tot_err = absdiff / raw if (not math.isnan(raw) and raw > 0) else float("nan")
            rel = absdiff / max(obs_sum, 1.0) if has.any() else float("nan")
            row += [_num(tot_err), _num(obs_sum), _num(res.agents[t]), _num(raw),
                    _num(float(sim.sum())), _num(res.debt[t]), _num(rel),
                    _num(res.on_links[t]), _num(res.new_agents[t])]
            w.writerow(row)


def write_summary(res: RunResult, path: Path) -> dict:
    """Write summary.json (see :meth:`RunResult.summary`); return its content."""
    summary = res.summary()
    path.write_text(json.dumps(summary, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    return summary


def write_outputs(res: RunResult, out_dir: Path) -> dict:
    """Write out.csv and summary.json into ``out_dir``; return the summary."""
    write_out_csv(res, out_dir / "out.csv")
    return write_summary(res, out_dir / "summary.json")
