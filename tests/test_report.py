"""``ranks report``: a self-contained HTML page whose every figure renders in a browser.

Runs: the demo scenario (real, one replicate, little data: most sections must say so) and a
synthetic run directory with three replicates and every event/stock kind (every section must
show a figure). Rendering is checked in headless Chromium (skipped when /usr/bin/chromium is
absent): each figure (``class="fig"``, interactive Bokeh) reports data-rendered="yes" after
load. Interaction (hover, zoom, legend toggles, no network) is tested in
tests/test_interactive_report.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ranks.cli import app
from ranks.report.browser import chromium, dump_dom, figure_states, screenshot
from ranks.report.synthetic import write_synthetic_run
from tests.conftest import DEMO

needs_chromium = pytest.mark.skipif(
    chromium() is None,
    reason="headless rendering checks need /usr/bin/chromium (apt-get install -y chromium)")

SECTIONS = ("overview", "strength", "joins", "leaving", "minors", "coercion", "displacement",
            "deaths", "targets", "other")

TARGETS = """\
evidence: {sources}
targets:
  - id: fled-total
    description: everyone who fled in the run
    metric: event_sum
    event: fled
    window: [2014-06-01, 2014-12-31]
    value: 1000
    tolerance: {{relative: 0.5}}
    assumption: test
    used_in_fitting: true
  - id: group-a-strength
    description: strength of GROUP_A at the end
    metric: stock_at
    stock: strength
    actor: GROUP_A
    window: [2014-06-01, 2014-12-31]
    value: 100
    tolerance: {{absolute: 10}}
    assumption: test
    used_in_fitting: false
  - id: camp-s
    description: a dated camp series
    metric: series
    measure: stock_at
    stock: camp_population
    assumption: test
    points:
      - {{date: 2014-07-01, value: 500, low: 250, high: 750, assumption: test, used_in_fitting: true}}
      - {{date: 2014-08-15, value: 900, low: 450, high: 1350, assumption: test, used_in_fitting: false}}
