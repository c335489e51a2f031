"""Which inference method for ``ranks calibrate``: neural posterior estimation (``sbi``)
against ABC-SMC (``pyabc``) on the same recovery problem and the same simulation budget.

The recovery problem: the demo at a small scale until mid-2015, the six demo priors
(scenarios/demo/priors.yaml), six fitted targets. Truths are parameter sets drawn from the
prior; their targets come from a simulation at the truth plus the observation error. Each
method gets BUDGET simulations per calibration:

- NPE trains once on BUDGET prior simulations (amortized) and is evaluated on every truth;
- ABC-SMC (pyabc, adaptive p-norm distance, 2 processes) runs once per truth with at most
  BUDGET simulations (it cannot reuse simulations across truths).

Per method: coverage of the central 50/80/90/95% intervals over truths and parameters, the
error of the posterior median (in prior standard deviations, z coordinates), the posterior
sd (contraction: 1 = the prior's), simulations and wall time. Also the install cost of each
method (measured once with pip into a venv that has ``ranks[test]``; passed in by hand).

    python benchmarks/calibration_methods.py [--budget 200] [--truths 20] [--abc-truths 3]

Writes benchmarks/results/calibration_methods.json.
"""

# ruff: noqa: E501  (the targets table below is one target a line)
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import time
from pathlib import Path

import numpy as np

from ranks.calibrate.priors import check_priors, load_priors
from ranks.calibrate.summaries import add_noise, features, fit_targets, run_dir_of, target_values
from ranks.report.targets import load_targets
from ranks.runner import load as load_scenario

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "demo.yaml"
PRIORS = ROOT / "scenarios" / "demo" / "priors.yaml"
UNTIL = dt.date(2015, 7, 1)
SCALE = 0.05
LEVELS = (0.5, 0.8, 0.9, 0.95)

TARGETS = """\
scenario: demo
targets:
  - {id: fled-2014, description: fled Jun-Dec 2014, metric: event_sum, event: fled, window: [2014-06-01, 2014-12-31], value: 1, tolerance: {relative: 0.15}, assumption: synthetic, used_in_fitting: true}
  - {id: fled-2015h1, description: fled Jan-Jun 2015, metric: event_sum, event: fled, window: [2015-01-01, 2015-06-30], value: 1, tolerance: {relative: 0.15}, assumption: synthetic, used_in_fitting: true}
  - {id: camp-peak, description: Sandcamp peak, metric: stock_max, stock: people, place: Sandcamp, window: [2014-06-01, 2015-06-30], value: 1, tolerance: {relative: 0.15}, assumption: synthetic, used_in_fitting: true}
  - {id: deserted, description: desertions, metric: event_sum, event: deserted, actor: GROUP_A, window: [2014-06-01, 2015-06-30], value: 1, tolerance: {relative: 0.2}, assumption: synthetic, used_in_fitting: true}
  - {id: under-group-a, description: people under group A, metric: stock_mean, stock: people_under_control, actor: GROUP_A, window: [2015-05-01, 2015-05-31], value: 1, tolerance: {relative: 0.1}, assumption: synthetic, used_in_fitting: true}
  - {id: returned, description: returns, metric: event_sum, event: returned, window: [2014-06-01, 2015-06-30], value: 1, tolerance: {relative: 0.2}, assumption: synthetic, used_in_fitting: true}
"""


def interval_hits(samples: np.ndarray, truth: np.ndarray, weights: np.ndarray | None = None
                  ) -> dict[str, list[bool]]:
    """Whether each parameter's truth lies in the central intervals of the samples."""
    out: dict[str, list[bool]] = {}
    for lev in LEVELS:
        lo_q, hi_q = (1 - lev) / 2, 1 - (1 - lev) / 2
        hits = []
        for j in range(samples.shape[1]):
            lo, hi = wquantile(samples[:, j], [lo_q, hi_q], weights)
            hits.append(bool(lo <= truth[j] <= hi))
        out[f"{lev:.2f}"] = hits
    return out


