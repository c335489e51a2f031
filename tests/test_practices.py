"""Per-actor practices by date: the data layer, the practice book, the market series and the
interception and punishment draws (ranks.scenario.practices, ranks.modules.practices)."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from ranks.errors import ScenarioError
from ranks.modules.practices import (
    CONSCRIPTED,
    EXECUTED,
    KIND_FIELDS,
    OUTCOMES,
    RETURNED,
    Market,
    PracticeBook,
    check_shares,
    cumulative_shares,
    interception_codes,
    punishment_codes,
    territory_share,
)
from ranks.runner import load
from ranks.scenario.practices import Practices

START = dt.date(2014, 1, 1)


def _pr(data: dict) -> Practices:
    return Practices.model_validate(data)


def _p(v: object) -> dict:
    return {"value": v, "assumption": "test"}


BOOK = {
    "actors": {
        "X": [
            {"from": "2013-01-01", "economy": {"base": _p(50.0), "cash_factor": _p(1.0)}},
            {"from": "2013-06-01", "economy": {"base": _p(60.0)}},
            {"from": "2014-02-01", "economy": {"cash_factor": _p(0.5)},
             "coercion": {"interception_wanted": _p({"returned": 0.2, "conscripted": 0.8})}},
        ],
        "Y": [{"from": "2014-03-01", "leaving": {"caught_chance": _p(0.3)}}],
    },
}


def test_regimes_carry_over_and_earlier_regimes_are_in_force_at_the_start() -> None:
    b = PracticeBook(_pr(BOOK), ["X", "Y"], START)
    feb = (dt.date(2014, 2, 1) - START).days
    assert b.value("economy", "base", 0, 0) == 60.0  # the later pre-start regime wins
    assert b.value("economy", "cash_factor", 0, feb - 1) == 1.0
    assert b.value("economy", "cash_factor", 0, feb) == 0.5
    assert b.value("economy", "base", 0, feb + 10) == 60.0  # not repeated: carried over
    assert b.value("leaving", "caught_chance", 1, 0, default=-1) == -1  # before its regime
    assert b.changes_on("economy", feb) and not b.changes_on("economy", feb + 1)
    col = b.column("economy", "cash_factor", feb, np.array([9.0, 9.0]))
    assert col.tolist() == [0.5, 9.0]  # Y never sets it: its fallback
    assert b.configured("leaving").tolist() == [False, True]
    assert b.first_day("leaving", 1) == (dt.date(2014, 3, 1) - START).days


def test_interception_codes_follow_the_actor_and_date_in_force() -> None:
    b = PracticeBook(_pr(BOOK), ["X", "Y"], START)
    n = 20_000
    u = np.random.default_rng(3).random(n)
    default = {"returned": 1.0}
    feb = (dt.date(2014, 2, 1) - START).days

    def table(day: int) -> np.ndarray:
        return cumulative_shares([[b.value("coercion", f, a, day, default=default)
                                   for f in KIND_FIELDS] for a in range(2)], OUTCOMES)

    before = interception_codes(table(feb - 1), np.zeros(n, int), np.zeros(n, int), u)
    after = interception_codes(table(feb), np.zeros(n, int), np.zeros(n, int), u)
    others = interception_codes(table(feb), np.zeros(n, int), np.ones(n, int), u)
    y = interception_codes(table(feb), np.ones(n, int), np.zeros(n, int), u)
    assert (before == RETURNED).all()  # X sets no shares before February: the default
    assert abs((after == CONSCRIPTED).mean() - 0.8) < 0.02
    assert set(np.unique(after)) == {RETURNED, CONSCRIPTED}
    assert (others == RETURNED).all() and (y == RETURNED).all()


def test_punishment_codes_split_local_and_foreign() -> None:
    data = {"actors": {"X": [{"from": "2014-01-01", "leaving": {
        "punishment_local": _p({"executed": 0.1, "detained": 0.9}),
        "punishment_foreign": _p({"executed": 0.7, "detained": 0.3})}}]}}
    b = PracticeBook(_pr(data), ["X"], START)
    n = 20_000
    u = np.random.default_rng(4).random(n)
    foreign = np.arange(n) % 2 == 0
    c = punishment_codes(b.value("leaving", "punishment_local", 0, 5),
                         b.value("leaving", "punishment_foreign", 0, 5), foreign, u)
    assert abs((c[~foreign] == EXECUTED).mean() - 0.1) < 0.02
    assert abs((c[foreign] == EXECUTED).mean() - 0.7) < 0.02


def test_share_checks() -> None:
    assert check_shares({"returned": 0.5, "detained": 0.5}, OUTCOMES) is None
    assert "sum to 1" in check_shares({"returned": 0.5}, OUTCOMES)
    assert "unknown outcome" in check_shares({"shot": 1.0}, OUTCOMES)
    assert "negative" in check_shares({"returned": 1.5, "fined": -0.5}, OUTCOMES)


def test_market_rows_by_place_beat_rows_by_holder_and_follow_control() -> None:
    data = {"economy": {
        "exchange_rate": [{"date": "2013-01-01", "market": 100.0, "assumption": "t"},
                          {"date": "2014-01-11", "market": 200.0, "assumption": "t"}],
        "prices": [{"from": "2014-01-01", "value": 2.0, "assumption": "t"},
                   {"from": "2014-01-05", "held_by": ["X"], "value": 5.0, "assumption": "t"},
                   {"from": "2014-01-05", "places": ["B"], "value": 9.0, "assumption": "t"}],
        "wages": [{"from": "2014-01-03", "held_by": ["Y"], "jobs": 0.5, "assumption": "t"}]}}
    control = np.zeros((20, 3), dtype=np.int16)  # A, B, C held by X (0) ...
    control[10:, 0] = 1  # ... until Y takes A on day 10
    m = Market(_pr(data), START, 20, {"A": 0, "B": 1, "C": 2}, {"X": 0, "Y": 1}, control)
    assert m.fx[0] == 100.0 and m.fx[10] == 200.0 and m.fx_index(10) == pytest.approx(200 / 47)
    assert m.prices(2).tolist() == [2.0, 2.0, 2.0]
    assert m.prices(4).tolist() == [5.0, 9.0, 5.0]  # B named beats its holder X
    assert m.prices(12).tolist() == [2.0, 9.0, 5.0]  # A now held by Y: back to the region row
    assert m.jobs(12).tolist() == [0.5, 1.0, 1.0] and m.wages(12).tolist() == [1.0] * 3
    assert m.due(4) and not m.due(5)


def test_territory_share_is_relative_to_the_peak_so_far() -> None:
    data = {"org_territory": {"X": [
        {"date": "2014-01-01", "km2": 100, "assumption": "t"},
        {"date": "2014-01-11", "km2": 50, "assumption": "t"}]}}
    t = territory_share(_pr(data), "X", START, 20)
    assert t[0] == 1.0 and t[5] == pytest.approx(0.75) and t[15] == pytest.approx(0.5)
    assert territory_share(_pr(data), "Y", START, 20) is None


def test_scenario_practices_errors_name_file_line_and_field(write_scenario, tiny_text) -> None:
    bad_actor = tiny_text + """practices:
  actors:
    Z: [{from: 2014-01-01, economy: {base: {value: 1, assumption: t}}}]
