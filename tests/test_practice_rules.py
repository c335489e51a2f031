"""The rules issue 12 added or made per actor and date: each one moves outcomes the way its
source says, and switching it off (or giving the other practice) removes the effect.

Small scenarios of tests/test_coercion.py (towns A and B held by X, S held by SAFE, R's town
Rb, an abroad node) and tests/test_economy.py (A and B held by X, Y holds nothing)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import yaml

from ranks.engine import Simulation
from ranks.modules.coercion import Coercion
from ranks.modules.economy import Economy
from ranks.modules.joining import Joining
from ranks.modules.service import Service
from ranks.modules.wanted import WantedBook
from ranks.population import Flag, State
from ranks.runner import load
from tests.actor_settings import ISIS_ECONOMY, v
from tests.conftest import ROOT
from tests.test_coercion import ORDER, build, campaign, count, run
from tests.test_economy import make_scenario

MEMBERS = {"A": 1500, "B": 1000}


def _with_practices(path: Path, practices: dict) -> Path:
    """Add a ``practices`` section to a scenario file written by make_scenario."""
    d = yaml.safe_load(path.read_text())
    d["practices"] = practices
    path.write_text(yaml.safe_dump(d, sort_keys=False))
    return path


def test_a_regime_before_the_start_is_in_force_on_the_first_day() -> None:
    """The 2017-2020 flagship inherits the December 2015 pay cut and the November 2015
    training cut (the review: it restored full ISIS pay and 70-day training)."""
    loaded = load(ROOT / "scenarios" / "deir-ezzor-2017-2020.yaml")
    start = loaded.scenario.period.start
    sim = Simulation(loaded, scale=0.002, until=start + dt.timedelta(days=2))
    sim.run()
    isis = sim.world.actor_index["ISIS"]
    econ, service = sim.get(Economy), sim.get(Service)
    assert econ is not None and service is not None
    assert econ.pay_factor[isis] == 0.5
    assert service.train_days[isis] == 5
    assert econ.fx_index > 10  # the pound at about 500 a dollar (47 in 2011)


def test_pay_changes_on_the_regime_date_and_pounds_follow_the_rate(tmp_path: Path) -> None:
    practices = {
        "actors": {"X": [
            {"from": "2014-06-01", "economy": {"currency": v("SYP"), "base": v(4700.0)}},
            {"from": "2014-06-21", "economy": {"cash_factor": v(0.5)}}]},
        "economy": {"exchange_rate": [
            {"date": "2014-06-01", "market": 47.0, "assumption": "t"},
            {"date": "2014-06-11", "market": 94.0, "assumption": "t"}]}}
    path = _with_practices(make_scenario(tmp_path, modules={"economy": {}}, days=40),
                           practices)
    sim = Simulation(load(path), seed=1)
    x = sim.world.actor_index["X"]
    usd = []
    for d in range(40):
        sim.step(d)
        usd.append(sim.get(Economy).pay_usd[x])
    assert usd[0] == 100.0  # 4,700 pounds at 47
    assert usd[10] == 50.0  # the pound halves
    assert usd[20] == 25.0 and usd[19] == 50.0  # the cash cut on its date


def test_interception_outcomes_are_the_actors_practice(tmp_path: Path) -> None:
    """Stops of men an actor wants end as its practice says (M8, M24): an actor that takes
    them conscripts at checkpoints; one that only sends them back never does."""
    take = ("{actors: {X: {interception_wanted: {value: {conscripted: 1.0}, "
            "assumption: t}}}}")
    send = ("{actors: {X: {interception_wanted: {value: {returned: 1.0}, "
            "assumption: t}}}}")
    tl = ORDER + campaign(0.05)
    on = run(build(tmp_path, tl, coercion=take))
    off = run(build(tmp_path, tl, coercion=send))
    assert count(on, "conscripted", "checkpoint") > 0
    assert count(off, "conscripted", "checkpoint") == 0
    assert count(off, "let_go", "checkpoint") > 0
    assert count(off, "bribed_release") == 0


def test_standing_duty_calls_up_men_where_the_camp_holds_except_the_exempt(
        tmp_path: Path) -> None:
    """A standing duty (M7) calls up men of its ages on day one in the actor's territory,
    which may include places its allies hold (the regime in Iran-held towns); members of an
    exempt group are not called (Iran-backed cards)."""
    duty = ("{actors: {X: {duty_ages: {value: [18, 42], assumption: t}, duty_comply_share: "
            "{value: 1.0, assumption: t}, duty_territory: {value: [X, SAFE], assumption: t}, "
            "duty_exempt_members_of: {value: [R], assumption: t}}}}")
    sim = run(build(tmp_path, coercion=duty, end="2014-01-10"))
    assert count(sim, "registered", "duty") > 0
    assert count(sim, "registered", "duty", place="S") > 0  # the ally's place
    assert count(sim, "registered", "duty", place="Rb") == 0  # not its territory
    none = run(build(tmp_path, coercion="{}", end="2014-01-10"))
    assert count(none, "registered") == 0


def test_exempt_members_are_not_taken_by_an_order_on_members(tmp_path: Path) -> None:
    """An order that applies to members of other groups (the regime's December 2020 call-up
    of NDF members, seed-001) spares the groups the actor's duty exempts."""
    order = ("  - {date: 2014-01-05, type: conscription_order, actor: X, args: {ages: [18, 42], "
             "deadline_days: 3, applies_to_members: true}, assumption: t}\n")

    def members_of_r(sim: Simulation) -> None:
        p = sim.people
        men = np.flatnonzero((p.sex == 1) & (p.home == sim.world.place_index["A"])
                             & (p.age_years(0) >= 20) & (p.age_years(0) < 40))[:400]
        p.set(men, 0, state=State.SERVING, actor=sim.world.actor_index["R"])

    exempt = ("{actors: {X: {duty_exempt_members_of: {value: [R], assumption: t}}}}")
    sp = run(build(tmp_path, order, coercion=exempt, end="2014-01-20"), setup=members_of_r)
    taken = run(build(tmp_path, order, coercion="{}", end="2014-01-20"), setup=members_of_r)
    r = taken.world.actor_index["R"]
    assert taken.people.strength[r].sum() < 400  # some R members wanted, caught, taken
    assert sp.people.strength[r].sum() == 400