def wquantile(x: np.ndarray, q: list[float], w: np.ndarray | None) -> np.ndarray:
    if w is None:
        return np.quantile(x, q)
    o = np.argsort(x)
    cw = np.cumsum(w[o]) / np.sum(w)
    return np.interp(q, cw, x[o])


def summarize(rows: list[dict]) -> dict:
    cov = {lev: float(np.mean([h for r in rows for h in r["hits"][lev]]))
           for lev in rows[0]["hits"]}
    return {"truths": len(rows), "coverage": cov,
            "median_abs_error_z": float(np.mean([r["err"] for r in rows])),
            "posterior_sd_z": float(np.mean([r["sd"] for r in rows]))}


# -- ABC-SMC (pyabc) -----------------------------------------------------------------------
_STATE: dict = {}


def abc_model(par: dict) -> dict:
    """pyabc model: one simulation at the z-parameters ``par``; features with noise."""
    from ranks.runner import run_replicate

    pri, lt, tg = _STATE["priors"], _STATE["lt"], _STATE["fit"]
    z = np.array([par[f"p{j}"] for j in range(pri.dim)])
    vals = pri.to_values(z[None, :])[0]
    loaded = load_scenario(SCENARIO, pri.overrides(vals))
    seed = int(np.random.default_rng().integers(2**31))
    res = run_replicate(loaded, seed, SCALE, UNTIL)
    tv = target_values(lt, run_dir_of([res], loaded, SCALE, UNTIL))
    x = np.array([[tv[t.id] for t in tg]])
    f = features(tg, add_noise(tg, x, np.random.default_rng(seed + 1)))[0]
    return {f"x{k}": float(v) for k, v in enumerate(f)}


