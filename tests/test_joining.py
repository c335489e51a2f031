"""Joining (M3, M5, M6, M17): motives, family, youth, channels, minors, switching sides."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ranks.engine import Simulation
from ranks.modules.base import Module
from ranks.modules.joining import MOTIVES, Joining
from ranks.population import Flag, Role
from tests.actor_settings import FSA_ECONOMY, FSA_JOINING, ISIS_ECONOMY, ISIS_JOINING
from tests.test_economy import make_scenario, run

T = "test"


def v(x: Any) -> dict[str, Any]:
    """A parameter override marked as a test assumption."""
    return {"value": x, "assumption": T}


def strong(**over: Any) -> dict[str, Any]:
    """X with the ISIS preset and high rates, so that tests see many joiners."""
    base = {**ISIS_JOINING, "initial_members": v(200), "foreign_members": v(0),
            "belief_per_year": v(0.3), "economic_per_year": v(1.0),
            "opportunism_per_year": v(0.2), "revenge_per_year": v(0.5),
            "amnesty_per_year": v(2.0)}
    return {**base, **{k: (v(x) if not isinstance(x, dict) else x) for k, x in over.items()}}


def mods(joining: dict[str, Any] | None = None, x: dict[str, Any] | None = None,
         economy: dict[str, Any] | None = None, y: dict[str, Any] | None = None
         ) -> dict[str, Any]:
    actors = {"X": x or strong()}
    if y is not None:
        actors["Y"] = y
    return {"economy": {"actors": {"X": ISIS_ECONOMY, "Y": FSA_ECONOMY},
                        **(economy or {})},
            "joining": {"actors": actors, **(joining or {})}}


def joined(sim: Simulation) -> pd.DataFrame:
    ev = sim.record.events_frame()
    return ev[ev.event == "joined"]


def count(sim: Simulation, event: str = "joined", **where: str) -> int:
    ev = sim.record.events_frame()
    ev = ev[ev.event == event]
    for k, val in where.items():
        ev = ev[ev[k] == val]
    return int(ev["count"].sum())


class Capture(Module):
    """Wraps joining.enlist to keep the ids and ages of joiners (test only)."""

    name = "capture"

    def init(self, sim: Simulation) -> None:
        self.ids: list[np.ndarray] = []
        j = sim.get(Joining)
        orig = j.enlist

        def enlist(sim_: Simulation, day: int, ids: np.ndarray, actor: np.ndarray,
                   motive: np.ndarray) -> None:
            self.ids.append(np.stack([ids, sim_.people.age_years(day, ids)]))
            orig(sim_, day, ids, actor, motive)

        j.enlist = enlist  # type: ignore[method-assign]


def run_with(path: Path, extra: list[Module], seed: int = 1) -> Simulation:
    from ranks.runner import load

    loaded = load(path)
    from ranks.modules.registry import ORDER

    ms = [cls(loaded.module_params[cls.name]) for cls in ORDER
          if cls.name in loaded.module_params]
    sim = Simulation(loaded, seed=seed, check=True, modules=ms + extra)
    sim.run()
    return sim


def test_every_joiner_has_a_motive_and_each_motive_can_be_switched_off(tmp_path: Path) -> None:
    # some wanted men, so the coercion_or_amnesty route has candidates
    all_on = run(make_scenario(tmp_path, modules=mods(), days=90, name="a.yaml"))
    j = joined(all_on)
    assert set(j["reason"].astype(str)) <= set(MOTIVES)
    by = j.groupby("reason", observed=True)["count"].sum()
    assert by.get("economics", 0) > 50 and by.get("belief", 0) > 10
    no_econ = run(make_scenario(tmp_path, days=90, name="b.yaml", modules=mods(
        joining={"motives": ["belief", "coercion_or_amnesty", "revenge", "opportunism"]})))
    j2 = joined(no_econ)
    assert "economics" not in set(j2["reason"].astype(str))
    assert j2["count"].sum() < j["count"].sum() - by["economics"] / 2


def test_pay_cut_lowers_economic_joining(tmp_path: Path) -> None:
    cut = [{"date": dt.date(2014, 6, 2), "type": "pay_change", "actor": "X", "value": 0.5}]
    only_econ = {"motives": ["economics"]}
    res = {}
    for label, tl, eco in (("none", [], {}), ("cut", cut, {}),
                           ("cut_off", cut, {"pay_changes": False})):
        sim = run(make_scenario(tmp_path, modules=mods(joining=only_econ, economy=eco),
                                timeline=tl, days=120, name=f"{label}.yaml"))
        res[label] = count(sim, reason="economics")
    assert res["cut"] < 0.95 * res["none"], res  # in-kind food and housing are not cut
    assert res["cut_off"] == res["none"], res


def test_family_opposition_holds_sons_back(tmp_path: Path) -> None:
    def sons_share(joining: dict[str, Any], name: str) -> tuple[float, int]:
        cap = Capture(Module.Params())
        sim = run_with(make_scenario(tmp_path, modules=mods(joining=joining), days=90,
                                     name=name), [cap])
        ids = np.concatenate([c[0] for c in cap.ids])
        son = sim.people.role[ids] == Role.CHILD
        opposed = son & sim.get(Joining).opposing_household[sim.people.household[ids]]
        return float(opposed.sum()), len(ids)

    on, n_on = sons_share({}, "on.yaml")
    off, n_off = sons_share({"family_opposition": False}, "off.yaml")
    # sons of opposing fathers join far less when the father's word counts (seed-000)
    assert on / n_on < 0.6 * off / n_off


def test_youth_are_targeted(tmp_path: Path) -> None:
    def young_rate(joining: dict[str, Any], name: str) -> float:
        cap = Capture(Module.Params())
        run_with(make_scenario(tmp_path, name=name, days=90, modules=mods(
            joining={"motives": ["belief"], **joining})), [cap])
        ages = np.concatenate([c[1] for c in cap.ids])
        return float(((ages >= 18) & (ages < 25)).sum() / max(((ages >= 25)).sum(), 1))

    assert young_rate({}, "on.yaml") > 1.5 * young_rate({"youth_targeting": False}, "off.yaml")


def test_revenge_for_relatives_killed_by_an_enemy(tmp_path: Path) -> None:
    class Killer(Module):
        """Y kills 300 men of town A on day 5 (test only)."""

        name = "killer"

        def step(self, sim: Simulation, day: int) -> None:
            if day == 5:
                ppl = sim.people
                cand = np.flatnonzero((ppl.home == 0) & (ppl.sex == 1) & (ppl.actor < 0))
                # 300 men drawn at random (ids follow households: the first 300 would
                # empty a few households of their men, leaving no kin to avenge them)
                dead = np.random.default_rng(5).choice(cand, 300, replace=False)
                sim.request_death(dead, "massacre", sim.world.actor_index["Y"])

    def revenge(joining: dict[str, Any], name: str) -> int:
        sim = run_with(make_scenario(tmp_path, name=name, days=90, modules=mods(
            joining={"motives": ["revenge", "belief"], **joining})), [Killer(Module.Params())])
        return count(sim, reason="revenge")

    assert revenge({}, "on.yaml") > 20
    assert revenge({"motives": ["belief"]}, "off.yaml") == 0


def test_repentance_route_for_wanted_men(tmp_path: Path) -> None:
    class Wanted(Module):
        name = "wanted"

        def init(self, sim: Simulation) -> None:
            ppl = sim.people
            men = np.flatnonzero((ppl.sex == 1) & (ppl.actor < 0))[::10]
            ppl.flags[men] |= np.uint8(Flag.WANTED)

    sim = run_with(make_scenario(tmp_path, days=60, modules=mods()), [Wanted(Module.Params())])
    assert count(sim, reason="coercion_or_amnesty") > 50
    sim0 = run(make_scenario(tmp_path, days=60, modules=mods(), name="n.yaml"))
    assert count(sim0, reason="coercion_or_amnesty") == 0


def test_recruitment_office_raises_joining_in_its_town(tmp_path: Path) -> None:
    office = [{"date": dt.date(2014, 6, 2), "type": "recruitment_office", "actor": "X",
               "place": "A", "value": 3.0}]
    res = {}
    for label, tl, j in (("none", [], {}), ("office", office, {}),
                         ("off", office, {"channels": False})):
        sim = run(make_scenario(tmp_path, modules=mods(joining=j), timeline=tl, days=60,
                                name=f"{label}.yaml"))
        res[label] = (count(sim, place="A"), count(sim, place="B"))
    assert res["office"][0] > 1.8 * res["none"][0], res
    assert abs(res["office"][1] - res["none"][1]) < 0.3 * res["none"][1] + 5, res
    assert res["off"] == res["none"], res


def test_cultural_centre_raises_economic_joining(tmp_path: Path) -> None:
    centre = [{"date": dt.date(2014, 6, 2), "type": "cultural_centre", "actor": "X",
               "place": "A"}]
    j = {"motives": ["economics"]}
    a = count(run(make_scenario(tmp_path, modules=mods(joining=j), days=60, name="n.yaml")))
    b = count(run(make_scenario(tmp_path, modules=mods(joining=j), timeline=centre, days=60)))
    assert b > 1.5 * a


def test_applications_closed_stops_joining(tmp_path: Path) -> None:
    closed = [{"date": dt.date(2014, 7, 1), "type": "applications_closed", "actor": "X",
               "until": dt.date(2014, 8, 1)}]
    sim = run(make_scenario(tmp_path, modules=mods(), timeline=closed, days=90))
    j = joined(sim)
    during = j[(j.date >= dt.date(2014, 7, 1)) & (j.date < dt.date(2014, 8, 1))]
    after = j[j.date >= dt.date(2014, 8, 1)]
    assert during["count"].sum() == 0 and after["count"].sum() > 20


def test_change_of_control_moves_members_by_switching(tmp_path: Path) -> None:
    """B passes from X to Y: X's members there switch to Y (M6); off: none switch."""
    ctrl = [{"date": dt.date(2014, 7, 1), "place": "B", "actor": "Y"}]
    y = {**FSA_JOINING, "initial_members": v(0)}
    x = strong(switch_on_takeover=1.0, surrender_on_takeover=0.0, economic_per_year=0.0,
               belief_per_year=0.0, opportunism_per_year=0.0, initial_members=1000)

    def go(joining: dict[str, Any], name: str) -> Simulation:
        return run(make_scenario(tmp_path, modules=mods(joining=joining, x=x, y=y),
                                 control=ctrl, days=40, name=name))

    sim = go({"switching": False}, "on.yaml")
    yi, xi = sim.world.actor_index["Y"], sim.world.actor_index["X"]
    sw = count(sim, "switched", actor="Y")
    assert sw > 100
    assert sim.people.strength[yi].sum() >= sw - 50
    off = go({"switching": False, "takeover": False}, "off.yaml")
    assert count(off, "switched") == 0  # Y only has its own few joiners
    assert off.people.strength[yi].sum() < 0.2 * sim.people.strength[yi].sum()
    assert off.people.strength[xi].sum() > sim.people.strength[xi].sum() + 100


