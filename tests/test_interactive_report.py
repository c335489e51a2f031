"""Interactive report figures in a real browser (Playwright driving headless Debian
Chromium): the page makes no network request, every figure renders, hovering shows values,
clicking a legend entry hides its series, box zoom changes the range, and the dated public
series (issue 13) render with the reported figure, its band, the simulated value and the
result on hover. Skipped with a reason where Playwright or Chromium is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ranks.report.browser import (
    JS_DATA_TO_PAGE,
    JS_DEEP_TEXT,
    JS_LEGEND,
    JS_VISIBLE,
    JS_X_RANGES,
    playwright_page,
    playwright_unavailable,
)
from ranks.report.synthetic import write_synthetic_run

pytestmark = pytest.mark.skipif(playwright_unavailable() is not None,
                                reason=str(playwright_unavailable()))


#: Two dated public series on the synthetic run (2014-06-01 + 120 days, scale 0.1): people
#: who fled per window (event counts) and the residents of Sandcamp (a stock).
SERIES = """\
evidence: {sources}
targets:
  - id: fled-s
    description: people who fled per window
    metric: series
    measure: event_sum
    event: fled
    assumption: test
    points:
      - {{window: [2014-06-01, 2014-06-30], value: 1500, low: 1000, high: 2500, assumption: test, used_in_fitting: true}}
      - {{window: [2014-07-01, 2014-08-15], value: 3000, low: 2000, high: 4000, assumption: test, used_in_fitting: false}}
  - id: camp-s
    description: residents of Sandcamp
    metric: series
    measure: stock_at
    stock: camp_population
    place: Sandcamp
    assumption: test
    points:
      - {{date: 2014-07-01, value: 1500, low: 1000, high: 2000, assumption: test, used_in_fitting: true}}
      - {{date: 2014-09-20, value: 3000, low: 2500, high: 3500, assumption: test, used_in_fitting: false}}
