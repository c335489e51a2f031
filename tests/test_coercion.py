"""Coercion (M7-M12): orders, checkpoints, bribes, detention, raids, informers, amnesty.

Each test runs a small made-up region with ``check=True`` (stocks recounted daily) and
compares two runs that differ only in the mechanism under test (same seed: person-level
common random numbers make differences attributable).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ranks.engine import Simulation
from ranks.modules.wanted import WantedBook
from ranks.population import Assignment, Flag, State
from ranks.runner import load

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "evidence" / "sources.yaml"
POPULATION = ROOT / "scenarios" / "common" / "population-deir-ezzor.yaml"

ORDER = ("  - {date: 2014-02-01, type: conscription_order, actor: X, "
         "args: {ages: [20, 30], deadline_days: 7}, assumption: test}\n")


def campaign(value: float, date: str = "2014-02-01", kind: str = "fixed") -> str:
    """A checkpoint campaign of ``value`` daily stop chance at A and B."""
    return (f"  - {{date: {date}, type: checkpoint_campaign, actor: X, value: {value}, "
            f"args: {{kind: {kind}}}, assumption: test}}\n")


def build(tmp_path: Path, timeline: str = "", coercion: str = "{}", leaving: str | None = None,
          control_extra: str = "", end: str = "2014-06-01", fronts: str = "") -> Path:
    """Write a scenario: towns A (tribe T1) and B (T2) held by X, S held by SAFE, R's town
    Rb, and an abroad node Out. Returns its path."""
    modules = f"  coercion: {coercion}\n" if coercion is not None else ""
    if leaving is not None:
        modules += f"  leaving: {leaving}\n"
    text = f"""\
name: coercion-test
period: {{start: 2014-01-01, end: {end}}}
seed: 5
evidence: {SOURCES}
places:
  - {{name: A, lat: 35.0, lon: 40.0, type: town, population: 12000, tribe: T1, assumption: t}}
  - {{name: B, lat: 35.2, lon: 40.2, type: town, population: 8000, tribe: T2, assumption: t}}
  - {{name: S, lat: 35.9, lon: 40.1, type: town, population: 1000, assumption: t}}
  - {{name: Rb, lat: 35.5, lon: 39.5, type: town, population: 1000, assumption: t}}
  - {{name: Out, lat: 36.9, lon: 38.1, type: abroad, assumption: t}}
actors:
  - {{id: X, name: Actor X, assumption: t}}
  - {{id: R, name: Rebels, assumption: t}}
  - {{id: SAFE, name: Safe area, assumption: t}}
