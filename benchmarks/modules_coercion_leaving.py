"""Cost of the coercion and leaving modules at full scale (issue 5), and the August 2017 wave.

Builds a temporary scenario from the Deir Ezzor skeleton (its places, routes, control and
fronts) for 2017, with economy, joining and service enabled when they are registered (and
their timeline events, read from benchmarks/modules_joining_service.py when present), and
runs it at full scale (1.24 million people) on one core, interleaved:

- without: economy + joining + service + mortality;
- with: the same plus coercion and leaving, and their timeline events (the ISIS order of
  3 August 2017 to men 20-30, the campaign of arrests from 13 August, ...).

The difference in ms a simulated day is what the two modules add (goal: at most 10 ms).
The run with them also reports, week by week around 3 August 2017, the events of the
conscription wave (registered, evaded by reason, hid, conscripted, detained, raids,
bribes) and the stocks of people hiding and wanted. Writes
benchmarks/results/coercion_leaving.json.

Usage: python benchmarks/modules_coercion_leaving.py [--repeat 1] [--start 2017-01-01]
       [--end 2018-01-01] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
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
OUT = ROOT / "benchmarks" / "results" / "coercion_leaving.json"
MINE = ("coercion", "leaving")
OTHERS = ("economy", "joining", "service")

#: Timeline events of coercion and leaving for the governorate (timeline-shared rows and
#: the seed reports; each carries its evidence).
TIMELINE: list[dict[str, Any]] = [
    {"date": "2014-08-05", "type": "massacre", "actor": "ISIS", "tribe": "Shaitat",
     "value": 700, "place": ["Abu Hamam", "al-Kishkiyeh", "Gharanij"],
     "source": "press-shaitat-2014", "note": "over 700 Shaitat killed in two weeks (seed-002)"},
    {"date": "2015-05-20", "type": "conscription_order", "actor": "SAA",
     "place": "Deir ez-Zor", "args": {"ages": [18, 35], "deadline_days": 14},
     "source": "timeline-shared", "note": "men 18-35 made to sign reserve papers; deadline "
     "an assumption"},
    {"date": "2015-07-25", "type": "amnesty", "actor": "SAA", "until": "2015-08-24",
     "source": "decrees-desertion-amnesty", "note": "decree: surrender within 30 days"},
    {"date": "2016-02-17", "type": "amnesty", "actor": "SAA", "until": "2016-03-17",
     "source": "decrees-desertion-amnesty", "note": "decree: surrender within one month"},
    {"date": "2016-09-01", "type": "checkpoint_campaign", "actor": "SAA",
     "place": "Deir ez-Zor", "value": 0.03, "until": "2017-01-01", "args": {"kind": "mobile"},
     "source": "timeline-shared", "note": "checkpoints at bakeries and cafes (low "
     "confidence); intensity an assumption"},
    {"date": "2017-08-03", "type": "conscription_order", "actor": "ISIS",
     "args": {"ages": [20, 30], "deadline_days": 7}, "source": "press-isis-order-2017",
     "note": "men 20-30 register within a week (seed-000)"},
    {"date": "2017-08-13", "type": "checkpoint_campaign", "actor": "ISIS",
     "place": ["al-Ashara", "al-Tayana", "Sbeikhan", "al-Quriyah", "Ashara villages",
               "Dhiban", "Dhiban villages"],
     "value": 0.05, "until": "2017-10-15", "args": {"kind": "mobile"},
     "source": "press-isis-arrests-2017", "note": "arrests of young men in eastern villages from "
     "13 Aug 2017; intensity an assumption"},
    {"date": "2018-10-09", "type": "amnesty", "actor": "SAA", "until": "2019-02-09",
     "source": "decrees-desertion-amnesty", "note": "Decree 18/2018: surrender within 4 months"},
    {"date": "2019-09-15", "type": "amnesty", "actor": "SAA", "until": "2019-12-15",
     "source": "decrees-desertion-amnesty", "note": "Decree 20/2019: surrender within 3 months"},
    {"date": "2020-12-01", "type": "checkpoint_campaign", "actor": "SAA",
     "place": "Deir ez-Zor", "value": 0.05, "args": {"kind": "mobile"},
     "source": "seed-001", "note": "mobile checkpoints at neighbourhood entrances and "
     "markets; intensity an assumption"},
    {"date": "2020-12-01", "type": "conscription_order", "actor": "SAA",
     "place": "Deir ez-Zor", "args": {"ages": [18, 42], "deadline_days": 14,
                                      "applies_to_members": True},
     "source": "seed-001", "note": "service and reserve call-ups enforced on NDF members"},
]

LEAVING = {"rebel_actors": ["FSA"], "safe_actors": ["SDF"]}


def _others_timeline() -> list[dict[str, Any]]:
    """The joining engineer's timeline events, if their benchmark script is present."""
    path = ROOT / "benchmarks" / "modules_joining_service.py"
    if not path.exists():
        return []
    spec = importlib.util.spec_from_file_location("_mjs", path)
    if spec is None or spec.loader is None:
        return []
    mod = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(mod)
    except Exception:  # noqa: BLE001 - their script may be mid-edit; run without it
        return []
    return [dict(e) for e in getattr(mod, "TIMELINE", [])]


