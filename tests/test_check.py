"""``ranks check``: targets file validation, metrics, scaling, exit codes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from ranks.cli import app
from ranks.report.rundir import load_run_dir
from ranks.report.synthetic import write_synthetic_run
from ranks.report.targets import load_targets, simulate
from tests.conftest import ROOT, SOURCES

SCALE = 0.1


@pytest.fixture(scope="module")
def run(tmp_path_factory) -> Path:
    return write_synthetic_run(tmp_path_factory.mktemp("chk") / "run", replicates=2, days=90,
                               scale=SCALE)


def raw(run: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    ev = pd.read_parquet(run / "events.parquet")
    st = pd.read_parquet(run / "stocks.parquet")
    ev["date"] = pd.to_datetime(ev["date"])
    st["date"] = pd.to_datetime(st["date"])
    return ev, st


def target(tid: str, value: float, tol: str = "{absolute: 0.5}", fitted: bool = True,
           **kw: object) -> str:
    lines = [f"  - id: {tid}", f"    description: test target {tid}", f"    value: {value}",
             f"    tolerance: {tol}", "    assumption: test",
             f"    used_in_fitting: {'true' if fitted else 'false'}"]
    for k, v in kw.items():
        lines.append(f"    {k}: {v}")
    return "\n".join(lines) + "\n"


def write_targets(path: Path, *items: str) -> Path:
    path.write_text(f"evidence: {SOURCES}\ntargets:\n" + "".join(items), encoding="utf-8")
    return path


def expected_fled(run: Path) -> float:
    ev, _ = raw(run)
    f = ev[(ev.event == "fled") & (ev.date >= "2014-06-10") & (ev.date <= "2014-07-31")]
    return float(f.groupby("replicate")["count"].sum().mean()) / SCALE


def test_passing_targets_exit_0_and_failing_exit_1(runner, run: Path, tmp_path: Path) -> None:
    fled = expected_fled(run)
    ok = write_targets(tmp_path / "ok.yaml", target(
        "fled", fled, event="fled", metric="event_sum", window="[2014-06-10, 2014-07-31]"))
    r = runner.invoke(app, ["check", str(run), "--targets", str(ok)])
    assert r.exit_code == 0, r.output
    assert "1 of 1 targets pass" in r.output and "Fitted targets (1)" in r.output
    bad = write_targets(tmp_path / "bad.yaml", target(
        "fled", fled, event="fled", metric="event_sum", window="[2014-06-10, 2014-07-31]"),
        target("fled-double", 2 * fled, "{relative: 0.1}", fitted=False, event="fled",
               metric="event_sum", window="[2014-06-10, 2014-07-31]"))
    r = runner.invoke(app, ["check", str(run), "--targets", str(bad)])
    assert r.exit_code == 1, r.output
    assert "1 of 2 targets pass" in r.output and "Held-out targets (1)" in r.output
    assert "fail" in r.output


def test_counts_are_divided_by_scale(run: Path, tmp_path: Path) -> None:
    fled = expected_fled(run)
    lt = load_targets(write_targets(tmp_path / "t.yaml", target(
        "unscaled", fled * SCALE, "{relative: 0.01}", event="fled", metric="event_sum",
        window="[2014-06-10, 2014-07-31]")))
    res = simulate(lt.targets[0], load_run_dir(run))
    assert res.status == "fail" and res.mean == pytest.approx(fled)


def test_stock_metrics_match_the_tables(run: Path, tmp_path: Path) -> None:
    _, st = raw(run)
    s = st[(st.stock == "strength") & (st.actor == "GROUP_A")]
    per = s.groupby(["replicate", "date"])["value"].sum().unstack("replicate") / SCALE
    w = per.loc["2014-07-01":"2014-08-15"]
    mx, mean, last = w.max().mean(), w.mean().mean(), w.iloc[-1].mean()
    share = st[(st.stock == "minors_share") & (st.actor == "GROUP_A")]
    share = share[(share.date >= "2014-07-01") & (share.date <= "2014-08-15")]
    share_mean = share.groupby("replicate")["value"].mean().mean()
    items = [target(f"s-{m}", v, "{relative: 0.001}", metric=m, stock="strength",
                    actor="GROUP_A", window="[2014-07-01, 2014-08-15]")
             for m, v in (("stock_max", mx), ("stock_mean", mean), ("stock_at", last))]
    items.append(target("share", share_mean, "{absolute: 1e-9}", metric="stock_mean",
                        stock="minors_share", actor="GROUP_A", window="[2014-07-01, 2014-08-15]"))
    lt = load_targets(write_targets(tmp_path / "t.yaml", *items))
    rd = load_run_dir(run)
    for t in lt.targets:
        res = simulate(t, rd)
        assert res.status == "pass", (t.id, res.mean, t.value)
    assert mx > mean > 0  # growing strength: the metrics differ, so the test can fail


def test_people_under_control(run: Path, tmp_path: Path) -> None:
    _, st = raw(run)
    day = pd.Timestamp("2014-06-29")
    ppl = st[(st.stock == "people") & (st.date == day) & (st.category != "dead")]
    held = st[(st.stock == "control") & (st.date == day) & (st.actor == "GROUP_A")]
    exp = ppl[ppl.place.isin(held.place)].groupby("replicate")["value"].sum().mean() / SCALE
    lt = load_targets(write_targets(tmp_path / "t.yaml", target(
        "puc", exp, "{relative: 1e-6}", metric="stock_at", stock="people_under_control",
        actor="GROUP_A", window="[2014-06-29, 2014-06-29]")))
    res = simulate(lt.targets[0], load_run_dir(run))
    assert res.status == "pass" and exp > 0


def test_compare_at_least(run: Path, tmp_path: Path) -> None:
    fled = expected_fled(run)
    items = [target("lo", fled * 0.5, "{absolute: 0}", metric="event_sum", event="fled",
                    compare="at_least", window="[2014-06-10, 2014-07-31]"),
             target("hi", fled * 2, "{absolute: 0}", metric="event_sum", event="fled",
                    compare="at_least", window="[2014-06-10, 2014-07-31]"),
             target("absent", 5, "{absolute: 0}", metric="stock_mean", stock="nope",
                    window="[2014-06-10, 2014-07-31]"),
             target("outside", 5, "{absolute: 0}", metric="event_sum", event="fled",
                    window="[2019-01-01, 2019-02-01]")]
    lt = load_targets(write_targets(tmp_path / "t.yaml", *items))
    rd = load_run_dir(run)
    st = {t.id: simulate(t, rd).status for t in lt.targets}
    assert st == {"lo": "pass", "hi": "fail", "absent": "no data", "outside": "no data"}


@pytest.mark.parametrize("item, field, msg", [
    (target("a", 1, metric="event_sum", event="fled", window="[2014-06-01, 2014-07-01]",
            colour="red"), "colour", "unknown field 'colour'"),
    (target("a", 1, metric="stock_sum", stock="x", window="[2014-06-01, 2014-07-01]"),
     "metric", "Input should be"),
    (target("a", 1, metric="event_sum", window="[2014-06-01, 2014-07-01]"), "targets[0]",
     "needs 'event'"),
    (target("a", 1, metric="event_sum", event="fled", window="[2014-07-01, 2014-06-01]"),
     "window", "dates out of order"),
    (target("a", 1, "{absolute: 1, relative: 0.1}", metric="event_sum", event="fled",
            window="[2014-06-01, 2014-07-01]"), "tolerance", "exactly one"),
])
def test_bad_targets_file_exits_2_with_line(runner, run: Path, tmp_path: Path, item: str,
                                            field: str, msg: str) -> None:
    p = write_targets(tmp_path / "t.yaml", item)
    r = runner.invoke(app, ["check", str(run), "--targets", str(p)])
    assert r.exit_code == 2, r.output
    out = " ".join(r.output.split())
    assert f"{p}:" in out and field in out and msg in out, out
    assert "Traceback" not in r.output


def test_unknown_source_actor_and_place_exit_2(runner, run: Path, tmp_path: Path) -> None:
    p = tmp_path / "t.yaml"
    p.write_text(f"evidence: {SOURCES}\ntargets:\n" + target(
        "a", 1, metric="event_sum", event="fled", window="[2014-06-01, 2014-07-01]").replace(
        "assumption: test", "source: seed-999"), encoding="utf-8")
    r = runner.invoke(app, ["check", str(run), "--targets", str(p)])
    assert r.exit_code == 2 and "unknown source id 'seed-999'" in r.output
    write_targets(p, target("a", 1, metric="event_sum", event="fled", actor="GROUP_Z",
                            window="[2014-06-01, 2014-07-01]"))
    r = runner.invoke(app, ["check", str(run), "--targets", str(p)])
    out = " ".join(r.output.split())
    assert r.exit_code == 2 and "unknown actor 'GROUP_Z'" in out and f"{p}:11: targets[0].actor" in out
    write_targets(p, target("a", 1, metric="event_sum", event="fled", place="Rivertwon",
                            window="[2014-06-01, 2014-07-01]"))
    r = runner.invoke(app, ["check", str(run), "--targets", str(p)])
    assert r.exit_code == 2 and "did you mean 'Rivertown'" in r.output


def test_default_targets_file_and_missing_one(runner, run: Path, tmp_path: Path) -> None:
    r = runner.invoke(app, ["check", str(run)])  # demo has no targets.yaml
    assert r.exit_code == 2 and "no targets file found" in r.output
    # a run whose manifest names a scenario with a targets.yaml beside it
    run2 = tmp_path / "run2"
    shutil.copytree(run, run2)
    (tmp_path / "sc").mkdir()
    write_targets(tmp_path / "sc" / "targets.yaml", target(
        "fled", expected_fled(run), metric="event_sum", event="fled",
        window="[2014-06-10, 2014-07-31]"))
    m = json.loads((run2 / "manifest.json").read_text())
    m["scenario"]["path"] = str(tmp_path / "sc" / "x.yaml")
    (run2 / "manifest.json").write_text(json.dumps(m))
    r = runner.invoke(app, ["check", str(run2)])
    assert r.exit_code == 0, r.output
    assert "targets.yaml" in r.output


def test_flagship_targets_files_are_valid() -> None:
    lt = load_targets(ROOT / "scenarios" / "deir-ezzor-2014-2017" / "targets.yaml")
    ids = {t.id for t in lt.targets}
    assert {"isis-fighters-late-2014", "people-under-isis-aug-2017",
            "displaced-jul-aug-2017", "besieged-enclave-mar-2015"} <= ids
    assert all(t.source == "domain-figures" for t in lt.targets)
    assert any(t.used_in_fitting for t in lt.targets)
    assert any(not t.used_in_fitting for t in lt.targets)
    lt2 = load_targets(ROOT / "scenarios" / "deir-ezzor-2017-2020" / "targets.yaml")
    assert lt2.targets and not any(t.used_in_fitting for t in lt2.targets)


def test_check_on_a_real_run(runner, tmp_path: Path) -> None:
    """The tiny scenario at scale 0.5: people sum to the population (counts / scale) and
    follow control of B from X to Y."""
    from tests.conftest import TINY

    (tmp_path / "tiny.yaml").write_text(TINY, encoding="utf-8")
    out = tmp_path / "run"
    r = runner.invoke(app, ["run", str(tmp_path / "tiny.yaml"), "--out", str(out), "--scale",
                            "0.5", "-q"])
    assert r.exit_code == 0, r.output
    m = json.loads((out / "manifest.json").read_text())
    full = m["people"] / 0.5
    p = write_targets(tmp_path / "t.yaml", target(
        "pop", full, "{relative: 0.001}", metric="stock_at", stock="people",
        category="[civilian, hiding, detained, training, serving, deserted, transit, camp, abroad, dead]",
        window="[2014-01-01, 2014-01-01]"),
        target("xheld-jan", full, "{relative: 0.01}", fitted=False, metric="stock_at",
               stock="people_under_control", actor="X", window="[2014-01-01, 2014-01-01]"),
        # B (a third of the people) passes from X to Y on 1 Feb
        target("xheld-feb", full * 2 / 3, "{relative: 0.05}", fitted=False, metric="stock_at",
               stock="people_under_control", actor="X", window="[2014-02-15, 2014-02-15]"),
        target("yheld-feb", full / 3, "{relative: 0.05}", fitted=False, metric="stock_at",
               stock="people_under_control", actor="Y", window="[2014-02-15, 2014-02-15]"))
    r = runner.invoke(app, ["check", str(out), "--targets", str(p)])
    assert r.exit_code == 0, r.output


def series(sid: str, measure: str, points: list[str], **kw: object) -> str:
    lines = [f"  - id: {sid}", f"    description: test series {sid}", "    metric: series",
             f"    measure: {measure}", "    assumption: test"]
    lines += [f"    {k}: {v}" for k, v in kw.items()]
    lines.append("    points:")
    lines += [f"      - {p}" for p in points]
    return "\n".join(lines) + "\n"


def test_series_points_pass_and_fail_on_their_bands(runner, run: Path,
                                                    tmp_path: Path) -> None:
    """Each point of a dated series is computed like a scalar target (events summed over its
    window; a stock at the nearest snapshot) and passes when inside its own band."""
    ev, st = raw(run)
    f = ev[(ev.event == "fled") & (ev.date >= "2014-06-10") & (ev.date <= "2014-06-30")]
    fled_june = float(f.groupby("replicate")["count"].sum().mean()) / SCALE
    camp = st[(st.stock == "camp_population") & (st.date == "2014-07-06")]
    camp_val = float(camp.groupby("replicate")["value"].sum().mean()) / SCALE
    assert fled_june > 0 and camp_val > 0
    pts_ev = [f"{{window: [2014-06-10, 2014-06-30], value: {fled_june}, low: {fled_june * 0.9}, "
              f"high: {fled_june * 1.1}, source: seed-000, used_in_fitting: true}}",
              f"{{window: [2014-07-01, 2014-07-31], value: {fled_june * 10}, "
              f"low: {fled_june * 9}, high: {fled_june * 11}, assumption: too high, "
              "used_in_fitting: false}"]
    # a date 2 days off the snapshot of 6 July takes the nearest snapshot
    pts_st = [f"{{date: 2014-07-08, value: {camp_val}, low: {camp_val * 0.99}, "
              f"high: {camp_val * 1.01}, assumption: test, used_in_fitting: false}}",
              "{date: 2019-01-01, value: 5, low: 0, high: 10, assumption: after the run, "
              "used_in_fitting: false}"]
    p = write_targets(tmp_path / "s.yaml", series("fled-s", "event_sum", pts_ev, event="fled"),
                      series("camp-s", "stock_at", pts_st, stock="camp_population"))
    lt = load_targets(p)
    rd = load_run_dir(run)
    r_ev, r_st = (simulate(t, rd) for t in lt.targets)
    assert [pr.status for pr in r_ev.points] == ["pass", "fail"] and r_ev.status == "fail"
    assert [pr.status for pr in r_st.points] == ["pass", "no data"] and r_st.status == "pass"
    assert r_ev.points[0].mean == pytest.approx(fled_june)
    assert lt.targets[0].used_in_fitting and not lt.targets[1].used_in_fitting
    assert lt.targets[0].points[0].error_sd() == pytest.approx(0.2 * fled_june / 3.92)
    r = runner.invoke(app, ["check", str(run), "--targets", str(p)])
    out = " ".join(r.output.split())
    assert r.exit_code == 1, r.output
    assert "2 of 4 targets pass" in out and "fled-s@2014" in out
    assert "all 2/3, fitted 1/1, held-out 1/2" in out  # the point without data is not rated


@pytest.mark.parametrize("point, msg", [
    ("{date: 2014-07-01, value: 5, low: 6, high: 10, assumption: x, used_in_fitting: false}",
     "outside its band"),
    ("{date: 2014-07-01, window: [2014-07-01, 2014-07-02], value: 5, low: 0, high: 10, "
     "assumption: x, used_in_fitting: false}", "exactly one of 'date' or 'window'"),
    ("{date: 2014-07-01, value: 5, low: 0, high: 10, used_in_fitting: false}", "no evidence"),
])
def test_bad_series_point_exits_2(runner, run: Path, tmp_path: Path, point: str,
                                  msg: str) -> None:
    p = write_targets(tmp_path / "s.yaml", series("s", "stock_at", [point],
                                                  stock="camp_population"))
    r = runner.invoke(app, ["check", str(run), "--targets", str(p)])
    out = " ".join(r.output.split())
    assert r.exit_code == 2 and msg in out and f"{p}:" in out, r.output
    assert "Traceback" not in r.output


def test_event_series_points_need_windows(runner, run: Path, tmp_path: Path) -> None:
    p = write_targets(tmp_path / "s.yaml", series("s", "event_sum", [
        "{date: 2014-07-01, value: 5, low: 0, high: 10, assumption: x, used_in_fitting: false}"],
        event="fled"))
    r = runner.invoke(app, ["check", str(run), "--targets", str(p)])
    assert r.exit_code == 2 and "needs a 'window'" in " ".join(r.output.split())
