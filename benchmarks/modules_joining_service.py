"""Cost of the economy, joining and service modules at full scale (issue 4), and the
late-2014 calibration figure.

Builds a temporary scenario from the Deir Ezzor skeleton (its places, routes, control and
fronts) starting in mid-2014, with the timeline events of these modules, and runs it at
full scale (1.24 million people) on one core twice, interleaved: with mortality only, and
with economy + joining + service + mortality. The difference in ms a simulated day is what
the three modules add (goal: at most 10 ms). The run with the modules also reports ISIS
strength on 2014-12-31 (calibration target: over 3,000 fighters around Deir Ezzor in late
2014, domain-figures). Writes benchmarks/results/joining_service.json.

Usage: python benchmarks/modules_joining_service.py [--repeat 2] [--until 2021-01-01]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
SKELETON = ROOT / "scenarios" / "deir-ezzor" / "skeleton.yaml"
OUT = ROOT / "benchmarks" / "results" / "joining_service.json"
MODULES = ("economy", "joining", "service")

#: Timeline events of these modules for the governorate (dates and values from
#: timeline-shared and the seed reports; each carries its evidence).
TIMELINE: list[dict[str, Any]] = [
    {"date": "2014-06-01", "type": "applications_closed", "actor": "IRAN",
     "until": "2017-09-05", "assumption": "Iran-backed groups recruit in the governorate "
     "once the siege is broken (timeline-shared Sep 2017 onwards)"},
    {"date": "2014-07-14", "type": "wages", "value": 0.7, "args": {"jobs": 0.6},
     "source": "seed-003", "note": "the regime stopped paying salaries and the local economy "
     "imploded; the size of the fall (wages -30%, jobs -40%) is an assumption"},
    {"date": "2014-07-14", "type": "prices", "value": 1.5, "source": "timeline-shared",
     "note": "bakeries closed in Abu Kamal (Jul 2014); index 1.5 an assumption"},
    {"date": "2015-02-01", "type": "prices", "place": "Deir ez-Zor", "value": 3.0,
     "source": "timeline-shared", "note": "siege of the city enclave from Jan 2015; bread "
     "$2.50 a loaf by Jan 2016; index 3 an assumption"},
    {"date": "2015-11-15", "type": "training_change", "actor": "ISIS",
     "args": {"religious_days": 3, "military_days": 0}, "source": "seed-003",
     "note": "after losing Sinjar (Nov 2015) only a few days of religious course"},
    {"date": "2015-12-01", "type": "pay_change", "actor": "ISIS", "value": 0.5,
     "source": "timeline-shared", "note": "treasury memo halves fighters' pay (seed-003: by "
     "up to half)"},
    {"date": "2016-01-01", "type": "recruitment_office", "actor": "ISIS",
     "source": "seed-004", "note": "offices opened in all controlled areas (report about "
     "2016; date an assumption)"},
    {"date": "2016-01-01", "type": "rotation_change", "actor": "ISIS",
     "args": {"days": 15, "share_per_month": 0.1}, "source": "seed-004",
     "note": "15-day missions at Iraqi fronts; share per month an assumption"},
    {"date": "2016-06-01", "type": "rotation_change", "actor": "ISIS", "args": {"days": 30},
     "source": "seed-004", "note": "missions lengthened to a month after big losses (date "
                                   "an assumption)"},
    {"date": "2017-01-15", "type": "training_change", "actor": "SAA",
     "args": {"military_days": 3}, "source": "timeline-shared",
     "note": "under 72 hours of training before frontline duty (Jan 2017)"},
    {"date": "2019-07-25", "type": "cultural_centre", "actor": "IRAN", "place": "Mayadin",
     "source": "timeline-shared", "note": "IRGC office recruits Mayadin youths (seed-001)"},
    {"date": "2020-12-01", "type": "applications_closed", "actor": "NDF",
     "source": "seed-001", "note": "NDF abruptly stops accepting applications"},
]


def write_scenario(folder: Path, modules: bool, start: str = "2014-06-01",
                   end: str = "2021-01-01", extra_modules: dict[str, Any] | None = None) -> Path:
    """A governorate scenario from the skeleton, starting at ``start``; with ``modules`` it
    enables economy, joining and service and adds their timeline events. Returns its path."""
    d = yaml.safe_load(SKELETON.read_text())
    base = SKELETON.parent
    for k in ("places", "routes", "control", "fronts", "population"):
        d[k] = str((base / d[k]).resolve())
    d["evidence"] = str(ROOT / "evidence" / "sources.yaml")
    d["period"] = {"start": dt.date.fromisoformat(start), "end": dt.date.fromisoformat(end)}
    tl = [e for e in d.get("timeline", []) if start <= str(e["date"]) < end]
    if modules:
        tl += [e for e in TIMELINE if start <= e["date"] < end]
        d["modules"] = {m: {} for m in MODULES} | {"mortality": {}} | (extra_modules or {})
    tl.sort(key=lambda e: str(e["date"]))
    for e in tl:
        for k in ("date", "until"):
            if k in e:
                e[k] = dt.date.fromisoformat(str(e[k]))
    d["timeline"] = tl
    d["output"] = {"stocks_every_days": 7}
    path = folder / ("with_modules.yaml" if modules else "without.yaml")
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def isis_by_district(sim: Any) -> dict[str, dict[str, int]]:
    """ISIS members by district of their home and of where they are (outside = places
    outside the governorate: transit towns and fronts in Hasakah and Raqqa)."""
    import csv

    with open(SKELETON.parent / "places.csv", encoding="utf-8") as f:
        district = {r["name"]: (r["district"] or "outside") for r in csv.DictReader(f)}
    ppl, w = sim.people, sim.world
    m = np.flatnonzero(ppl.actor == w.actor_index["ISIS"])
    out: dict[str, dict[str, int]] = {"home": {}, "stationed": {}}
    for key, col in (("home", ppl.home), ("stationed", ppl.place)):
        for i, c in enumerate(np.bincount(col[m], minlength=w.n_places)):
            d = district.get(w.place_names[i], "outside")
            out[key][d] = out[key].get(d, 0) + int(c)
    out["total"] = {"all": int(m.size),
                    "foreign": int(((ppl.flags[m] & 8) > 0).sum()),
                    "under_18": int((ppl.age_years(sim.day, m) < 18).sum())}
    return out


def run(path: Path, until: dt.date | None) -> dict[str, Any]:
    """One full-scale run; ms a day of the loop and module times."""
    from ranks.engine import Simulation
    from ranks.runner import load

    sim = Simulation(load(path), scale=1.0, until=until)
    cpu: dict[str, float] = {m.name: 0.0 for m in sim.modules}
    for m in sim.modules:  # CPU time of each module's step (robust to other processes)
        def timed(s: Any, day: int, _step: Any = m.step, _name: str = m.name) -> None:
            t0 = time.process_time()
            _step(s, day)
            cpu[_name] += time.process_time() - t0
        m.step = timed  # type: ignore[method-assign]
    snap_day = sim.world.day_of(dt.date(2014, 12, 31))
    snap: dict[str, Any] = {}
    t = time.process_time()
    w = time.perf_counter()
    for day in range(sim.n_days):
        sim.step(day)
        if day == snap_day and "joining" in cpu:
            snap = isis_by_district(sim)
    loop = time.process_time() - t
    wall = time.perf_counter() - w
    out: dict[str, Any] = {"days": sim.n_days, "ms_per_day": loop / sim.n_days * 1000,
                           "wall_ms_per_day": wall / sim.n_days * 1000,
                           "module_ms_per_day": {k: v / sim.n_days * 1000
                                                 for k, v in cpu.items()}}
    if "joining" in cpu:
        st = sim.record.stocks_frame()
        s = st[(st.stock == "strength")]
        by = s.groupby(["date", "actor"], observed=True)["value"].sum().unstack(fill_value=0)
        late = by[by.index <= dt.date(2014, 12, 31)].iloc[-1]
        out["strength_2014_12_31"] = {k: int(v) for k, v in late.items() if v}
        out["strength_end"] = {k: int(v) for k, v in by.iloc[-1].items() if v}
        ev = sim.record.events_frame()
        j = ev[ev.event == "joined"]
        j14 = j[j.date <= dt.date(2014, 12, 31)]
        out["isis_joined_by_motive_2014"] = {
            str(k): int(v) for k, v in j14[j14.actor == "ISIS"].groupby(
                "reason", observed=True)["count"].sum().items()}
        sw = ev[(ev.event == "switched") & (ev.date <= dt.date(2014, 12, 31))]
        out["switched_to_isis_2014"] = int(sw[sw.actor == "ISIS"]["count"].sum())
        out["events_total"] = {k: int(v) for k, v in sim.record.totals.items()}
        out["isis_2014_12_31_by_district"] = snap
        out["note"] = ("strength_2014_12_31 from the weekly stock on or before that date; "
                       f"simulated through day {sim.n_days}")
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--until", default="2021-01-01", help="end (exclusive) of the timed runs")
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.path.insert(0, str(ROOT / "src"))
    until = dt.date.fromisoformat(args.until)
    with tempfile.TemporaryDirectory() as tmp:
        without = write_scenario(Path(tmp), modules=False)
        with_m = write_scenario(Path(tmp), modules=True)
        a, b = [], []
        last: dict[str, Any] = {}
        for _ in range(args.repeat):  # interleaved: both see the same machine load
            a.append(run(without, until))
            last = run(with_m, until)
            b.append(last)
    base = statistics.median(r["ms_per_day"] for r in a)
    withm = statistics.median(r["ms_per_day"] for r in b)
    mods = {m: round(statistics.median(r["module_ms_per_day"].get(m, 0.0) for r in b), 3)
            for m in MODULES}
    res = {
        "timing": "CPU time of this process (time.process_time), so that other processes "
                  "on the shared machine inflate it less than wall time; medians of repeats",
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "numpy": np.__version__,
                    "load_avg": os.getloadavg()},
        "scenario": "deir-ezzor skeleton from 2014-06-01, full scale (1,239,000 people)",
        "days": last["days"],
        "ms_per_day_without": round(base, 3),
        "ms_per_day_with": round(withm, 3),
        "wall_ms_per_day_without": round(statistics.median(r["wall_ms_per_day"] for r in a), 3),
        "wall_ms_per_day_with": round(statistics.median(r["wall_ms_per_day"] for r in b), 3),
        "ms_per_day_added": round(withm - base, 3),
        "ratio_with_to_without": round(withm / base, 2),
        "module_ms_per_day": mods,
        "goal_ms_per_day_added": 10.0,
        "repeats": args.repeat,
        "calibration": {k: last[k] for k in (
            "strength_2014_12_31", "isis_2014_12_31_by_district", "strength_end",
            "isis_joined_by_motive_2014", "switched_to_isis_2014", "events_total") if k in last},
        "calibration_target": "ISIS over 3,000 fighters around Deir Ezzor in late 2014 "
                              "(domain-figures)",
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
