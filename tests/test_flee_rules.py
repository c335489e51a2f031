"""Flee rules Ranks used to refuse, each run side by side with PyPI Flee 3.1 on a small case.

Every case is a hand-made FabFlee-layout conflict (``input_csv/``, ``source_data/``,
``simsetting.yml``) in which agents leave one conflict zone on the days they appear and end in
one of a few camps they never leave, so the camps' final shares are the rule's route-choice
probabilities.  Ranks runs in-process over several seeds, Flee 3.1 in a subprocess (it keeps
global state) through ``benchmarks/flee_fabflee.py``'s worker; shares must agree within a few
binomial standard errors, and switching the rule off must move Ranks' shares as the rule says.
The Flee side is skipped, saying why, when ``flee`` cannot be imported.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ranks.errors import RanksInputError
from ranks.flee.engine import FleeEngine, run_scenario
from ranks.flee.reader import read_scenario
from ranks.flee.settings import load_settings

ROOT = Path(__file__).resolve().parents[1]
WORKER = ROOT / "benchmarks" / "flee_fabflee.py"
HAVE_FLEE = importlib.util.find_spec("flee") is not None
needs_flee = pytest.mark.skipif(not HAVE_FLEE, reason="PyPI flee 3.1 is not importable "
                                "(pip install 'flee==3.1'); the side-by-side check is skipped")

BASE_SETTINGS = """\
log_levels: {agent: 0, link: 0, camp: 0, init: 0, conflict: 0}
spawn_rules:
  take_from_population: False
  insert_day0: True
  conflict_driven_spawning: {spawn_mode: constant, displaced_per_conflict_day: %(per_day)d}
move_rules:
  max_move_speed: 2000.0
  foreign_weight: 1.0
  camp_weight: 1.0
  conflict_weight: 0.25
  conflict_movechance: 1.0
  camp_movechance: 0.0
  default_movechance: 0.3
  awareness_level: 1
%(extra_move)s
optimisations:
  hasten: 1
"""


def write_conflict(root: Path, *, locations: list[list[str]], routes: list[list[str]],
                   days: int = 4, per_day: int = 2500, extra_move: str = "",
                   extra_settings: str = "", files: dict[str, str] | None = None,
                   location_header_extra: str = "", camps_data: dict[str, str] | None = None,
                   corrections: str = "", totals: str | None = None) -> Path:
    """Write a FabFlee-layout conflict; the first location is the conflict zone."""
    inp, src = root / "input_csv", root / "source_data"
    inp.mkdir(parents=True)
    src.mkdir(parents=True)
    header = "#name,region,country,latitude,longitude,location_type,conflict_date,population"
    (inp / "locations.csv").write_text(
        header + location_header_extra + "\n" + "\n".join(",".join(r) for r in locations) + "\n")
    (inp / "routes.csv").write_text(
        "#name1,name2,distance,forced_redirection\n"
        + "\n".join(",".join(r) for r in routes) + "\n")
    (inp / "closures.csv").write_text("#closure_type,name1,name2,closure_start,closure_end\n")
    (inp / "conflicts.csv").write_text(
        f"#Day,{locations[0][0]}\n" + "".join(f"{t},1\n" for t in range(days)))
    (inp / "sim_period.csv").write_text(f"StartDate,2020-01-01\nLength,{days}\n")
    (inp / "registration_corrections.csv").write_text(corrections)
    for name, text in (files or {}).items():
        (inp / name).write_text(text)
    camps = [r[0] for r in locations if "camp" in r[5]]
    layout = ["total,refugees.csv"] + [f"{c},{c.lower()}.csv" for c in camps]
    (src / "data_layout.csv").write_text("\n".join(layout) + "\n")
    (src / "refugees.csv").write_text(totals or "2020-01-01,0\n2020-12-31,0\n")
    for c in camps:
        text = (camps_data or {}).get(c, "2020-01-01,0\n2020-12-31,0\n")
        (src / f"{c.lower()}.csv").write_text(text)
    (root / "simsetting.yml").write_text(
        BASE_SETTINGS % {"per_day": per_day, "extra_move": extra_move} + extra_settings)
    return root


def ranks_shares(conf: Path, seeds: int = 3) -> tuple[np.ndarray, int, list[str]]:
    """Ranks' final agents per camp summed over seeds, the agent total, the camp names."""
    scen = read_scenario(conf)
    tot = np.zeros(len(scen.camp_names))
    n = 0
    for seed in range(seeds):
        res = run_scenario(scen, seed=seed)
        tot += res.camp_sim[-1]
        n += res.agents_final
    return tot, n, scen.camp_names