"""


def sections_of(html: str) -> dict[str, str]:
    """Section id -> its HTML."""
    parts = re.split(r'(?=<section id=")', html)
    out = {}
    for p in parts:
        m = re.match(r'<section id="([^"]+)"', p)
        if m:
            out[m.group(1)] = p
    return out


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory) -> Path:
    from typer.testing import CliRunner

    out = tmp_path_factory.mktemp("demo") / "run"
    r = CliRunner().invoke(app, ["run", str(DEMO), "--out", str(out), "--scale", "0.05",
                                 "--until", "2014-09-01", "--check", "-q"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["report", str(out)])
    assert r.exit_code == 0, r.output
    return out


@pytest.fixture(scope="module")
def synth_run(tmp_path_factory) -> tuple[Path, Path]:
    d = tmp_path_factory.mktemp("synth")
    run = write_synthetic_run(d / "run", replicates=3, days=120)
    from tests.conftest import SOURCES

    tg = d / "targets.yaml"
    tg.write_text(TARGETS.format(sources=SOURCES), encoding="utf-8")
    from typer.testing import CliRunner

    r = CliRunner().invoke(app, ["report", str(run), "--targets", str(tg)])
    assert r.exit_code == 0, r.output
    return run, tg


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory) -> Path:
    """The conftest's tiny scenario: mortality only, so most sections have no data."""
    from typer.testing import CliRunner

    from tests.conftest import TINY

    d = tmp_path_factory.mktemp("tiny")
    (d / "tiny.yaml").write_text(TINY, encoding="utf-8")
    r = CliRunner().invoke(app, ["run", str(d / "tiny.yaml"), "--out", str(d / "run"),
                                 "--scale", "0.5", "-q"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(app, ["report", str(d / "run")])
    assert r.exit_code == 0, r.output
    return d / "run"


def test_report_sections_without_data_say_so(tiny_run: Path) -> None:
    html = (tiny_run / "report.html").read_text(encoding="utf-8")
    sec = sections_of(html)
    assert set(SECTIONS) <= set(sec)
    # mortality only: no members, joins, desertions, coercion -> a plain notice, no plot
    for s in ("strength", "joins", "leaving", "minors", "coercion"):
        assert 'class="nodata"' in sec[s] and 'class="fig"' not in sec[s], s
    # people by state and deaths have data; the map and control strip always draw
    assert 'class="fig"' in sec["overview"] and 'class="fig"' in sec["deaths"]
    assert sec["displacement"].count('class="fig"') >= 2
    assert "No targets file found" in sec["targets"]
    # header: scenario name, seed, scale, dates, version; how-to-read; ethics line
    head = html.split("</header>")[0]
    import ranks

    for s in ("tiny", "scale 0.5", "2014-01-01", "2014-03-01", "seed(s) 3",
              f"ranks {ranks.__version__}"):
        assert s in head, s
    assert "divided by the run's" in html and "synthetic" in html and "aggregates" in html
    assert "One replicate" in html


def test_report_of_demo_run_has_every_section(demo_run: Path) -> None:
    """Each section of the demo report has its figure, or a notice saying why not, and the
    notice exactly where the run has no data for it (three months at scale 0.05: whether
    anybody joined yet, or any member is a minor, depends on the draws, so it is read from
    the run's tables; the demo has no targets file)."""
    sec = sections_of((demo_run / "report.html").read_text(encoding="utf-8"))
    ev = pd.read_parquet(demo_run / "events.parquet")
    st = pd.read_parquet(demo_run / "stocks.parquet")
    names = set(ev["event"].astype(str))
    notices = {"targets": "No targets file found"}
    if not {"joined", "switched"} & names:
        notices["joins"] = "No joins or switches"
    if not (st.loc[st["stock"].astype(str) == "minors_share", "value"] > 0).any():
        notices["minors"] = "No minors"
    for s in SECTIONS:
        if s in notices:
            assert 'class="nodata"' in sec[s] and notices[s] in sec[s], s
            assert 'class="fig"' not in sec[s], s
        else:
            assert 'class="fig"' in sec[s] and 'class="nodata"' not in sec[s], s


def test_report_is_self_contained(demo_run: Path) -> None:
    html = (demo_run / "report.html").read_text(encoding="utf-8")
    # BokehJS is inlined (its code mentions URLs it never loads here; the browser test
    # checks that no request leaves the page): outside scripts, nothing points outside
    outside = re.sub(r"<script\b[^>]*>.*?</script>", "", html, flags=re.S)
    assert not re.search(r'(src|href)="(https?:)?//', outside)
    assert "<link" not in html and "<script src" not in html
    assert html.count("Bokeh.set_log_level") >= 1  # the library itself is in the file
    assert html.count('data-kind="bokeh"') == html.count('class="fig"') > 0


def test_report_replaces_existing_and_out_option(runner, tiny_run: Path, tmp_path: Path) -> None:
    target = tiny_run / "report.html"
    target.write_text("old", encoding="utf-8")
    r = runner.invoke(app, ["report", str(tiny_run), "-q"])
    assert r.exit_code == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert not list(tiny_run.glob(".report.html.tmp-*"))
    out = tmp_path / "sub" / "r.html"
    r = runner.invoke(app, ["report", str(tiny_run), "--out", str(out), "-q"])
    assert r.exit_code == 0 and out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_report_bad_input_exits_2(runner, tmp_path: Path) -> None:
    r = runner.invoke(app, ["report", str(tmp_path / "nope")])
    assert r.exit_code == 2
    assert "run directory not found" in r.output and "Traceback" not in r.output
    (tmp_path / "empty").mkdir()
    r = runner.invoke(app, ["report", str(tmp_path / "empty")])
    assert r.exit_code == 2 and "manifest.json" in r.output


def test_report_of_synthetic_run_has_a_figure_in_every_section(synth_run) -> None:
    run, tg = synth_run
    html = (run / "report.html").read_text(encoding="utf-8")
    sec = sections_of(html)
    for s in SECTIONS:
        assert 'class="fig"' in sec[s], s
    assert "3 replicates: lines are medians" in html
    assert "fled-total" in sec["targets"] and "group-a-strength" in sec["targets"]
    assert "Held-out targets (2)" in sec["targets"] and "Fitted targets (2)" in sec["targets"]
    # the dated series: a row per point and a figure over the simulation
    assert "camp-s@2014-07-01" in sec["targets"] and "camp-s@2014-08-15" in sec["targets"]
    assert "Dated public series against the simulation" in sec["targets"]
    assert 'aria-label="series camp-s against the simulation"' in sec["targets"]
    assert "Pass rate of the figures with data" in sec["targets"]


@needs_chromium
def test_every_figure_renders_in_headless_chromium(synth_run, demo_run, tiny_run) -> None:
    run, _ = synth_run
    for d in (run, demo_run, tiny_run):
        html = (d / "report.html").read_text(encoding="utf-8")
        n_figs = html.count('class="fig"')
        states = figure_states(dump_dom(d / "report.html"))
        assert len(states) == n_figs > 0
        assert set(states.values()) == {"yes"}, states


@needs_chromium
def test_render_check_detects_a_broken_figure(synth_run, tmp_path: Path) -> None:
    run, _ = synth_run
    html = (run / "report.html").read_text(encoding="utf-8")
    bad = html.replace("<main>", '<main><img class="fig" id="broken" alt="x" '
                                 'src="data:image/png;base64,AAAA">', 1)
    p = tmp_path / "bad.html"
    p.write_text(bad, encoding="utf-8")
    states = figure_states(dump_dom(p))
    assert states["broken"] == "no"
    assert sum(v == "yes" for v in states.values()) == len(states) - 1


@needs_chromium
def test_screenshot_is_not_blank(synth_run, tmp_path: Path) -> None:
    import matplotlib.image as mpimg

    run, _ = synth_run
    png = screenshot(run / "report.html", tmp_path / "shot.png", 1000, 1600)
    assert png.stat().st_size > 20_000
    img = mpimg.imread(png)
    assert img.shape[0] == 1600 and img.shape[1] == 1000
    assert float(np.std(img[..., :3])) > 0.05  # not a blank page


def test_band_is_min_max_below_20_replicates_and_5_95_from_20() -> None:
    import pandas as pd

    from ranks.report.series import band

    few = pd.DataFrame([[1.0, 5.0, 9.0]])
    med, lo, hi, lab = band(few)
    assert (med[0], lo[0], hi[0], lab) == (5.0, 1.0, 9.0, "min-max")
    many = pd.DataFrame([np.arange(101, dtype=float)])
    med, lo, hi, lab = band(many)
    assert (med[0], lo[0], hi[0], lab) == (50.0, 5.0, 95.0, "5-95%")


def test_report_of_a_run_without_events(runner, synth_run, tmp_path: Path) -> None:
    import shutil

    import pandas as pd

    run, _ = synth_run
    emp = tmp_path / "emp"
    shutil.copytree(run, emp)
    ev = pd.read_parquet(emp / "events.parquet").iloc[:0]
    ev.to_parquet(emp / "events.parquet", index=False)
    st = pd.read_parquet(emp / "stocks.parquet")
    st[st.stock == "people"].to_parquet(emp / "stocks.parquet", index=False)
    r = runner.invoke(app, ["report", str(emp), "-q"])
    assert r.exit_code == 0, r.output
    sec = sections_of((emp / "report.html").read_text(encoding="utf-8"))
    assert "No events were recorded" in sec["overview"]
    for s in ("strength", "joins", "leaving", "coercion", "deaths", "other"):
        assert 'class="nodata"' in sec[s] and "<img" not in sec[s], s


def test_targets_that_do_not_fit_the_run_are_reported_not_fatal(runner, synth_run,
                                                                tmp_path: Path) -> None:
    from tests.conftest import ROOT

    run, _ = synth_run
    out = tmp_path / "r.html"
    r = runner.invoke(app, ["report", str(run), "--out", str(out), "--targets",
                            str(ROOT / "scenarios" / "deir-ezzor-2014-2017" / "targets.yaml")])
    assert r.exit_code == 0, r.output
    sec = sections_of(out.read_text(encoding="utf-8"))
    assert "does not fit this run" in sec["targets"] and "unknown actor" in sec["targets"]


def test_inlined_bokehjs_ignores_extensions_loaded_in_the_process() -> None:
    """Panel (the explorer, a notebook) registers extensions with Bokeh's resources; the
    report must stay one self-contained file anyway."""
    pn = pytest.importorskip("panel")
    pn.extension()
    from ranks.report.figures import EMBED_JS, bokeh_js

    js = bokeh_js() + EMBED_JS
    assert "<script src" not in js and "<link" not in js
    assert js.count("<script>") == js.count("</script>") == 3
