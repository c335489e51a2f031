"""Flight and returns (M22-M25, M27): behaviour in the direction the evidence says, and each
mechanism switched off removes its effect."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ranks.engine import Simulation
from ranks.errors import ScenarioError
from ranks.modules.flight import EVER_FLED, FLED, LONE, Flight
from ranks.population import State
from ranks.runner import load
from tests.conftest import replace_control

ROOT = Path(__file__).resolve().parents[1]
POPULATION = ROOT / "scenarios" / "common" / "population-deir-ezzor.yaml"
SOURCES = ROOT / "evidence" / "sources.yaml"
DEMO = ROOT / "scenarios" / "demo.yaml"

# People flee GROUP_A's Hometown and Midtown (front, conscription order, exit ban) towards a
# camp and a safe town held by HAVEN, a crossing and abroad. Hometown passes to HAVEN in
# April (returns).
BASE = f"""\
name: flight-test
period: {{start: 2015-01-01, end: 2015-07-01}}
seed: 5
evidence: {SOURCES}
places:
  - {{name: Hometown, lat: 35.0, lon: 40.0, type: town, population: 20000, assumption: test}}
  - {{name: Midtown, lat: 35.3, lon: 39.8, type: town, population: 6000, assumption: test}}
  - {{name: Safetown, lat: 35.8, lon: 39.9, type: town, population: 3000, assumption: test}}
  - {{name: Camp, lat: 36.0, lon: 40.3, type: camp, capacity: 1500, assumption: test}}
  - {{name: Gate, lat: 36.5, lon: 40.2, type: crossing, assumption: test}}
  - {{name: Abroad, lat: 36.9, lon: 39.0, type: abroad, assumption: test}}
routes:
  - {{from: Hometown, to: Midtown, assumption: test}}
  - {{from: Hometown, to: Camp, kind: desert, distance_km: 150, assumption: test}}
  - {{from: Midtown, to: Safetown, assumption: test}}
  - {{from: Safetown, to: Camp, assumption: test}}
  - {{from: Camp, to: Gate, assumption: test}}
  - {{from: Gate, to: Abroad, kind: border, assumption: test}}
actors:
  - {{id: GROUP_A, name: A, assumption: test}}
  - {{id: HAVEN, name: H, assumption: test}}
  - {{id: NEUTRAL, name: N, kind: none, assumption: test}}
control:
  - {{date: 2015-01-01, place: Hometown, actor: GROUP_A, assumption: test}}
  - {{date: 2015-01-01, place: Midtown, actor: GROUP_A, assumption: test}}
  - {{date: 2015-01-01, place: Safetown, actor: HAVEN, assumption: test}}
  - {{date: 2015-01-01, place: Camp, actor: HAVEN, assumption: test}}
  - {{date: 2015-01-01, place: Gate, actor: HAVEN, assumption: test}}
  - {{date: 2015-01-01, place: Abroad, actor: NEUTRAL, assumption: test}}
  - {{date: 2015-04-15, place: Hometown, actor: HAVEN, assumption: test}}
fronts:
  - {{date: 2015-01-10, place: Hometown, intensity: 0.8, assumption: test}}
  - {{date: 2015-03-01, place: Hometown, intensity: 0.0, assumption: test}}
timeline:
  - {{date: 2015-01-01, type: exit_ban, actor: GROUP_A, value: 3, assumption: test}}
  - {{date: 2015-02-01, type: conscription_order, actor: GROUP_A, args: {{ages: [18, 42], deadline_days: 7}}, assumption: test}}
population: {POPULATION}
modules:
  flight: {{}}
  returns: {{}}
