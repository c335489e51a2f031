"""Displacement figures (issue 13): the continuous 2014-2020 run at full scale against the
dated public series.

1. Speed and memory: `ranks run scenarios/deir-ezzor-2014-2020.yaml` at full scale (about
   1.24 million people, 2,406 days, every module; seed 1) in a fresh process pinned to one
   core (RANKS_BENCH_CPU, default 0), side by side with a peer timed in the same session:
   the fixed NumPy reference workload of issue 11's benchmark, one full pass over 1.24
   million people a simulated day (a mask, a uniform draw, two bincounts) for as many days
   as the run. The ratio run / reference is what the mechanisms cost on this machine now.
   Peak memory is the child's maximum resident set size (os.wait4). Goals: 90 s and 2 GB.
2. Displacement against the record, from the run directory: departures (`fled`: people at
   the start of a displacement episode) per month and by driver; camp populations at the
   dates of the public figures; returns per month; departures in the months of the big
   offensives against the same number of months before them; the pass rate of the dated
   public series and scalar targets (all, fitted, held out) from `ranks check`'s code.

Writes benchmarks/results/displacement.json.

Usage: python benchmarks/displacement.py [--repeat 1] [--seed 1] [--keep RUN_DIR]
       python benchmarks/displacement.py --run RUN_DIR   (figures of an existing run only)
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

from _timing import machine, run_figures, timed

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = ROOT / "scenarios" / "deir-ezzor-2014-2020.yaml"
TARGETS = ROOT / "scenarios" / "deir-ezzor-2014-2020" / "targets.yaml"
OUT = ROOT / "benchmarks" / "results" / "displacement.json"

#: Issue 11's reference workload: one full pass over 1.24 million people a day.
REFERENCE = """
import sys
import numpy as np
n, days = 1_239_000, int(sys.argv[1])
rng = np.random.default_rng(1)
place = rng.integers(0, 54, n).astype(np.uint16)
state = rng.integers(0, 10, n).astype(np.uint8)
acc = 0
for d in range(days):
    g = np.random.default_rng([1, d])
    m = state == (d % 10)
    u = g.random(n)
    a = np.bincount(place[m], minlength=54)
    b = np.bincount(place, weights=u, minlength=54)
    acc += int(a.sum()) + int(b[0] > 0)
