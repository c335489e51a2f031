"""Issue 12 figures: the review's headline numbers before and after, and flagship cost.

For each flagship (2014-2017, 2017-2020 and the continuous 2014-2020) it runs
`ranks run SCENARIO --seed 1 --scale 1` in a child process pinned to one core (as
benchmarks/flagship.py does) and records wall time, CPU time (user + system) and peak
resident memory; then it reads the run's events and stocks and computes the numbers of
../shared/fidelity-review.md (ISIS conscripted 2014-16, executions by actor, ISIS peak
strength, voluntary joins of ISIS per month in 2014 and 2017, interdictions, leavers by
reason) the way /work/notes/headlines.py did for the "before" runs (commit b6886bb, full
scale, seed 1; stored in benchmarks/results/story-headlines-before-*.json). The pay of an
ISIS family head is computed from the economy module on the run's own scenario.

Writes benchmarks/results/story_headlines.json: per flagship, timing, memory and
headlines; and a before/after table of the headline numbers with each source's figure.

Usage: python benchmarks/story_headlines.py [--only 1420] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

from _timing import timed_usage

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
OUT = RESULTS / "story_headlines.json"
FLAGSHIPS = {
    "1417": ("scenarios/deir-ezzor-2014-2017.yaml", 60),
    "1720": ("scenarios/deir-ezzor-2017-2020.yaml", 60),
    "1420": ("scenarios/deir-ezzor-2014-2020.yaml", 90),
}
VOLUNTARY = ("belief", "economics", "revenge", "opportunism")
SKELETON = ROOT / "scenarios" / "deir-ezzor" / "skeleton.yaml"
#: The peer timed side by side: the governorate skeleton (core loop, civilian mortality
#: only) over the flagship's period and people (as benchmarks/flagship.py).
PEER = """
import datetime as dt
import sys
from ranks.runner import load, run_replicate
flag = load(sys.argv[1]).scenario
over = {"period.start": flag.period.start, "period.end": flag.period.end}
if flag.period.start > dt.date(2015, 12, 1):  # the skeleton's one dated row lies before
    over["timeline"] = []