def flee_run(conf: Path, seed: int = 0, patch_import: bool = False) -> dict:
    """Flee 3.1's run of a conflict (benchmarks/flee_fabflee.py's worker, own process);
    ``patch_import`` adds the import Flee 3.1's moving.py lacks for Match*Ethnicity."""
    out = conf / f"flee_{seed}.json"
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src") + os.pathsep
               + os.environ.get("PYTHONPATH", ""),
               RANKS_FLEE_PATCH_MOVING_IMPORT="1" if patch_import else "0")
    r = subprocess.run([sys.executable, str(WORKER), "--worker", "flee", "--config", str(conf),
                        "--settings-file", str(conf / "simsetting.yml"), "--seed", str(seed),
                        "--json-out", str(out)], capture_output=True, text=True, env=env,
                       timeout=600)
    assert r.returncode == 0, r.stderr[-2000:]
    return json.loads(out.read_text())


def assert_same_shares(conf: Path, min_diff_sd: float = 5.0, patch_import: bool = False
                       ) -> tuple[np.ndarray, np.ndarray]:
    """Final camp shares of Ranks (3 seeds) and Flee (1 seed) agree within 5 binomial SDs."""
    r_counts, r_n, camps = ranks_shares(conf)
    f = flee_run(conf, patch_import=patch_import)
    assert f["camps"] == camps
    f_counts = np.asarray(f["sim"][-1], dtype=float)
    f_n = f["agents_final"]
    p_r, p_f = r_counts / r_n, f_counts / f_n
    for j, c in enumerate(camps):
        sd = math.sqrt(max(p_f[j] * (1 - p_f[j]), 1e-4) * (1 / r_n + 1 / f_n))
        assert abs(p_r[j] - p_f[j]) < min_diff_sd * sd + 1e-9, (
            f"{c}: Ranks {p_r[j]:.4f} vs Flee {p_f[j]:.4f} (sd {sd:.4f})")
    return p_r, p_f


# ----------------------------------------------------------------------------- cases

# Conflict zone O; camps C1 (abroad, 200 km) and C2 (home, 200 km); town T in between.
TWO_CAMPS = [
    ["O", "R", "Home", "10.0", "20.0", "conflict_zone", "0", "1000000"],
    ["C1", "R", "Abroad", "10.0", "22.0", "camp", "", "1000000"],
    ["C2", "R", "Home", "14.0", "20.0", "camp", "", "1000000"],
]
TWO_ROUTES = [["O", "C1", "200", "0"], ["O", "C2", "200", "0"]]


def _children_conflict(root: Path, boys: bool, on: bool = True, per_day: int = 2500) -> Path:
    age = "age,Default\n10,1\n16,1\n30,2\n"
    gender = "gender,Default\nmale,1\nfemale,1\n"
    rules = ""
    if on:
        rules = "  ChildrenAvoidHazards: True\n" + ("  BoysTakeRisk: True\n" if boys else "")
    return write_conflict(
        root, locations=TWO_CAMPS, routes=TWO_ROUTES, per_day=per_day,
        extra_move="  foreign_weight: 3.0\n" + rules,
        files={"demographics_age.csv": age, "demographics_gender.csv": gender})


def test_children_avoid_hazards_moves_children_to_safer_camps(tmp_path: Path) -> None:
    # Scores: C1 3 (foreign), C2 1.  Adults choose C1 with 3/4, children (age 10 and 16,
    # half of all) with 9/10: 0.5 * 0.75 + 0.5 * 0.9 = 0.825.
    off, _, _ = ranks_shares(_children_conflict(tmp_path / "off", False, on=False))
    on, n, camps = ranks_shares(_children_conflict(tmp_path / "on", False))
    assert camps == ["C1", "C2"]
    assert abs(off[0] / off.sum() - 0.75) < 0.02
    assert abs(on[0] / n - 0.825) < 0.02


def test_boys_take_risk_ignore_safety(tmp_path: Path) -> None:
    # Flee's rule: every male older than 14 (men included) weighs both camps alike (1/2):
    # males 16 and 30 (3/8 of agents) at 1/2, girls of 16 and children of 10 (3/8) at 9/10,
    # women of 30 (1/4) at 3/4: 0.375 * 0.5 + 0.375 * 0.9 + 0.25 * 0.75 = 0.7125.
    on, n, _ = ranks_shares(_children_conflict(tmp_path, True))
    assert abs(on[0] / n - 0.7125) < 0.02


