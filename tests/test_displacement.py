"""Displacement that follows the war (issue 13): fronts with kinds and episodes, camps with
rules, arrivals from outside. Flight's decisions, sieges, counting and returns are tested
in tests/test_flight.py."""

from __future__ import annotations

import numpy as np
import pytest

from ranks.arrivals import append_households, append_people, synthesize_reserve
from ranks.population import Role, State, synthesize
from ranks.scenario.loader import load_scenario
from ranks.scenario.model import FRONT_KINDS
from ranks.world import build_world
from tests.conftest import TINY


def _tiny(write_scenario, fronts: str = "", timeline: str = "", extra: str = ""):
    text = TINY
    if fronts:
        text = text.replace(
            "  - {date: 2014-01-20, place: B, intensity: 0.7, assumption: test}\n", fronts)
    if timeline:
        text = text.replace("timeline:\n", "timeline:\n" + timeline)
    return load_scenario(write_scenario(text + extra))


def test_front_kind_and_episode_start(write_scenario) -> None:
    """A rise starts an episode (front_rise = its day); a fall keeps the episode's start;
    the kind follows the rows (battle by default)."""
    fronts = ("  - {date: 2014-01-10, place: B, intensity: 0.3, kind: airstrike, assumption: t}\n"
              "  - {date: 2014-01-20, place: B, intensity: 0.9, kind: offensive, assumption: t}\n"
              "  - {date: 2014-02-05, place: B, intensity: 0.2, kind: calm, assumption: t}\n"
              "  - {date: 2014-02-05, place: A, intensity: 0.5, assumption: t}\n")
    w = build_world(_tiny(write_scenario, fronts=fronts).scenario)
    b, a = w.place_index["B"], w.place_index["A"]
    assert w.front_rise[5, b] == 0 and w.front[5, b] == 0
    assert w.front_rise[15, b] == 9 and FRONT_KINDS[w.front_kind[15, b]] == "airstrike"
    assert w.front_rise[25, b] == 19 and FRONT_KINDS[w.front_kind[25, b]] == "offensive"
    assert w.front_rise[40, b] == 19 and FRONT_KINDS[w.front_kind[40, b]] == "calm"
    assert FRONT_KINDS[w.front_kind[40, a]] == "battle" and w.front_rise[40, a] == 35


def test_camp_rules_load_and_bad_rows_name_file_and_line(write_scenario) -> None:
    ok = _tiny(write_scenario, extra=(
        "camps:\n  - {name: C, opens: 2014-02-01, soft_capacity: 100, hard_capacity: 150, "
        "screening: 0.5, exit: sponsorship, assumption: test}\n")).scenario
    c = ok.camps[0]
    assert (c.opens.isoformat(), c.soft_capacity, c.exit) == ("2014-02-01", 100, "sponsorship")
    from ranks.errors import ScenarioError
    for bad, msg in (("{name: A, opens: 2014-02-01, assumption: t}", "unknown camp"),
                     ("{name: C, opens: 2014-02-01, closes: 2014-01-01, assumption: t}",
                      "dates out of order"),
                     ("{name: C, opens: 2014-02-01, exit: never, assumption: t}", "exit"),
                     ("{name: C, opens: 2014-02-01, soft_capacity: 9, hard_capacity: 5, "
                      "assumption: t}", "soft_capacity is above hard_capacity")):
        with pytest.raises(ScenarioError) as e:
            _tiny(write_scenario, extra=f"camps:\n  - {bad}\n")
        assert msg in e.value.format() and "s.yaml:" in e.value.format()


ARRIVALS = ("  - {date: 2014-01-15, type: arrivals, place: C, until: 2014-02-15, value: 3500, "
            "args: {origin: B, children_share: 0.67, men_share: 0.05, household_size: 3.5}, "
            "assumption: test}\n")


def test_arrival_reserve_has_the_profile_and_sits_abroad_at_its_origin(write_scenario) -> None:
    sc = _tiny(write_scenario, timeline=ARRIVALS).scenario
    pidx = {p.name: i for i, p in enumerate(sc.places)}
    people, hh, groups = synthesize_reserve(sc, pidx, 1.0, 7, 2, sc.n_days, 1000, 200)
    assert people is not None and hh is not None and len(groups) == 1
    g = groups[0]
    n = people.n
    assert abs(n - 3500) < 300 and g.people == (1000, 1000 + n) and g.hh[0] == 200
    assert len(hh) == g.hh.size and abs(n / len(hh) - 3.5) < 0.3
    assert (people.state == State.ABROAD).all() and (people.home == pidx["B"]).all()
    assert people.by_place_state[pidx["B"], State.ABROAD] == n
    age = people.age_years(0)
    assert abs((age < 18).mean() - 0.67) < 0.05  # children's share as asked
    assert ((people.sex == 1) & (age >= 18)).mean() < 0.03  # few adult men
    heads = people.role == Role.HEAD
    assert heads.sum() == len(hh) and (people.sex[heads] == 0).all() and (age[heads] >= 18).all()
    assert np.array_equal(np.sort(hh.head), np.flatnonzero(heads) + 1000)
    assert (people.household >= 200).all()