def test_punishment_is_the_actors_practice(tmp_path: Path) -> None:
    """Caught leavers (M19): an actor that executes them executes, one that sends them back
    to their unit executes nobody and records who was punished how."""
    tl = "  - {date: 2014-02-01, type: checkpoint_campaign, actor: X, value: 0.1, assumption: t}\n"
    kill = "{actors: {X: {punishment_local: {value: {executed: 1.0}, assumption: t}}}}"
    back = ("{actors: {X: {punishment_local: {value: {back_to_unit: 0.5, forgiven: 0.5}, "
            "assumption: t}}}}")
    a = run(build(tmp_path, tl, leaving=kill), members=MEMBERS)
    b = run(build(tmp_path, tl, leaving=back), members=MEMBERS)
    def by_x(sim: Simulation, event: str) -> int:
        ev = sim.record.events_frame()
        return int(ev.loc[(ev.event == event) & (ev.actor == "X"), "count"].sum())

    assert by_x(a, "executed") > 0 and by_x(a, "punished") == 0
    assert by_x(b, "executed") == 0
    assert count(b, "punished", "back_to_unit") > 0 and count(b, "punished", "forgiven") > 0


def test_reprisals_steer_leavers_away_from_those_who_take_revenge(tmp_path: Path) -> None:
    """Former members fear reprisals by certain holders (seed-003 ¶16): with a full risk in
    SAFE's places nobody goes there; without, some do."""
    risk = ("{safe_actors: [SAFE], actors: {X: {reprisal_risk: {value: {SAFE: 1.0}, "
            "assumption: t}}}}")
    on = run(build(tmp_path, coercion=None, leaving=risk), members=MEMBERS)
    off = run(build(tmp_path, coercion=None, leaving="{safe_actors: [SAFE], reprisals: false, "
                    "actors: {X: {reprisal_risk: {value: {SAFE: 1.0}, assumption: t}}}}"),
              members=MEMBERS)

    def to_s(sim: Simulation) -> int:
        ev = sim.record.events_frame()
        return int(ev.loc[ev.event.isin(["deserted", "defected"])
                          & (ev.destination == "S"), "count"].sum())

    assert to_s(on) == 0 < to_s(off)