"""


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from ranks.report.run_report import build_report
    from ranks.report.targets import load_targets
    from tests.conftest import SOURCES

    d = tmp_path_factory.mktemp("ir")
    run = write_synthetic_run(d / "run", replicates=3, days=120)
    (d / "targets.yaml").write_text(SERIES.format(sources=SOURCES), encoding="utf-8")
    return build_report(run, targets=load_targets(d / "targets.yaml"))


def _all_rendered(page) -> None:
    page.wait_for_function(
        "() => { const f = document.querySelectorAll('.fig'); return f.length > 0 && "
        "[...f].every(e => e.hasAttribute('data-rendered')); }", timeout=120_000)


def test_report_opens_offline_and_every_figure_renders(report: Path) -> None:
    with playwright_page() as page:
        page.route("**/*", lambda route: route.abort() if not route.request.url.startswith(
            ("file:", "data:", "blob:")) else route.continue_())
        page.goto(report.as_uri())
        _all_rendered(page)
        states = page.evaluate("() => [...document.querySelectorAll('.fig')].map("
                               "e => e.getAttribute('data-rendered'))")
        assert len(states) >= 10 and set(states) == {"yes"}
        outside = [u for u in page.ranks_requests if not u.startswith(("file:", "data:",
                                                                         "blob:"))]
        assert outside == []  # one self-contained file: nothing fetched


def test_hover_values_legend_toggles_and_linked_zoom(report: Path) -> None:
    with playwright_page() as page:
        page.goto(report.as_uri())
        _all_rendered(page)
        fig = page.locator("#fig-1")
        fig.scroll_into_view_if_needed()
        box = page.locator("#fig-1 canvas").first.bounding_box()
        assert box and box["width"] > 100
        for dx in (0.3, 0.5, 0.6):
            page.mouse.move(box["x"] + box["width"] * dx, box["y"] + box["height"] * 0.5,
                            steps=4)
            page.wait_for_timeout(150)
        tips = page.locator(".bk-Tooltip")
        shown = [tips.nth(i) for i in range(tips.count()) if tips.nth(i).is_visible()]
        assert shown, "no tooltip on hover"
        text = shown[0].evaluate(JS_DEEP_TEXT)
        assert "value" in text and "date" in text and "20" in text  # e.g. date: 2014-..
        page.mouse.move(5, 5)
        leg = page.evaluate(JS_LEGEND, "fig-1")
        assert leg and leg["labels"]
        assert set(page.evaluate(JS_VISIBLE, leg["renderers"]).values()) == {True}
        page.mouse.click(leg["x"] + 15, leg["y"] + 10)  # the first legend entry
        page.wait_for_timeout(300)
        assert set(page.evaluate(JS_VISIBLE, leg["renderers"]).values()) == {False}
        page.mouse.click(leg["x"] + 15, leg["y"] + 10)
        page.wait_for_timeout(300)
        assert set(page.evaluate(JS_VISIBLE, leg["renderers"]).values()) == {True}
        # box zoom: the panels of a grid share one time axis and zoom together
        before = page.evaluate(JS_X_RANGES, "fig-1")
        assert len(before) >= 2
        page.locator("#fig-1 .bk-tool-icon-box-zoom").first.click()
        box = page.locator("#fig-1 canvas").first.bounding_box()
        x0, y0 = box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.3
        page.mouse.move(x0, y0)
        page.mouse.down()
        page.mouse.move(x0 + box["width"] * 0.25, y0 + box["height"] * 0.3, steps=6)
        page.mouse.up()
        page.wait_for_timeout(300)
        after = page.evaluate(JS_X_RANGES, "fig-1")
        (s0, e0), (s1, e1) = before[0], after[0]
        assert s1 > s0 and e1 < e0
        assert all(r == after[0] for r in after)  # linked panels zoom together


def _hover_text(page, label: str, x: object, y: float) -> str:  # noqa: ANN001
    """Move the mouse onto data point (x, y) of the figure ``label``; the visible tooltips."""
    page.locator(f'.fig[aria-label="{label}"]').scroll_into_view_if_needed()
    pos = page.evaluate(JS_DATA_TO_PAGE, [label, x, y])
    assert pos, label
    page.mouse.move(pos["x"] - 4, pos["y"] - 4)
    page.mouse.move(pos["x"], pos["y"], steps=3)
    page.wait_for_timeout(400)
    tips = page.locator(".bk-Tooltip")
    text = " | ".join(tips.nth(i).evaluate(JS_DEEP_TEXT) for i in range(tips.count())
                      if tips.nth(i).is_visible())
    page.mouse.move(1, 1)
    return text


def test_public_series_render_with_reported_band_and_simulated_on_hover(report: Path) -> None:
    """Each dated series has its figure; hovering a reported figure shows its window, value
    and band, the simulated value read from the run's own files, and the result."""
    import pandas as pd

    run = report.parent
    scale = 0.1
    ev = pd.read_parquet(run / "events.parquet")
    ev["date"] = pd.to_datetime(ev["date"])
    fled = ev[(ev["event"] == "fled") & ev["date"].between("2014-07-01", "2014-08-15")]
    sim_fled = fled.groupby("replicate")["count"].sum().mean() / scale
    st = pd.read_parquet(run / "stocks.parquet")
    st["date"] = pd.to_datetime(st["date"])
    camp = st[(st["stock"] == "camp_population") & (st["place"] == "Sandcamp")]
    near = camp["date"].iloc[(camp["date"] - pd.Timestamp("2014-09-20")).abs().argmin()]
    sim_camp = camp[camp["date"] == near]["value"].mean() / scale
    with playwright_page() as page:
        page.goto(report.as_uri())
        _all_rendered(page)
        for label in ("series fled-s against the simulation",
                      "series camp-s against the simulation"):
            assert page.locator(f'.fig[aria-label="{label}"]').get_attribute(
                "data-rendered") == "yes"
        text = _hover_text(page, "series fled-s against the simulation",
                           "2014-07-01..2014-08-15", 1500)
        assert "figure: 2014-07-01..2014-08-15" in text
        assert "reported: 3,000 (2,000 – 4,000)" in text
        assert f"simulated: {sim_fled:,.0f}" in text
        assert ("result: pass" if 2000 <= sim_fled <= 4000 else "result: fail") in text
        assert "used: held out" in text
        ms = pd.Timestamp("2014-09-20").value // 1_000_000
        text = _hover_text(page, "series camp-s against the simulation", ms, 3000)
        assert "figure: 2014-09-20" in text and "reported: 3,000 (2,500 – 3,500)" in text
        assert f"simulated: {sim_camp:,.0f}" in text
        assert ("result: pass" if 2500 <= sim_camp <= 3500 else "result: fail") in text
        fig_id = page.locator('.fig[aria-label="series camp-s against the simulation"]'
                              ).get_attribute("id")
        leg = page.evaluate(JS_LEGEND, fig_id)
        assert leg and leg["labels"] == ["simulated", "reported (band)"]
