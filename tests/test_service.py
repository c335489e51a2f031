"""Service (M13-M17, M29): training, assignment, rotations, deaths in service, foreigners."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np

from ranks.engine import Simulation
from ranks.modules.base import Module
from ranks.modules.economy import Economy
from ranks.modules.service import Service
from ranks.population import Assignment, Flag, State
from tests.actor_settings import ISIS_ECONOMY, ISIS_SERVICE
from tests.test_economy import make_scenario, run
from tests.test_joining import count, run_with, strong, v


def mods(service: dict[str, Any] | None = None, x_service: dict[str, Any] | None = None,
         x_join: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"economy": {"actors": {"X": ISIS_ECONOMY}},
            "joining": {"actors": {"X": x_join or strong()}},
            "service": {"actors": {"X": {**ISIS_SERVICE, **(x_service or {})}},
                        **(service or {})}}


QUIET = strong(belief_per_year=0.0, economic_per_year=0.0, opportunism_per_year=0.0,
               revenge_per_year=0.0, amnesty_per_year=0.0, initial_members=0)


class Cohort(Module):
    """Enlists ``n`` men of X in training on day ``day`` (test only)."""

    name = "cohort"

    def __init__(self, n: int = 3000, day: int = 0) -> None:
        super().__init__(Module.Params())
        self.n, self.day, self.ids = n, day, np.zeros(0, dtype=np.int64)

    def step(self, sim: Simulation, day: int) -> None:
        if day == self.day:
            ppl = sim.people
            age = ppl.age_years(day)
            men = np.flatnonzero((ppl.sex == 1) & (age >= 18) & (age < 40) & (ppl.actor < 0))
            self.ids = men[: self.n]
            sim.get(Service).enlist(sim, self.ids, 0)


def test_training_takes_religious_plus_military_days_and_can_be_cut(tmp_path: Path) -> None:
    def graduation_day(tl: list[dict], service: dict[str, Any], name: str) -> set[int]:
        sim = run_with(make_scenario(tmp_path, modules=mods(service=service, x_join=QUIET),
                                     timeline=tl, days=100, name=name), [Cohort(200, 0)])
        ev = sim.record.events_frame()
        tr = ev[ev.event == "trained"]
        return {(d - sim.world.start).days for d in tr.date}

    assert graduation_day([], {}, "a.yaml") == {70}  # 40 + 30 days (seed-002, seed-003)
    cut = [{"date": dt.date(2014, 6, 1), "type": "training_change", "actor": "X",
            "args": {"religious_days": 3, "military_days": 0}}]
    assert graduation_day(cut, {}, "b.yaml") == {3}
    # off: no course at all; graduation on the next step of the service module
    assert graduation_day(cut, {"training": False}, "c.yaml") == {1}


def test_shorter_training_raises_deaths_of_the_newly_deployed(tmp_path: Path) -> None:
    """Cohorts deployed after full vs cut training; deaths in their first 60 days."""
    fronts = [{"date": dt.date(2014, 6, 1), "place": "A", "intensity": 1.0},
              {"date": dt.date(2014, 6, 1), "place": "B", "intensity": 1.0}]
    cut = [{"date": dt.date(2014, 6, 1), "type": "training_change", "actor": "X",
            "args": {"religious_days": 3, "military_days": 0}}]

    def deaths(tl: list[dict], service: dict[str, Any], name: str) -> float:
        xs = {"front_death_per_year": v(1.0), "connected_share": v(0.0)}
        sim = run_with(make_scenario(tmp_path, name=name, timeline=tl, fronts=fronts,
                                     days=200, modules=mods(service, xs, QUIET)),
                       [cohort := Cohort(3000, 0)])
        ppl = sim.people
        grad = 3 if tl and service.get("training", True) else 70
        dead = ppl.state[cohort.ids] == State.DEAD
        died = ppl.since[cohort.ids].astype(int)
        in_window = dead & (died >= grad) & (died < grad + 60)
        return in_window.sum() / len(cohort.ids)

    full = deaths([], {}, "full.yaml")
    short = deaths(cut, {}, "short.yaml")
    assert short > 1.4 * full, (full, short)  # untrained die about twice as often
    short_off = deaths(cut, {"untrained_risk": False}, "off.yaml")
    full_off = deaths([], {"untrained_risk": False}, "full_off.yaml")
    assert abs(short_off - full_off) < 0.25 * full_off, (full_off, short_off)


def test_assignment_guards_front_dangerous_and_foreign_command(tmp_path: Path) -> None:
    class Mark(Module):
        """Flags a third of the cohort SUSPECTED and a third FOREIGN before graduation."""

        name = "mark"

        def __init__(self, cohort: Cohort) -> None:
            super().__init__(Module.Params())
            self.c = cohort

        def step(self, sim: Simulation, day: int) -> None:
            if day == 1:
                sim.people.flags[self.c.ids[0::3]] |= np.uint8(Flag.SUSPECTED)
                sim.people.flags[self.c.ids[1::3]] |= np.uint8(Flag.FOREIGN)

    def assign(service: dict[str, Any], name: str) -> tuple[np.ndarray, ...]:
        c = Cohort(1500, 0)
        sim = run_with(make_scenario(tmp_path, name=name, days=80, modules=mods(
            service, {"connected_share": v(0.3), "guard_share_max": v(1.0)}, QUIET)),
            [c, Mark(c)])
        a = sim.people.assignment
        alive = sim.people.state[c.ids] == State.SERVING
        return tuple(a[ids][alive[i::3]] for i, ids in
                     enumerate((c.ids[0::3], c.ids[1::3], c.ids[2::3])))

    sus, foreign, plain = assign({}, "on.yaml")
    assert (sus == Assignment.DANGEROUS).all()
    assert 0.75 < (foreign == Assignment.GUARD).mean() < 0.9  # 0.7 + 0.3 of the rest
    assert 0.2 < (plain == Assignment.GUARD).mean() < 0.4
    assert ((plain == Assignment.FRONT) | (plain == Assignment.GUARD)).all()
    sus, foreign, plain = assign({"assignment_rules": False}, "off.yaml")
    assert (sus == Assignment.FRONT).all() and (plain == Assignment.FRONT).all()


def test_rotations_to_distant_fronts_last_15_then_30_days(tmp_path: Path) -> None:
    x_join = strong(belief_per_year=0.0, economic_per_year=0.0, opportunism_per_year=0.0,
                    initial_members=2000)
    xs = {"connected_share": v(0.0), "distant_death_per_year": v(0.0),
          "front_death_per_year": v(0.0), "guard_death_per_year": v(0.0)}

    def go(days: int, service: dict[str, Any], name: str) -> Simulation:
        tl = [{"date": dt.date(2014, 6, 2), "type": "rotation_change", "actor": "X",
               "args": {"days": days, "share_per_month": 0.5}}]
        return run(make_scenario(tmp_path, name=name, timeline=tl, days=80,
                                 modules=mods(service, xs, x_join)))

    for days in (15, 30):  # seed-004: 15 days at first, later a month
        ev = go(days, {}, f"d{days}.yaml").record.events_frame()
        out = ev[(ev.event == "rotated") & (ev.reason == "out")]
        back = ev[(ev.event == "rotated") & (ev.reason == "back")]
        assert out["count"].sum() > 300 and back["count"].sum() > 100
        assert (min(back.date) - min(out.date)).days == days
    assert count(go(15, {"rotations": False}, "off.yaml"), "rotated") == 0


def test_long_front_service_raises_pay(tmp_path: Path) -> None:
    fronts = [{"date": dt.date(2014, 6, 1), "place": "A", "intensity": 0.2}]
    xs = {"connected_share": v(0.0), "front_death_per_year": v(0.0),
          "guard_death_per_year": v(0.0)}
    sim = run(make_scenario(tmp_path, fronts=fronts, days=100, modules=mods(
        None, xs, strong(initial_members=500, economic_per_year=0.0, belief_per_year=0.0))))
    ppl = sim.people
    m = np.flatnonzero((ppl.actor == 0) & (ppl.assignment == Assignment.FRONT)
                       & ((ppl.flags & Flag.FOREIGN) == 0))
    long_ = m[sim.get(Service).front_days[m] >= 60]
    assert long_.size > 100
    base = sim.get(Economy).offer(sim, 0, long_)
    assert np.allclose(sim.get(Economy).member_pay(sim, long_), base + 50.0)  # seed-004 raise


def test_front_intensity_and_youth_raise_deaths(tmp_path: Path) -> None:
    def killed(intensity: float, name: str) -> int:
        fronts = [{"date": dt.date(2014, 6, 1), "place": "A", "intensity": intensity},
                  {"date": dt.date(2014, 6, 1), "place": "B", "intensity": intensity}]
        sim = run(make_scenario(tmp_path, fronts=fronts, days=90, name=name, modules=mods(
            None, {"connected_share": v(0.0)}, strong(initial_members=2000))))
        return count(sim, "killed", reason="front")

    assert killed(1.0, "hot.yaml") > 3 * killed(0.1, "calm.yaml")
    sim = run(make_scenario(tmp_path, days=5, name="h.yaml", modules=mods(
        None, None, strong(initial_members=100))), days=2)
    ids = np.flatnonzero(sim.people.state == State.SERVING)[:1]
    h = sim.get(Service).death_hazard(sim, 1, ids)
    sim.people.birth[ids] = 1 - 16 * 366  # make the same member 16
    assert np.isclose(sim.get(Service).death_hazard(sim, 1, ids), 1.5 * h).all()