"""


def _scenario(tmp_path: Path, name: str = "s.yaml", flight: dict | None = None,
              timeline: list[dict] | None = None, drop_control_change: bool = False) -> Path:
    data = yaml.safe_load(BASE)
    if flight:
        data["modules"]["flight"] = flight
    if timeline:
        data["timeline"] = sorted(data["timeline"] + timeline, key=lambda e: str(e["date"]))
    if drop_control_change:
        data["control"] = [c for c in data["control"] if str(c["date"]) != "2015-04-15"]
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _run(path: Path, scale: float = 1.0, until: dt.date | None = None, check: bool = False
         ) -> tuple[Simulation, pd.DataFrame]:
    sim = Simulation(load(path), seed=1, scale=scale, until=until, check=check)
    sim.run()
    return sim, sim.record.events_frame()


def _count(ev: pd.DataFrame, event: str, **where: str) -> int:
    sel = ev["event"] == event
    for k, v in where.items():
        sel &= ev[k] == v
    return int(ev.loc[sel, "count"].sum())


def _p(value: object) -> dict:
    return {"value": value, "assumption": "test"}


def _kinds(v: float) -> dict:
    return {k: _p(v) for k in ("road", "desert", "river", "border")}


def test_flight_conserves_people_and_fills_camps(tmp_path: Path) -> None:
    sim, ev = _run(_scenario(tmp_path), check=True)
    fled = ev[ev["event"] == "fled"]
    assert set(fled["reason"].dropna()) >= {"conflict", "conscription"}
    assert _count(ev, "arrived", destination="Camp") > 0
    assert _count(ev, "arrived", destination="Abroad") > 0
    st = sim.record.stocks_frame()
    camp = st[(st["stock"] == "camp_population") & (st["place"] == "Camp")]["value"]
    assert camp.max() > 0
    assert camp.max() <= 1500  # capacity holds
    disp = st[st["stock"] == "displaced"]
    assert disp["value"].sum() > 0
    assert set(disp["category"].dropna()) <= {"Hometown", "Midtown"}
    # the displaced counts kept on transitions equal a recount from everyone
    p = sim.people
    d = np.flatnonzero(((sim.get(Flight).bits & FLED) != 0) & np.isin(
        p.state, [State.CIVILIAN, State.HIDING, State.CAMP, State.ABROAD]) & (p.place != p.home))
    n = sim.world.n_places
    recount = np.bincount(p.place[d].astype(np.int64) * n + p.home[d], minlength=n * n)
    assert np.array_equal(recount.reshape(n, n), sim.get(Flight).displaced)


def test_households_move_together_and_wanted_men_alone(tmp_path: Path) -> None:
    sim, _ = _run(_scenario(tmp_path), until=dt.date(2015, 4, 1))
    p, bits = sim.people, sim.get(Flight).bits
    fled = np.flatnonzero(((bits & FLED) != 0) & (p.state != State.DEAD))
    fam = fled[(bits[fled] & LONE) == 0]
    assert fam.size > 0 and (bits[fled] & LONE).any()
    df = pd.DataFrame({"hh": p.household[fam], "where": p.place[fam].astype(np.int64) * 16
                       + p.state[fam]})
    per_hh = df.groupby("hh")["where"].nunique()
    assert (per_hh == 1).all()
    assert (df.groupby("hh").size() > 1).mean() > 0.5  # most family parties are several people


def test_each_decision_term_off_removes_its_flights(tmp_path: Path) -> None:
    _, ev = _run(_scenario(tmp_path, "on.yaml"))
    assert _count(ev, "fled", reason="conscription") > 0
    assert _count(ev, "fled", reason="conflict") > 0
    _, ev = _run(_scenario(tmp_path, "off.yaml", {"conscription_fear_per_day": _p(0.0)}))
    assert _count(ev, "fled", reason="conscription") == 0
    assert _count(ev, "fled", reason="conflict") > 0
    _, ev = _run(_scenario(tmp_path, "off2.yaml", {"conflict_flight_per_day": _p(0.0)}))
    assert _count(ev, "fled", reason="conflict") == 0
    assert _count(ev, "fled", reason="conscription") > 0


def _hazard(ev: pd.DataFrame, hazard: str) -> int:
    """People interdicted by ``hazard`` (the reason is ``hazard:outcome``)."""
    e = ev[ev["event"] == "interdicted"]
    return int(e.loc[e["reason"].astype(str).str.startswith(f"{hazard}:"), "count"].sum())


def test_each_hazard_off_removes_its_interdictions_and_deaths(tmp_path: Path) -> None:
    # the exit ban multiplies checkpoint and patrol chances by 1 + 3
    strong = {"checkpoint_chance": _kinds(0.1), "patrol_chance_desert": _p(0.1),
              "mine_chance": {**_kinds(0.0), "desert": _p(0.05)}}
    mines = [{"date": "2015-01-05", "type": "minefield", "args": {"from": "Hometown",
              "to": "Camp"}, "actor": "GROUP_A", "value": 0.1, "assumption": "test"}]
    sim, ev = _run(_scenario(tmp_path, "a.yaml", strong, mines))
    assert _hazard(ev, "checkpoint") > 0
    assert _hazard(ev, "patrol") > 0
    assert _count(ev, "mine_death") > 0 and _count(ev, "mine_death", actor="GROUP_A") > 0
    assert _count(ev, "interdicted") == _hazard(ev, "checkpoint") + _hazard(ev, "patrol")
    assert set(ev.loc[ev["event"] == "interdicted", "reason"].dropna()) <= {
        f"{h}:{o}" for h in ("checkpoint", "patrol")
        for o in ("returned", "conscripted", "detained", "punished")}
    died_mine = _count(ev, "died", reason="mine")
    assert died_mine == _count(ev, "mine_death")

    no_cp = {**strong, "checkpoint_chance": _kinds(0.0)}
    sim, ev = _run(_scenario(tmp_path, "b.yaml", no_cp, mines))
    assert _hazard(ev, "checkpoint") == 0
    assert _hazard(ev, "patrol") > 0

    no_pat = {**no_cp, "patrol_chance_desert": _p(0.0)}
    sim, ev = _run(_scenario(tmp_path, "c.yaml", no_pat, mines))
    assert _count(ev, "interdicted") == 0
    assert _count(ev, "mine_death") > 0

    no_mines = {**no_pat, "mine_chance": _kinds(0.0)}
    sim, ev = _run(_scenario(tmp_path, "d.yaml", no_mines))
    assert _count(ev, "mine_death") == 0 and _count(ev, "died", reason="mine") == 0


def test_higher_smuggler_price_lowers_flight_of_the_poor(tmp_path: Path) -> None:
    def poor_fled(price: float, name: str) -> tuple[int, int]:
        sim = Simulation(load(_scenario(
            tmp_path, name, {"smuggler_price_usd": _p(price),
                             "relatives_pay_chance": _p(0.1),
                             # few conflict departures: the price's effect shows on the
                             # households drawn once or twice, not on all the poor
                             "conflict_flight_per_day": _p(0.002)})), seed=1)
        poor = sim.households.savings < 300.0
        sim.run()
        p = sim.people
        ever = (sim.get(Flight).bits & EVER_FLED) != 0
        ev = sim.record.events_frame()
        return int((ever & poor[p.household]).sum()), _count(ev, "stayed", reason="cost")

    cheap, cheap_stayed = poor_fled(100.0, "cheap.yaml")
    dear, dear_stayed = poor_fled(3000.0, "dear.yaml")
    assert cheap > 0
    assert dear < 0.6 * cheap
    assert dear_stayed > cheap_stayed


def test_closing_a_route_or_crossing_redirects_flows(tmp_path: Path) -> None:
    few = {"conflict_flight_per_day": _p(0.002)}  # mostly men fleeing conscription
    sim, ev = _run(_scenario(tmp_path, "open.yaml", few))
    st = sim.record.stocks_frame()
    via_mid = st[(st["stock"] == "in_transit") & st["place"].isin(["Midtown", "Safetown"])]
    base_via = via_mid["value"].sum()
    base_abroad = _count(ev, "arrived", destination="Abroad")
    base_camp = _count(ev, "arrived", destination="Camp")
    assert base_abroad > 0

    desert = [{"date": "2015-01-01", "type": "closure", "args": {"from": "Hometown",
               "to": "Camp"}, "assumption": "test"}]
    sim, ev = _run(_scenario(tmp_path, "closed.yaml", few, timeline=desert))
    st = sim.record.stocks_frame()
    via_mid = st[(st["stock"] == "in_transit") & st["place"].isin(["Midtown", "Safetown"])]
    assert via_mid["value"].sum() > 1.5 * base_via  # the road north takes the flow

    gate = [{"date": "2015-01-01", "type": "closure", "place": "Gate", "assumption": "test"}]
    sim, ev = _run(_scenario(tmp_path, "gate.yaml", few, timeline=gate))
    assert _count(ev, "arrived", destination="Abroad") == 0
    assert _count(ev, "arrived", destination="Camp") + _count(
        ev, "arrived", destination="Safetown") > base_camp


def test_returns_follow_a_change_of_control(tmp_path: Path) -> None:
    """Those who fled the holder (here: conscription) go home only once it has lost home;
    those driven out by the fighting fear no holder and may go back once it is over."""
    no_conflict = {"conflict_flight_per_day": _p(0.0)}
    _, ev = _run(_scenario(tmp_path, "change.yaml", no_conflict))
    ret = ev[(ev["event"] == "returned") & (ev["destination"] == "Hometown")]
    assert ret["count"].sum() > 0
    assert (pd.to_datetime(ret["date"]) >= pd.Timestamp("2015-04-15")).all()
    _, ev = _run(_scenario(tmp_path, "nochange.yaml", no_conflict, drop_control_change=True))
    assert _count(ev, "returned", destination="Hometown") == 0
    _, ev = _run(_scenario(tmp_path, "fighting.yaml", drop_control_change=True))
    ret = ev[(ev["event"] == "returned") & (ev["destination"] == "Hometown")]
    assert ret["count"].sum() > 0  # the front at Hometown ended on 1 March
    assert (pd.to_datetime(ret["date"]) >= pd.Timestamp("2015-03-01")).all()


def test_returns_need_flight(tmp_path: Path) -> None:
    data = yaml.safe_load(BASE)
    del data["modules"]["flight"]
    data["timeline"] = []
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    with pytest.raises(ScenarioError, match="the returns module needs the flight module") as e:
        load(path)
    assert e.value.field == "modules.returns" and e.value.line is not None


def test_demo_with_all_modules_conserves_people() -> None:
    sim = Simulation(load(DEMO), seed=2, scale=0.3, check=True,
                     until=dt.date(2015, 9, 1))
    assert "flight" in sim.module_time and "returns" in sim.module_time
    sim.run()
    ev = sim.record.events_frame()
    assert _count(ev, "fled") > 0 and _count(ev, "arrived") > 0
    # men who chose flight under the coercion module's orders, and wanted men, flee alone
    assert _count(ev, "fled", reason="planned") + _count(ev, "fled", reason="punishment") > 0


def _fear_streams(tmp_path: Path, name: str, timeline: list[dict]) -> dict[int, set[str]]:
    """The fear stream names drawn each day."""
    sim = Simulation(load(_scenario(tmp_path, name, timeline=timeline)), seed=1, scale=0.2,
                     until=dt.date(2015, 4, 1))
    seen: dict[int, set[str]] = {}
    thin = sim.thin_candidates

    def spy(stream: str, day: int, p_max: float, pool: np.ndarray | None = None) -> np.ndarray:
        if stream.startswith("flight.fear."):
            seen.setdefault(day, set()).add(stream)
        return thin(stream, day, p_max, pool)

    sim.thin_candidates = spy  # type: ignore[method-assign]
    sim.run()
    return seen


def test_fear_streams_are_named_by_meaning_not_by_position(tmp_path: Path) -> None:
    """A campaign opened before the order and expiring during it must not move the order's
    draws (it did when streams were named by list position): the order's stream is named
    by the event that opened it, the same with or without the campaign, before and after
    the campaign ends."""
    campaign = [{"date": "2015-01-05", "type": "checkpoint_campaign", "actor": "GROUP_A",
                 "until": "2015-03-01", "value": 0.05, "assumption": "test"}]
    alone = _fear_streams(tmp_path, "order.yaml", [])
    both = _fear_streams(tmp_path, "both.yaml", campaign)
    order = "flight.fear.conscription_order.GROUP_A.31"
    assert both[10] == {"flight.fear.checkpoint_campaign.GROUP_A.4"}
    assert both[40] == {order, "flight.fear.checkpoint_campaign.GROUP_A.4"}
    assert alone[40] == alone[70] == both[70] == {order}  # day 59: the campaign ends


def test_a_stream_drawn_twice_on_one_day_fails_the_run(tmp_path: Path) -> None:
    from ranks.engine import StreamReuseError

    sim = Simulation(load(_scenario(tmp_path)), seed=1, scale=0.05, until=dt.date(2015, 1, 3))
    ids = np.arange(10)
    sim.person_uniform("test.once", ids)
    with pytest.raises(StreamReuseError, match="test.once"):
        sim.person_uniform("test.once", ids)
    sim.rng("test.rng")
    with pytest.raises(StreamReuseError):
        sim.thin_candidates("test.rng", sim.day, 0.5)
    # traits are the same numbers whenever asked; draws keyed by another day are not today's
    assert np.array_equal(sim.trait("test.trait", ids), sim.trait("test.trait", ids))
    sim.person_uniform("test.once", ids, day=sim.day + 1)
    # like events on one day get streams of their own
    assert [sim.event_stream("x") for _ in range(3)] == ["x", "x#2", "x#3"]


# -- issue 13: displacement that follows the war -------------------------------------------

def _variant(tmp_path: Path, name: str, *, flight: dict | None = None,
             returns: dict | None = None, timeline: list[dict] | None = None,
             fronts: list[dict] | None = None, camps: list[dict] | None = None,
             control: list[dict] | None = None) -> Path:
    """BASE with parts replaced or added (fronts and camps replace; timeline and control
    rows are added)."""
    data = yaml.safe_load(BASE)
    if flight:
        data["modules"]["flight"] = flight
    if returns:
        data["modules"]["returns"] = returns
    if timeline:
        data["timeline"] = sorted(data["timeline"] + timeline, key=lambda e: str(e["date"]))
    if fronts is not None:
        data["fronts"] = fronts
    if camps is not None:
        data["camps"] = camps
    if control:  # a row for a place and date replaces the one there
        data["control"] = sorted(replace_control(data["control"], control),
                                 key=lambda e: str(e["date"]))
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def _fled_between(ev: pd.DataFrame, a: str, b: str, **where: str) -> int:
    d = pd.to_datetime(ev["date"])
    return _count(ev[(d >= pd.Timestamp(a)) & (d < pd.Timestamp(b))], "fled", **where)


NO_FEAR = {"conscription_fear_per_day": _p(0.0)}


def test_conflict_departures_follow_kind_intensity_and_decay(tmp_path: Path) -> None:
    """Flee's conflict-driven spawning by kind and intensity: an offensive drives out twice
    what a static battle of the same intensity does at first, departures fall as the
    episode goes on, and calm residual intensity drives nobody out."""
    def front(kind: str) -> list[dict]:
        return [{"date": "2015-01-10", "place": "Hometown", "intensity": 0.8, "kind": kind,
                 "assumption": "test"}]
    counts = {}
    for kind in ("offensive", "battle", "calm"):
        _, ev = _run(_variant(tmp_path, f"{kind}.yaml", flight=NO_FEAR, fronts=front(kind)),
                     until=dt.date(2015, 3, 1))
        counts[kind] = (_fled_between(ev, "2015-01-10", "2015-01-20", reason="conflict"),
                        _fled_between(ev, "2015-02-10", "2015-02-20", reason="conflict"))
    (o1, o2), (b1, _), (c1, c2) = counts["offensive"], counts["battle"], counts["calm"]
    assert o1 > 1.5 * b1 > 0  # weight 1 against 0.5 (fewer exposed left for the offensive)
    assert o2 < 0.5 * o1  # a month into the episode: decay and fewer people at home
    assert c1 == c2 == 0


def test_people_not_attempts(tmp_path: Path) -> None:
    """``fled`` counts people at the start of a displacement episode: with checkpoints
    sending most back home and no returns module, everyone who ever set out is counted once
    (within the episode gap), however often they tried; ``attempt`` counts every try."""
    # no coercion module: nobody is wanted, and the generic practice sends others home
    strong = {"checkpoint_chance": _kinds(0.3)}
    path = _variant(tmp_path, "cp.yaml", flight=strong)
    data = yaml.safe_load(path.read_text())
    del data["modules"]["returns"]
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    sim, ev = _run(path, until=dt.date(2015, 3, 25))  # shorter than the 90-day gap
    ever = int(((sim.get(Flight).bits & EVER_FLED) != 0).sum())
    assert _count(ev, "fled") == ever > 0
    assert _count(ev, "attempt") > _count(ev, "fled")  # some tried again: not counted twice
    assert _count(ev, "turned_back") == _count(ev, "interdicted") > 0  # all sent home


def test_a_siege_is_left_only_with_smugglers_or_an_evacuation(tmp_path: Path) -> None:
    """Under siege nobody leaves on their own: they pay a smuggler (at the siege price) or
    take an organised evacuation's seats; the airlift's seats cap it each day."""
    siege = [{"date": "2015-01-05", "type": "siege", "actor": "HAVEN", "place": "Hometown",
              "until": "2015-06-01", "assumption": "test"}]
    poor = {**NO_FEAR, "relatives_pay_chance": _p(0.0), "smuggler_price_usd": _p(5000.0)}
    no_ban = [{"date": "2015-01-01", "type": "exit_ban", "actor": "GROUP_A", "value": 0,
               "until": "2015-01-02", "assumption": "test"}]
    path = _variant(tmp_path, "siege.yaml", flight=poor, timeline=siege)
    data = yaml.safe_load(path.read_text())
    data["timeline"] = [e for e in data["timeline"] if e["type"] != "exit_ban"] + no_ban
    data["timeline"].sort(key=lambda e: str(e["date"]))
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    _, ev = _run(path, until=dt.date(2015, 3, 1))
    d = pd.to_datetime(ev["date"])
    after = ev[d >= pd.Timestamp("2015-01-05")]
    assert _count(after, "stayed", reason="siege") > 0
    left = _count(after, "fled", place="Hometown")
    assert left <= _count(after, "smuggled", place="Hometown")  # nobody else got out
    airlift = [*siege, {"date": "2015-01-20", "type": "evacuation", "place": "Hometown",
                        "until": "2015-02-20", "value": 30,
                        "args": {"destination": "Safetown", "kind": "airlift"},
                        "assumption": "test"}]
    path2 = tmp_path / "airlift.yaml"
    data["timeline"] = sorted([e for e in data["timeline"] if e["type"] != "siege"]
                              + airlift, key=lambda e: str(e["date"]))
    path2.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    _, ev2 = _run(path2, until=dt.date(2015, 3, 1))
    ev2 = ev2[pd.to_datetime(ev2["date"]) >= pd.Timestamp("2015-01-05")]
    per_day = ev2[ev2["event"] == "evacuated"].groupby("date")["count"].sum()
    assert per_day.sum() > 0 and per_day.max() <= 30
    assert (ev2.loc[ev2["event"] == "evacuated", "destination"] == "Safetown").all()
    assert _count(ev2, "fled", place="Hometown") > left  # the airlift lets more out


def test_camps_follow_their_rules(tmp_path: Path) -> None:
    """A camp takes nobody before it opens (turned away, closed), never more than its hard
    capacity, screens men of service age, and lets residents go home only as its exit rule
    allows."""
    def camp(**kw: object) -> list[dict]:
        return [{"name": "Camp", "opens": "2015-02-15", "hard_capacity": 600,
                 "screening": 1.0, "exit": "sponsorship", "exit_per_day": 0.0,
                 "assumption": "test", **kw}]
    sim, ev = _run(_variant(tmp_path, "c1.yaml", camps=camp()), check=True)
    st = sim.record.stocks_frame()
    c = st[(st["stock"] == "camp_population") & (st["place"] == "Camp")]
    assert c[pd.to_datetime(c["date"]) < pd.Timestamp("2015-02-15")]["value"].sum() == 0
    assert 0 < c["value"].max() <= 600
    assert _count(ev, "turned_away", reason="closed") > 0
    assert _count(ev, "turned_away", reason="full") > 0
    assert _count(ev, "detained", reason="screening") > 0
    p = sim.people
    in_camp = (p.state == State.CAMP) & (p.place == sim.world.place_index["Camp"])
    age = p.age_years(sim.n_days - 1)
    assert not (in_camp & (p.sex == 1) & (age >= 19) & (age <= 42)).any()  # (boys age)
    assert _count(ev, "returned", place="Camp") == 0 and _count(ev, "sponsored") == 0
    _, ev = _run(_variant(tmp_path, "c2.yaml", camps=camp(exit="free")))
    assert _count(ev, "returned", place="Camp") > 0


def test_nobody_settles_in_a_camp_held_by_the_actor_they_flee(tmp_path: Path) -> None:
    held = [{"date": "2015-01-01", "place": "Camp", "actor": "GROUP_A", "assumption": "test"}]
    _, ev = _run(_variant(tmp_path, "held.yaml", flight={"conflict_flight_per_day": _p(0.0)},
                          control=held), until=dt.date(2015, 4, 1))
    assert _count(ev, "arrived", destination="Camp") == 0
    assert _count(ev, "arrived") > 0


def test_arrivals_from_outside_enter_their_camp(tmp_path: Path) -> None:
    arrivals = [{"date": "2015-02-01", "type": "arrivals", "place": "Camp",
                 "until": "2015-03-01", "value": 1000,
                 "args": {"origin": "Abroad", "children_share": 0.6, "men_share": 0.0},
                 "assumption": "test"}]
    camps = [{"name": "Camp", "opens": "2015-01-01", "exit": "organised",
              "assumption": "test"}]
    sim, ev = _run(_variant(tmp_path, "arr.yaml", flight=NO_FEAR | {
        "conflict_flight_per_day": _p(0.0)}, timeline=arrivals, camps=camps), check=True)
    entered = ev[ev["event"] == "entered"]
    assert entered["count"].sum() == pytest.approx(1000, rel=0.1)
    assert set(entered["place"]) == {"Abroad"} and set(entered["destination"]) == {"Camp"}
    d = pd.to_datetime(entered["date"])
    assert d.min() >= pd.Timestamp("2015-02-01") and d.max() < pd.Timestamp("2015-03-01")
    st = sim.record.stocks_frame()
    c = st[(st["stock"] == "camp_population") & (st["place"] == "Camp")]
    assert c["value"].max() >= entered["count"].sum() * 0.95  # they stay (organised exit)
    assert sim.people.n == sim.initial_people  # made at set-up, counted from the start


def test_an_expulsion_empties_the_place_for_its_days(tmp_path: Path) -> None:
    exp = [{"date": "2015-01-20", "type": "expulsion", "actor": "GROUP_A", "place": "Midtown",
            "until": "2015-02-20", "value": 1.0, "assumption": "test"}]
    _, ev = _run(_variant(tmp_path, "exp.yaml", flight=NO_FEAR, timeline=exp),
                 until=dt.date(2015, 4, 1))
    out = _count(ev, "fled", reason="expulsion")
    assert 0.8 * 6000 < out <= 6000
    ret = ev[(ev["event"] == "returned") & (ev["destination"] == "Midtown")]
    assert ret["count"].sum() > 0
    assert (pd.to_datetime(ret["date"]) >= pd.Timestamp("2015-02-20")).all()


def test_return_waves_are_held_back_by_mines_and_conscription(tmp_path: Path) -> None:
    """Hometown passes to HAVEN on 15 April: returns come in a wave after it; mines left by
    GROUP_A, or fear of HAVEN's conscription for families with a man of service age, hold
    them back; turning either off removes the effect."""
    def returned(name: str, **ret: object) -> int:
        _, ev = _run(_variant(tmp_path, name, flight={"conflict_flight_per_day": _p(0.0)},
                              returns=ret))
        return _count(ev, "returned", destination="Hometown")
    base = returned("r0.yaml")
    mined = returned("r1.yaml", mining_actors=_p(["GROUP_A"]), mine_contamination=_p(0.9))
    feared = returned("r2.yaml", conscripting_actors=_p(["HAVEN"]),
                      conscription_return_factor=_p(0.0))
    assert base > 0
    assert mined < 0.5 * base
    assert feared < 0.5 * base
