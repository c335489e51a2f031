"""A synthetic run directory for tests and examples of the report, check and compare.

It has the layout ``ranks run`` writes (manifest.json, events.parquet, stocks.parquet,
scenario.resolved.yaml) for the places and actors of a scenario (default: the demo), but its
events and stocks are drawn from simple made-up Poisson rates, not simulated: every event and
stock kind the report shows is present, with ``replicates`` replicates. Nothing here is a
model result.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd

from ranks.population import ASSIGN_NAMES

DEMO = Path(__file__).resolve().parents[3] / "scenarios" / "demo.yaml"

MOTIVES = ("pay", "ideology", "revenge", "protection", "status")
DESERT_REASONS = ("pay_cut", "front_fear", "family")
DEFECT_REASONS = ("grievance", "pay")


def _cat(values: list) -> pd.Categorical:
    return pd.Categorical(values)


def write_synthetic_run(out: str | Path, *, replicates: int = 3, seeds: list[int] | None = None,
                        scale: float = 0.1, days: int = 180, stocks_every: int = 7,
                        flight_factor: float = 1.0, scenario: Path | None = None,
                        name: str | None = None) -> Path:
    """Write a synthetic run directory to ``out`` (replaced if it exists).

    Args:
        replicates: number of replicates.
        seeds: seed per replicate (default 1, 2, ...); drives all random draws.
        scale: the run's scale (counts are of synthetic people at this scale).
        days: simulated days from the scenario's start.
        stocks_every: snapshot interval in days.
        flight_factor: multiplies the daily rates of 'fled'/'arrived' and camp growth
            (to make a second scenario for comparisons).
        scenario: scenario file for places and actors (default scenarios/demo.yaml).
        name: scenario name in the manifest (default the scenario's).
    """
    from ranks.runner import load
    from ranks.scenario.loader import dump_resolved

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    loaded = load(scenario or DEMO)
    sc = loaded.scenario
    seeds = seeds or list(range(1, replicates + 1))
    start = sc.period.start
    dates = [start + dt.timedelta(days=d) for d in range(days)]
    places = [p.name for p in sc.places]
    pop = np.array([p.population for p in sc.places], dtype=float) * scale
    types = [p.type for p in sc.places]
    towns = [i for i, t in enumerate(types) if t in ("city", "town", "subdistrict")]
    camps = [i for i, t in enumerate(types) if t == "camp"] or [len(places) - 1]
    exits = [i for i, t in enumerate(types) if t in ("crossing", "abroad")] or camps
    armed = [a.id for a in sc.actors if a.kind in ("armed", "state")] or [sc.actors[0].id]
    ev_rows: list[dict] = []
    st_rows: list[dict] = []
    for r, seed in enumerate(seeds):
        rng = np.random.default_rng([seed, 7])

        def ev(day: int, event: str, place: int, count: int, actor: str | None = None,
               reason: str | None = None, dest: int | None = None, r: int = r) -> None:
            if count > 0:
                ev_rows.append({"replicate": r, "date": dates[day], "actor": actor,
                                "place": places[place], "event": event, "reason": reason,
                                "destination": None if dest is None else places[dest],
                                "count": int(count)})

        strength = {a: np.zeros(len(ASSIGN_NAMES)) for a in armed}
        camp_pop = np.zeros(len(places))
        dead = 0.0
        for d in range(days):
            for i in towns:
                k = pop[i] / max(pop[towns].sum(), 1.0)
                for a in armed:
                    for m in MOTIVES:
                        n = rng.poisson(0.4 * k * len(towns) * scale * 10)
                        ev(d, "joined", i, n, a, m)
                        strength[a][ASSIGN_NAMES.index("training")] += n
                ev(d, "died", i, rng.poisson(2e-4 * pop[i]), None, "background")
                ev(d, "died", i, rng.poisson(1e-4 * pop[i] * (d > days // 2)), None, "conflict")
                nf = rng.poisson(flight_factor * 1e-3 * pop[i])
                dest = camps[d % len(camps)] if d % 3 else exits[d % len(exits)]
                ev(d, "fled", i, nf, None, "conflict", dest)
                ev(d, "arrived", dest, nf, None, None)
                camp_pop[dest] += nf if dest in camps else 0
                for a in armed:
                    ev(d, "conscripted", i, rng.poisson(0.3 * k * len(towns)), a, "order")
                    ev(d, "detained", i, rng.poisson(0.1 * k * len(towns)), a, "checkpoint")
                    ev(d, "bribed_release", i, rng.poisson(0.05 * k * len(towns)), a, "bribe")
            for a in armed:
                s = strength[a]
                moved = s[ASSIGN_NAMES.index("training")] * 0.05
                s[ASSIGN_NAMES.index("training")] -= moved
                s[ASSIGN_NAMES.index("front")] += moved * 0.6
                s[ASSIGN_NAMES.index("guard")] += moved * 0.4
                des = rng.poisson(0.002 * s.sum())
                reason = DESERT_REASONS[d % len(DESERT_REASONS)]
                ev(d, "deserted", towns[d % len(towns)], des, a, reason)
                s[ASSIGN_NAMES.index("front")] = max(0.0, s[ASSIGN_NAMES.index("front")] - des)
                kil = rng.poisson(0.0005 * s.sum())
                ev(d, "killed", towns[(d + 1) % len(towns)], kil, a, None)
                dead += kil
                if d % 10 == 0:
                    ev(d, "defected", towns[0], rng.poisson(2), a, DEFECT_REASONS[d % 2],
                       towns[-1])
                ev(d, "executed", towns[0], int(rng.random() < 0.05), a, "desertion")
            if d % stocks_every == 0 or d == days - 1:
                day = dates[d]
                for i in range(len(places)):
                    civ = pop[i] * (1 - 0.0005 * d)
                    if civ > 0:
                        st_rows.append({"replicate": r, "date": day, "stock": "people",
                                        "actor": None, "place": places[i],
                                        "category": "civilian", "value": float(round(civ))})
                    if camp_pop[i] > 0:
                        for stock, cat in (("people", "camp"), ("camp_population", None)):
                            st_rows.append({"replicate": r, "date": day, "stock": stock,
                                            "actor": None, "place": places[i],
                                            "category": cat, "value": float(camp_pop[i])})
                    if i in towns:
                        st_rows.append({"replicate": r, "date": day, "stock": "wanted",
                                        "actor": None, "place": places[i], "category": None,
                                        "value": float(rng.poisson(0.01 * pop[i]))})
                st_rows.append({"replicate": r, "date": day, "stock": "people", "actor": None,
                                "place": places[towns[0]], "category": "dead",
                                "value": float(dead + 1)})
                for a in armed:
                    for j, lab in enumerate(ASSIGN_NAMES):
                        if strength[a][j] > 0:
                            st_rows.append({"replicate": r, "date": day, "stock": "strength",
                                            "actor": a, "place": None, "category": lab,
                                            "value": float(round(strength[a][j]))})
                    st_rows.append({"replicate": r, "date": day, "stock": "minors_share",
                                    "actor": a, "place": None, "category": None,
                                    "value": 0.05 + 0.02 * rng.random()})
                    st_rows.append({"replicate": r, "date": day, "stock": "pay_bill_usd",
                                    "actor": a, "place": None, "category": None,
                                    "value": 300.0 * strength[a].sum()})
                held: dict[str, str] = {}
                for row in sc.control:
                    if row.date <= day:
                        held[row.place] = row.actor
                for p, a in held.items():
                    st_rows.append({"replicate": r, "date": day, "stock": "control", "actor": a,
                                    "place": p, "category": None, "value": 1.0})
    events = pd.DataFrame(ev_rows)
    stocks = pd.DataFrame(st_rows)
    for df in (events, stocks):
        df["replicate"] = df["replicate"].astype(np.int16)
        for c in ("actor", "place", "event", "reason", "destination", "stock", "category"):
            if c in df:
                df[c] = _cat(df[c].tolist())
    events = events[["replicate", "date", "actor", "place", "event", "reason", "destination",
                     "count"]]
    stocks = stocks[["replicate", "date", "stock", "actor", "place", "category", "value"]]
    events.to_parquet(out / "events.parquet", index=False)
    stocks.to_parquet(out / "stocks.parquet", index=False)
    (out / "scenario.resolved.yaml").write_text(dump_resolved(loaded), encoding="utf-8")
    manifest = {
        "ranks_version": "synthetic", "synthetic": True,
        "scenario": {"name": name or sc.name, "path": str(loaded.path), "sha256": loaded.digest},
        "seed": seeds[0], "replicates": [{"replicate": r, "seed": s} for r, s in
                                         enumerate(seeds)],
        "scale": scale, "start": start.isoformat(),
        "end": (start + dt.timedelta(days=days)).isoformat(), "days": days,
        "modules": ["synthetic"], "people": int(pop.sum()), "runtime_s": 0.0,
        "peak_rss_mb": 0.0,
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return out
