"""``ranks flee-suite DIR``: run every Flee conflict under a directory and tabulate the errors.

Each FabFlee conflict found under DIR (see :func:`ranks.flee.fabflee.find_conflicts`) is run in
its own fresh process (so its peak memory is its own, and a failure stays its own) for
``--replicates`` seeds.  The suite writes, atomically into ``--out``:

* ``suite.csv`` / ``suite.json``: one row per conflict: status, days, camps, agents, the
  error metrics (``averaged_relative_difference``, ``total_error``, ``maape``; means over
  replicates), the 5-95 % band coverage of the data (with replicates), agent-steps per second
  (reading included), peak resident memory of the conflict's process up to the end of its
  runs (MB; before plotting) and wall time;
* ``index.html``: a self-contained page with the table and, per conflict, its per-camp series
  (band, median, observed data);
* ``<conflict>/out.csv``, ``summary.json`` and, with replicates, ``bands.csv``;
* ``manifest.json``: the directory run, the seeds, the days and each conflict's status (it
  marks the directory as a suite's: ``--force`` replaces only such a directory).

A conflict that cannot be read (bad input, a rule Ranks refuses) is listed with the reason;
the command exits 1 when no conflict ran (``--strict``: when any did not).
"""

from __future__ import annotations

import concurrent.futures as cf
import csv
import json
import math
import multiprocessing as mp
import resource
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from ranks.errors import RanksInputError
from ranks.flee.fabflee import Layout, find_conflicts

COLUMNS = ["conflict", "status", "days", "camps", "agents_final", "replicates",
           "averaged_relative_difference", "total_error", "maape", "coverage",
           "agent_steps", "agent_steps_per_s", "peak_rss_mb", "wall_s", "warnings"]


def _peak_rss_mb() -> float:
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return rss / (1024.0 * 1024.0) if sys.platform == "darwin" else rss / 1024.0


def conflict_name(layout: Layout, root: Path) -> str:
    """A conflict's name in the suite: its path under the suite's directory."""
    try:
        rel = layout.root.relative_to(root).as_posix()
    except ValueError:
        rel = ""
    return rel if rel not in ("", ".") else layout.root.name


def run_one(layout: Layout, name: str, out_dir: Path, seed: int, replicates: int,
            days: int | None) -> dict[str, Any]:
    """Run one conflict (in a worker process); write its outputs into ``out_dir``; return its
    table row plus the figure (base64 PNG) and per-camp rows for the HTML page."""
    row: dict[str, Any] = {"conflict": name, "path": str(layout.root)}
    t0 = time.perf_counter()
    try:
        from ranks.flee.bands import camp_rows, run_replicates, write_replicate_outputs
        from ranks.flee.output import write_outputs
        from ranks.flee.reader import read_scenario

        scen = read_scenario(layout.root, days=days)
        read_s = time.perf_counter() - t0
        rep = run_replicates(scen, list(range(seed, seed + replicates)))
        assert rep.first is not None
        row["peak_rss_mb"] = _peak_rss_mb()  # reading and simulating (before plotting)
        from ranks.flee.plots import camp_series_png
        out_dir.mkdir(parents=True, exist_ok=True)
        wall = read_s + rep.wall_s  # reading and simulating (not writing or plotting)
        rep.first.wall_s = wall
        if replicates > 1:
            summary = write_replicate_outputs(rep, out_dir)
        else:
            summary = write_outputs(rep.first, out_dir)
        m = rep.mean_metrics()
        cov, _ = rep.coverage()
        row.update(
            status="ok" if scen.validation is not None else "ok (no validation data)",
            days=scen.days, camps=len(rep.camp_names), agents_final=rep.first.agents_final,
            replicates=replicates, averaged_relative_difference=m["averaged_relative_difference"],
            total_error=m["total_error"], maape=m["maape"],
            coverage=None if replicates < 2 or math.isnan(cov) else cov,
            agent_steps=rep.agent_steps, agent_steps_per_s=rep.agent_steps / wall,
            wall_s=wall, warnings=len(summary["warnings"]), warning_text=summary["warnings"],
            hasten=scen.settings.hasten)
        row["figure"] = camp_series_png(rep.camp_names, scen.start_date, rep.quantiles(),
                                        rep.obs, name, scen.settings.hasten)
        row["camp_rows"] = camp_rows(rep)
    except RanksInputError as exc:
        row.update(status=f"input error: {exc.format()}", wall_s=time.perf_counter() - t0)
    except Exception as exc:  # a bug or an unforeseen input: report it, keep the suite going
        tb = traceback.format_exception_only(type(exc), exc)[-1].strip()
        row.update(status=f"failed: {tb}", wall_s=time.perf_counter() - t0)
    row.setdefault("peak_rss_mb", _peak_rss_mb())
    return row