control:
  - {{date: 2014-01-01, place: A, actor: X, assumption: t}}
  - {{date: 2014-01-01, place: B, actor: X, assumption: t}}
  - {{date: 2014-01-01, place: S, actor: SAFE, assumption: t}}
  - {{date: 2014-01-01, place: Rb, actor: R, assumption: t}}
{control_extra}fronts:
  - {{date: 2014-01-01, place: A, intensity: 0.5, assumption: t}}
{fronts}timeline:
{timeline or '  []'}
population: {POPULATION}
modules:
{modules}"""
    path = tmp_path / f"s{abs(hash(text)) % 10**8}.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def run(path: Path, members: dict[str, int] | None = None, scale: float = 1.0,
        setup=None) -> Simulation:
    """Run with ``members`` men 18-40 made members of actor X at each named home place
    (serving at the front), conservation checked daily."""
    sim = Simulation(load(path), seed=2, scale=scale, check=True)
    p = sim.people
    for place, n in (members or {}).items():
        pi = sim.world.place_index[place]
        age = p.age_years(0)
        men = np.flatnonzero((p.sex == 1) & (age >= 18) & (age < 40) & (p.home == pi))[:n]
        p.set(men, 0, state=State.SERVING, actor=0, assignment=Assignment.FRONT)
    if setup is not None:
        setup(sim)
    sim.run()
    return sim


def count(sim: Simulation, event: str, reason: str | None = None, place: str | None = None,
          after: str | None = None, before: str | None = None) -> int:
    """Total count of an event (optionally by reason, place, date window)."""
    ev = sim.record.events_frame()
    sel = ev["event"] == event
    if reason is not None:
        sel &= ev["reason"] == reason
    if place is not None:
        sel &= ev["place"] == place
    if after is not None:
        sel &= pd.to_datetime(ev["date"]) >= pd.Timestamp(after)
    if before is not None:
        sel &= pd.to_datetime(ev["date"]) < pd.Timestamp(before)
    return int(ev.loc[sel, "count"].sum())


def test_order_makes_registrations_evasion_and_wanted(tmp_path: Path) -> None:
    sim = run(build(tmp_path, ORDER))
    assert count(sim, "registered") > 0
    assert count(sim, "conscripted", "order") == count(sim, "registered")
    for reason in ("hide", "flee", "ignore"):
        assert count(sim, "evaded", reason) > 0
    # registrations spread over the one-week deadline, not all on day one
    ev = sim.record.events_frame()
    days = ev.loc[ev["event"] == "registered", "date"].nunique()
    assert days >= 5
    # evaders are wanted; those who chose flight carry the flag the flight module reads
    p = sim.people
    assert ((p.flags & Flag.EVADER) != 0).sum() > 0
    book = sim.get(WantedBook)
    assert book is not None and book.planned_flight(np.arange(p.n)).sum() > 0
    # everyone named was a man aged 20-30 in X's places
    st = sim.record.stocks_frame()
    assert st.loc[st["stock"] == "wanted", "value"].sum() > 0
    assert st.loc[st["stock"] == "hiding", "value"].sum() > 0
    # no order: none of this
    base = run(build(tmp_path, campaign(0.05)))
    assert count(base, "registered") == 0 and count(base, "evaded") == 0


def test_more_checkpoints_more_conscription_bribes_and_lost_income(tmp_path: Path) -> None:
    low = run(build(tmp_path, campaign(0.01, "2014-01-25") + ORDER))
    high = run(build(tmp_path, campaign(0.05, "2014-01-25") + ORDER))
    assert count(high, "conscripted", "checkpoint") > count(low, "conscripted", "checkpoint")
    assert count(high, "bribed_release") > count(low, "bribed_release") > 0
    assert count(high, "evaded", "hide") > count(low, "evaded", "hide")
    # hiding costs work (seed-001 ¶10): the wages of the hidden are lost (more patrols keep
    # more men indoors, above, but also find more of them: the totals are not ordered)
    def lost(sim: Simulation) -> float:
        st = sim.record.stocks_frame()
        sel = (st["stock"] == "hiding_lost_wages_usd") & (
            pd.to_datetime(st["date"]) < pd.Timestamp("2014-03-01"))
        return float(st.loc[sel, "value"].sum())

    assert lost(high) > 0 and lost(low) > 0


def test_checkpoints_off_removes_stops(tmp_path: Path) -> None:
    on = run(build(tmp_path, ORDER + campaign(0.05)))
    off = run(build(tmp_path, ORDER, coercion="{base_checkpoint_chance: {value: 0.0, "
                                              "assumption: switched off}}"))
    assert count(on, "conscripted", "checkpoint") > 0 and count(on, "hid") > 0
    assert count(off, "conscripted", "checkpoint") == 0
    assert count(off, "bribed_release", "checkpoint") == 0
    assert count(off, "hid") == 0


def test_bribes_off_means_no_bribed_release_and_more_conscription(tmp_path: Path) -> None:
    tl = ORDER + campaign(0.05)
    on = run(build(tmp_path, tl))
    off = run(build(tmp_path, tl, coercion="{actors: {X: {interception_wanted: {value: "
                                           "{conscripted: 0.6, detained: 0.4}, "
                                           "assumption: no bribes taken}}}}"))
    assert count(on, "bribed_release") > 0
    assert count(off, "bribed_release") == 0
    assert count(off, "conscripted", "checkpoint") > count(on, "conscripted", "checkpoint")
    # bribes come out of savings
    assert on.households.savings.sum() < off.households.savings.sum()


def test_forced_labour_deaths_only_with_forced_labour_and_a_front(tmp_path: Path) -> None:
    tl = ORDER + campaign(0.1)
    on = run(build(tmp_path, tl, coercion="{forced_labour_death_per_day: {value: 0.01, "
                                          "assumption: t}}"))
    off = run(build(tmp_path, tl, coercion="{forced_labour_share: {value: 0.0, "
                                           "assumption: switched off}}"))
    assert count(on, "detained") > 0 and count(on, "released") > 0
    assert count(on, "forced_labour_death") > 0
    assert count(on, "died", "forced_labour") == count(on, "forced_labour_death")
    assert count(off, "forced_labour_death") == 0
    assert count(on, "conscripted", "detention") > 0


def test_raids_off_removes_raids(tmp_path: Path) -> None:
    tl = ORDER + campaign(0.05)
    on = run(build(tmp_path, tl))
    off = run(build(tmp_path, tl, coercion="{raid_chance_per_day: {value: 0.0, assumption: switched "
                                           "off}, raid_per_intensity: {value: 0.0, "
                                           "assumption: switched off}}"))
    assert count(on, "raid") > 0 and count(on, "conscripted", "raid") > 0
    assert count(off, "raid") == 0 and count(off, "conscripted", "raid") == 0


def test_informers_catch_more_of_those_planning_to_flee(tmp_path: Path) -> None:
    tl = ORDER + campaign(0.05)

    def caught(sim: Simulation) -> int:
        return sum(count(sim, e, how) for e in ("conscripted", "detained", "bribed_release")
                   for how in ("checkpoint", "raid"))

    on = run(build(tmp_path, tl, coercion="{informer_boost: {value: 3.0, assumption: t}}"))
    off = run(build(tmp_path, tl, coercion="{informer_boost: {value: 0.0, "
                                           "assumption: switched off}}"))
    assert caught(on) > caught(off)


def test_violation_arrests_only_during_campaigns(tmp_path: Path) -> None:
    on = run(build(tmp_path, campaign(0.2)))
    off = run(build(tmp_path, campaign(0.2), coercion="{violation_arrest_per_intensity: "
                                                      "{value: 0.0, assumption: switched off}}"))
    assert count(on, "detained", "violation") > 0
    assert count(off, "detained", "violation") == 0


def test_amnesty_raises_returns_from_hiding(tmp_path: Path) -> None:
    tl = ORDER + campaign(0.03)
    amnesty = "  - {date: 2014-03-15, type: amnesty, actor: X, value: 0.6, assumption: t}\n"
    with_a = run(build(tmp_path, tl + amnesty))
    without = run(build(tmp_path, tl))
    assert count(with_a, "returned", "amnesty") > 0
    assert count(without, "returned") == 0
    hid_with = with_a.people.by_place_state[:, State.HIDING].sum()
    hid_without = without.people.by_place_state[:, State.HIDING].sum()
    assert hid_with < hid_without
    # those who come back work again
    assert with_a.households.income.sum() > without.households.income.sum()


def test_reserve_call_up_enforced_on_militia_members(tmp_path: Path) -> None:
    """seed-001: the government's call-up takes members of its own militias too."""
    tl = ("  - {date: 2014-02-01, type: conscription_order, actor: X, args: {ages: [18, 42], "
          "applies_to_members: ARG}, assumption: t}\n") + campaign(0.05)

    def militia(sim: Simulation) -> None:
        p = sim.people
        age = p.age_years(0)
        men = np.flatnonzero((p.sex == 1) & (age >= 20) & (age < 40)
                             & (p.home == sim.world.place_index["A"]))[:500]
        p.set(men, 0, state=State.SERVING, actor=1, assignment=Assignment.GUARD)

    on = run(build(tmp_path, tl.replace("ARG", "true")), setup=militia)
    off = run(build(tmp_path, tl.replace("ARG", "false")), setup=militia)
    assert on.people.strength[1].sum() < off.people.strength[1].sum() == 500


@pytest.mark.parametrize("scale", [0.3])
def test_conservation_and_scale(tmp_path: Path, scale: float) -> None:
    tl = ORDER + campaign(0.1, kind="mobile") + (
        "  - {date: 2014-04-01, type: amnesty, actor: X, args: {rejoin: true}, "
        "assumption: t}\n")
    sim = run(build(tmp_path, tl, leaving="{}"), members={"A": 300, "B": 200}, scale=scale)
    assert sim.people.by_place_state.sum() == sim.people.n
    assert count(sim, "conscripted") > 0