print(acc)
"""

#: Offensives: (name, first month, last month) of the fighting; the months before are the
#: same number of months just before the first.
OFFENSIVES = (
    ("regime and SDF offensives, autumn 2017", "2017-09", "2017-11"),
    ("Hajin pocket, Sep-Dec 2018", "2018-09", "2018-12"),
    ("al-Baghuz, Jan-Mar 2019", "2019-01", "2019-03"),
)

#: Camp populations reported on these dates (evidence in the targets file's series).
CAMP_DATES = {
    "al-Hol camp": ["2018-03-01", "2019-02-04", "2019-05-01", "2019-11-19", "2020-07-19"],
    "Areesha camp": ["2014-12-31", "2017-12-03", "2018-03-01", "2019-09-27"],
    "Mabrouka camp": ["2017-11-22", "2018-03-01", "2018-10-25"],
    "Rukban camp": ["2016-06-30", "2018-06-30", "2019-04-21"],
}


def month_sums(ev, event: str, **filters: str) -> dict[str, float]:
    """People per calendar month for ``event`` (population figures)."""
    df = ev[ev["event"] == event]
    for col, want in filters.items():
        df = df[df[col] == want]
    m = df.groupby(df["date"].dt.to_period("M"))["count"].sum()
    return {str(k): float(v) for k, v in m.items()}


def figures(run_dir: Path) -> dict:
    """Displacement figures of a run directory against the public series."""
    import pandas as pd

    from ranks.report.rundir import load_run_dir
    from ranks.report.targets import evaluate, load_targets, pass_rates, result_rows

    run = load_run_dir(run_dir)
    sc = run.scale
    ev = run.events
    ev = ev[ev["replicate"] == run.replicates[0]].copy()
    ev["count"] = ev["count"] / sc
    fled = month_sums(ev, "fled")
    months = pd.period_range(run.start, run.end - pd.Timedelta(days=1), freq="M")
    fled_m = {str(m): round(fled.get(str(m), 0.0)) for m in months}
    by_reason = ev[ev["event"] == "fled"].groupby("reason", observed=True)["count"].sum()
    total = float(by_reason.sum())
    ratios = {}
    for name, a, b in OFFENSIVES:
        span = pd.period_range(a, b, freq="M")
        before = pd.period_range(span[0] - len(span), span[0] - 1, freq="M")
        during = statistics.mean(fled.get(str(m), 0.0) for m in span)
        prior = statistics.mean(fled.get(str(m), 0.0) for m in before)
        ratios[name] = {"months": [str(span[0]), str(span[-1])],
                        "before": [str(before[0]), str(before[-1])],
                        "per_month_during": round(during), "per_month_before": round(prior),
                        "ratio": round(during / prior, 2) if prior > 0 else None}
    st = run.stocks
    st = st[(st["replicate"] == run.replicates[0]) & (st["stock"] == "camp_population")]
    camps = {}
    snaps = run.snapshot_dates()
    for place, dates in CAMP_DATES.items():
        s = st[st["place"] == place].set_index("date")["value"].reindex(snaps).fillna(0) / sc
        camps[place] = {d: round(float(s.iloc[abs((snaps - pd.Timestamp(d)).days).argmin()]))
                        for d in dates}
    lt = load_targets(TARGETS)
    res = evaluate(lt, run)
    rows = result_rows(res)
    series = {}
    for r in rows:
        if r["series"]:
            s = series.setdefault(r["series"], {"pass": 0, "n": 0, "held_out_pass": 0,
                                                "held_out_n": 0})
            if r["status"] == "no data":
                continue
            s["n"] += 1
            s["pass"] += r["status"] == "pass"
            if not r["fitted"]:
                s["held_out_n"] += 1
                s["held_out_pass"] += r["status"] == "pass"
    return {
        "departures_total": round(total),
        "departures_by_driver": {str(k): round(float(v)) for k, v in by_reason.items()},
        "departures_share_by_driver": {str(k): round(float(v) / total, 3)
                                       for k, v in by_reason.items()} if total else {},
        "departures_per_month": fled_m,
        "returns_per_month": {k: round(v) for k, v in month_sums(ev, "returned").items()},
        "offensive_month_ratios": ratios,
        "camp_population_at_reported_dates": camps,
        "event_totals": {str(k): round(float(v)) for k, v in
                         ev.groupby("event", observed=True)["count"].sum().items()},
        "pass_rates": pass_rates(res),
        "series_pass": series,
        "targets": [{k: r[k] for k in ("id", "target", "simulated", "status", "fitted")}
                    for r in rows],
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenario", default=str(SCENARIO))
    ap.add_argument("--keep", default=None, help="keep the run directory here")
    ap.add_argument("--run", default=None, help="only compute the figures of this run")
    args = ap.parse_args()
    if args.run:
        res = {"run": args.run, **figures(Path(args.run))}
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.with_name("displacement-figures.json").write_text(json.dumps(res, indent=2) + "\n")
        print(json.dumps({k: res[k] for k in ("departures_share_by_driver",
                                              "offensive_month_ratios", "pass_rates")},
                         indent=2))
        return
    ranks = [sys.executable, "-m", "ranks.cli"]
    runs, peers = [], []
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(args.keep) if args.keep else Path(tmp) / "run"
        for _ in range(args.repeat):  # interleaved with the reference: same machine load
            runs.append(timed([*ranks, "run", args.scenario, "--out", str(out), "--force",
                               "--seed", str(args.seed), "-q"]))
            manifest = json.loads((out / "manifest.json").read_text())
            peers.append(timed([sys.executable, "-c", REFERENCE, str(manifest["days"])]))
        fig = figures(out)
    wall = statistics.median(r[0] for r in runs)
    peer = statistics.median(p[0] for p in peers)
    res = {
        "scenario": str(Path(args.scenario).relative_to(ROOT)),
        "machine": machine(),
        "seed": args.seed, **run_figures(runs, manifest),
        "reference_wall_s_median": round(peer, 2),
        "reference": "one full pass over 1,239,000 people a day (a mask, a draw, two "
                     "bincounts), as many days as the run (issue 11's reference workload)",
        "ratio_run_over_reference": round(wall / peer, 2),
        "goal_s": 90, "goal_rss_mb": 2048,
        **fig,
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps({k: res[k] for k in ("run_wall_s_median", "run_peak_rss_mb",
                                          "ratio_run_over_reference",
                                          "departures_share_by_driver",
                                          "offensive_month_ratios", "pass_rates")}, indent=2))


if __name__ == "__main__":
    main()
