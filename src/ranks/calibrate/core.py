"""``ranks calibrate``: priors + targets -> simulation bank on Dask -> neural posterior
estimation -> posterior samples, simulation-based calibration on held-out prior
simulations, diagnostics and calibration.html.

Outputs in DIR (besides the bank, :mod:`ranks.calibrate.bank`)::

    posterior.parquet   sample, z.<name>, <name>: draws from the posterior (values as the
                        scenario takes them)
    sbc.parquet         held-out prior simulations: truth, posterior rank and interval
                        hits per parameter (simulation-based calibration)
    diagnostics.json    per parameter prior/posterior summaries and contraction; SBC
                        coverage; training facts; observed targets against the prior
                        predictive
    estimator.pt        the trained estimator (torch pickle; for re-sampling)
    calibration.html    self-contained page with the plots
"""

from __future__ import annotations

import datetime as dt
import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ranks.calibrate.bank import BankReport, BankSpec, open_dir, run_bank
from ranks.calibrate.priors import Priors, check_priors, load_priors
from ranks.calibrate.summaries import add_noise, features, fit_targets
from ranks.errors import RanksInputError
from ranks.io.writers import write_json, write_parquet
from ranks.report.targets import LoadedTargets, Target, load_targets

#: Central interval levels checked by simulation-based calibration.
SBC_LEVELS = (0.5, 0.8, 0.9, 0.95)
#: Posterior draws per held-out simulation in SBC.
SBC_DRAWS = 500

#: Training simulations by default: enough for calibrated intervals on 6-8 parameters
#: (benchmarks/calibration_sbc.py: 90% intervals held the truth 90% of the time at 200), and
#: a reduced-scale flagship calibration fits 2 hours on 2 cores (docs/calibration.md).
DEFAULT_BUDGET = 240
#: Fewest finished training simulations to train on, as a share of the budget.
MIN_OK_SHARE = 0.8


def default_targets(scenario: Path) -> Path | None:
    """``targets.yaml`` beside the scenario or in a folder named after it."""
    for c in (scenario.parent / scenario.stem / "targets.yaml",
              scenario.parent / "targets.yaml"):
        if c.is_file():
            return c
    return None


def check_targets_fit(lt: LoadedTargets, scenario: Path) -> list[Target]:
    """Target names exist in the scenario; at least one fitted target has a value.

    Raises:
        RanksInputError: a typo in a target's actor or place, or nothing to fit.
    """
    from ranks.calibrate.summaries import check_target_names
    from ranks.report.rundir import Place, RunDir
    from ranks.runner import load as load_scenario

    sc = load_scenario(scenario).scenario
    empty = pd.DataFrame({"actor": [], "place": []})
    run = RunDir(Path(sc.name), {"scenario": {"name": sc.name}}, empty, empty,
                 [Place(p.name, p.type, p.lat, p.lon, 0) for p in sc.places],
                 {a.id: {"name": a.name} for a in sc.actors})
    check_target_names(lt, run)
    fit = fit_targets(lt)
    if not fit:
        raise RanksInputError("no fitted target with a value (used_in_fitting: true, "
                              "compare: within): nothing to calibrate to", file=lt.path,
                              field="targets")
    return fit


@dataclass
class Calibration:
    """What ``calibrate`` did."""

    out: Path
    bank: BankReport
    posterior: pd.DataFrame
    diagnostics: dict[str, Any]
    html: Path


