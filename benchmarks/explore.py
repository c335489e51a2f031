"""Explorer and interactive report figures (issue 15), each beside a peer timed in the same
run on the same machine (the machine is shared: ratios are what to compare).

1. App start to first page: ``ranks explore scenarios/demo.yaml`` in a fresh process until
   headless Chromium (Playwright) shows its Run button. Peer: a bare Panel server with one
   widget, started and loaded the same way. Target: 5 s.
2. Click to figures: in the browser, scale 0.1, 4 paired replicates, the lever
   ``relatives_help`` set to 0, click Run, until the figures are drawn; cold (baseline and
   variant: 8 replicates) and again with another value (baseline reused: 4 replicates).
   Peer: the same simulations from the command line, ``ranks run --scale 0.1 --replicates 4
   --workers 2`` for baseline and variant. Target: 15 s on 2 cores.
3. The full flagship report (the README's main job, 2014-2020, at scale 1 unless
   ``--flagship-scale``; with its targets, so the dated public series are drawn): ``ranks
   report`` time, file size (limit 5 MB), and in Chromium the time to the first rendered
   figure and to all figures. Peer: a page with BokehJS and one figure.

Writes benchmarks/results/explore.json.

Usage: python benchmarks/explore.py [--flagship-scale 1.0] [--skip-flagship] [--skip-app]
       [--flagship-run DIR]   (an existing run of the flagship instead of running it)
Parts skipped keep their figures from an earlier explore.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "scenarios" / "demo.yaml"
FLAGSHIP = ROOT / "scenarios" / "deir-ezzor-2014-2020.yaml"
OUT = ROOT / "benchmarks" / "results" / "explore.json"

PEER_APP = """
import sys, panel as pn
pn.serve(lambda: pn.Column("# Peer page", pn.widgets.Button(name="Run baseline and variant")),
         port=int(sys.argv[1]), address="127.0.0.1", show=False,
         websocket_origin=[f"127.0.0.1:{sys.argv[1]}"])
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(proc: subprocess.Popen, port: int, timeout: float = 300) -> None:
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError("server did not start")


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def first_page(cmd: list[str], port: int, page) -> tuple[float, float, subprocess.Popen]:  # noqa: ANN001
    """Seconds from start to listening and to the Run button shown; the live process."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wait_port(proc, port)
    listening = time.perf_counter() - t0
    page.goto(f"http://127.0.0.1:{port}/")
    page.get_by_role("button", name="Run baseline and variant").wait_for(timeout=300_000)
    return listening, time.perf_counter() - t0, proc


def click_to_figures(page, value: str, n: int) -> float:  # noqa: ANN001
    """Set the lever, click Run, wait until the n-th result is drawn; seconds."""
    lever = page.locator(".lever-relatives_help input")
    lever.fill(value)
    lever.press("Enter")
    page.get_by_text("Variant changes").wait_for(timeout=30_000)
    page.wait_for_timeout(300)
    t0 = time.perf_counter()
    page.get_by_role("button", name="Run baseline and variant").click(timeout=900_000)
    page.locator(f"#ranks-state[data-shown='{n}']").wait_for(state="attached",
                                                             timeout=900_000)
    page.locator(".bk-Canvas, canvas").first.wait_for(timeout=60_000)
    return time.perf_counter() - t0


def cli_pair(tmp: Path) -> float:
    """Baseline and variant from the command line, 4 replicates each on 2 Dask workers."""
    t0 = time.perf_counter()
    for name, extra in (("base", []), ("var", ["--set",
                                                "modules.flight.relatives_pay_chance.value=0"])):
        subprocess.run([sys.executable, "-m", "ranks.cli", "run", str(DEMO), "--out",
                        str(tmp / name), "--scale", "0.1", "--replicates", "4", "--workers",
                        "2", "--seed", "1", "--force", "-q", *extra], check=True, cwd=ROOT)
    return time.perf_counter() - t0


def render_times(page, html: Path) -> tuple[float, float, int]:  # noqa: ANN001
    """Seconds to the first rendered figure and to all; number of figures."""
    t0 = time.perf_counter()
    page.goto(html.as_uri())
    page.wait_for_selector(".fig[data-rendered='yes']", state="attached", timeout=600_000)
    first = time.perf_counter() - t0
    page.wait_for_function("() => [...document.querySelectorAll('.fig')].every("
                           "e => e.hasAttribute('data-rendered'))", timeout=600_000)
    return first, time.perf_counter() - t0, page.locator(".fig").count()


def one_figure_page(tmp: Path) -> Path:
    from bokeh.plotting import figure

    from ranks.report import htmlkit as hk
    from ranks.report.figures import embed

    f = figure(width=500, height=300)
    f.line([1, 2, 3], [1, 4, 9])
    p = tmp / "one.html"
    hk.write_atomic(hk.page("one", "<h1>one</h1>", embed(f, "fig-1", "one")), p)
    return p


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--flagship-scale", type=float, default=1.0)
    ap.add_argument("--skip-flagship", action="store_true")
    ap.add_argument("--skip-app", action="store_true")
    ap.add_argument("--flagship-run", type=Path)
    args = ap.parse_args()
    from ranks.report.browser import playwright_page

    res: dict = json.loads(OUT.read_text()) if OUT.exists() else {}
    res["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                      "load_avg_start": os.getloadavg()}
    tmp = Path(tempfile.mkdtemp(prefix="ranks-bench-explore-"))
    with playwright_page(1400, 1000) as page:
        if not args.skip_app:
            # 1. start to first page, app and peer
            port = free_port()
            lis, peer_first, proc = first_page([sys.executable, "-c", PEER_APP, str(port)], port,
                                               page)
            stop(proc)
            port = free_port()
            cmd = [sys.executable, "-m", "ranks.cli", "explore", str(DEMO), "--port", str(port),
                   "--out", str(tmp / "runs"), "--workers", "2", "--no-browser", "--scale", "0.1",
                   "--replicates", "4"]
            app_lis, app_first, proc = first_page(cmd, port, page)
            res["start_to_first_page"] = {
                "app_s": round(app_first, 2), "app_listening_s": round(app_lis, 2),
                "peer_bare_panel_s": round(peer_first, 2),
                "ratio_app_to_peer": round(app_first / peer_first, 2), "target_s": 5.0,
                "load_avg_1min": round(os.getloadavg()[0], 1)}
            print("start to first page", res["start_to_first_page"], flush=True)
            # 2. click to figures (Dask warm-up finishes in the background meanwhile)
            try:
                cold = click_to_figures(page, "0", 1)
                warm = click_to_figures(page, "0.25", 2)
            finally:
                stop(proc)
            peer = cli_pair(tmp / "cli")
            res["click_to_figures"] = {
                "scenario": "demo", "scale": 0.1, "paired_replicates": 4, "workers": 2,
                "cold_baseline_and_variant_s": round(cold, 2),
                "warm_baseline_reused_s": round(warm, 2),
                "peer_cli_two_runs_s": round(peer, 2),
                "ratio_cold_to_peer": round(cold / peer, 2), "target_s": 15.0,
                "load_avg_1min": round(os.getloadavg()[0], 1)}
            print("click to figures", res["click_to_figures"], flush=True)
        # 3. flagship report (skipped: the earlier figures and their peer are kept)
        if not args.skip_flagship:
            p1 = one_figure_page(tmp)
            f1, _, _ = render_times(page, p1)
            rep: dict = {"peer_one_figure_page": {"first_render_s": round(f1, 2),
                                                  "bytes": p1.stat().st_size}}
            run = tmp / "flagship"
            t0 = time.perf_counter()
            if args.flagship_run:
                import shutil

                shutil.copytree(args.flagship_run, run)
            else:
                subprocess.run([sys.executable, "-m", "ranks.cli", "run", str(FLAGSHIP),
                                "--out", str(run), "--scale", str(args.flagship_scale), "-q"],
                               check=True, cwd=ROOT)
                rep["run_s"] = round(time.perf_counter() - t0, 1)
            t0 = time.perf_counter()
            subprocess.run([sys.executable, "-m", "ranks.cli", "report", str(run), "-q"],
                           check=True, cwd=ROOT)
            rep["report_build_s"] = round(time.perf_counter() - t0, 1)
            html = run / "report.html"
            text = html.read_text(encoding="utf-8")
            first, all_, nfig = render_times(page, html)
            scale = json.loads((run / "manifest.json").read_text())["scale"]
            rep.update({"scenario": FLAGSHIP.name, "scale": scale,
                        "bytes": html.stat().st_size,
                        "mb": round(html.stat().st_size / 2**20, 2), "limit_mb": 5.0,
                        "figures": nfig,
                        "public_series_figures": text.count('aria-label="series '),
                        "first_render_s": round(first, 2),
                        "all_rendered_s": round(all_, 2),
                        "ratio_first_render_to_peer": round(first / f1, 2),
                        "load_avg_1min": round(os.getloadavg()[0], 1)})
            res["flagship_report"] = rep
            print("report", rep, flush=True)
    res["machine"]["load_avg_end"] = os.getloadavg()
    res["created"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(res, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