def _fmt(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    if isinstance(v, float):
        return f"{v:.6g}"
    return str(v)


def write_manifest(out: Path, root: Path, seed: int, replicates: int, days: int | None,
                   rows: list[dict[str, Any]]) -> None:
    """manifest.json: what was run (directory, seeds, days) and each conflict's status."""
    from ranks import __version__

    doc = {"ranks_version": __version__, "suite": str(root), "seed": seed,
           "seeds": list(range(seed, seed + replicates)), "replicates": replicates,
           "days": days, "conflicts": {r["conflict"]: r.get("status", "") for r in rows}}
    (out / "manifest.json").write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")


def write_table(rows: list[dict[str, Any]], out: Path) -> None:
    """suite.csv (COLUMNS) and suite.json (rows without figures)."""
    with open(out / "suite.csv", "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(COLUMNS)
        for r in rows:
            w.writerow([_fmt(r.get(c)) for c in COLUMNS])
    slim = [{k: v for k, v in r.items() if k not in ("figure", "camp_rows")} for r in rows]
    (out / "suite.json").write_text(json.dumps(slim, indent=1) + "\n", encoding="utf-8")


def write_html(rows: list[dict[str, Any]], out: Path, root: Path, replicates: int) -> None:
    """index.html: the table and each conflict's per-camp series."""
    from ranks.flee.plots import METRICS_NOTE
    from ranks.report.htmlkit import esc, img, page, table

    def num(v: Any, nd: int = 3) -> str:
        return "" if v is None or (isinstance(v, float) and math.isnan(v)) else (
            f"{v:.{nd}f}" if isinstance(v, float) else str(v))

    ok = [r for r in rows if str(r.get("status", "")).startswith("ok")]
    trs = [[r["conflict"], r.get("status", ""), num(r.get("days")), num(r.get("camps")),
            num(r.get("agents_final")), num(r.get("averaged_relative_difference")),
            num(r.get("total_error")), num(r.get("maape")), num(r.get("coverage"), 2),
            num(r.get("agent_steps_per_s"), 0), num(r.get("peak_rss_mb"), 0)] for r in rows]
    body = [f"<section><h2>Conflicts</h2><p class=\"note\">{esc(METRICS_NOTE)} "
            "agent-steps/s: agents alive summed over days and replicates, per second of "
            "reading and simulating; peak memory: the conflict's own process (MB).</p>",
            table(["conflict", "status", "days", "camps", "agents", "ARD", "total error",
                   "MAAPE", "coverage", "agent-steps/s", "peak MB"], trs,
                  num_cols=(2, 3, 4, 5, 6, 7, 8, 9, 10)), "</section>"]
    for i, r in enumerate(ok):
        body.append(f"<section id=\"c{i}\"><h2>{esc(r['conflict'])}</h2>")
        if r.get("warning_text"):
            body.append("<p class=\"note\">" + "<br>".join(esc(w) for w in r["warning_text"])
                        + "</p>")
        body.append(table(["camp", "coverage", "MAAPE (median run)", "final observed",
                           "final median", "final 5-95 %"], r.get("camp_rows", []),
                          num_cols=(1, 2, 3, 4)))
        body.append(img(r["figure"], f"{r['conflict']}: per-camp series", f"fig-{i}"))
        body.append("</section>")
    head = (f"<h1>Flee validation suite</h1><div class=\"meta\">{esc(str(root))} &middot; "
            f"{len(rows)} conflicts, {len(ok)} run &middot; {replicates} replicate(s) each "
            f"&middot; {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}</div>")
    (out / "index.html").write_text(page("Flee validation suite", head, "".join(body)),
                                    encoding="utf-8")


def run_suite(root: Path, out: Path, *, seed: int = 0, replicates: int = 1,
              days: int | None = None, jobs: int = 1, force: bool = False,
              show: bool = True, only: list[str] | None = None) -> list[dict[str, Any]]:
    """Run every conflict under ``root`` and write the suite's outputs into ``out``."""
    from ranks.io.atomic import atomic_dir

    root = Path(root)
    if not root.is_dir():
        raise RanksInputError("not a directory", file=root)
    layouts = find_conflicts(root)
    names = {lay.root: conflict_name(lay, root) for lay in layouts}
    if only:
        layouts = [lay for lay in layouts if names[lay.root] in only or lay.root.name in only]
        if not layouts:
            raise RanksInputError(f"no conflict named {', '.join(only)} under it (names are "
                                  "paths under DIR, e.g. validation/SWEEP/mali2012)",
                                  file=root, field="--only")
    if not layouts:
        raise RanksInputError("no FabFlee conflict (a directory with input_csv/locations.csv) "
                              "found under it", file=root)
    console = Console(stderr=True, markup=False, emoji=False, highlight=False)
    rows: list[dict[str, Any]] = []
    with atomic_dir(out, force, kind="flee-suite") as tmp:
        ctx = mp.get_context("spawn")
        with Progress(TextColumn("flee-suite {task.description}", markup=False,
                                 style="bold"), BarColumn(),
                      MofNCompleteColumn(), TimeElapsedColumn(), console=console,
                      disable=not show, transient=True) as progress, \
                cf.ProcessPoolExecutor(max_workers=jobs, mp_context=ctx,
                                       max_tasks_per_child=1) as pool:
            task = progress.add_task("conflicts", total=len(layouts))
            futs = {pool.submit(run_one, lay, names[lay.root], tmp / names[lay.root], seed,
                                replicates, days): lay for lay in layouts}
            for fut in cf.as_completed(futs):
                lay = futs[fut]
                try:
                    rows.append(fut.result())
                except Exception as exc:  # the worker process died (e.g. out of memory)
                    rows.append({"conflict": names[lay.root], "path": str(lay.root),
                                 "status": f"failed: worker process ended ({exc})"})
                progress.update(task, advance=1, description=names[lay.root])
        rows.sort(key=lambda r: r["conflict"])
        write_manifest(tmp, root, seed, replicates, days, rows)
        write_table(rows, tmp)
        write_html(rows, tmp, root, replicates)
    return rows


def suite_command(
    directory: Path = typer.Argument(..., help="Directory holding FabFlee conflicts "
                                     "(e.g. FabFlee's config_files/)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory (written atomically)."),
    replicates: int = typer.Option(1, "--replicates", min=1,
                                   help="Seeds per conflict (bands and coverage from 2 on)."),
    seed: int = typer.Option(0, "--seed", min=0, help="First seed."),
    days: int | None = typer.Option(None, "--days", min=1, help="Run only the first DAYS."),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Conflicts run at once."),
    only: list[str] | None = typer.Option(None, "--only", help="Run only these conflicts "
                                          "(names as listed; repeatable)."),
    force: bool = typer.Option(False, "--force", help="Replace an existing output directory."),
    strict: bool = typer.Option(False, "--strict", help="Exit 1 when any conflict did not "
                                "run (by default only when none ran)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
) -> None:
    """Run every Flee conflict under DIRECTORY; write a table and an HTML page.

    Writes OUT/suite.csv and suite.json (per conflict: status, ARD, total error, MAAPE,
    coverage, agent-steps/s, peak memory), OUT/index.html (per-camp series) and each
    conflict's out.csv / summary.json (/ bands.csv) in OUT/<conflict>/. Exit code 1 when no
    conflict ran (with --strict: when any did not), after writing the table.
    """
    show = not quiet and sys.stderr.isatty()
    rows = run_suite(directory, out, seed=seed, replicates=replicates, days=days, jobs=jobs,
                     force=force, show=show, only=only)
    ok = sum(1 for r in rows if str(r.get("status", "")).startswith("ok"))
    if not quiet:
        typer.echo(f"{len(rows)} conflicts, {ok} run; wrote {out}/suite.csv and index.html")
        for r in rows:
            if not str(r.get("status", "")).startswith("ok"):
                typer.echo(f"  {r['conflict']}: {r['status']}", err=True)
    if rows and (ok == 0 or (strict and ok < len(rows))):
        typer.echo(f"flee-suite: {len(rows) - ok} of {len(rows)} conflicts did not run "
                   f"(see {out}/suite.csv)", err=True)
        raise typer.Exit(1)

