"""Tests of the Flee-compatible engine (reader, errors, CLI, determinism, rules, accuracy)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from ranks.errors import RanksInputError
from ranks.flee.cli import make_app
from ranks.flee.engine import FleeEngine, run_scenario
from ranks.flee.reader import read_scenario
from ranks.flee.settings import load_settings
from ranks.flee.validation import interpolate, metrics

FLEE_DATA = Path(__file__).resolve().parents[2] / "shared" / "flee"


def flee_data() -> Path:
    """The shared Flee data directory, or skip the test when it is absent."""
    if not (FLEE_DATA / "conflict_input" / "mali" / "locations.csv").exists():
        pytest.skip(f"Flee data not found at {FLEE_DATA} (expected ../shared/flee)")
    return FLEE_DATA


def _q(fields: list[str], quoted: bool) -> str:
    return ",".join(f'"{f}"' if quoted else f for f in fields)


def write_scenario(
    root: Path,
    *,
    quoted: bool = False,
    old_period: bool = False,
    days: int = 30,
    locations: list[list[str]] | None = None,
    routes: list[list[str]] | None = None,
    closures: list[list[str]] | None = None,
    conflicts: dict[str, list[float]] | None = None,
    settings: str | None = None,
    totals: list[tuple[str, int]] | None = None,
) -> tuple[Path, Path]:
    """Write a small Flee scenario (input and validation dirs) and return both paths.

    Default geography: conflict zone A (pop 10000), town T, camps C1 and C2 abroad; routes
    A-T 100 km, T-C1 150 km, A-C2 200 km.
    """
    inp = root / "input"
    val = root / "validation"
    inp.mkdir(parents=True, exist_ok=True)
    val.mkdir(parents=True, exist_ok=True)
    locations = locations or [
        ["A", "R", "Home", "0.0", "0.0", "conflict_zone", "0", "10000"],
        ["T", "R", "Home", "0.0", "1.0", "town", "", "5000"],
        ["C1", "R", "Abroad", "1.0", "1.0", "camp", "", "100000"],
        ["C2", "R", "Abroad2", "1.0", "0.0", "camp", "", "100000"],
    ]
    routes = routes or [["A", "T", "100", "0"], ["T", "C1", "150", "0"], ["A", "C2", "200", "0"]]
    closures = closures or []
    header = ["#name", "region", "country", "latitude", "longitude", "location_type",
              "conflict_date", "population"]
    lines = [_q(header, quoted)] + [_q(r, quoted) for r in locations]
    (inp / "locations.csv").write_text("\n".join(lines) + "\n")
    lines = ["#name1,name2,distance,forced_redirection"] + [_q(r, quoted) for r in routes]
    (inp / "routes.csv").write_text("\n".join(lines) + "\n")
    lines = ["#closure_type,name1,name2,closure_start,closure_end"]
    lines += [_q(r, quoted) for r in closures]
    (inp / "closures.csv").write_text("\n".join(lines) + "\n")
    conflicts = conflicts or {"A": [1.0] * days}
    names = list(conflicts)
    rows = ["#Day," + ",".join(names)]
    for t in range(days):
        rows.append(f"{t}," + ",".join(str(conflicts[n][t]) for n in names))
    (inp / "conflicts.csv").write_text("\n".join(rows) + "\n")
    period = "conflict_period.csv" if old_period else "sim_period.csv"
    (inp / period).write_text(f"StartDate,2020-01-01\nLength,{days}\n")
    (inp / "registration_corrections.csv").write_text("")
    if settings is not None:
        (inp / "simsetting.yml").write_text(settings)
    totals = totals or [("2020-01-01", 0), ("2020-01-11", 2000), ("2020-03-01", 4000)]
    (val / "data_layout.csv").write_text("total,refugees.csv\nC1,c1.csv\nC2,c2.csv\n")
    (val / "refugees.csv").write_text(
        "Date,Refugee_numbers\n" + "".join(f"{d},{n}\n" for d, n in totals))
    (val / "c1.csv").write_text("Date,n\n2020-01-01,0\n2020-03-01,2000\n")
    (val / "c2.csv").write_text("Date,n\n2020-01-01,0\n2020-03-01,2000\n")
    return inp, val


def run_days(inp: Path, val: Path | None, seed: int = 0, settings_path: Path | None = None,
             days: int | None = None):
    """Read and run a scenario, checking agent conservation every day."""
    scen = read_scenario(inp, val, settings_path, days=days)
    eng = FleeEngine(scen, seed)
    spawned = eng.ag.n
    for t in range(scen.days):
        before = eng.ag.n
        eng.step(t)
        spawned += eng.ag.n - before
        ag = eng.ag
        n = ag.n
        idle = ag.link[:n] < 0
        # Conservation: every agent is at exactly one location or on one link.
        assert int(eng.count.sum()) + int((~idle).sum()) == n == spawned
        assert np.array_equal(np.bincount(ag.loc[:n][idle], minlength=eng.net.n), eng.count)
        assert len(eng.trav) == int((~idle).sum())
        assert (ag.d_link[:n][~idle] <= eng.net.dist[ag.link[:n][~idle]]).all()
    return eng


# ----------------------------------------------------------------------------- reader


def test_reader_dialects_agree(tmp_path: Path) -> None:
    a_in, a_val = write_scenario(tmp_path / "a", quoted=True, old_period=True,
                                 closures=[["location", "T", "", "3", "5"]])
    b_in, b_val = write_scenario(tmp_path / "b", quoted=False,
                                 closures=[["location", "T", "", "3", "5"]])
    a, b = read_scenario(a_in, a_val), read_scenario(b_in, b_val)
    assert a.names == b.names == ["A", "T", "C1", "C2"]
    assert [(r.a, r.b, r.distance) for r in a.routes] == [(r.a, r.b, r.distance)
                                                          for r in b.routes]
    assert [(c.kind, c.name1, c.start, c.end) for c in a.closures] == [
        ("location", "T", 3, 5)] == [(c.kind, c.name1, c.start, c.end) for c in b.closures]
    assert a.start_date == b.start_date == dt.date(2020, 1, 1)
    assert a.days == b.days == 30
    assert np.array_equal(a.conflicts, b.conflicts)
    assert a.camp_names == ["C1", "C2"]
    assert np.array_equal(a.validation.total, b.validation.total)


def test_reader_uncommented_headers(tmp_path: Path) -> None:
    inp, val = write_scenario(tmp_path)
    text = (inp / "locations.csv").read_text().replace("#name", "name", 1)
    (inp / "locations.csv").write_text(text)
    (inp / "routes.csv").write_text("name1,name2,distance\nA,T,100\n")
    scen = read_scenario(inp, val)
    assert scen.names == ["A", "T", "C1", "C2"] and len(scen.routes) == 1


def test_reader_real_dialects() -> None:
    data = flee_data()
    mali = read_scenario(data / "conflict_input/mali", data / "conflict_validation/mali2012")
    syria = read_scenario(data / "conflict_input/syria", data / "conflict_validation/syria2013",
                          data / "simsetting_hasten100.yml")
    assert mali.names[0] == "Kidal" and mali.days == 300 and len(mali.camp_names) == 7
    assert syria.names[0] == "Iraq" and syria.days == 1095 and syria.settings.hasten == 100
    # hasten divides populations and observed counts (Flee's PopulationScaleDownFactor)
    assert syria.locations[0].capacity == 195215 // 100
    assert syria.validation.total[-1] < 60_000


def test_registration_corrections_rescale_level1(tmp_path: Path) -> None:
    inp, val = write_scenario(tmp_path)
    (val / "c1.csv").write_text("Date,n\n2020-01-01,100\n2020-01-05,200\n2020-01-06,50\n")
    (inp / "registration_corrections.csv").write_text("C1,2020-01-06,normalize\n")
    v = read_scenario(inp, val).validation
    # entries before the correction date are scaled by 50/200
    assert v.observed("C1")[:7].tolist() == [25, 31, 37, 43, 50, 50, 50]


def _flee_interpolated(table: np.ndarray, day: int) -> int:
    """Flee 3.1's ``DataTable.get_interpolated_data``, entry by entry in file order."""
    if day <= table[0, 0]:
        return int(table[0, 1])
    for i in range(1, len(table)):
        if day < table[i, 0]:
            frac = (day - table[i - 1, 0]) / (table[i, 0] - table[i - 1, 0])
            return int(table[i - 1, 1] + frac * (table[i, 1] - table[i - 1, 1]))
    return int(table[-1, 1])


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.integers(-20, 60), st.floats(0, 1e6)), min_size=1, max_size=8))
def test_interpolation_matches_flee_loop(points: list[tuple[int, float]]) -> None:
    points = sorted(set(points), key=lambda p: p[0])
    days = sorted({d for d, _ in points})
    table = np.array([(d, next(v for dd, v in points if dd == d)) for d in days], float)

    assert interpolate(table, 40).tolist() == [_flee_interpolated(table, t) for t in range(40)]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.integers(-20, 60), st.floats(0, 1e6)), min_size=1, max_size=8),
       st.booleans())
