"""``ranks explore``: paired jobs on Dask (progress, cancel, baseline reuse), the app's
lever widgets, and the whole app in a real browser (Playwright driving headless Debian
Chromium: open, change a lever, run at a tiny scale, see the figures change; skipped with a
reason where no browser is available)."""

from __future__ import annotations

import datetime as dt
import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from ranks.report.browser import playwright_page, playwright_unavailable
from ranks.runner import load as load_scenario
from ranks.scenario.levers import lever_overrides
from tests.conftest import DEMO, ROOT

pn = pytest.importorskip("panel", reason="the explorer needs Panel (pip install -e '.[test]')")

from ranks.explore import views  # noqa: E402
from ranks.explore.jobs import PairedJob, Pool, new_pair_dir  # noqa: E402

UNTIL = dt.date(2014, 8, 15)


@pytest.fixture(scope="module")
def pool():
    p = Pool(2, processes=False).start()
    yield p
    p.close()


def _wait(job: PairedJob, timeout: float = 300.0) -> PairedJob:
    t0 = time.monotonic()
    while not job.finished:
        assert time.monotonic() - t0 < timeout, f"job stuck in {job.state}"
        time.sleep(0.1)
    return job


def test_paired_job_writes_two_comparable_runs_and_reuses_the_baseline(pool, tmp_path) -> None:
    base = load_scenario(DEMO)
    ov = lever_overrides(base, {"relatives_help": 0.0})
    job = _wait(PairedJob(DEMO, ov, 4, 0.02, 2, new_pair_dir(tmp_path, "demo"), until=UNTIL,
                          reports=False).start(pool))
    assert job.state == "finished", job.error
    assert job.done == job.total == 4 and not job.baseline_reused
    mb = json.loads((job.baseline_dir / "manifest.json").read_text())
    mv = json.loads((job.variant_dir / "manifest.json").read_text())
    assert [r["seed"] for r in mb["replicates"]] == [r["seed"] for r in mv["replicates"]]
    assert mv["overrides"] == {"modules.flight.relatives_pay_chance.value": 0.0}
    assert mb["overrides"] == {}
    # byte for byte what `ranks run` writes for the variant
    import ranks

    cli = ranks.run(DEMO, seed=4, scale=0.02, replicates=2, until=UNTIL,
                    set={"relatives_help": 0.0}, out=tmp_path / "cli")
    assert (cli.path / "events.parquet").read_bytes() == \
        (job.variant_dir / "events.parquet").read_bytes()
    from ranks.report.rundir import load_run_dir

    b, v = load_run_dir(job.baseline_dir), load_run_dir(job.variant_dir)
    h = views.headline(views.differences(b, v)[0])
    assert h["total stayed"] > 0 > h["total smuggled"]  # nobody's relatives pay: fewer leave
    for fig in (views.map_figure(v, v.snapshot_dates()[-1], "variant"),
                views.strength_figure(b, v), views.displacement_figure(b, v)):
        assert fig is not None
    # a second variant reuses the baseline: only its own replicates run
    ov2 = lever_overrides(base, {"relatives_help": 1.0})
    job2 = _wait(PairedJob(DEMO, ov2, 4, 0.02, 2, new_pair_dir(tmp_path, "demo"), until=UNTIL,
                           reports=False).start(pool))
    assert job2.state == "finished" and job2.baseline_reused
    assert job2.total == 2 and job2.baseline_dir == job.baseline_dir


def test_cancel_writes_nothing(pool, tmp_path) -> None:
    out = new_pair_dir(tmp_path, "demo")
    job = PairedJob(DEMO, {}, 9, 0.05, 4, out, reports=False).start(pool)
    time.sleep(0.5)
    job.cancel()
    _wait(job)
    assert job.state == "cancelled"
    assert list(out.iterdir()) == []


def test_bad_values_fail_the_job_with_one_line(pool, tmp_path) -> None:
    job = _wait(PairedJob(DEMO, {"modules.flight.relatives_pay_chance.value": 3.0}, 1, 0.02, 1,
                          new_pair_dir(tmp_path, "demo"), reports=False).start(pool))
    assert job.state == "failed"
    assert "relatives_pay_chance" in job.error and "demo.yaml" in job.error