def write_scenario(folder: Path, mine: bool, start: str, end: str) -> Path:
    """A governorate scenario from the skeleton for [start, end); with ``mine`` it enables
    coercion and leaving and adds their timeline events. Returns its path."""
    from ranks.modules.registry import MODULES

    d = yaml.safe_load(SKELETON.read_text())
    base = SKELETON.parent
    for k in ("places", "routes", "population"):
        d[k] = str((base / d[k]).resolve())
    for k in ("control", "fronts"):  # rows dated after the end are errors: drop them
        lines = (base / d[k]).read_text(encoding="utf-8-sig").splitlines()
        rows = [ln for ln in lines[1:] if ln[:10] < end]
        (folder / f"{k}.csv").write_text("\n".join([lines[0], *rows]) + "\n")
        d[k] = str(folder / f"{k}.csv")
    d["evidence"] = str(ROOT / "evidence" / "sources.yaml")
    d["period"] = {"start": dt.date.fromisoformat(start), "end": dt.date.fromisoformat(end)}
    others = [m for m in OTHERS if m in MODULES]
    tl = [e for e in d.get("timeline", []) if start <= str(e["date"]) < end]
    if others:
        tl += [e for e in _others_timeline() if start <= str(e["date"]) < end]
    mods: dict[str, Any] = {m: {} for m in others}
    if mine:
        tl += [dict(e) for e in TIMELINE if start <= e["date"] < end]
        mods |= {"coercion": {}, "leaving": dict(LEAVING)}
    mods["mortality"] = {}
    d["modules"] = mods
    tl.sort(key=lambda e: str(e["date"]))
    for e in tl:
        for k in ("date", "until"):
            if k in e:
                e[k] = dt.date.fromisoformat(str(e[k]))
        if "until" in e and e["until"] > dt.date.fromisoformat(end):
            del e["until"]
    d["timeline"] = tl
    d["output"] = {"stocks_every_days": 7}  # as the skeleton
    path = folder / ("with.yaml" if mine else "without.yaml")
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def run(path: Path, scale: float) -> tuple[dict[str, Any], Any]:
    """One run; ms a day of the loop and module times, and the simulation."""
    from ranks.engine import Simulation
    from ranks.runner import load

    sim = Simulation(load(path), scale=scale)
    t = time.perf_counter()
    info = sim.run()
    loop = time.perf_counter() - t
    return {"days": sim.n_days, "ms_per_day": loop / sim.n_days * 1000,
            "module_ms_per_day": {k: v / sim.n_days * 1000 for k, v in info.module_s.items()},
            "people": sim.people.n}, sim