loaded = load(sys.argv[2], overrides=over)
r = run_replicate(loaded, flag.seed, 1.0, None)
assert r.info.people > 1_000_000
"""
#: benchmarks/results/flagship.json on a quiet machine (load ~1): the peer took 1.27 s for
#: the 1,310 days of 2014-2017; the estimate below scales it by days.
QUIET_PEER_S_PER_DAY = 1.27 / 1310
#: What the sources say beside each headline number (ids of evidence/sources.yaml).
SOURCE_FIGURES = {
    "isis_conscripted_2014_16": "0: ISIS's first conscription order in the province came in "
                                "2017 (seed-000)",
    "executed_isis": "hundreds executed for trying to flee, whole organisation (seed-003); "
                     "415 members executed in all of Syria by Nov 2015 (pub-sohr-executions)",
    "executed_saa": "prison, not death, for desertion (pub-euaa-military-service); amnesties "
                    "(decrees-desertion-amnesty)",
    "executed_sdf": "none reported",
    "isis_peak_strength": "whole organisation 20,000-31,500 (domain-figures, CIA Sep 2014), "
                          "about 15,000 (pub-cjtf-2017, spring 2017); governorate 8,500-10,500 "
                          "in Sep 2017 (pub-coalition-dez-2017)",
    "isis_voluntary_joins_per_month_2014": "no count; ranks swelled for months after the "
                                           "takeover (seed-002)",
    "isis_voluntary_joins_per_month_2017": "none seen joining voluntarily (seed-000)",
    "isis_family_head_pay_usd": "$600 a month in 2014 (seed-002); typical $400-1,200 with "
                                "allowances (seed-003); about $400 before the cut "
                                "(pub-afp-2016-cut)",
}


def timed(cmd: list[str]) -> dict[str, float]:
    """Wall and CPU seconds and peak RSS (MB) of a child process pinned to one core."""
    u = timed_usage(cmd)
    return {"wall_s": round(u["wall_s"], 2), "cpu_s": round(u["cpu_s"], 2),
            "peak_rss_mb": round(u["peak_rss_mb"], 1)}


def headlines(run: Path) -> dict[str, Any]:
    """Headline numbers of a run directory (full-scale equivalents); the same definitions
    as /work/notes/headlines.py, which made the 'before' files."""
    ev = pd.read_parquet(run / "events.parquet")
    st = pd.read_parquet(run / "stocks.parquet")
    sc = json.loads((run / "manifest.json").read_text())["scale"]
    ev["year"] = pd.to_datetime(ev.date).dt.year
    ev["month"] = pd.to_datetime(ev.date).dt.to_period("M")
    out: dict[str, Any] = {}

    def by(df: pd.DataFrame, keys: list[str]) -> dict[str, int]:
        s = (df.groupby(keys, observed=True)["count"].sum() / sc).astype(int)
        return {str(k): int(v) for k, v in s.items()}

    out["conscripted_by_actor_year"] = by(ev[ev.event == "conscripted"], ["actor", "year"])
    out["executed_by_actor_year"] = by(ev[ev.event == "executed"], ["actor", "year"])
    s = st[st.stock == "strength"].groupby(["date", "actor"], observed=True)["value"].sum()
    s = s.unstack()
    if "ISIS" in s:
        out["isis_peak"] = [float(s["ISIS"].max() / sc), str(s["ISIS"].idxmax())]
    j = ev[(ev.event == "joined") & (ev.actor == "ISIS")]
    months = ev.groupby("year")["month"].nunique()
    jm = j.groupby("year", observed=True)["count"].sum() / sc
    out["isis_joins_per_month_by_year"] = {str(y): round(float(jm[y] / months[y]))
                                           for y in jm.index}
    out["isis_joins_by_reason_year"] = by(j, ["reason", "year"])
    d = ev[ev.event.isin(["deserted", "defected"])]
    out["leavers_by_actor_reason"] = by(d, ["actor", "reason"])
    f = ev[ev.event == "fled"]
    out["fled_by_reason"] = by(f, ["reason"])
    out["interdicted_by_actor_reason"] = by(ev[ev.event == "interdicted"], ["actor", "reason"])
    out["totals"] = by(ev, ["event"])
    return out


def months_in(scenario: str) -> dict[str, int]:
    """Calendar months of each year inside the scenario's period."""
    import yaml

    per = yaml.safe_load((ROOT / scenario).read_text())["period"]
    p = pd.period_range(pd.Timestamp(per["start"]), pd.Timestamp(per["end"]) - pd.Timedelta(
        days=1), freq="M")
    return {str(y): int((p.year == y).sum()) for y in sorted(set(p.year))}


def table(h: dict[str, Any], scenario: str) -> dict[str, Any]:
    """The review's headline numbers from a headlines dict."""
    c = h["conscripted_by_actor_year"]
    x = h["executed_by_actor_year"]
    jr = h["isis_joins_by_reason_year"]
    months = months_in(scenario)

    def vol(year: int) -> float | None:
        n = sum(v for k, v in jr.items() for r in VOLUNTARY if k == str((r, year)))
        m = months.get(str(year), 0)
        return round(n / m) if m else None

    def per_actor(a: str) -> int:
        return sum(v for k, v in x.items() if k.startswith(f"('{a}',"))

    return {
        "isis_conscripted_2014_16": sum(c.get(str(("ISIS", y)), 0) for y in (2014, 2015, 2016)),
        "executed_isis": per_actor("ISIS"),
        "executed_saa": per_actor("SAA"),
        "executed_sdf": per_actor("SDF"),
        "executed_all_actors": {a: per_actor(a) for a in
                                sorted({k.split("'")[1] for k in x})},
        "isis_peak_strength": h.get("isis_peak"),
        "isis_voluntary_joins_per_month_2014": vol(2014),
        "isis_voluntary_joins_per_month_2017": vol(2017),
    }