def test_families_get_boys_out_abroad(tmp_path: Path) -> None:
    """Families get recruited boys out to Turkey (seed-003 ¶24): boys under 18 whose family
    opposes joining leave with reason family, all abroad; switched off, none do."""

    def boys(sim: Simulation) -> None:
        p = sim.people
        age = p.age_years(0)
        j = sim.get(Joining)
        assert j is not None
        lads = np.flatnonzero((p.sex == 1) & (age >= 14) & (age < 18)
                              & j.opposing_household[p.household])[:300]
        p.set(lads, 0, state=State.SERVING, actor=0)

    rate = "{value: 0.02, assumption: t}"
    path = build(tmp_path, coercion=None, leaving=f"{{family_extraction_per_day: {rate}}}")
    text = path.read_text().replace("modules:\n", "modules:\n  joining: {}\n")
    path.write_text(text)
    on = run(path, setup=boys)
    off_path = build(tmp_path, coercion=None, leaving="{family_extraction: false}")
    off_path.write_text(off_path.read_text().replace("modules:\n", "modules:\n  joining: {}\n"))
    off = run(off_path, setup=boys)
    ev = on.record.events_frame()
    fam = ev[(ev.event == "deserted") & (ev.reason == "family")]
    assert fam["count"].sum() > 0
    assert set(fam.destination.unique()) == {"Out"}
    assert count(on, "escorted") > 0
    assert count(off, "deserted", "family") == 0


def test_own_detention_leads_to_revenge_joins_against_the_detainer(tmp_path: Path) -> None:
    """One's own detention and torture as a path into armed groups (seed-002 ¶¶17-19):
    men who were held by X join Y, X's enemy, for revenge; with the rule off they do not
    (nobody's relatives were killed here)."""
    y = {"recruits_in": v(["X"]), "revenge_per_year": v(3.0)}
    mods = {"economy": {"actors": {"X": ISIS_ECONOMY}},
            "joining": {"actors": {"Y": y}, "detained_before": v({"X": 0.3})}}
    on = Simulation(load(make_scenario(tmp_path, modules=mods, days=60, name="on.yaml")))
    on.run()
    off_mods = {**mods, "joining": {**mods["joining"], "grievance": False}}
    off = Simulation(load(make_scenario(tmp_path, modules=off_mods, days=60, name="off.yaml")))
    off.run()

    def revenge(sim: Simulation) -> int:
        ev = sim.record.events_frame()
        return int(ev.loc[(ev.event == "joined") & (ev.actor == "Y")
                          & (ev.reason == "revenge"), "count"].sum())

    assert revenge(on) > 0 and revenge(off) == 0
    book = on.get(WantedBook)
    assert book is not None and (book.grievance == on.world.actor_index["X"]).sum() > 0


def test_released_detainees_carry_a_grievance(tmp_path: Path) -> None:
    """Detention by an actor leaves a grievance against it on release (M3, M10)."""
    tl = ORDER + campaign(0.1)
    sim = run(build(tmp_path, tl, coercion="{detention_days_mean: {value: 3.0, "
                    "assumption: t}}"))
    book = sim.get(WantedBook)
    assert book is not None and sim.get(Coercion) is not None
    assert count(sim, "released") > 0
    x = sim.world.actor_index["X"]
    released_alive = (book.grievance == x) & (sim.people.state != State.DEAD)
    assert released_alive.sum() > 0
    assert ((sim.people.flags[released_alive] & Flag.WANTED) == 0).mean() > 0.5