def test_interpolation_in_file_order_matches_flee_loop(points: list[tuple[int, float]],
                                                       in_order: bool) -> None:
    """Dates in order (bisection) or not (Flee's first later entry in file order), with
    repeated dates: the same integers as Flee 3.1's loop."""
    if in_order:
        points = sorted(points, key=lambda p: p[0])
    table = np.array(points, float)

    assert interpolate(table, 40).tolist() == [_flee_interpolated(table, t) for t in range(40)]


def test_metric_definition() -> None:
    sim = np.array([[10, 0], [5, 5]], float)
    obs = np.array([[8, 2], [0, 0]], float)
    m = metrics(sim, obs, np.array([20.0, 0.0]))
    assert m["averaged_relative_difference"] == pytest.approx((4 / 10 + 10 / 1) / 2)
    assert m["total_error"] == pytest.approx(4 / 20)


# ----------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    ("target", "content", "line", "field"),
    [
        ("locations.csv", "#name,r,c,lat,lon,type,date,pop\nA,R,H,0,0,conflict_zone,0,lots\n",
         2, "population"),
        ("locations.csv", "#name,r,c,lat,lon,type,date,pop\nA,R,H,0,0,volcano,0,1\n",
         2, "location_type"),
        ("routes.csv", "#name1,name2,distance\nA,T,100\nA,Nowhere,5\n", 3, "name2"),
        ("routes.csv", "#name1,name2,distance\nA,T,far\n", 2, "distance"),
        ("closures.csv", "#type,n1,n2,s,e\nlocation,T,,soon,5\n", 2, "closure_start"),
        ("conflicts.csv", "#Day,A\n0,1\n1,x\n", 3, "A"),
        ("sim_period.csv", "StartDate,2020-13-01\nLength,30\n", 1, "StartDate"),
    ],
)
def test_bad_input_names_file_line_field(tmp_path: Path, target: str, content: str, line: int,
                                         field: str) -> None:
    inp, val = write_scenario(tmp_path)
    (inp / target).write_text(content)
    with pytest.raises(RanksInputError) as err:
        read_scenario(inp, val)
    assert err.value.file == str(inp / target)
    assert (err.value.line, err.value.field) == (line, field)


