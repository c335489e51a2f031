"""Commands ``ranks report``, ``ranks check`` and ``ranks compare`` (registered by
``ranks.cli``)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table
from rich.text import Text

from ranks.cli_common import RunArg, console, handle_errors, styled
from ranks.errors import RanksInputError


@handle_errors
def report(
    run_dir: RunArg,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="HTML file to write (default RUN_DIR/report.html, replaced). An "
        "existing --out file is replaced only when Ranks wrote it.")] = None,
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
    if out is not None:
        from ranks.io.outdir import preflight_file

        preflight_file(out)  # before the work: an existing --out must be a Ranks page
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


def print_skill(run: Any, results: list[Any]) -> None:
    """Probabilistic skill of the held-out targets (with 2+ replicates): coverage of the
    50/80/95% intervals, CRPS and skill against the prior predictive of the run's
    calibration (docs/calibration.md)."""
    from ranks.calibrate.skill import LEVELS, heldout_skill
    from ranks.report.targets import fmt_value

    if len(run.replicates) < 2:
        console.print("probabilistic skill: needs 2 or more replicates (e.g. ranks run ... "
                      "--posterior DIR --replicates 20)")
        return
    cal = (run.manifest.get("posterior") or {}).get("dir")
    sk = heldout_skill(results, cal)
    if not sk.n:
        console.print("probabilistic skill: no held-out target with a value and data")
        return
    tab = Table(title=f"Probabilistic skill, held-out targets ({sk.n}; "
                      f"{len(run.replicates)} replicates"
                      + ("; posterior draws" if cal else "") + ")")
    for col in ("id", "observed", "50%", "80%", "95% interval", "CRPS", "baseline CRPS",
                "skill"):
        tab.add_column(col, justify="left" if col == "id" else "right")
    for s in sk.scores:
        lo, hi = s.interval[0.95]
        tab.add_row(s.obs.label, fmt_value(s.obs.observed),
                    *("✓" if s.hits[lev] else "✗" for lev in LEVELS[:2]),
                    f"{fmt_value(lo)}–{fmt_value(hi)} {'✓' if s.hits[0.95] else '✗'}",
                    fmt_value(s.crps),
                    "n/a" if s.crps_baseline is None else fmt_value(s.crps_baseline),
                    "n/a" if s.skill is None else f"{s.skill:+.2f}")
    console.print(tab)
    skill = sk.skill()
    console.print("coverage of held-out figures: " + ", ".join(
        f"{int(lev * 100)}% intervals {sk.coverage(lev):.0%}" for lev in LEVELS)
        + f"; mean CRPS {fmt_value(sk.mean_crps())}"
        + ("" if skill is None else f"; skill vs prior predictive {skill:+.2f}"),
        highlight=False)


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
                  f"{len(run.replicates)} replicate(s); counts divided by the scale)",
                  soft_wrap=True)  # paths stay whole, for reading and copying
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
            label, style = {"pass": ("✓ pass", "green"), "fail": ("✗ fail", "red")}.get(
                r["status"], (f"✗ {r['status']}", "yellow"))
            mark = Text.assemble((label, style), f" ({r['note']})" if r["note"] else "")
            cells = [r["id"], r["metric"], r["window"], r["target"], r["simulated"], mark]
            tab.add_row(*cells, *([r["evidence"]] if wide else []))
        console.print(tab)
    print_skill(run, results)
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
        "--out", "-o", help="HTML file to write (default RUN_B/compare-<A name>.html, "
        "replaced; an existing --out file only when Ranks wrote it).")] = None,
) -> None:
    """Paired differences B - A of two runs made with the same seeds.

    Replicate r of A is paired with replicate r of B; 95% t-intervals across pairs.
    Prints a table and writes an HTML page.
    """
    from ranks.report.compare import compare_html, fmt_ci, paired
    from ranks.report.rundir import load_run_dir
    from ranks.report.targets import fmt_value

    if out is not None:
        from ranks.io.outdir import preflight_file

        preflight_file(out)
    a = load_run_dir(run_a)
    b = load_run_dir(run_b)
    diffs, reps, warnings = paired(a, b)
    for w in warnings:
        console.print(styled("warning:", "yellow", w))
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
    compare_html(a, b, diffs, reps, warnings, dest, replace_any=out is None)
    console.print(f"wrote {dest}")
