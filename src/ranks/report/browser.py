"""Headless Chromium helpers: dump a page's DOM after load, take a screenshot.

Used by the tests (every figure must report ``data-rendered="yes"``) and to make the gallery
image in docs/img. Chromium runs offline: no network services, no first-run, a throwaway
profile directory.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from pathlib import Path

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
    p = _run([f"--screenshot={png}", f"--window-size={width},{height}",
              Path(html).resolve().as_uri()], timeout)
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