def test_reserve_appends_after_the_residents(write_scenario) -> None:
    sc = _tiny(write_scenario, timeline=ARRIVALS).scenario
    pidx = {p.name: i for i, p in enumerate(sc.places)}
    w = build_world(sc)
    res, rhh = synthesize(w.population, w.tribe, sc.population, 1.0, 3, w.n_actors, w.n_days)
    # origin A sorts before the residents of B: the merged households are re-sorted
    sc2 = sc.model_copy(update={"timeline": [sc.timeline[0].model_copy(
        update={"args": {**sc.timeline[0].args, "origin": "A"}}), *sc.timeline[1:]]})
    people, hh, groups = synthesize_reserve(sc2, pidx, 1.0, 3, w.n_actors, w.n_days, res.n,
                                            len(rhh))
    assert people is not None and hh is not None
    allp = append_people(res, people, w.n_days)
    allh = append_households(rhh, hh, allp, groups)
    assert allp.n == res.n + people.n and len(allh) == len(rhh) + len(hh)
    assert np.array_equal(allp.recount()["by_place_state"], allp.by_place_state)
    assert (np.diff(allh.place.astype(np.int64)) >= 0).all()  # sorted by home place
    # heads point at people of their own household; sizes match the people
    assert np.array_equal(allp.household[allh.head.astype(np.int64)], np.arange(len(allh)))
    assert np.array_equal(np.bincount(allp.household, minlength=len(allh)), allh.size)
    g = groups[0]
    assert (allh.place[g.hh] == pidx["A"]).all() and g.hh.size == len(hh)
    assert (allp.household[g.people[0]:g.people[1]] >= 0).all()


def test_conditions_at_home_follow_fronts_and_control(write_scenario) -> None:
    """Front distance is 0 at a front and the distance to it elsewhere; mines appear when
    the mining actor leaves and halve with their half-life; damage grows with fighting and
    heals after it."""
    from ranks.conditions import (
        front_distance,
        mine_contamination,
        place_distances,
        service_damage,
    )

    fronts = ("  - {date: 2014-01-10, place: B, intensity: 0.9, kind: offensive, assumption: t}\n"
              "  - {date: 2014-01-20, place: B, intensity: 0.2, kind: calm, assumption: t}\n")
    w = build_world(_tiny(write_scenario, fronts=fronts).scenario)
    a, b = w.place_index["A"], w.place_index["B"]
    dist = place_distances(w)
    fd = front_distance(w, 12, dist, 0.5)
    assert fd[b] == 0 and fd[a] == pytest.approx(dist[a, b]) and dist[a, b] > 20
    assert np.isinf(front_distance(w, 25, dist, 0.5)).all()  # calm: no front
    x = w.actor_index["X"]
    mines = mine_contamination(w, [x], 0.5, 10.0)
    assert mines[30, a] == 0  # still held by X
    assert mines[31, b] == pytest.approx(0.5) and mines[30, b] == 0  # X left B on day 31
    assert mines[41, b] == pytest.approx(0.25, rel=1e-3)
    assert not mine_contamination(w, [], 0.5, 10.0).any()
    kw = np.array([1.0 if k == "offensive" else 0.0 for k in FRONT_KINDS])
    dmg = service_damage(w, kw, 0.05, 30.0)
    assert dmg[8, b] == 0 and dmg[18, b] > dmg[10, b] > 0  # grows while the offensive lasts
    assert dmg[50, b] < dmg[19, b] and dmg[50, a] == 0  # heals after it; A never fought


def test_conflict_chance_follows_kind_intensity_and_decays(write_scenario) -> None:
    from ranks.conditions import conflict_chance

    fronts = ("  - {date: 2014-01-10, place: B, intensity: 0.9, kind: offensive, assumption: t}\n"
              "  - {date: 2014-01-10, place: A, intensity: 0.9, kind: airstrike, assumption: t}\n"
              "  - {date: 2014-02-10, place: B, intensity: 0.3, kind: calm, assumption: t}\n")
    w = build_world(_tiny(write_scenario, fronts=fronts).scenario)
    a, b = w.place_index["A"], w.place_index["B"]
    kw = np.array([{"offensive": 1.0, "airstrike": 0.25}.get(k, 0.0) for k in FRONT_KINDS])
    c0 = conflict_chance(w, 9, 0.02, kw, 14.0)
    assert c0[b] == pytest.approx(0.018) and c0[a] == pytest.approx(0.25 * 0.018)
    assert conflict_chance(w, 23, 0.02, kw, 14.0)[b] == pytest.approx(0.009)  # one half-life
    assert conflict_chance(w, 45, 0.02, kw, 14.0)[b] == 0  # calm after the battle
    assert conflict_chance(w, 5, 0.02, kw, 14.0).max() == 0  # before any fighting


def test_camp_admits_whole_parties_while_open_not_under_the_feared_and_with_room(
        write_scenario) -> None:
    from ranks.modules.flight.camp_rules import CampRules, TurnedAway

    sc = _tiny(write_scenario, extra=(
        "camps:\n  - {name: C, opens: 2014-02-01, closes: 2014-02-20, hard_capacity: 10, "
        "assumption: test}\n")).scenario
    w = build_world(sc)
    rules = CampRules(sc, w, 1.0)
    c = w.place_index["C"]
    at = np.full(9, c)
    keys = np.array([1, 1, 1, 2, 2, 2, 2, 3, 3])  # parties of 3, 4 and 2 people
    fled = np.array([0, 0, 0, 0, 0, 0, 0, 1, 1])
    holder = np.full(w.n_places, -1)
    holder[c] = 1  # the camp is held by actor 1, whom party 3 fled
    res = np.zeros(w.n_places)
    res[c] = 5  # 5 residents, room for 5 more
    before = rules.admit(20, at, keys, fled, holder, res)  # 2014-01-21: not open yet
    assert (before == TurnedAway.CLOSED).all()
    out = rules.admit(40, at, keys, fled, holder, res)
    assert list(out[:3]) == [-1] * 3  # party 1 fits
    assert (out[3:7] == TurnedAway.FULL).all()  # party 2 would pass the hard capacity
    assert (out[7:] == TurnedAway.HOLDER).all()
    assert (rules.admit(52, at, keys, fled, holder, res) == TurnedAway.CLOSED).all()  # closed
    assert rules.is_open(40)[w.place_index["A"]]  # places without rules are always open