def test_members_drift_to_the_stronger_better_paid_actor(tmp_path: Path) -> None:
    """Y (FSA pay $36) holds B with few men next to X (ISIS pay); Y's men drift to X."""
    ctrl = [{"date": dt.date(2014, 6, 1), "place": "B", "actor": "Y"}]
    y = {**FSA_JOINING, "initial_members": v(300), "recruits_in": v(["Y"]),
         "switch_per_year": v(3.0)}
    x = strong(recruits_in=["X", "Y"], initial_members=1500)

    def go(joining: dict[str, Any], name: str) -> tuple[int, int]:
        sim = run(make_scenario(tmp_path, modules=mods(joining=joining, x=x, y=y),
                                control=ctrl, days=60, name=name))
        return count(sim, "switched", actor="X"), count(sim, "switched", actor="Y")

    to_x, to_y = go({}, "on.yaml")
    assert to_x > 30 and to_y == 0
    assert go({"switching": False}, "off.yaml") == (0, 0)


def test_losses_raise_the_minors_share(tmp_path: Path) -> None:
    """When an actor loses men, boys make up more of its recruits (M17, seed-003)."""

    class Losses(Module):
        """Half of X's members die on day 10 (test only)."""

        name = "losses"

        def step(self, sim: Simulation, day: int) -> None:
            if day == 10:
                m = np.flatnonzero(sim.people.actor == 0)
                sim.request_death(m[::2], "front")

    def minors_share(joining: dict[str, Any], losses: bool, name: str) -> float:
        cap = Capture(Module.Params())
        extra: list[Module] = [cap] + ([Losses(Module.Params())] if losses else [])
        run_with(make_scenario(tmp_path, modules=mods(joining=joining, x=strong(
            initial_members=2000)), days=90, name=name), extra)
        ages = np.concatenate([c[1] for c in cap.ids if c.shape[1]])
        return float((ages < 18).mean())

    calm = minors_share({}, False, "calm.yaml")
    hit = minors_share({}, True, "hit.yaml")
    assert hit > 1.5 * calm, (calm, hit)
    hit_off = minors_share({"minors_rise": False}, True, "hit_off.yaml")
    assert abs(hit_off - calm) < 0.3 * calm + 0.01, (calm, hit_off)
