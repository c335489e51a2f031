"""Flight module speed at full governorate scale, side by side with and without it (issue 6).

Runs the Deir Ezzor skeleton (about 1.24 million people) on one core twice over the same
days: once as shipped (mortality only) and once with the flight and returns modules plus the
2017 events they react to (ISIS conscription order of 3 Aug 2017, exit ban from 12 Aug,
smuggler prices of domain-figures, the 13 Aug arrest campaign, camps closed until they
opened). Writes benchmarks/results/flight.json: ms a simulated day of each module, the
difference the modules add, and the displacement of July-August 2017 (people who fled, and
where arrivals went) for comparison with the humanitarian figure of 30-35,000 (mostly north
towards Hasakah).

Usage: python benchmarks/modules_flight.py [--until 2017-10-01] [--scale 1.0]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
SKELETON = ROOT / "scenarios" / "deir-ezzor" / "skeleton.yaml"
OUT = ROOT / "benchmarks" / "results" / "flight.json"

#: Timeline events added to the skeleton for the flight run (sources as in the scenario).
EVENTS = [
    {"date": "2014-01-01", "type": "closure", "place": "Areesha camp", "until": "2017-06-01",
     "source": "places-shared", "note": "camp opened June 2017"},
    {"date": "2014-01-01", "type": "closure", "place": "al-Hol camp", "until": "2016-05-01",
     "source": "timeline-shared", "note": "camp reopened May 2016"},
    {"date": "2016-01-01", "type": "smuggler_price", "value": 400, "source": "domain-figures"},
    {"date": "2017-08-01", "type": "smuggler_price", "value": 1000, "source": "domain-figures"},
    {"date": "2017-08-03", "type": "conscription_order", "actor": "ISIS",
     "args": {"ages": [20, 30], "deadline_days": 7}, "source": "timeline-shared"},
    {"date": "2017-08-12", "type": "exit_ban", "actor": "ISIS", "value": 3,
     "until": "2017-11-01", "source": "timeline-shared"},
    {"date": "2017-08-13", "type": "checkpoint_campaign", "actor": "ISIS",
     "place": ["al-Ashara", "al-Tayana", "Sbeikhan", "al-Quriyah"], "value": 0.05,
     "until": "2017-10-01", "source": "timeline-shared"},
]
NORTH = ["al-Hol camp", "Areesha camp", "al-Hasakah", "al-Shaddadi", "Markada", "Abu Khashab",
         "Mabrouka camp", "Iraq"]
NORTH_WEST = ["Raqqa", "Ain Issa camp", "Tabqa", "Manbij", "Tal Abyad crossing",
              "Jarablus crossing", "Bab al-Salama", "Turkey"]
SOUTH = ["Rukban camp", "al-Tanf", "Palmyra", "al-Sukhnah"]


def flight_scenario(tmp: Path) -> Path:
    """The skeleton with flight and returns enabled and the 2017 events, written to tmp."""
    data = yaml.safe_load(SKELETON.read_text(encoding="utf-8"))
    for k in ("places", "routes", "control", "fronts"):
        data[k] = str(SKELETON.parent / data[k])
    data["population"] = str((SKELETON.parent / data["population"]).resolve())
    data["evidence"] = str(ROOT / "evidence" / "sources.yaml")
    data["timeline"] = sorted(data.get("timeline", []) + EVENTS, key=lambda e: str(e["date"]))
    data["modules"] = {"flight": {"exit_ban_actors": {"value": ["ISIS"], "source": "seed-000",
                                                       "note": "ISIS kept people from leaving"}},
                       "returns": {}, **data.get("modules", {})}
    path = tmp / "skeleton-flight.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def run(path: Path, scale: float, until: dt.date) -> tuple[dict, object]:
    from ranks.engine import Simulation
    from ranks.runner import load

    sim = Simulation(load(path), scale=scale, until=until)
    t = time.perf_counter()
    info = sim.run()
    wall = time.perf_counter() - t
    ms = {k: v / sim.n_days * 1000 for k, v in info.module_s.items()}
    return {"days": sim.n_days, "loop_ms_per_day": wall / sim.n_days * 1000,
            "module_ms_per_day": {k: round(v, 3) for k, v in ms.items()}}, sim


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--until", default="2017-10-01")
    ap.add_argument("--scale", type=float, default=1.0)
    args = ap.parse_args()
    os.environ.setdefault("OMP_NUM_THREADS", "1")
    until = dt.date.fromisoformat(args.until)
    with tempfile.TemporaryDirectory() as d:
        with_path = flight_scenario(Path(d))
        base, _ = run(SKELETON, args.scale, until)
        withf, sim = run(with_path, args.scale, until)
    ev = sim.record.events_frame()
    ev["date"] = ev["date"].astype("datetime64[ns]")
    jul_aug = ev[(ev["date"] >= "2017-07-01") & (ev["date"] < "2017-09-01")]
    s = 1.0 / args.scale

    def total(name: str, frame=jul_aug) -> int:
        return int(frame.loc[frame["event"] == name, "count"].sum() * s)

    fled = jul_aug[jul_aug["event"] == "fled"]
    arr = jul_aug[jul_aug["event"] == "arrived"]
    by_dest = arr.groupby("destination", observed=True)["count"].sum() * s
    governorate = [n for n, pop in zip(sim.world.place_names, sim.world.population,
                                       strict=True) if pop > 0]

    def share(names: list[str]) -> int:
        return int(by_dest[by_dest.index.isin(names)].sum())

    st = sim.record.stocks_frame()
    st["date"] = st["date"].astype("datetime64[ns]")
    away = st[st["stock"].isin(["displaced", "in_transit"])]
    outside = away[~away["place"].isin(governorate)]

    def at(frame, date: str) -> float:
        first = frame.loc[frame["date"] >= date, "date"].min()
        return float(frame.loc[frame["date"] == first, "value"].sum())

    net_all = (at(away, "2017-09-01") - at(away, "2017-07-01")) * s
    net_out = (at(outside, "2017-09-01") - at(outside, "2017-07-01")) * s
    fm = withf["module_ms_per_day"]
    added = withf["loop_ms_per_day"] - base["loop_ms_per_day"]
    out = {
        "benchmark": "flight and returns modules at full scale (issue 6)",
        "scenario": "scenarios/deir-ezzor/skeleton.yaml + flight, returns and 2017 events",
        "scale": args.scale, "people": sim.people.n, "period": f"2014-01-01..{until}",
        "machine": {"python": platform.python_version(), "cpu": platform.processor()
                    or platform.machine(), "cores_used": 1},
        "without_flight": base,
        "with_flight": withf,
        "flight_ms_per_day": fm.get("flight"),
        "returns_ms_per_day": fm.get("returns"),
        "flight_plus_returns_ms_per_day": round(fm.get("flight", 0) + fm.get("returns", 0), 3),
        "loop_ms_per_day_added": round(added, 3),
        "loop_ratio_with_over_without": round(withf["loop_ms_per_day"]
                                              / base["loop_ms_per_day"], 2),
        "budget_ms_per_day": 10.0,
        "july_august_2017": {
            "fled": total("fled"),
            "fled_note": "departures, counting again those turned back who set out again",
            "net_increase_displaced_or_travelling": int(net_all),
            "net_increase_displaced_outside_governorate": int(net_out),
            "fled_by_reason": {str(k): int(v * s) for k, v in fled.groupby(
                "reason", observed=True)["count"].sum().items()},
            "stayed_for_cost": total("stayed"),
            "arrived": total("arrived"),
            "arrived_north_hasakah_al_hol_areesha": share(NORTH),
            "arrived_north_west_raqqa_turkey": share(NORTH_WEST),
            "arrived_south_rukban_badia": share(SOUTH),
            "arrived_within_governorate": share(governorate),
            "arrived_by_destination": {str(k): int(v) for k, v in by_dest.items() if v > 0},
            "interdicted": total("interdicted"),
            "mine_deaths": total("mine_death"),
            "observed": "30-35,000 displaced, most north towards Hasakah (domain-figures)",
        },
        "fled_by_year": {str(y): int(ev.loc[(ev["event"] == "fled")
                                            & (ev["date"].dt.year == y), "count"].sum() * s)
                         for y in sorted(ev["date"].dt.year.unique())},
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
