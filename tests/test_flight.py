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
    assert set(fled["reason"].dropna()) >= {"front", "conscription"}
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
    assert _count(ev, "fled", reason="front") > 0
    _, ev = _run(_scenario(tmp_path, "off.yaml", {"conscription_fear_per_day": _p(0.0)}))
    assert _count(ev, "fled", reason="conscription") == 0
    assert _count(ev, "fled", reason="front") > 0
    _, ev = _run(_scenario(tmp_path, "off2.yaml", {"front_flight_per_day": _p(0.0)}))
    assert _count(ev, "fled", reason="front") == 0
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
                             "relatives_pay_chance": _p(0.1)})), seed=1)
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
    sim, ev = _run(_scenario(tmp_path, "open.yaml"))
    st = sim.record.stocks_frame()
    via_mid = st[(st["stock"] == "in_transit") & st["place"].isin(["Midtown", "Safetown"])]
    base_via = via_mid["value"].sum()
    base_abroad = _count(ev, "arrived", destination="Abroad")
    base_camp = _count(ev, "arrived", destination="Camp")
    assert base_abroad > 0

    desert = [{"date": "2015-01-01", "type": "closure", "args": {"from": "Hometown",
               "to": "Camp"}, "assumption": "test"}]
    sim, ev = _run(_scenario(tmp_path, "closed.yaml", timeline=desert))
    st = sim.record.stocks_frame()
    via_mid = st[(st["stock"] == "in_transit") & st["place"].isin(["Midtown", "Safetown"])]
    assert via_mid["value"].sum() > 1.5 * base_via  # the road north takes the flow

    gate = [{"date": "2015-01-01", "type": "closure", "place": "Gate", "assumption": "test"}]
    sim, ev = _run(_scenario(tmp_path, "gate.yaml", timeline=gate))
    assert _count(ev, "arrived", destination="Abroad") == 0
    assert _count(ev, "arrived", destination="Camp") + _count(
        ev, "arrived", destination="Safetown") > base_camp


def test_returns_follow_a_change_of_control(tmp_path: Path) -> None:
    _, ev = _run(_scenario(tmp_path, "change.yaml"))
    ret = ev[(ev["event"] == "returned") & (ev["destination"] == "Hometown")]
    assert ret["count"].sum() > 0
    assert (pd.to_datetime(ret["date"]) >= pd.Timestamp("2015-04-15")).all()
    _, ev = _run(_scenario(tmp_path, "nochange.yaml", drop_control_change=True))
    assert _count(ev, "returned", destination="Hometown") == 0


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
