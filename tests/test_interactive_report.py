"""Interactive report figures in a real browser (Playwright driving headless Debian
Chromium): the page makes no network request, every figure renders, hovering shows values,
clicking a legend entry hides its series, box zoom changes the range. Skipped with a reason
where Playwright or Chromium is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from ranks.report.browser import (
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


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    from ranks.report.run_report import build_report

    run = write_synthetic_run(tmp_path_factory.mktemp("ir") / "run", replicates=3, days=120)
    return build_report(run)


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