def calibrate(scenario: Path, priors: Path, out: Path, *, targets: Path | None = None,
              budget: int = DEFAULT_BUDGET, scale: float = 0.1, seed: int | None = None,
              until: dt.date | None = None, sbc: int | None = None, samples: int = 4000,
              workers: int = 1, scheduler: str | None = None, force: bool = False,
              on_start: Callable[[int, int], None] | None = None,
              on_sim: Callable[[Any], None] | None = None,
              on_phase: Callable[[str], None] | None = None) -> Calibration:
    """Calibrate ``scenario`` to its fitted targets; resumable (see the module doc).

    Args:
        budget: training simulations drawn from the prior.
        scale: fraction of the population per simulation.
        sbc: held-out prior simulations for simulation-based calibration (default 10% of
            the budget, at least 20 when the budget allows).
        samples: posterior draws written to posterior.parquet.

    Raises:
        RanksInputError: bad inputs (file, line, field), or too few finished simulations.
    """
    from ranks.calibrate.npe import require
    from ranks.runner import load as load_scenario

    t0 = time.perf_counter()
    require()
    if budget < 20:
        raise RanksInputError("the budget must be at least 20 simulations", field="--budget")
    if not 0 < scale <= 1:
        raise RanksInputError("scale must be in (0, 1]", field="--scale")
    pri = load_priors(priors)
    loaded = load_scenario(scenario)
    check_priors(pri, scenario)
    tpath = targets or default_targets(scenario)
    if tpath is None:
        raise RanksInputError("no targets file beside the scenario (scenarios/<name>/"
                              "targets.yaml); give --targets FILE", file=scenario,
                              field="--targets")
    lt = load_targets(tpath)
    fit = check_targets_fit(lt, scenario)
    sc = loaded.scenario
    if until is not None and not sc.period.start < until <= sc.period.end:
        raise RanksInputError(f"until {until} is outside the period {sc.period.start}.."
                              f"{sc.period.end}", field="--until")
    root = sc.seed if seed is None else seed
    n_sbc = (max(min(20, budget // 5), budget // 10) if sbc is None else sbc)
    spec = BankSpec(Path(scenario).resolve(), loaded.digest, pri, Path(tpath).resolve(), root,
                    scale, until, budget, n_sbc)
    design = open_dir(out, spec, force, {"fitted_targets": [t.id for t in fit]})
    rep = run_bank(out, spec, design, workers=workers, scheduler=scheduler,
                   on_start=on_start, on_sim=on_sim)
    tab = rep.table
    train_rows = tab[(tab["kind"] == "train") & (tab["status"] == "ok")]
    if len(train_rows) < MIN_OK_SHARE * budget:
        raise RanksInputError(
            f"only {len(train_rows)} of {budget} training simulations finished ({rep.failed} "
            "failed); run the same command again to retry them (first error: "
            f"{tab['error'].dropna().iloc[0] if tab['error'].notna().any() else 'none'})",
            file=out, field="status")
    if on_phase:
        on_phase("training the posterior estimator")
    post, diag, est_bytes, sbc_df = infer(pri, lt, fit, tab, root, samples)
    diag["bank"] = {"simulations": rep.total, "already_done": rep.already_done,
                    "ran_now": rep.ran, "failed": rep.failed, "wall_s": round(rep.wall_s, 2),
                    "task_s_sum": round(rep.task_s, 2), "executor": rep.executor,
                    "simulation_s_mean": float(tab["runtime_s"].mean())}
    diag["scenario"] = {"name": sc.name, "path": str(scenario), "sha256": loaded.digest,
                        "scale": scale, "until": until.isoformat() if until else None,
                        "seed": root}
    diag["targets_file"] = str(tpath)
    diag["wall_s"] = round(time.perf_counter() - t0, 2)
    _write(out / "posterior.parquet", lambda p: write_parquet(post, p))
    _write(out / "sbc.parquet", lambda p: write_parquet(sbc_df, p))
    _write(out / "estimator.pt", lambda p: p.write_bytes(est_bytes))
    _write(out / "diagnostics.json", lambda p: write_json(diag, p))
    if on_phase:
        on_phase("writing calibration.html")
    from ranks.calibrate.html import write_html

    html = write_html(out, pri, lt, tab, post, sbc_df, diag)
    return Calibration(out, rep, post, diag, html)


def _write(path: Path, fn: Callable[[Path], Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    fn(tmp)
    tmp.replace(path)


def infer(pri: Priors, lt: LoadedTargets, fit: list[Target], tab: pd.DataFrame, seed: int,
          samples: int) -> tuple[pd.DataFrame, dict[str, Any], bytes, pd.DataFrame]:
    """Train NPE on the bank's training rows; draw the posterior at the observed targets;
    simulation-based calibration on the held-out rows."""
    from ranks.calibrate import npe

    ok = tab["status"] == "ok"
    zc = [f"z.{lab}" for lab in pri.labels]
    xc = [f"t:{t.id}" for t in fit]
    for c in xc:
        if c not in tab:
            tab[c] = np.nan
    rng = np.random.default_rng(np.random.SeedSequence([seed, 14, 0xF17]))
    train = tab[ok & (tab["kind"] == "train")]
    z = train[zc].to_numpy(float)
    x = features(fit, add_noise(fit, train[xc].to_numpy(float), rng))
    t0 = time.perf_counter()
    est = npe.train(z, x, seed)
    train_s = time.perf_counter() - t0
    x_obs = features(fit, np.array([[t.value for t in fit]]))[0]
    zs = est.sample(x_obs, samples, seed)
    vals = pri.to_values(zs)
    post = pd.DataFrame({"sample": np.arange(samples, dtype=np.int64)})
    for j, lab in enumerate(pri.labels):
        post[f"z.{lab}"] = zs[:, j]
    for j, lab in enumerate(pri.labels):
        post[lab] = vals[:, j]
    # simulation-based calibration on held-out prior simulations
    held = tab[ok & (tab["kind"] == "sbc")]
    sbc_rows = []
    if len(held):
        xh = features(fit, add_noise(fit, held[xc].to_numpy(float), rng))
        for k, (_, r) in enumerate(held.iterrows()):
            if not np.isfinite(xh[k]).all():
                continue
            s = est.sample(xh[k], SBC_DRAWS, seed + 1 + k)
            row: dict[str, Any] = {"sim": int(r["sim"])}
            for j, lab in enumerate(pri.labels):
                truth = float(r[f"z.{lab}"])
                row[f"truth.{lab}"] = truth
                row[f"rank.{lab}"] = int(np.sum(s[:, j] < truth))
                for lev in SBC_LEVELS:
                    lo, hi = np.quantile(s[:, j], [(1 - lev) / 2, 1 - (1 - lev) / 2])
                    row[f"in{int(lev * 100)}.{lab}"] = bool(lo <= truth <= hi)
            sbc_rows.append(row)
    sbc_df = pd.DataFrame(sbc_rows)
    diag = diagnostics(pri, fit, lt, tab, post, sbc_df)
    diag["estimator"] = {"method": "neural posterior estimation (sbi, "
                         f"{npe.ESTIMATOR.upper()})", "train_simulations": est.train_sims,
                         "epochs": est.epochs, "train_s": round(train_s, 2),
                         "posterior_draws": samples,
                         "effective_sample_size": samples,
                         "note": "draws are independent samples of the estimator, so the "
                                 "effective sample size is their number; calibration of "
                                 "the estimator is checked by SBC"}
    return post, diag, est.to_bytes(), sbc_df


def sbc_coverage(sbc_df: pd.DataFrame, labels: list[str]) -> dict[str, Any]:
    """Share of held-out truths inside each central interval, over all parameters and per
    parameter."""
    if sbc_df.empty:
        return {"simulations": 0}
    out: dict[str, Any] = {"simulations": int(len(sbc_df)), "overall": {}, "per_parameter": {}}
    for lev in SBC_LEVELS:
        cols = [f"in{int(lev * 100)}.{lab}" for lab in labels]
        out["overall"][f"{int(lev * 100)}%"] = float(sbc_df[cols].to_numpy().mean())
    for lab in labels:
        out["per_parameter"][lab] = {f"{int(lev * 100)}%": float(
            sbc_df[f"in{int(lev * 100)}.{lab}"].mean()) for lev in SBC_LEVELS}
    return out


def diagnostics(pri: Priors, fit: list[Target], lt: LoadedTargets, tab: pd.DataFrame,
                post: pd.DataFrame, sbc_df: pd.DataFrame) -> dict[str, Any]:
    """Prior against posterior per parameter, SBC coverage, observed targets against the
    prior predictive."""
    params = []
    for j, p in enumerate(pri.params):
        lab = p.label
        d = p.dist()
        pv = post[lab].to_numpy(float)
        zs = post[f"z.{lab}"].to_numpy(float)
        params.append({
            "name": lab, "path": p.path, "prior": p.describe(), "evidence": p.evidence,
            "prior_median": float(d.median()),
            "prior_90": [float(d.ppf(0.05)), float(d.ppf(0.95))],
            "posterior_median": float(np.median(pv)), "posterior_mean": float(pv.mean()),
            "posterior_90": [float(np.quantile(pv, 0.05)), float(np.quantile(pv, 0.95))],
            "contraction": float(1.0 - np.var(zs)),
        })
        del j
    corr = np.corrcoef(post[[f"z.{lab}" for lab in pri.labels]].to_numpy(float).T) \
        if pri.dim > 1 else np.ones((1, 1))
    ok = tab[(tab["status"] == "ok") & (tab["kind"] == "train")]
    tg = []
    for t in lt.targets:
        if not isinstance(t, Target):  # dated series are scored by ranks check, not fitted
            continue
        col = f"t:{t.id}"
        v = ok[col].to_numpy(float) if col in ok else np.array([])
        v = v[np.isfinite(v)]
        tg.append({"id": t.id, "fitted": t.used_in_fitting, "compare": t.compare,
                   "value": t.value, "used_by_estimator": t in fit,
                   "prior_predictive_90": ([float(np.quantile(v, 0.05)),
                                            float(np.quantile(v, 0.95))] if v.size else None),
                   "prior_predictive_quantile_of_value": (float(np.mean(v <= t.value))
                                                          if v.size else None)})
    return {"parameters": params, "posterior_correlation": corr.round(4).tolist(),
            "sbc": sbc_coverage(sbc_df, pri.labels), "targets": tg,
            "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds")}


def load_posterior(path: Path) -> tuple[pd.DataFrame, dict[str, Any]]:
    """posterior.parquet and calibration.json of a calibration directory.

    Raises:
        RanksInputError: not a finished calibration directory.
    """
    path = Path(path)
    meta, post = path / "calibration.json", path / "posterior.parquet"
    if not meta.exists():
        raise RanksInputError("not a calibration directory (no calibration.json)", file=path,
                              field="--posterior")
    if not post.exists():
        raise RanksInputError("no posterior.parquet: the calibration has not finished; run "
                              "the same 'ranks calibrate' command again", file=path,
                              field="--posterior")
    from ranks.io.inputs import check_input_file, read_input_text

    text = read_input_text(meta, "calibration record", field="--posterior")
    try:
        info = json.loads(text)
    except json.JSONDecodeError as e:
        raise RanksInputError(f"calibration.json is not valid JSON: {e.msg}", file=meta,
                              line=e.lineno, field="--posterior") from None
    params = info.get("parameters") if isinstance(info, dict) else None
    if not isinstance(params, list) or not all(
            isinstance(q, dict) and isinstance(q.get("name"), str)
            and isinstance(q.get("path"), str) for q in params):
        raise RanksInputError("calibration.json has no list of parameters (name, path)",
                              file=meta, field="--posterior")
    if not isinstance(info.get("key", {}), dict):
        raise RanksInputError("calibration.json: 'key' is not a mapping", file=meta,
                              field="--posterior")
    check_input_file(post, "posterior table", field="--posterior")
    try:
        df = pd.read_parquet(post)
    except Exception as e:  # noqa: BLE001 - any reader error is bad input
        raise RanksInputError(f"cannot read Parquet table: {type(e).__name__}: "
                              f"{str(e).splitlines()[0] if str(e) else ''}", file=post,
                              field="--posterior") from None
    for col in ["sample", *(q["name"] for q in params)]:
        if col not in df.columns:
            raise RanksInputError(f"no column '{col}'", file=post, field="--posterior")
        if not pd.api.types.is_numeric_dtype(df[col]) or not np.isfinite(
                df[col].to_numpy(dtype=np.float64)).all():
            raise RanksInputError(f"column '{col}' holds values that are not finite numbers",
                                  file=post, field="--posterior")
    if df.empty:
        raise RanksInputError("the posterior holds no samples", file=post,
                              field="--posterior")
    return df, info


__all__ = ["Calibration", "calibrate", "default_targets", "infer", "load_posterior"]
