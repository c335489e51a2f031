"""Commands ``ranks sweep`` and ``ranks sensitivity`` (registered by ``ranks.cli``)."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TaskID
from rich.table import Table

from ranks.cli_common import (
    ScenarioArg,
    console,
    handle_errors,
    make_progress,
    parse_date,
    show_progress,
    styled,
)


@handle_errors
def sweep(
    scenario: ScenarioArg,
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file (docs/ensembles.md).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Sweep directory (created, or "
                                      "resumed when it holds the same sweep).")],
    workers: Annotated[int, typer.Option(min=1, help="Dask worker processes on this "
                                         "machine (1: run in this process).")] = 1,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask "
                                                  "scheduler (tcp://host:8786).")] = None,
    replicates: Annotated[int | None, typer.Option(min=1, help="Replicates per design "
                                                   "point (default: the sweep file's)."
                                                   )] = None,
    seed: Annotated[int | None, typer.Option(help="Root seed (default: the "
                                             "scenario's).")] = None,
    scale: Annotated[float | None, typer.Option(help="Fraction of the population "
                                                "(default: the sweep file's).")] = None,
    until: Annotated[str | None, typer.Option(help="Stop before this date "
                                              "(YYYY-MM-DD).")] = None,
    retries: Annotated[int, typer.Option(min=0, help="Dask retries of a task that "
                                         "raised.")] = 2,
    check: Annotated[bool, typer.Option(help="Recount everyone daily in every run.")
                     ] = False,
    force: Annotated[bool, typer.Option(help="Delete DIR and start over.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or "
                                        "tables.")] = False,
) -> None:
    """Run a parameter sweep of SCENARIO (grid, LHS, Sobol, Morris); resumable."""
    from ranks.ensemble.sweep import run_sweep

    until_d = parse_date(until, "--until")
    run = functools.partial(run_sweep, scenario, sweep_file, out, workers=workers,
                            scheduler=scheduler, seed=seed, scale=scale, until=until_d,
                            replicates=replicates, check=check, force=force, retries=retries)
    if show_progress(quiet):
        with make_progress() as bar:
            state: dict[str, TaskID] = {}

            def on_start(total: int, done: int) -> None:
                state["task"] = bar.add_task("sweep runs", total=total, completed=done)

            rep = run(on_start=on_start, on_run=lambda ro: bar.advance(state["task"]))
    else:
        rep = run()
    if quiet:
        return
    t = Table(title=f"Sweep {out}")
    for col in ("runs", "done before", "ran now", "failed", "wall s", "run s (sum)",
                "executor"):
        t.add_column(col, justify="right")
    ex = rep.executor
    t.add_row(str(rep.runs), str(rep.already_done), str(rep.ran), str(rep.failed),
              f"{rep.wall_s:.1f}", f"{rep.task_s:.1f}",
              ex["kind"] + (f" ({ex.get('scheduler')}, {ex.get('worker_threads')} "
                            "workers)" if ex["kind"] == "dask" else ""))
    console.print(t)
    if ex.get("workers_with_other_code"):
        console.print(styled("warning:", "yellow", f"{len(ex['workers_with_other_code'])} "
                             "Dask worker(s) run other ranks code than this process (restart "
                             "them after updating ranks); results may not be reproducible"))
    from ranks.ensemble.sweep import outcome_columns

    tab = rep.table
    ok = tab[tab["status"] == "ok"]
    cols = outcome_columns(tab, rep.labels)
    if len(ok) and cols:
        o = Table(title="Outcomes over finished runs")
        for col in ("outcome", "mean", "sd", "min", "max"):
            o.add_column(col, justify="right" if col != "outcome" else "left")
        for c in cols:
            v = ok[c].astype(float)
            o.add_row(c, f"{v.mean():.4g}", f"{v.std(ddof=0):.3g}", f"{v.min():.4g}",
                      f"{v.max():.4g}")
        console.print(o)
    failed = tab[tab["status"] == "failed"]
    for _, r in failed.head(5).iterrows():
        console.print(styled("failed", "red", f"{r['run_id']}: {r['error']}"))
    console.print(f"wrote {out / 'runs.parquet'}")


@handle_errors
def sensitivity(
    sweep_dir: Annotated[Path, typer.Argument(help="Directory of a finished Sobol or "
                                              "Morris sweep.")],
    outcome: Annotated[list[str] | None, typer.Option(
        "--outcome", help="Outcome column of runs.parquet (e.g. events.deserted, "
        "camp_peak); repeat for several. Default: all.")] = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No table.")] = False,
) -> None:
    """Sobol or Morris indices of sweep outcomes with 95% confidence intervals."""
    from ranks.ensemble.sensitivity import analyze, write_outputs

    sens = analyze(sweep_dir, outcome or None)
    paths = write_outputs(sweep_dir, sens)
    if quiet:
        return
    t = Table(title=f"{sens.method.capitalize()} indices ({sens.points} points, "
                    f"{sens.runs_used} runs)")
    t.add_column("outcome")
    t.add_column("parameter")
    idx = ["S1", "ST"] if sens.method == "sobol" else ["mu_star", "sigma"]
    for i in idx:
        t.add_column(i, justify="right")
        if i != "sigma":
            t.add_column("+/- 95%", justify="right")
    tab = sens.table
    for (o, p), g in tab.groupby(["outcome", "parameter"], sort=False):
        g = g.set_index("index")
        cells = []
        for i in idx:
            cells.append(f"{g.at[i, 'value']:.3g}")
            if i != "sigma":
                cells.append(f"{g.at[i, 'conf']:.2g}")
        t.add_row(str(o), str(p), *cells)
    console.print(t)
    if sens.skipped:
        console.print(f"constant in all runs (no indices): {', '.join(sens.skipped)}")
    console.print(f"wrote {paths['csv']}, {paths['png'].name}, {paths['html'].name}")
