"""Commands ``ranks report``, ``ranks check`` and ``ranks compare`` (registered by
``ranks.cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from ranks.cli_common import RunArg, console, handle_errors
from ranks.errors import RanksInputError


@handle_errors
def report(
    run_dir: RunArg,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="HTML file to write (default RUN_DIR/report.html). An existing "
        "file is replaced: the report is derived output.")] = None,
    targets: Annotated[Path | None, typer.Option(
        help="Calibration targets file (default: targets.yaml beside the scenario, or "
        "scenarios/<name>/targets.yaml).")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Print nothing.")] = False,
) -> None:
    """Write a self-contained HTML report of RUN_DIR (replaces an existing one).

    Plots are embedded; no network is needed to open the file.
    """
    import time

    from ranks.report.run_report import build_report
    from ranks.report.rundir import load_run_dir
    from ranks.report.targets import find_targets, load_targets

    t0 = time.perf_counter()
    run = load_run_dir(run_dir)
    note = ("No targets file found beside the scenario or under scenarios/<name>/; "
            "pass --targets FILE to compare.")
    lt = None
    if targets is not None:
        lt = load_targets(targets)  # given explicitly: a bad file is an input error
    elif (found := find_targets(run)) is not None:
        try:
            lt = load_targets(found)
        except RanksInputError as e:
            note = f"The targets file found is not valid: {e.format()}"
    written = build_report(run_dir, out, lt, note)
    if not quiet:
        console.print(f"wrote {written} ({time.perf_counter() - t0:.1f} s)")


@handle_errors
def check(
    run_dir: RunArg,
    targets: Annotated[Path | None, typer.Option(
        help="Calibration targets file (default: targets.yaml beside the scenario named "
        "in the manifest, or scenarios/<name>/targets.yaml).")] = None,
) -> None:
    """Compare RUN_DIR with calibration targets; exit 1 when any target fails."""
    from ranks.report.rundir import load_run_dir
    from ranks.report.targets import evaluate, pass_rates, resolve_targets, result_rows

    run = load_run_dir(run_dir)
    lt = resolve_targets(run, targets, required=True)
    assert lt is not None
    results = evaluate(lt, run)
    console.print(f"targets: {lt.path}  run: {run.path} (scale {run.scale:g}, "
                  f"{len(run.replicates)} replicate(s); counts divided by the scale)")
    all_rows = result_rows(results)
    for fitted in (True, False):
        rows = [r for r in all_rows if r["fitted"] == fitted]
        tab = Table(title=f"{'Fitted' if fitted else 'Held-out'} targets ({len(rows)})")
        wide = console.width >= 140
        cols = ["id", "metric", "window", "target", "simulated", "pass"]
        for col in cols + (["evidence"] if wide else []):
            tab.add_column(col, overflow="fold",
                           justify="right" if col in ("target", "simulated") else "left")
        for r in rows:
            mark = {"pass": "[green]✓ pass[/]", "fail": "[red]✗ fail[/]"}.get(
                r["status"], f"[yellow]✗ {r['status']}[/]")
            if r["note"]:
                mark += f" ({r['note']})"
            cells = [r["id"], r["metric"], r["window"], r["target"], r["simulated"], mark]
            tab.add_row(*cells, *([r["evidence"]] if wide else []))
        console.print(tab)
    n_fail = sum(r["status"] != "pass" for r in all_rows)
    console.print(f"{len(all_rows) - n_fail} of {len(all_rows)} targets pass")
    if any(r["series"] for r in all_rows):
        rates = pass_rates(results)
        console.print("pass rate of figures with data (points of series count one each): "
                      + ", ".join(f"{k.replace('_', '-')} {v['pass']}/{v['n']}"
                                  for k, v in rates.items()))
    if n_fail:
        raise typer.Exit(1)


@handle_errors
def compare(
    run_a: Annotated[Path, typer.Argument(help="Baseline run directory (A).")],
    run_b: Annotated[Path, typer.Argument(help="Scenario run directory (B).")],
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="HTML file to write (default RUN_B/compare-<A name>.html; "
        "replaced if it exists).")] = None,
) -> None:
    """Paired differences B - A of two runs made with the same seeds.

    Replicate r of A is paired with replicate r of B; 95% t-intervals across pairs.
    Prints a table and writes an HTML page.
    """
    from ranks.report.compare import compare_html, fmt_ci, paired
    from ranks.report.rundir import load_run_dir
    from ranks.report.targets import fmt_value

    a = load_run_dir(run_a)
    b = load_run_dir(run_b)
    diffs, reps, warnings = paired(a, b)
    for w in warnings:
        console.print(f"[yellow]warning:[/] {w}")
    tab = Table(title=f"{b.name} (B) - {a.name} (A), {len(reps)} paired replicate(s)")
    for col in ("outcome", "A mean", "B mean", "B - A", "95% interval"):
        tab.add_column(col, justify="left" if col == "outcome" else "right")
    for d in diffs:
        tab.add_row(d.outcome, fmt_value(d.mean_a), fmt_value(d.mean_b), fmt_value(d.diff),
                    fmt_ci(d))
    console.print(tab)
    if len(reps) < 2:
        console.print("one replicate: the 95% interval is not available")
    dest = out or b.path / f"compare-{a.name}.html"
    compare_html(a, b, diffs, reps, warnings, dest)
    console.print(f"wrote {dest}")