def test_bad_validation_and_settings(tmp_path: Path) -> None:
    inp, val = write_scenario(tmp_path)
    (val / "c1.csv").write_text("Date,n\n2020-01-01,0\n2020-02-30,5\n")
    with pytest.raises(RanksInputError) as err:
        read_scenario(inp, val)
    assert (err.value.file, err.value.line) == (str(val / "c1.csv"), 3)
    yml = tmp_path / "s.yml"
    yml.write_text("move_rules:\n  max_move_speed: 360\n  camp_movechance: 2\n")
    with pytest.raises(RanksInputError) as err:
        load_settings(yml)
    assert (err.value.line, err.value.field) == (3, "move_rules.camp_movechance")
    yml.write_text("ranks_compat:\n  link_closure: sideways\n")
    with pytest.raises(RanksInputError) as err:
        load_settings(yml)
    assert (err.value.line, err.value.field) == (2, "ranks_compat.link_closure")


def test_cli_bad_input_exit_2_one_line(tmp_path: Path) -> None:
    inp, val = write_scenario(tmp_path)
    (inp / "routes.csv").write_text("#name1,name2,distance\nA,T,-3\n")
    res = CliRunner().invoke(make_app(), ["flee", str(inp), str(val), "--out",
                                          str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    assert "routes.csv:2: distance:" in res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "out").exists()


def test_cli_refuses_existing_out(tmp_path: Path) -> None:
    inp, val = write_scenario(tmp_path, days=5)
    out = tmp_path / "out"
    out.mkdir()
    res = CliRunner().invoke(make_app(), ["flee", str(inp), str(val), "--out", str(out)])
    assert res.exit_code == 2
    res = CliRunner().invoke(make_app(), ["flee", str(inp), str(val), "--out", str(out),
                                          "--force", "--quiet"])
    assert res.exit_code == 0, res.output
    assert (out / "out.csv").exists()


# ----------------------------------------------------------------------------- determinism


def test_same_seed_same_bytes_other_seed_differs(tmp_path: Path) -> None:
    data = flee_data()
    app = make_app()
    args = ["flee", str(data / "conflict_input/mali"), str(data / "conflict_validation/mali2012"),
            "--days", "60", "--quiet"]
    outs = []
    for name, seed in (("a", 4), ("b", 4), ("c", 5)):
        res = CliRunner().invoke(app, args + ["--seed", str(seed), "--out", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        outs.append((tmp_path / name / "out.csv").read_bytes())
    assert outs[0] == outs[1]
    assert outs[0] != outs[2]
    summary = json.loads((tmp_path / "a" / "summary.json").read_text())
    for key in ("averaged_relative_difference", "total_error", "agent_steps", "wall_s",
                "peak_rss_mb", "seed"):
        assert key in summary
    assert summary["seed"] == 4
    header = outs[0].decode().splitlines()[0].split(",")
    assert header[:5] == ["Day", "Date", "Fassala-Mbera sim", "Fassala-Mbera data",
                          "Fassala-Mbera error"]


# ----------------------------------------------------------------------------- rules


def test_conservation_and_spawning_follow_totals(tmp_path: Path) -> None:
    inp, val = write_scenario(tmp_path, days=40)
    eng = run_days(inp, val)
    # Data-driven spawning adds exactly the interpolated refugee total (insert_day0 skips
    # day 0; here the camps start empty).
    assert eng.ag.n == int(eng.scen.validation.total[39])


def test_location_closure_blocks_until_reopened(tmp_path: Path) -> None:
    inp, val = write_scenario(tmp_path, days=30, closures=[["location", "C2", "", "0", "20"]])
    scen = read_scenario(inp, val)
    eng = FleeEngine(scen, 1)
    c2 = eng.net.index["C2"]
    for t in range(30):
        eng.step(t)
        if t < 20:
            assert eng.count[c2] == 0
    assert eng.count[c2] > 0


def _reach_c2(tmp_path: Path, mode: str | None) -> tuple[int, int]:
    yml = None if mode is None else f"ranks_compat:\n  link_closure: {mode}\n"
    inp, val = write_scenario(tmp_path / (mode or "flee"), days=25, settings=yml,
                              closures=[["link", "A", "C2", "0", "100"]])
    eng = run_days(inp, val, seed=2)
    net = eng.net
    a, c2 = net.index["A"], net.index["C2"]
    a_to_c2 = int(((net.src == a) & (net.dst == c2) & net.open).sum())
    return int(eng.count[c2]), a_to_c2


def test_link_closure_modes(tmp_path: Path) -> None:
    # Flee 3.1: link closures do nothing (identity comparison of names).
    reached, open_ = _reach_c2(tmp_path, None)
    assert reached > 0 and open_ == 1
    # What Flee's code would do with a value comparison: only C2 -> A is closed.
    reached, open_ = _reach_c2(tmp_path, "reverse_only")
    assert reached > 0 and open_ == 1
    # The fix: both directions closed, nobody reaches C2.
    reached, open_ = _reach_c2(tmp_path, "both")
    assert reached == 0 and open_ == 0


def test_agents_on_a_closed_link_turn_back(tmp_path: Path) -> None:
    # A-C2 is 1000 km (three days at 360 km/day); C2 closes on day 2, so the agents that
    # set out on day 1 are sent back to A when they get there (Flee's closed-link rule).
    inp, val = write_scenario(tmp_path, days=6, routes=[["A", "C2", "1000", "0"]],
                              closures=[["location", "C2", "", "2", "100"]])
    eng = FleeEngine(read_scenario(inp, val), 0)
    eng.step(0)
    eng.step(1)
    on_link = len(eng.trav)
    assert on_link > 0
    for t in range(2, 6):
        eng.step(t)
    assert eng.count[eng.net.index["C2"]] == 0
    assert len(eng.trav) == 0
    assert eng.count[eng.net.index["A"]] == eng.ag.n


def test_capacity_limits_camp(tmp_path: Path) -> None:
    locs = [
        ["A", "R", "Home", "0", "0", "conflict_zone", "0", "100000"],
        ["C1", "R", "Abroad", "1", "1", "camp", "", "100"],
        ["C2", "R", "Abroad", "1", "0", "camp", "", "0"],
    ]
    yml = ("spawn_rules:\n  conflict_driven_spawning:\n    spawn_mode: constant\n"
           "    displaced_per_conflict_day: 40\n")
    inp, _ = write_scenario(tmp_path, days=60, locations=locs, settings=yml,
                            routes=[["A", "C1", "50", "0"], ["A", "C2", "50", "0"]])
    eng = run_days(inp, None)
    c1, c2 = eng.net.index["C1"], eng.net.index["C2"]
    # 2400 agents; C1 takes no one once full (<= one day's choosers over capacity).
    assert eng.count[c1] <= 100 + 40
    assert eng.count[c2] > 2000


def test_forced_redirection_duplicate_and_fix(tmp_path: Path) -> None:
    routes = [["A", "T", "100", "1"], ["T", "C1", "150", "0"], ["A", "C2", "200", "0"]]
    inp, val = write_scenario(tmp_path / "a", routes=routes)
    net = FleeEngine(read_scenario(inp, val)).net
    assert int(((net.src == 0) & (net.dst == 1)).sum()) == 2  # Flee 3.1 links twice
    inp, val = write_scenario(tmp_path / "b", routes=routes, settings=(
        "ranks_compat:\n  fix_forced_redirection_duplicates: true\n"))
    net = FleeEngine(read_scenario(inp, val)).net
    assert int(((net.src == 0) & (net.dst == 1)).sum()) == 1


def test_awareness_two_follows_routes(tmp_path: Path) -> None:
    yml = "move_rules:\n  awareness_level: 2\n"
    inp, val = write_scenario(tmp_path, days=30, settings=yml)
    eng = run_days(inp, val, seed=3)
    assert eng.count[eng.net.index["C1"]] > 0  # reached over two hops via T


def test_no_validation_falls_back_to_conflict_spawning(tmp_path: Path) -> None:
    inp, _ = write_scenario(tmp_path, days=10)
    res = run_scenario(read_scenario(inp, None), seed=0)
    s = res.summary()
    assert s["averaged_relative_difference"] is None
    assert res.agents_final == 10 * 10  # 10 agents per conflict-zone day
    assert any("no validation data" in w for w in s["warnings"])


# ----------------------------------------------------------------------------- accuracy


def test_mali_accuracy() -> None:
    # Accuracy and agent count only; the speed of this run is measured side by side with
    # Flee 3.1 by benchmarks/flee_compare.py (mali2012), not asserted here.
    data = flee_data()
    scen = read_scenario(data / "conflict_input/mali", data / "conflict_validation/mali2012",
                         data / "simsetting.yml")
    res = run_scenario(scen, seed=0)
    s = res.summary()
    # Flee 3.1 scores 0.35 on this scenario (README: 0.348 in one run, 0.25-0.53 published).
    assert s["averaged_relative_difference"] < 0.45
    assert s["agent_steps"] == 30_700_270  # same agent count, day by day, as Flee 3.1


def test_dormant_sampling_matches_per_agent_chances(tmp_path: Path) -> None:
    # Conflict zone A (move chance 0.01) and camp C1 (0.02) are both sampled per location.
    yml = "move_rules:\n  conflict_movechance: 0.01\n  camp_movechance: 0.02\n"
    inp, val = write_scenario(tmp_path, days=5, settings=yml)
    eng = FleeEngine(read_scenario(inp, val), 0)
    eng._daily_state(0)
    a, c1 = eng.net.index["A"], eng.net.index["C1"]
    assert eng.dormant[a] and eng.dormant[c1]
    eng._spawn_at(np.full(20_000, a, dtype=np.int32), count_pop=False)
    eng._spawn_at(np.full(20_000, c1, dtype=np.int32), count_pop=False)
    totals = np.zeros(eng.net.n)
    for day in range(20):
        picked = eng._pick_dormant(np.random.default_rng([9, day]))
        assert len(np.unique(picked)) == len(picked)
        totals += np.bincount(eng.ag.loc[picked], minlength=eng.net.n)
    # 20 days x 20,000 agents: expected 4,000 (A) and 8,000 (C1); 5 standard deviations.
    assert abs(totals[a] - 4000) < 5 * np.sqrt(4000 * 0.99)
    assert abs(totals[c1] - 8000) < 5 * np.sqrt(8000 * 0.98)


def test_take_from_population(tmp_path: Path) -> None:
    yml = "spawn_rules:\n  take_from_population: true\n"
    inp, val = write_scenario(tmp_path, days=20, settings=yml)
    eng = run_days(inp, val)
    a = eng.net.index["A"]
    # every spawned agent came from the only conflict zone, A (population 10000)
    assert eng.net.pop[a] == 10000 - eng.ag.n


# ----------------------------------------------------------------------------- speed paths


def test_day_rng_matches_default_rng() -> None:
    from ranks.flee.engine import DayRng

    for seed in (0, 1, 12345, 2**32 - 1, 2**40):
        day_rng = DayRng(seed, 400)
        for t in (0, 1, 2, 99, 399, 400, 1000):
            ref = np.random.default_rng([seed, t])
            rng = day_rng(t)
            assert np.array_equal(rng.random(7), ref.random(7))
            assert np.array_equal(rng.geometric(0.01, size=5), ref.geometric(0.01, size=5))


def _run_paths(scen, seed: int, fast: bool) -> tuple[np.ndarray, ...]:
    eng = FleeEngine(scen, seed)
    eng.fast_paths = fast
    res = eng.run()
    return (res.camp_sim, res.agents, res.on_links, eng.ag.loc[: eng.ag.n].copy(),
            eng.ag.recent[: eng.ag.n].copy() if eng.ag.track_recent else np.zeros(0))


@pytest.mark.parametrize("case", ["capacity", "stints", "closed_link", "mali"])
def test_fast_paths_give_the_same_run(tmp_path: Path, case: str) -> None:
    if case in ("capacity", "stints"):
        locs = [
            ["A", "R", "Home", "0", "0", "conflict_zone", "0", "100000"],
            ["T", "R", "Home", "0", "1", "town", "", "5000"],
            ["C1", "R", "Abroad", "1", "1", "camp", "", "100"],
            ["C2", "R", "Abroad", "1", "0", "camp", "", "3000"],
        ]
        yml = ("spawn_rules:\n  conflict_driven_spawning:\n    spawn_mode: constant\n"
               "    displaced_per_conflict_day: 40\n")
        if case == "stints":  # Flee's avoid_short_stints: towns force short-stint movers on
            yml += "move_rules:\n  avoid_short_stints: true\n  max_move_speed: 200\n"
        inp, _ = write_scenario(tmp_path, days=60, locations=locs, settings=yml,
                                routes=[["A", "T", "100", "0"], ["T", "C1", "50", "0"],
                                        ["A", "C2", "500", "0"], ["T", "C2", "90", "0"]])
        scen = read_scenario(inp, None)
    elif case == "closed_link":
        inp, val = write_scenario(tmp_path, days=12, routes=[["A", "C2", "1000", "0"],
                                                             ["A", "T", "100", "0"],
                                                             ["T", "C1", "150", "0"]],
                                  closures=[["location", "C2", "", "2", "5"]],
                                  conflicts={"A": [0.0, 1.0] * 3 + [1.0] * 6})
        scen = read_scenario(inp, val)
    else:
        data = flee_data()
        scen = read_scenario(data / "conflict_input/mali", data / "conflict_validation/mali2012",
                             data / "simsetting.yml", days=80)
    for seed in (0, 3):
        fast = _run_paths(scen, seed, True)
        slow = _run_paths(scen, seed, False)
        for a, b in zip(fast, slow, strict=True):
            assert np.array_equal(a, b)


@pytest.mark.parametrize("text", [
    "Date,count\n2020-01-01,0\n2020-01-05, 12.5\n,\n# note,3\n2020-02-01,40\n",
    "2020-01-01,7\r\n2020-01-03,9\r\n\r\n2020-01-09,1e3,extra\r\n",
    "date,n\n2020-01-01,\n2019-12-30,4\n",
    '"Date","n"\n"2020-01-01","5"\n',  # quoted: the csv module reads it
    "Date,n\r2020-01-01,5\r2020-01-02,6\r",  # lone CR line ends (universal newlines)
])
def test_plain_series_read_like_the_csv_reader(tmp_path: Path, text: str) -> None:
    """The quick series reader gives the csv reader's table, or leaves the file to it."""
    import datetime as dt

    from ranks.flee import validation as v

    path = tmp_path / "s.csv"
    path.write_bytes(text.encode())
    start = dt.date(2020, 1, 1)
    quick = v._quick_series(path, start, 3)
    rows = [[float((dt.date.fromisoformat(f[0]) - start).days), float(f[1]) / 3]
            for k, (_, f) in enumerate(v._csv_rows(path))
            if len(f) >= 2 and f[1] and not f[0].startswith("#") and not (
                k == 0 and not f[0][:1].isdigit())]
    assert rows
    if '"' in text:
        assert quick is None
    else:
        assert quick is not None and quick.tolist() == rows
    assert v._read_series(path, start, 3).tolist() == rows