def august_2017_wave(sim: Any) -> dict[str, Any]:
    """Weekly events of the ISIS conscription wave around 3 August 2017, and stocks."""
    order = dt.date(2017, 8, 3)
    lo, hi = order - dt.timedelta(days=28), order + dt.timedelta(days=56)
    ev = sim.record.events_frame()
    ev = ev[(ev["date"] >= lo) & (ev["date"] < hi)]
    ev = ev[(ev["actor"] == "ISIS") | ev["actor"].isna()]
    keep = {"registered", "evaded:hide", "evaded:flee", "evaded:ignore", "hid:checkpoints",
            "conscripted:order", "conscripted:checkpoint", "conscripted:raid",
            "detained:checkpoint", "detained:raid", "detained:violation", "raid",
            "bribed_release:checkpoint", "bribed_release:raid"}

    def what(event: str, reason: Any) -> str | None:
        if event in ("deserted", "defected", "executed"):
            return event
        key = f"{event}:{reason}" if isinstance(reason, str) else str(event)
        return key if key in keep else None

    ev = ev.assign(week=[(d - order).days // 7 for d in ev["date"]],
                   what=[what(str(e), r) for e, r in zip(ev["event"], ev["reason"],
                                                         strict=True)])
    ev = ev[ev["what"].notna()]
    table = ev.groupby(["week", "what"])["count"].sum().unstack(fill_value=0)
    weeks = {f"week {int(w):+d} (from {order + dt.timedelta(days=7 * int(w))})":
             {k: int(v) for k, v in row.items() if v} for w, row in table.iterrows()}
    st = sim.record.stocks_frame()
    out_stocks: dict[str, dict[str, int]] = {}
    snaps = [sim.world.date(d) for d in sim.record.snapshot_days]
    snaps = [d for d in snaps if order - dt.timedelta(days=7) <= d < hi]
    for name in ("hiding", "wanted", "detained"):  # people at each snapshot in the window
        s = st[st["stock"] == name].groupby("date")["value"].sum()
        out_stocks[name] = {str(d): int(s.get(d, 0)) for d in snaps}
    totals = ev.groupby("what")["count"].sum()
    return {"order": str(order), "weeks": weeks, "stocks": out_stocks,
            "totals_8_weeks_after": {k: int(v) for k, v in totals.items()},
            "scale_note": "counts of synthetic people at the run's scale"}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--start", default="2017-01-01")
    ap.add_argument("--end", default="2018-01-01")
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    sys.path.insert(0, str(ROOT / "src"))
    with tempfile.TemporaryDirectory() as tmp:
        without = write_scenario(Path(tmp), False, args.start, args.end)
        with_m = write_scenario(Path(tmp), True, args.start, args.end)
        a, b = [], []
        sim = None
        for _ in range(args.repeat):  # interleaved: both see the same machine load
            a.append(run(without, args.scale)[0])
            r, sim = run(with_m, args.scale)
            b.append(r)
    base = statistics.median(r["ms_per_day"] for r in a)
    withm = statistics.median(r["ms_per_day"] for r in b)
    mods = {m: round(statistics.median(r["module_ms_per_day"].get(m, 0.0) for r in b), 3)
            for m in b[0]["module_ms_per_day"]}
    res: dict[str, Any] = {
        "machine": {"cpu_count": os.cpu_count(), "platform": platform.platform(),
                    "python": platform.python_version(), "numpy": np.__version__,
                    "load_avg": os.getloadavg()},
        "scenario": f"deir-ezzor skeleton {args.start}..{args.end}, scale {args.scale} "
                    f"({b[0]['people']:,} people)",
        "modules_without": list(a[0]["module_ms_per_day"]),
        "modules_with": list(b[0]["module_ms_per_day"]),
        "days": b[0]["days"],
        "ms_per_day_without": round(base, 3),
        "ms_per_day_with": round(withm, 3),
        "ms_per_day_added": round(withm - base, 3),
        "ratio_with_to_without": round(withm / base, 2),
        "module_ms_per_day": mods,
        "module_ms_per_day_without": {
            m: round(statistics.median(r["module_ms_per_day"].get(m, 0.0) for r in a), 3)
            for m in a[0]["module_ms_per_day"]},
        "coercion_plus_leaving_ms_per_day": round(sum(mods.get(m, 0.0) for m in MINE), 3),
        "goal_ms_per_day_added": 10.0,
        "note": "module_ms_per_day is the time inside each module's step; ms_per_day_added "
                "also counts what coercion and leaving cause elsewhere: tens of thousands more "
                "members for service and joining to handle, and more deaths and events for "
                "the engine and recorder. Timings on a shared 2-core machine (see load_avg).",
        "repeats": args.repeat,
        "events_total": {k: int(v) for k, v in sim.record.totals.items()} if sim else {},
    }
    if sim is not None and sim.world.day_of(dt.date(2017, 8, 3)) in range(sim.n_days):
        res["august_2017_wave"] = august_2017_wave(sim)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n")
    print(json.dumps(res, indent=2))


if __name__ == "__main__":
    main()