def run_abc(x_obs: np.ndarray, budget: int, seed: int, db: Path) -> tuple[np.ndarray,
                                                                            np.ndarray, int]:
    import pyabc

    np.random.seed(seed)
    d = _STATE["priors"].dim
    prior = pyabc.Distribution(**{f"p{j}": pyabc.RV("norm", 0, 1) for j in range(d)})
    abc = pyabc.ABCSMC(abc_model, prior, pyabc.AdaptivePNormDistance(p=2),
                       population_size=max(20, budget // 6),
                       sampler=pyabc.MulticoreEvalParallelSampler(n_procs=2))
    abc.new(f"sqlite:///{db}", {f"x{k}": float(v) for k, v in enumerate(x_obs)})
    hist = abc.run(max_total_nr_simulations=budget, max_nr_populations=20)
    df, w = hist.get_distribution()
    samples = df[[f"p{j}" for j in range(d)]].to_numpy(dtype=float)
    return samples, np.asarray(w, dtype=float), int(hist.total_nr_simulations)


def synthetic_targets(path: Path, seed: int) -> dict[str, float]:
    """Write the targets file with values from one run of the demo at its own parameter
    values (the known truth); return the values."""
    from ranks.runner import run_replicate

    head = f"evidence: {ROOT / 'evidence' / 'sources.yaml'}\n"
    path.write_text(head + TARGETS, encoding="utf-8")
    lt = load_targets(path)
    loaded = load_scenario(SCENARIO)
    res = run_replicate(loaded, seed, SCALE, UNTIL)
    tv = target_values(lt, run_dir_of([res], loaded, SCALE, UNTIL))
    text = TARGETS
    for tid, v in tv.items():
        text = text.replace(f"id: {tid}, ", f"id: {tid}, ", 1)
        i = text.index(f"id: {tid}, ")
        j = text.index("value: 1,", i)
        text = text[:j] + f"value: {v:.6g}," + text[j + len("value: 1,"):]
    path.write_text(head + text.replace("assumption: synthetic",
                                        f"assumption: 'synthetic: demo run, seed {seed}'"),
                    encoding="utf-8")
    return tv


def main() -> None:
    from ranks.calibrate.core import SBC_LEVELS, calibrate
    from ranks.calibrate.npe import Estimator

    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--budget", type=int, default=200)
    ap.add_argument("--truths", type=int, default=20)
    ap.add_argument("--abc-truths", type=int, default=1)
    ap.add_argument("--abc-budget", type=int, default=100,
                    help="simulations per ABC-SMC calibration; NPE is also trained on the "
                         "first this many training simulations for a same-budget comparison")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--work", type=Path, default=Path("/tmp/ranks-calibration-methods"))
    ap.add_argument("--abc-from-db", action="store_true",
                    help="do not run ABC-SMC: read the last finished generation of an earlier "
                         "(interrupted) run's database in the work directory")
    ap.add_argument("--install-json", type=Path, default=None,
                    help="JSON of measured install costs to copy into the result")
    a = ap.parse_args()
    a.work.mkdir(parents=True, exist_ok=True)
    tfile = a.work / "targets.yaml"
    truth_targets = synthetic_targets(tfile, seed=99)
    pri = load_priors(PRIORS)
    check_priors(pri, SCENARIO)
    lt = load_targets(tfile)
    fit = fit_targets(lt)
    _STATE.update(priors=pri, lt=lt, fit=fit)
    loaded = load_scenario(SCENARIO)
    t0 = time.perf_counter()
    cal = calibrate(SCENARIO, PRIORS, a.work / "cal", targets=tfile, budget=a.budget,
                    scale=SCALE, seed=1, until=UNTIL, sbc=a.truths, samples=4000,
                    workers=a.workers)
    cal_s = time.perf_counter() - t0
    tab = cal.bank.table
    ok = tab["status"] == "ok"
    zc = [f"z.{lab}" for lab in pri.labels]
    xc = [f"t:{t.id}" for t in fit]
    # the known truth: the demo's own parameter values
    base = [float(__import__("ranks.ensemble.sweep", fromlist=["_base_value"])
                  ._base_value(loaded, p.path)) for p in pri.params]
    post = cal.posterior
    truth_in = {}
    for j, p in enumerate(pri.params):
        lo, hi = np.quantile(post[p.label], [0.05, 0.95])
        truth_in[p.label] = {"truth": base[j], "posterior_90": [float(lo), float(hi)],
                             "inside": bool(lo <= base[j] <= hi)}
    rng = np.random.default_rng(7)
    truth = tab[ok & (tab["kind"] == "sbc")]
    x_truth = features(fit, add_noise(fit, truth[xc].to_numpy(float), rng))
    z_truth = truth[zc].to_numpy(float)
    est = Estimator.from_bytes((a.work / "cal" / "estimator.pt").read_bytes())
    npe_rows = []
    for i in range(len(truth)):
        s = est.sample(x_truth[i], 2000, seed=100 + i)
        npe_rows.append({"hits": interval_hits(s, z_truth[i]),
                         "err": float(np.mean(np.abs(np.median(s, axis=0) - z_truth[i]))),
                         "sd": float(np.mean(np.std(s, axis=0)))})
    train = tab[ok & (tab["kind"] == "train")]
    sim_s = float(train["runtime_s"].mean())
    # NPE at the ABC budget: trained on the first abc_budget training simulations
    from ranks.calibrate.npe import train as npe_train

    sub = train[train["sim"] < a.abc_budget]
    est_small = npe_train(sub[zc].to_numpy(float),
                          features(fit, add_noise(fit, sub[xc].to_numpy(float), rng)), seed=1)
    npe_small = []
    for i in range(len(truth)):
        s = est_small.sample(x_truth[i], 2000, seed=100 + i)
        npe_small.append({"hits": interval_hits(s, z_truth[i]),
                          "err": float(np.mean(np.abs(np.median(s, axis=0) - z_truth[i]))),
                          "sd": float(np.mean(np.std(s, axis=0)))})
    abc_rows, abc_sims, abc_wall = [], [], []
    abc_note = "not run"
    for i in range(min(a.abc_truths, len(truth))):
        t3 = time.perf_counter()
        db = a.work / f"abc-{i}.db"
        if a.abc_from_db:
            import pyabc

            hist = pyabc.History(f"sqlite:///{db}", _id=1)
            df, w = hist.get_distribution(m=0, t=hist.max_t)
            s = df[[f"p{j}" for j in range(pri.dim)]].to_numpy(dtype=float)
            w = np.asarray(w, dtype=float)
            nsim = int(hist.total_nr_simulations)
            abc_note = (f"read from an interrupted run: last finished generation t = "
                        f"{hist.max_t}")
        else:
            db.unlink(missing_ok=True)
            s, w, nsim = run_abc(x_truth[i], a.abc_budget, 1000 + i, db)
            abc_note = "finished"
        abc_wall.append(time.perf_counter() - t3)
        abc_sims.append(nsim)
        med = np.array([wquantile(s[:, j], [0.5], w)[0] for j in range(s.shape[1])])
        sd = np.sqrt(np.average((s - np.average(s, axis=0, weights=w)) ** 2, axis=0,
                                weights=w))
        abc_rows.append({"hits": interval_hits(s, z_truth[i], w),
                         "err": float(np.mean(np.abs(med - z_truth[i]))),
                         "sd": float(np.mean(sd))})
    n_abc = len(abc_rows)
    diag = cal.diagnostics
    problem = {"scenario": "demo", "scale": SCALE, "until": UNTIL.isoformat(),
               "parameters": pri.labels, "fitted_targets": [t.id for t in fit],
               "budget_per_calibration": a.budget, "simulation_s_mean": sim_s}
    result = {
        "benchmark": "calibration_methods", "date": dt.datetime.now(dt.UTC).date().isoformat(),
        "machine": f"{os.cpu_count()} cores (shared)", "problem": problem,
        "npe": {"all_truths": summarize(npe_rows),
                "same_truths_as_abc": summarize(npe_rows[:n_abc]) if n_abc else None,
                "simulations": int(len(train)), "calibration_wall_s": cal_s,
                "train_s": diag["estimator"]["train_s"], "epochs": diag["estimator"]["epochs"]},
        "npe_at_abc_budget": {"simulations": int(len(sub)),
                              "all_truths": summarize(npe_small),
                              "same_truths_as_abc": (summarize(npe_small[:n_abc]) if n_abc
                                                     else None)},
        "abc_smc": {"truths": summarize(abc_rows) if abc_rows else None,
                    "simulations_per_truth": abc_sims, "wall_s_per_truth": abc_wall,
                    "budget": a.abc_budget, "population_size": max(20, a.abc_budget // 6),
                    "status": abc_note},
    }
    if a.install_json and a.install_json.exists():
        result["install"] = json.loads(a.install_json.read_text())
    res_dir = ROOT / "benchmarks" / "results"
    (res_dir / "calibration_methods.json").write_text(json.dumps(result, indent=2) + "\n",
                                                      encoding="utf-8")
    sbc = {"benchmark": "calibration_sbc", "date": dt.datetime.now(dt.UTC).date().isoformat(),
           "problem": problem,
           "repetitions": diag["sbc"].get("simulations", 0),
           "what": "held-out prior simulations (truth drawn from the prior, targets from its "
                   "run plus observation error), calibrated back with the estimator trained "
                   "on the budget; share of truths inside the posterior's central intervals",
           "coverage_overall": diag["sbc"].get("overall"),
           "coverage_per_parameter": diag["sbc"].get("per_parameter"),
           "levels": [f"{int(lev * 100)}%" for lev in SBC_LEVELS],
           "known_truth_run": {"targets": truth_targets, "parameters": truth_in},
           "contraction": {p["name"]: p["contraction"] for p in diag["parameters"]},
           "bank": diag["bank"]}
    (res_dir / "calibration_sbc.json").write_text(json.dumps(sbc, indent=2) + "\n",
                                                  encoding="utf-8")
    print(json.dumps({"methods": result, "sbc": sbc}, indent=2))


if __name__ == "__main__":
    main()
