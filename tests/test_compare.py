"""``ranks compare``: paired differences of runs made with the same seeds."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest

from ranks.cli import app
from ranks.report.browser import chromium, dump_dom, figure_states
from ranks.report.compare import paired
from ranks.report.rundir import load_run_dir
from ranks.report.synthetic import write_synthetic_run


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[str, Path]:
    d = tmp_path_factory.mktemp("cmp")
    kw = dict(replicates=4, days=60, scale=0.1)
    return {
        "a": write_synthetic_run(d / "a", **kw),
        "b": write_synthetic_run(d / "b", flight_factor=2.0, name="demo-more-flight", **kw),
        "other_seeds": write_synthetic_run(d / "c", seeds=[11, 12, 13, 14], replicates=4,
                                           days=60, scale=0.1),
        "one": write_synthetic_run(d / "one", replicates=1, days=60, scale=0.1),
        "one_b": write_synthetic_run(d / "one_b", replicates=1, days=60, scale=0.1,
                                     flight_factor=2.0, name="demo-b"),
    }


def test_paired_difference_finds_more_flight(runs) -> None:
    diffs, reps, warnings = paired(load_run_dir(runs["a"]), load_run_dir(runs["b"]))
    assert reps == [0, 1, 2, 3] and not warnings
    d = {x.outcome: x for x in diffs}
    fled = d["total fled"]
    # B doubles the flight rate: the difference and its whole interval are positive
    assert fled.diff > 0 and fled.lo > 0 and fled.mean_b == pytest.approx(2 * fled.mean_a,
                                                                          rel=0.1)
    # the difference equals B - A computed from the tables
    ev_a = pd.read_parquet(runs["a"] / "events.parquet")
    ev_b = pd.read_parquet(runs["b"] / "events.parquet")
    exp = (ev_b[ev_b.event == "fled"]["count"].sum() - ev_a[ev_a.event == "fled"]["count"].sum()
           ) / 4 / 0.1
    assert fled.diff == pytest.approx(exp)
    for key in ("final strength GROUP_A", "peak camp population", "total died / background",
                "displaced at end (transit+camp+abroad)"):
        assert key in d, key
    assert d["peak camp population"].diff > 0


def test_a_run_against_itself_has_zero_differences(runs) -> None:
    a = load_run_dir(runs["a"])
    diffs, _, _ = paired(a, a)
    assert diffs and all(x.diff == 0 and x.lo == 0 and x.hi == 0 for x in diffs)


def test_compare_cli_writes_html_and_table(runner, runs) -> None:
    r = runner.invoke(app, ["compare", str(runs["a"]), str(runs["b"])])
    assert r.exit_code == 0, r.output
    assert "total fled" in r.output and "4 paired replicate(s)" in r.output
    out = runs["b"] / "compare-demo.html"
    html = out.read_text(encoding="utf-8")
    assert 'class="fig"' in html and "total fled" in html and "t-interval" in html
    outside = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    assert "http://" not in outside and "https://" not in outside and "<script src" not in html


def test_compare_refuses_different_seeds(runner, runs, tmp_path: Path) -> None:
    r = runner.invoke(app, ["compare", str(runs["a"]), str(runs["other_seeds"]), "--out",
                            str(tmp_path / "x.html")])
    assert r.exit_code == 2
    assert "seeds differ" in r.output and "Traceback" not in r.output
    assert not (tmp_path / "x.html").exists()
    r = runner.invoke(app, ["compare", str(runs["a"]), str(tmp_path / "missing")])
    assert r.exit_code == 2 and "run directory not found" in r.output


def test_one_replicate_says_interval_not_available(runner, runs, tmp_path: Path) -> None:
    out = tmp_path / "c.html"
    r = runner.invoke(app, ["compare", str(runs["one"]), str(runs["one_b"]), "--out", str(out)])
    assert r.exit_code == 0, r.output
    assert "not available" in r.output
    assert "n/a (1 replicate)" in out.read_text(encoding="utf-8")


@pytest.mark.skipif(chromium() is None,
                    reason="headless rendering check needs /usr/bin/chromium")
def test_compare_page_renders(runner, runs, tmp_path: Path) -> None:
    out = tmp_path / "c.html"
    r = runner.invoke(app, ["compare", str(runs["a"]), str(runs["b"]), "--out", str(out)])
    assert r.exit_code == 0
    states = figure_states(dump_dom(out))
    assert states and set(states.values()) == {"yes"}