@needs_flee
@pytest.mark.parametrize("boys", [False, True])
def test_children_and_boys_match_flee(tmp_path: Path, boys: bool) -> None:
    # 2,400 agents: Flee draws each agent's attributes with a pandas sample (~2 ms each)
    p_r, p_f = assert_same_shares(_children_conflict(tmp_path, boys, per_day=600))
    assert abs(p_f[0] - (0.7125 if boys else 0.825)) < 0.05


def _stay_conflict(root: Path, on: bool, power: float = 1.0) -> Path:
    # C1 is 2 degrees away, C2 4 (as the crow flies), both 200 km by road.
    rules = f"  stay_close_to_home: True\n  home_distance_power: {power}\n" if on else ""
    return write_conflict(root, locations=TWO_CAMPS, routes=TWO_ROUTES, extra_move=rules)


def test_stay_close_to_home_prefers_nearer_destinations(tmp_path: Path) -> None:
    off, _, _ = ranks_shares(_stay_conflict(tmp_path / "off", False))
    on, n, _ = ranks_shares(_stay_conflict(tmp_path / "on", True))
    assert abs(off[0] / off.sum() - 0.5) < 0.02
    # Flee's distance takes the 5th column as latitude: C1 is 2 degrees of latitude away
    # (~222 km), C2 4 degrees of longitude at latitude 10-14 (~438 km): P(C1) ~ 0.66.
    assert on[0] / n > 0.62


@needs_flee
def test_stay_close_to_home_matches_flee(tmp_path: Path) -> None:
    assert_same_shares(_stay_conflict(tmp_path, True))


def _ethnicity_conflict(root: Path, on: bool) -> Path:
    # One day: agents choose camp C1 or town T (1500 km each, 2000 km/day); those reaching T
    # may set out again but cannot arrive anywhere else that day.
    locs = TWO_CAMPS[:2] + [["T", "R", "Home", "14.0", "20.0", "town", "", "5000"]]
    rules = "  MatchCampEthnicity: True\n" if on else ""
    return write_conflict(root, locations=locs, routes=[["O", "C1", "1500", "0"],
                                                         ["O", "T", "1500", "0"]],
                          days=1, per_day=20000, extra_move=rules)


def test_match_camp_ethnicity_flee31_multiplies_camps_by_ten(tmp_path: Path) -> None:
    off = run_scenario(read_scenario(_ethnicity_conflict(tmp_path / "off", False)), seed=0)
    on = run_scenario(read_scenario(_ethnicity_conflict(tmp_path / "on", True)), seed=0)
    # Flee 3.1's ethnicity ratio is a stub (1): every camp weighs 10 x for every agent
    assert abs(off.camp_sim[-1][0] / off.agents_final - 0.5) < 0.02
    assert abs(on.camp_sim[-1][0] / on.agents_final - 10 / 11) < 0.01


@needs_flee
def test_match_camp_ethnicity_matches_flee(tmp_path: Path) -> None:
    # Flee 3.1 stops on this rule (NameError: moving.py lacks `import spawning`); with the
    # import added it computes the rule as written, which Ranks follows.
    conf = _ethnicity_conflict(tmp_path, True)
    assert any("Match*Ethnicity" in w for w in read_scenario(conf).warnings)
    assert_same_shares(conf, patch_import=True)


def test_use_v1_rules_overrides_settings(tmp_path: Path) -> None:
    conf = write_conflict(tmp_path, locations=TWO_CAMPS, routes=TWO_ROUTES,
                          extra_move="  use_v1_rules: True\n  start_on_foot: True\n")
    s = load_settings(conf / "simsetting.yml")
    assert (s.max_move_speed, s.start_on_foot, s.avoid_short_stints, s.camp_weight,
            s.conflict_weight) == (200.0, False, False, 2.0, 0.25)


def _agents_csv_conflict(root: Path) -> Path:
    rows = "".join(f"O,{30 if i % 4 else 10},female\n" for i in range(4000))
    return write_conflict(
        root, locations=TWO_CAMPS, routes=TWO_ROUTES, per_day=0, days=3,
        extra_move="  foreign_weight: 3.0\n  ChildrenAvoidHazards: True\n",
        extra_settings="",
        files={"agents.csv": "location,age,gender\n" + rows + "Nowhere,30,male\n",
               "demographics_age.csv": "age,Default\n30,1\n"})