"""
    with pytest.raises(ScenarioError) as e:
        load(write_scenario(bad_actor))
    assert "unknown actor 'Z'" in str(e.value) and e.value.line is not None
    order = tiny_text + """practices:
  actors:
    X:
      - {from: 2014-02-01, economy: {base: {value: 1, assumption: t}}}
      - {from: 2014-01-01, economy: {base: {value: 2, assumption: t}}}
"""
    with pytest.raises(ScenarioError, match="out of order"):
        load(write_scenario(order))
    no_evidence = tiny_text + """practices:
  actors:
    X: [{from: 2014-01-01, economy: {base: {value: 1}}}]
"""
    with pytest.raises(ScenarioError, match="no evidence"):
        load(write_scenario(no_evidence))
    place = tiny_text + """practices:
  economy:
    prices: [{from: 2014-01-01, places: [Nowhere], value: 2, assumption: t}]
"""
    with pytest.raises(ScenarioError, match="unknown place 'Nowhere'"):
        load(write_scenario(place))


def test_deir_ezzor_practices_load_and_are_listed_by_evidence() -> None:
    from ranks.evidence import evidence_rows
    from tests.conftest import ROOT

    loaded = load(ROOT / "scenarios" / "deir-ezzor-2014-2020.yaml")
    rows = evidence_rows(loaded)
    prac = [r for r in rows if r.path.startswith("practices.")]
    assert any(r.path == "practices.ISIS@2015-12-01.economy.cash_factor" and r.value == "0.5"
               for r in prac)
    assert all(r.evidence.startswith(("source:", "assumption:")) for r in prac)
    tl = [r for r in rows if r.path.startswith("timeline")]
    assert tl and all(r.value for r in tl)  # what each event sets is shown