def test_app_offers_a_widget_per_lever_and_reads_changes(pool, tmp_path) -> None:
    from ranks.explore.app import Config, Explorer, changed_values, find_scenarios, parse_until

    scenarios = find_scenarios(DEMO)
    assert scenarios[0] == DEMO.resolve()
    assert {p.stem for p in scenarios} >= {"demo", "deir-ezzor-2014-2017",
                                           "deir-ezzor-2017-2020"}
    app = Explorer(Config(scenarios=[DEMO], out=tmp_path, pool=pool))
    assert set(app.widgets) == {li.id for li in app.levers} and len(app.levers) >= 10
    assert changed_values(app.levers, app.widgets) == {}
    app.widgets["order_ages"].value = (18.0, 40.0)
    app.widgets["amnesty_rejoin"].value = True
    assert changed_values(app.levers, app.widgets) == {"order_ages": [18, 40],
                                                       "amnesty_rejoin": True}
    assert "Variant changes" in app.changed.object
    app.reset_levers()
    assert changed_values(app.levers, app.widgets) == {}
    assert parse_until("", app.loaded) is None
    assert parse_until("2015-01-01", app.loaded) == dt.date(2015, 1, 1)
    with pytest.raises(ValueError, match="outside the period"):
        parse_until("2030-01-01", app.loaded)
    assert app.view() is not None


def wait_listening(proc: subprocess.Popen, port: int, log: Path, timeout: float = 180) -> None:
    """Wait until the server accepts connections (a GET of the page would build a session)."""
    t0 = time.monotonic()
    while True:
        assert proc.poll() is None, log.read_text()
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        assert time.monotonic() - t0 < timeout, "server did not start"
        time.sleep(0.2)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(playwright_unavailable() is not None, reason=str(playwright_unavailable()))
def test_explorer_in_a_browser_change_a_lever_run_see_the_figures_change(tmp_path) -> None:
    port = _free_port()
    out = tmp_path / "runs"
    log = (tmp_path / "server.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "ranks.cli", "explore", str(DEMO), "--port", str(port),
         "--out", str(out), "--workers", "1", "--no-browser", "--scale", "0.01",
         "--replicates", "2", "--until", UNTIL.isoformat()],
        cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/"
    try:
        wait_listening(proc, port, tmp_path / "server.log")
        with playwright_page(1400, 1000) as page:
            page.goto(url)
            run = page.get_by_role("button", name="Run baseline and variant")
            run.wait_for(timeout=240_000)
            lever = page.locator(".lever-relatives_help input")
            lever.fill("0")
            lever.press("Enter")
            page.get_by_text("Variant changes").wait_for(timeout=120_000)
            run.click()
            state = page.locator("#ranks-state[data-shown='1']")
            state.wait_for(state="attached", timeout=240_000)
            first = float(state.get_attribute("data-displaced-diff"))
            assert first < 0  # relatives cannot pay: fewer people displaced
            # figures are drawn: the map (Bokeh canvas) and a status naming the pairs
            page.locator(".bk-Canvas, canvas").first.wait_for(timeout=60_000)
            assert "2 paired replicate(s)" in page.locator("#ranks-status").inner_text()
            # the report links appear once the workers have written the reports
            page.get_by_text("Runs and reports").first.click()
            link = page.locator("a.ranks-report").first
            link.wait_for(timeout=240_000)
            href = link.get_attribute("href")
            assert urllib.request.urlopen(url.rstrip("/") + href, timeout=30).status == 200
            # change the lever the other way and run again: the figures change
            page.get_by_text("Map").first.click()
            lever.fill("1")
            lever.press("Enter")
            page.wait_for_timeout(300)
            run.click()
            state2 = page.locator("#ranks-state[data-shown='2']")
            state2.wait_for(state="attached", timeout=240_000)
            second = float(state2.get_attribute("data-displaced-diff"))
            assert second > first  # relatives always pay: no fewer displaced than baseline
            assert "baseline reused" in page.locator("#ranks-status").inner_text()
            external = [u for u in page.ranks_requests
                        if not u.startswith((url, "data:", "blob:", "ws:"))]
            assert external == []  # the app needs no network (no CDN)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def test_explore_bad_scenario_is_one_line_exit_2(runner, tmp_path) -> None:
    from ranks.cli import app

    r = runner.invoke(app, ["explore", str(tmp_path / "nope.yaml"), "--no-browser",
                            "--out", str(tmp_path / "runs")])
    assert r.exit_code == 2, r.output
    assert "scenario file not found" in r.output and "Traceback" not in r.output