def test_agents_csv_initial_agents(tmp_path: Path) -> None:
    conf = _agents_csv_conflict(tmp_path)
    text = (conf / "simsetting.yml").read_text().replace(
        "  insert_day0: True\n", "  insert_day0: True\n  read_from_agents_csv_file: True\n")
    (conf / "simsetting.yml").write_text(text)
    scen = read_scenario(conf)
    assert scen.initial_agents is not None and len(scen.initial_agents.loc) == 4000
    assert any("Nowhere" in w for w in scen.warnings)
    res = run_scenario(scen, seed=1)
    assert res.agents_final == 4000
    # a quarter are children (age 10): 0.75 * 0.75 + 0.25 * 0.9 = 0.7875 choose C1
    # (Flee 3.1 cannot run this: it keeps agents.csv's ages as text, and its age test fails)
    assert abs(res.camp_sim[-1][0] / 4000 - 0.7875) < 0.03


@needs_flee
def test_agents_csv_matches_flee(tmp_path: Path) -> None:
    rows = "O,30\n" * 6000 + "C2,30\n" * 2000
    conf = write_conflict(tmp_path, locations=TWO_CAMPS, routes=TWO_ROUTES, per_day=0,
                          days=3, extra_move="  foreign_weight: 3.0\n",
                          files={"agents.csv": "location,age\n" + rows})
    text = (conf / "simsetting.yml").read_text().replace(
        "  insert_day0: True\n", "  insert_day0: True\n  read_from_agents_csv_file: True\n")
    (conf / "simsetting.yml").write_text(text)
    p_r, p_f = assert_same_shares(conf)
    assert abs(p_r[1] - (2000 + 6000 * 0.25) / 8000) < 0.02


def test_agents_csv_needs_the_rule_columns(tmp_path: Path) -> None:
    conf = _agents_csv_conflict(tmp_path)
    (conf / "input_csv" / "agents.csv").write_text("location,gender\nO,male\n")
    text = (conf / "simsetting.yml").read_text().replace(
        "  insert_day0: True\n", "  insert_day0: True\n  read_from_agents_csv_file: True\n")
    (conf / "simsetting.yml").write_text(text)
    with pytest.raises(RanksInputError) as err:
        FleeEngine(read_scenario(conf), 0)
    assert err.value.field == "age" and err.value.file.endswith("agents.csv")


def test_children_rule_needs_ages(tmp_path: Path) -> None:
    conf = _children_conflict(tmp_path, False)
    (conf / "input_csv" / "demographics_age.csv").unlink()
    with pytest.raises(RanksInputError) as err:
        read_scenario(conf)
    assert "demographics_age.csv" in err.value.file


def test_flood_rules_refused_with_reason(tmp_path: Path) -> None:
    conf = write_conflict(tmp_path, locations=TWO_CAMPS, routes=TWO_ROUTES,
                          extra_settings="flood_rules:\n  max_flood_level: 4\n")
    with pytest.raises(RanksInputError) as err:
        read_scenario(conf)
    assert err.value.field == "flood_rules" and "Flee 3.1 cannot run" in err.value.message


# ----------------------------------------------------------------------------- corrections


def _corrections_conflict(root: Path) -> Path:
    # C1's series: 0 on Jan 1 (before the start), 50 on Jan 5, 100 on Jan 10 (the correction
    # date, whose previous point is 50), ...; C2's: 0 then 40 on Jan 1 (previous point 0).
    locs = TWO_CAMPS
    return write_conflict(
        root, locations=locs, routes=TWO_ROUTES, days=20, per_day=10,
        camps_data={"C1": "2019-12-20,10\n2020-01-05,50\n2020-01-10,100\n2020-01-20,300\n",
                    "C2": "2019-12-25,0\n2019-12-28,40\n2020-01-15,80\n"},
        corrections="C1,2020-01-10,normalize\nC2,2019-12-28,normalize\n")