def family_head_pay(scenario: str) -> dict[str, float]:
    """Monthly pay in USD of a local ISIS member who heads a household of a wife and three
    children (the review's reference: $205 cash + $100 in kind at b6886bb), in mid-2015 and
    after the December 2015 cut, from the economy module of this commit."""
    code = r"""
import datetime as dt, json, sys
import numpy as np
from ranks.runner import load
from ranks.engine import Simulation
from ranks.modules.economy import Economy
loaded = load(sys.argv[1])
out = {}
for label, day in (("2015-06-01", "2015-06-01"), ("2016-03-01", "2016-03-01")):
    sim = Simulation(loaded, scale=0.002, until=dt.date.fromisoformat(day))
    sim.run()
    econ = next(m for m in sim.modules if isinstance(m, Economy))
    a = sim.world.actor_index["ISIS"]
    fam = getattr(econ, "family_pay_usd", None)
    if fam is not None:
        cash, kind = fam(sim, a, n_wives=1, n_parents=0, n_children=3, size=5)
    else:  # b6886bb interface
        cash = float(econ.cash_pay(a, np.array([1.0]), np.array([0.0]), np.array([3.0]))[0])
        kind = float(econ.in_kind[a])
    out[label] = {"cash": round(float(cash), 1), "in_kind": round(float(kind), 1),
                  "total": round(float(cash) + float(kind), 1)}
print(json.dumps(out))
"""
    r = subprocess.run([sys.executable, "-c", code, str(ROOT / scenario)], capture_output=True,
                       text=True, check=True)
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--only", choices=list(FLAGSHIPS), action="append")
    ap.add_argument("--keep", help="keep run directories under this folder")
    args = ap.parse_args()
    todo = args.only or list(FLAGSHIPS)
    ranks = [sys.executable, "-m", "ranks.cli"]
    prev = json.loads(OUT.read_text()) if OUT.exists() else {}
    res: dict[str, Any] = {
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "load_avg": os.getloadavg()},
        "commit": subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT,
                                 capture_output=True, text=True).stdout.strip(),
        "seed": 1, "scale": 1.0, "flagships": prev.get("flagships", {}),
        "source_figures": SOURCE_FIGURES,
    }
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(args.keep) if args.keep else Path(tmp)
        for key in todo:
            scenario, budget = FLAGSHIPS[key]
            out = base / f"run-{key}"
            cost = timed([*ranks, "run", scenario, "--out", str(out), "--seed", "1",
                          "--scale", "1", "--force", "-q"])
            peer = timed([sys.executable, "-c", PEER, str(ROOT / scenario), str(SKELETON)])
            days = json.loads((out / "manifest.json").read_text())["days"]
            ratio = cost["wall_s"] / max(peer["wall_s"], 1e-9)
            cost["peer_core_only_wall_s"] = peer["wall_s"]
            cost["ratio_over_core_only"] = round(ratio, 2)
            cost["days"] = days
            cost["estimated_quiet_wall_s"] = round(ratio * QUIET_PEER_S_PER_DAY * days, 1)
            h = headlines(out)
            before_file = RESULTS / f"story-headlines-before-{key}.json"
            before = json.loads(before_file.read_text()) if before_file.exists() else None
            res["flagships"][key] = {
                "scenario": scenario, "budget_s": budget, "budget_rss_mb": 2048, **cost,
                "within_budget_measured": cost["wall_s"] <= budget and cost["peak_rss_mb"] <= 2048,
                "within_budget_quiet_estimate": (cost["estimated_quiet_wall_s"] <= budget
                                                 and cost["peak_rss_mb"] <= 2048),
                "after": table(h, scenario),
                "before": table(before, scenario) if before else None,
                "headlines": h,
            }
            print(key, cost, flush=True)
    res["family_head_pay_after"] = family_head_pay(FLAGSHIPS["1420"][0])
    res["family_head_pay_before"] = {
        "2015-06-01": {"cash": 205.0, "in_kind": 100.0, "total": 305.0},
        "note": "b6886bb presets (fidelity review, section 2): wife $50, three children $35 "
                "each, base $50, $100 in kind; halved cash from Dec 2015"}
    OUT.write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps({k: v for k, v in res.items() if k != "flagships"}, indent=1))
    for key, f in res["flagships"].items():
        print(key, json.dumps({"before": f["before"], "after": f["after"]}, indent=1))


if __name__ == "__main__":
    main()
