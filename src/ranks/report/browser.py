"""Headless Chromium helpers: dump a page's DOM after load, take a screenshot.

Used by the tests (every figure must report ``data-rendered="yes"``) and to make the gallery
image in docs/img. Chromium runs offline: no network services, no first-run, a throwaway
profile directory.
"""

from __future__ import annotations

import contextlib
import re
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]


def chromium() -> str | None:
    """Path of the Chromium executable, or None when it is not installed."""
    for cand in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if cand and Path(cand).exists():
            return cand
    return None


def _run(args: list[str], timeout: float) -> subprocess.CompletedProcess[str]:
    exe = chromium()
    if exe is None:
        raise FileNotFoundError("chromium is not installed")
    with tempfile.TemporaryDirectory(prefix="ranks-chromium-") as prof:
        return subprocess.run([exe, *FLAGS, f"--user-data-dir={prof}", *args],
                              capture_output=True, text=True, timeout=timeout, check=False)


def dump_dom(html: Path, timeout: float = 120.0) -> str:
    """The page's DOM after the load event (scripts run), as HTML text."""
    p = _run(["--virtual-time-budget=20000", "--dump-dom", Path(html).resolve().as_uri()],
             timeout)
    if p.returncode != 0 or "<html" not in p.stdout:
        raise RuntimeError(f"chromium --dump-dom failed ({p.returncode}): {p.stderr[-500:]}")
    return p.stdout


def screenshot(html: Path, png: Path, width: int = 1200, height: int = 2400,
               timeout: float = 120.0) -> Path:
    """Screenshot of the top ``width`` x ``height`` pixels of the page."""
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    p = _run(["--virtual-time-budget=20000", f"--screenshot={png}",
              f"--window-size={width},{height}", Path(html).resolve().as_uri()], timeout)
    if p.returncode != 0 or not png.exists():
        raise RuntimeError(f"chromium --screenshot failed ({p.returncode}): {p.stderr[-500:]}")
    return png


def figure_states(dom: str) -> dict[str, str]:
    """Figure id -> value of ``data-rendered`` ("yes", "no", or "missing"), for PNG figures
    (``<img class="fig">``) and interactive ones (``<div class="fig">``)."""
    out: dict[str, str] = {}
    for tag in re.findall(r"<(?:img|div)\b[^>]*>", dom):
        if 'class="fig"' not in tag:
            continue
        fid = re.search(r'\bid="([^"]*)"', tag)
        ren = re.search(r'\bdata-rendered="([^"]*)"', tag)
        out[fid.group(1) if fid else f"#{len(out)}"] = ren.group(1) if ren else "missing"
    return out


# -- Playwright (interactive checks: hover, legend toggles, zoom, the explorer) ------------

#: Text of an element including open shadow roots, without style sheets.
JS_DEEP_TEXT = """(el) => { function t(n) { let s = '';
  if (n.shadowRoot) s += t(n.shadowRoot);
  for (const c of n.childNodes) {
    if (c.nodeType === 3) s += c.textContent;
    else if (c.nodeType === 1 && c.tagName !== 'STYLE') s += t(c); }
  return s; } return t(el); }"""

#: The first legend of figure ``id``: page position and size, labels, and the ids of the
#: renderers of its first item (Bokeh view tree).
JS_LEGEND = """(figId) => {
  const el = document.getElementById(figId); const found = [];
  function walk(v) { if (v.model.type === 'Legend') found.push(v);
    for (const c of (v.child_views || [])) walk(c);
    if (v.renderer_views) for (const c of v.renderer_views.values()) walk(c); }
  for (const r of Bokeh.index.roots) if (el.contains(r.el)) walk(r);
  if (!found.length) return null;
  const lv = found[0]; const rect = lv.parent.el.getBoundingClientRect(); const bb = lv.bbox;
  return {x: rect.left + bb.x, y: rect.top + bb.y, w: bb.width, h: bb.height,
          labels: lv.model.items.map(i => i.label.value),
          renderers: lv.model.items[0].renderers.map(r => r.id)}; }"""

#: ``visible`` of the models with the given ids.
JS_VISIBLE = """(ids) => { const out = {};
  for (const d of Bokeh.documents) for (const id of ids) { const m = d.get_model_by_id(id);
    if (m) out[id] = m.visible; } return out; }"""

#: x range (start, end) of every plot inside figure ``id``.
JS_X_RANGES = """(figId) => { const el = document.getElementById(figId); const out = [];
  function walk(v) { if (v.model.type === 'Figure') out.push([v.model.x_range.start,
      v.model.x_range.end]); for (const c of (v.child_views || [])) walk(c); }
  for (const r of Bokeh.index.roots) if (el.contains(r.el)) walk(r); return out; }"""


#: Page position of the data point ``[x, y]`` in the first plot of the figure whose
#: aria-label is ``label`` (x: a factor name on a categorical axis, else ms since the epoch
#: for dates or a number).
JS_DATA_TO_PAGE = """([label, x, y]) => {
  const el = document.querySelector(`.fig[aria-label="${label}"]`); let pv = null;
  function walk(v) { if (!pv && v.model.type === 'Figure') pv = v;
    for (const c of (v.child_views || [])) walk(c); }
  for (const r of Bokeh.index.roots) if (el.contains(r.el)) walk(r);
  if (!pv) return null;
  const sx = typeof x === 'string' ? pv.model.x_range.synthetic(x) : x;
  const rect = pv.el.getBoundingClientRect();
  return {x: rect.left + pv.frame.x_scale.compute(sx),
          y: rect.top + pv.frame.y_scale.compute(y)}; }"""


def playwright_unavailable() -> str | None:
    """Why Playwright cannot drive Chromium here (a skip reason), or None when it can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -e '.[test]')"
    if chromium() is None:
        return ("no Chromium at /usr/bin/chromium (apt-get install -y chromium); Playwright "
                "cannot download browsers here")
    return None


@contextlib.contextmanager
def playwright_page(width: int = 1300, height: int = 1000) -> Iterator[Any]:
    """A Playwright page in headless Debian Chromium (``executable_path``: no browser
    download). Requests are recorded in ``page.ranks_requests`` (URL list)."""
    from playwright.sync_api import sync_playwright

    exe = chromium()
    if exe is None:
        raise FileNotFoundError("chromium is not installed")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=[
            "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.set_default_timeout(120_000)  # a shared, busy machine is slow
            reqs: list[str] = []
            page.on("request", lambda r: reqs.append(r.url))
            held: Any = page  # the requests seen, for the tests
            held.ranks_requests = reqs
            yield page
        finally:
            browser.close()