def test_registration_correction_after_a_zero_count(tmp_path: Path) -> None:
    # C2's correction divides by its 0 count of 2019-12-25: Flee 3.1 turns that entry into NaN
    # but runs, since no simulated day uses it (Ranks used to refuse this file).
    scen = read_scenario(_corrections_conflict(tmp_path))
    c1, c2 = scen.validation.observed("C1"), scen.validation.observed("C2")
    # C1's entries before Jan 10 are scaled by 100 / 50: day 0 lies between day -12 (20)
    # and day 4 (100): 20 + 12 / 16 * 80 = 80
    assert (c1[0], c1[9], c1[19]) == (80, 100, 300)
    assert c2[0] == int(40 + 4 / 18 * 40)  # 48, from the uncorrected entries


@needs_flee
def test_registration_corrections_match_flee(tmp_path: Path) -> None:
    conf = _corrections_conflict(tmp_path)
    scen = read_scenario(conf)
    f = flee_run(conf)
    obs = np.asarray(f["obs"])
    for j, c in enumerate(f["camps"]):
        assert obs[:, j].tolist() == scen.validation.observed(c).tolist(), c


def test_registration_correction_making_a_used_day_undefined(tmp_path: Path) -> None:
    conf = _corrections_conflict(tmp_path)
    # now the zero count lies inside the simulated period: day 1 is undefined
    (conf / "source_data" / "c2.csv").write_text("2020-01-01,0\n2020-01-03,40\n")
    (conf / "input_csv" / "registration_corrections.csv").write_text(
        "C2,2020-01-03,normalize\n")
    with pytest.raises(RanksInputError) as err:
        read_scenario(conf)
    assert err.value.line == 1 and "undefined" in err.value.message


def test_flee32_corrections_stop_below_one(tmp_path: Path) -> None:
    conf = _corrections_conflict(tmp_path)
    # a count of 0.5 before an in-period correction: Flee 3.1 divides by it, 3.2 stops
    (conf / "source_data" / "c2.csv").write_text("2020-01-01,0.5\n2020-01-03,40\n")
    (conf / "input_csv" / "registration_corrections.csv").write_text(
        "C2,2020-01-03,normalize\n")
    assert read_scenario(conf).validation.observed("C2")[0] == 40
    with open(conf / "simsetting.yml", "a") as fh:
        fh.write("ranks_compat:\n  flee_version: '3.2'\n")
    with pytest.raises(RanksInputError) as err:
        read_scenario(conf)
    assert "Flee 3.2 stops" in err.value.message


def test_capacity_scaling_is_flee31_free(tmp_path: Path) -> None:
    conf = write_conflict(tmp_path, locations=TWO_CAMPS, routes=TWO_ROUTES,
                          extra_move="  capacity_scaling: 1.25\n")
    scen = read_scenario(conf)
    assert scen.settings.capacity_scaling == 1.0
    assert any("capacity_scaling" in w for w in scen.warnings)
    with open(conf / "simsetting.yml", "a") as fh:
        fh.write("ranks_compat:\n  flee_version: '3.2'\n")
    assert read_scenario(conf).settings.capacity_scaling == 1.25


@pytest.mark.parametrize("awareness", [1, 2])
def test_route_classes_keep_agents_and_fast_paths(tmp_path: Path, awareness: int) -> None:
    # Children, boys and the home-distance rule on a network with a town hop and a small
    # camp: agents are conserved every day and the streamlined code paths give the same run.
    locs = TWO_CAMPS[:2] + [["T", "R", "Home", "12.0", "20.0", "town", "", "5000"],
                            ["C3", "R", "Home", "14.0", "21.0", "camp", "", "300"]]
    conf = write_conflict(
        tmp_path, locations=locs, days=12, per_day=400,
        routes=[["O", "C1", "900", "0"], ["O", "T", "150", "0"], ["T", "C3", "100", "0"]],
        extra_move=(f"  awareness_level: {awareness}\n  max_move_speed: 300.0\n"
                    "  ChildrenAvoidHazards: True\n  BoysTakeRisk: True\n"
                    "  stay_close_to_home: True\n  foreign_weight: 2.0\n"),
        files={"demographics_age.csv": "age,Default,O\n10,1,1\n16,1,0\n30,2,1\n",
               "demographics_gender.csv": "gender,Default\nmale,1\nfemale,1\n"})
    scen = read_scenario(conf)
    runs = []
    for fast in (True, False):
        eng = FleeEngine(scen, 4)
        eng.fast_paths = fast
        assert eng.n_cls == 3
        for t in range(scen.days):
            eng.step(t)
            ag = eng.ag
            idle = ag.link[: ag.n] < 0
            assert int(eng.count.sum()) + int((~idle).sum()) == ag.n
            assert np.array_equal(np.bincount(ag.loc[: ag.n][idle], minlength=eng.net.n),
                                  eng.count)
        runs.append((eng.count.copy(), eng.ag.cls[: eng.ag.n].copy()))
    assert np.array_equal(runs[0][0], runs[1][0]) and np.array_equal(runs[0][1], runs[1][1])
    # O's own age column: no 16-year-olds there, so no boys spawn at O (class 2 only if male
    # and > 14: the 30-year-old men)
    cls = runs[0][1]
    assert set(np.unique(cls)) <= {0, 1, 2} and (cls == 1).mean() == pytest.approx(0.5, abs=0.05)


