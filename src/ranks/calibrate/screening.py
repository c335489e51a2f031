"""Morris screening before calibration: which uncertain parameters move the targets?

Candidates are every numeric module or population parameter of the scenario whose evidence
is an assumption or whose note says it was fitted, and that calibration may fit
(:func:`ranks.calibrate.ethics.refusal`): how people respond and uncertain rates, never an
armed actor's practice. Each ranges over a factor ``spread`` either side of its documented
value (log scale; shares capped at 1). The sweep machinery runs a Morris design
(``ranks sweep``: SALib trajectories on Dask, resumable); the targets are computed on every
run directory, and Morris ``mu*`` of each fitted target, divided by that target's standard
deviation over the runs, ranks the parameters. The 8-15 with the largest effect are
written as a draft priors file (log-uniform over the screened range, with each parameter's
own evidence), to be read and edited before calibrating.

Writes into DIR (besides the sweep's own files): ``screening.csv`` (parameter, target,
mu_star, mu_star_conf, sigma, effect = mu_star / sd of the target), ``screening.json``
(candidates, ranking, chosen) and ``priors.draft.yaml``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml

from ranks.calibrate.ethics import refusal
from ranks.errors import ScenarioError


@dataclass
class Candidate:
    """A screened parameter: path, documented value, range, evidence."""

    path: str
    value: float
    min: float
    max: float
    integer: bool
    evidence: str


def candidates(scenario: Path, spread: float = 2.0) -> tuple[list[Candidate], list[dict]]:
    """Parameters to screen, and the ones left out with the reason."""
    from ranks.ensemble.sweep import _base_value
    from ranks.evidence import evidence_rows
    from ranks.runner import load as load_scenario

    loaded = load_scenario(scenario)
    out: list[Candidate] = []
    skipped: list[dict] = []
    for r in evidence_rows(loaded):
        if not r.path.startswith(("modules.", "population.")):
            continue
        fitted = "fitted" in (r.note or "").lower()
        if not (r.evidence.startswith("assumption") or fitted):
            continue
        path = f"{r.path}.value"
        why = refusal(path)
        if why is not None:
            skipped.append({"path": path, "why": why.split(":")[0]})
            continue
        v = _base_value(loaded, path)
        if isinstance(v, bool) or not isinstance(v, int | float | np.integer | np.floating):
            continue
        v = float(v)
        if v <= 0:
            skipped.append({"path": path, "why": "value 0: no factor range"})
            continue
        integer = isinstance(_base_value(loaded, path), int | np.integer)
        lo, hi = v / spread, v * spread
        if v <= 1 and ("share" in path or "chance" in path or "_prob" in path):
            hi = min(hi, 1.0)
        if integer:
            lo, hi = max(1.0, float(np.floor(lo))), float(np.ceil(hi))
            if hi <= lo:
                continue
        ok = True
        for x in (lo, hi):
            try:
                load_scenario(scenario, {path: int(x) if integer else x})
            except ScenarioError as e:
                skipped.append({"path": path, "why": f"range refused: {e.message}"})
                ok = False
                break
        if ok:
            out.append(Candidate(path, v, lo, hi, integer, r.evidence))
    return out, skipped


def sweep_yaml(cands: list[Candidate], trajectories: int, scale: float,
               until: str | None, seed: int) -> str:
    """The Morris sweep file of the candidates."""
    doc: dict[str, Any] = {"design": "morris", "samples": trajectories, "levels": 4,
                           "seed": seed, "replicates": 1, "scale": scale,
                           "parameters": [{"path": c.path, "name": label(c.path),
                                           "min": c.min, "max": c.max, "log": True,
                                           "integer": c.integer} for c in cands]}
    if until:
        doc["until"] = until
    return yaml.safe_dump(doc, sort_keys=False)


def label(path: str) -> str:
    """A short column name: module.parameter."""
    parts = path.removesuffix(".value").split(".")
    return ".".join(parts[1:]) if parts[0] == "modules" else ".".join(parts)


def target_table(out: Path, targets: Path) -> pd.DataFrame:
    """Target values (population units) of every finished run of the sweep in ``out``:
    one row per run with ``point`` and one column per target id."""
    from ranks.report.rundir import load_run_dir
    from ranks.report.targets import evaluate, load_targets

    lt = load_targets(targets)
    runs = pd.read_parquet(out / "runs.parquet")
    rows = []
    for _, r in runs[runs["status"] == "ok"].iterrows():
        run = load_run_dir(out / "runs" / r["run_id"])
        row: dict[str, float] = {"point": int(r["point"])}
        for res in evaluate(lt, run):
            row[res.target.id] = res.mean
        rows.append(row)
    return pd.DataFrame(rows)


def analyze(out: Path, targets: Path, cands: list[Candidate], fitted_only: bool = True
            ) -> pd.DataFrame:
    """Morris indices of each target; ``effect`` = mu* / standard deviation of the target
    over the runs (comparable across targets)."""
    from SALib.analyze import morris

    from ranks.report.targets import Target, load_targets

    lt = load_targets(targets)
    ids = [t.id for t in lt.targets
           if isinstance(t, Target) and (t.used_in_fitting or not fitted_only)]
    design = pd.read_parquet(out / "design.parquet")
    vals = target_table(out, targets).groupby("point").mean().reindex(design["point"])
    names = [label(c.path) for c in cands]
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    u = design[[f"u.{n}" for n in names]].to_numpy(float)
    rows = []
    for tid in ids:
        y = vals[tid].to_numpy(float)
        sd = float(np.nanstd(y))
        if not np.isfinite(y).all() or sd == 0:
            continue
        res = morris.analyze(problem, u, y, num_resamples=200, conf_level=0.95,
                             num_levels=4, seed=12345)
        for j, c in enumerate(cands):
            rows.append({"parameter": names[j], "path": c.path, "target": tid,
                         "mu_star": float(res["mu_star"][j]),
                         "mu_star_conf": float(res["mu_star_conf"][j]),
                         "sigma": float(res["sigma"][j]),
                         "effect": float(res["mu_star"][j]) / sd})
    return pd.DataFrame(rows)


def choose(table: pd.DataFrame, lo: int = 8, hi: int = 15, threshold: float = 0.1
           ) -> pd.DataFrame:
    """Parameters ranked by their largest effect on any target; the chosen ones have an
    effect of at least ``threshold`` target standard deviations, at least ``lo`` and at
    most ``hi`` of them."""
    rank = (table.groupby(["parameter", "path"])["effect"].max()
            .sort_values(ascending=False).reset_index())
    n = int(np.clip((rank["effect"] >= threshold).sum(), lo, hi))
    rank["chosen"] = np.arange(len(rank)) < n
    return rank


def draft_priors(cands: list[Candidate], rank: pd.DataFrame, scenario: Path) -> str:
    """A priors file of the chosen parameters (log-uniform over the screened range)."""
    by_path = {c.path: c for c in cands}
    params = []
    for _, r in rank[rank["chosen"]].iterrows():
        c = by_path[r["path"]]
        d: dict[str, Any] = {"path": c.path, "name": r["parameter"].replace(".", "_"),
                             "prior": "loguniform", "min": c.min, "max": c.max}
        if c.evidence.startswith("source: "):
            d["source"] = c.evidence.removeprefix("source: ")
            d["note"] = "screened range: a factor 2 either side of the documented value"
        else:
            d["assumption"] = ("screened range, a factor 2 either side of the documented "
                               f"value ({c.evidence.removeprefix('assumption: ')})")
        params.append(d)
    head = (f"# Draft priors from Morris screening of {scenario.name} "
            "(ranks.calibrate.screening):\n# the parameters that moved the fitted targets "
            "most. Read and edit the ranges and evidence\n# before calibrating.\n")
    return head + yaml.safe_dump({"parameters": params}, sort_keys=False, width=100)


def screen(scenario: Path, targets: Path, out: Path, *, trajectories: int = 4,
           scale: float = 0.05, until: str | None = None, workers: int = 1,
           scheduler: str | None = None, seed: int = 0, spread: float = 2.0,
           on_run: Any = None) -> dict[str, Any]:
    """Run (or resume) the screening into ``out``; return screening.json's content."""
    from ranks.ensemble.sweep import run_sweep

    cands, skipped = candidates(scenario, spread)
    out.mkdir(parents=True, exist_ok=True)
    sweep_file = out.parent / f"{out.name}.sweep.yaml"
    sweep_file.write_text(sweep_yaml(cands, trajectories, scale, until, seed), "utf-8")
    rep = run_sweep(scenario, sweep_file, out, workers=workers, scheduler=scheduler,
                    on_run=on_run)
    table = analyze(out, targets, cands)
    table.to_csv(out / "screening.csv", index=False, float_format="%.6g")
    rank = choose(table)
    (out / "priors.draft.yaml").write_text(draft_priors(cands, rank, scenario), "utf-8")
    doc = {"scenario": str(scenario), "targets": str(targets), "trajectories": trajectories,
           "scale": scale, "until": until, "runs": rep.runs, "failed": rep.failed,
           "wall_s": round(rep.wall_s, 1), "candidates": [c.__dict__ for c in cands],
           "refused_or_skipped": skipped,
           "ranking": rank.to_dict(orient="records")}
    (out / "screening.json").write_text(json.dumps(doc, indent=2), "utf-8")
    return doc


__all__ = ["candidates", "choose", "draft_priors", "screen"]