@needs_flee
def test_use_v1_rules_matches_flee(tmp_path: Path) -> None:
    # camp C1 against town T, 150 km each: v1's camp weight 2 and 200 km/day apply
    locs = TWO_CAMPS[:2] + [["T", "R", "Home", "14.0", "20.0", "town", "", "5000"]]
    conf = write_conflict(tmp_path, locations=locs, days=2, per_day=5000,
                          routes=[["O", "C1", "150", "0"], ["O", "T", "150", "0"]],
                          extra_move="  use_v1_rules: True\n  camp_weight: 7.0\n")
    p_r, _ = assert_same_shares(conf)
    assert p_r[0] > 0.6  # camp weight 2 (not the file's 7, not 1)


@needs_flee
def test_capacity_scaling_ignored_like_flee31(tmp_path: Path) -> None:
    # C1 holds 500; with capacity_scaling 4 applied it would hold 2000
    locs = [TWO_CAMPS[0], ["C1", "R", "Abroad", "10.0", "22.0", "camp", "", "500"],
            TWO_CAMPS[2]]
    conf = write_conflict(tmp_path, locations=locs, routes=TWO_ROUTES, days=4, per_day=1500,
                          extra_move="  capacity_scaling: 4.0\n  foreign_weight: 3.0\n")
    p_r, _ = assert_same_shares(conf)
    # day 0's choosers all see an empty C1 (3/4 of 1,500 go); then it is full
    assert p_r[0] * 6000 < 1300


def _eth32_conflict(root: Path, camp_rule: bool = False) -> Path:
    # towns T1, T2: 900 and 100 of their 1,000 people are of ethnicity A; agents all A
    locs = [["O", "R", "Home", "10.0", "20.0", "conflict_zone", "0", "1000000", "500", "0"],
            ["T1", "R", "Home", "10.0", "22.0", "town", "", "1000", "900", "100"],
            ["T2", "R", "Home", "14.0", "20.0", "town", "", "1000", "100", "900"],
            ["C1", "R", "Abroad", "9.0", "20.0", "camp", "", "1000", "0", "0"]]
    rule = "  MatchCampEthnicity: True\n" if camp_rule else "  MatchTownEthnicity: True\n"
    conf = write_conflict(
        root, locations=locs, days=1, per_day=20000, location_header_extra=",A,B",
        routes=[["O", "T1", "1500", "0"], ["O", "T2", "1500", "0"], ["O", "C1", "3000", "0"]],
        extra_move=rule, files={"demographics_ethnicity.csv": "ethnicity,Default\nA,1\nB,0\n"},
        extra_settings="ranks_compat:\n  flee_version: '3.2'\n")
    return conf


def test_flee32_ethnicity_uses_the_destination_share(tmp_path: Path) -> None:
    scen = read_scenario(_eth32_conflict(tmp_path))
    assert scen.route_classes.ethnicities == ["A", "B"]
    eng = FleeEngine(scen, 0)
    eng.step(0)
    net = eng.net
    # every agent leaves O the first day: to T1, T2 (1500 km, reached) or C1 (3000 km, on
    # the way); weights 10 x 0.9 / 1510 and 10 x 0.1 / 1510 for the towns (the same share
    # of those reaching a town leave it again, so the towns' ratio stays 9:1)
    reached = np.array([eng.count[net.index["T1"]], eng.count[net.index["T2"]]])
    assert reached.sum() > 10000
    assert abs(reached[0] / reached.sum() - 0.9) < 0.02


def test_flee32_camp_ethnicity_divides_by_zero_population(tmp_path: Path) -> None:
    with pytest.raises(RanksInputError) as err:
        read_scenario(_eth32_conflict(tmp_path, camp_rule=True))
    assert err.value.field == "population" and "C1" in err.value.message
