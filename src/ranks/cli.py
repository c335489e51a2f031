"""The ``ranks`` command line (Typer + Rich).

Bad input prints one line ``file:line: field: message`` to stderr and exits with code 2,
never a traceback. A conservation failure exits with code 1.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

import ranks
from ranks.cli_common import (
    ScenarioArg,
    console,
    err_console,
    handle_errors,
    make_progress,
    parse_date,
    parse_sets,
    show_progress,
)
from ranks.ensemble import cli as ensemble_cli
from ranks.errors import RanksInputError
from ranks.flee.cli import flee_command
from ranks.ingest.cli import ingest_command
from ranks.report import cli as report_cli

app = typer.Typer(
    name="ranks", add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Ranks: simulate how armed actors fill their ranks and how people get out.",
)


def _version(value: bool) -> None:
    if value:
        console.print(f"ranks {ranks.__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                          help="Print the version and exit.")] = False,
) -> None:
    """Ranks: simulate how armed actors fill their ranks and how people get out."""


@app.command()
@handle_errors
def run(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option("--out", "-o", help="Run directory to create.")],
    seed: Annotated[int | None, typer.Option(help="Root seed (default: the scenario's).")] = None,
    scale: Annotated[float, typer.Option(help="Fraction of the population to simulate.")] = 1.0,
    until: Annotated[str | None, typer.Option(help="Stop before this date (YYYY-MM-DD).")] = None,
    replicates: Annotated[int, typer.Option(min=1, help="Number of replicates.")] = 1,
    force: Annotated[bool, typer.Option(help="Replace an existing run directory.")] = False,
    check: Annotated[bool, typer.Option(help="Recount everyone daily; fail if anyone is lost "
                                        "or counted twice.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar.")] = False,
    set_: Annotated[list[str] | None, typer.Option(
        "--set", help="Override a scenario value by dotted path, e.g. --set "
        "modules.flight.smuggler_price_usd.value=1000 (repeatable; recorded in the manifest)."
    )] = None,
    workers: Annotated[int, typer.Option(min=1, help="Dask worker processes on this machine "
                                         "(replicates in parallel when > 1).")] = 1,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask scheduler "
                                                  "(tcp://host:8786) to run replicates on."
                                                  )] = None,
    checkpoint: Annotated[bool, typer.Option(
        "--checkpoint", help="Also save each replicate's state at its end "
        "(checkpoint-R.pkl), to continue it with --from.")] = False,
    from_: Annotated[Path | None, typer.Option(
        "--from", help="Continue the run in this directory (saved with --checkpoint) to "
        "the end of SCENARIO's period or --until; SCENARIO may differ from the saved run's "
        "only from the day it stopped (what-if branches); seed and scale are the saved "
        "run's.")] = None,
) -> None:
    """Run SCENARIO and write OUT/manifest.json, events.parquet, stocks.parquet."""
    from ranks.io.atomic import check_out_dir
    from ranks.runner import load, resume_scenario, run_scenario

    check_out_dir(out, force)
    loaded = load(scenario, overrides=parse_sets(set_ or []))
    until_d = parse_date(until, "--until")
    if (checkpoint or from_ is not None) and (workers > 1 or scheduler):
        raise RanksInputError("--checkpoint and --from run replicates one after the other: "
                              "leave out --workers and --scheduler", field="--from")
    if from_ is not None:
        if seed is not None or scale != 1.0 or replicates != 1:
            raise RanksInputError("--from continues the saved run with its seed, scale and "
                                  "replicates: leave out --seed, --scale and --replicates",
                                  field="--from")
        if show_progress(quiet):
            days = ((until_d or loaded.scenario.period.end) - loaded.scenario.period.start).days
            with make_progress() as bar:
                task = bar.add_task(f"{loaded.scenario.name} (continued)", total=days)
                resume_scenario(loaded, out, from_, until=until_d, force=force,
                                keep_checkpoint=checkpoint,
                                progress=lambda r, d: bar.update(task, completed=d + 1))
        else:
            resume_scenario(loaded, out, from_, until=until_d, force=force,
                            keep_checkpoint=checkpoint)
        if not quiet:
            console.print(f"wrote {out}")
        return
    if workers > 1 or scheduler:
        from ranks.ensemble.replicates import run_replicates_dask

        kw: dict[str, Any] = dict(seed=seed, scale=scale, until=until_d, force=force,
                                  replicates=replicates, check=check, workers=workers,
                                  scheduler=scheduler)
        if show_progress(quiet):
            with make_progress() as bar:
                task = bar.add_task(f"{loaded.scenario.name} replicates", total=replicates)
                run_replicates_dask(loaded, out, progress=lambda r: bar.advance(task), **kw)
        else:
            run_replicates_dask(loaded, out, **kw)
        import json

        other = json.loads((out / "manifest.json").read_text())["executor"].get(
            "workers_with_other_code")
        if other:
            err_console.print(f"[yellow]warning:[/] {len(other)} Dask worker(s) run other "
                              "ranks code than this process (restart them after updating "
                              "ranks); results may not be reproducible", highlight=False)
    elif show_progress(quiet):
        days = ((until_d or loaded.scenario.period.end) - loaded.scenario.period.start).days
        with make_progress() as bar:
            task = bar.add_task(f"{loaded.scenario.name}", total=days * replicates)
            run_scenario(loaded, out, seed=seed, scale=scale, until=until_d, force=force,
                         replicates=replicates, check=check, keep_checkpoint=checkpoint,
                         progress=lambda r, d: bar.advance(task))
    else:
        run_scenario(loaded, out, seed=seed, scale=scale, until=until_d, force=force,
                     replicates=replicates, check=check, keep_checkpoint=checkpoint)
    if not quiet:
        console.print(f"wrote {out}")


@app.command()
@handle_errors
def validate(scenario: ScenarioArg) -> None:
    """Check SCENARIO: syntax, types, names, dates, and evidence of every parameter."""
    from ranks.runner import load

    loaded = load(scenario)
    sc = loaded.scenario
    console.print(f"[green]ok[/] {scenario}: {len(sc.places)} places, {len(sc.routes)} routes, "
                  f"{len(sc.actors)} actors, {len(sc.timeline)} timeline events, "
                  f"modules: {', '.join(loaded.module_params) or 'none'}")


@app.command()
@handle_errors
def evidence(
    scenario: ScenarioArg,
    csv: Annotated[bool, typer.Option("--csv", help="Print CSV instead of a table.")] = False,
) -> None:
    """Print every parameter of SCENARIO with its source or assumption."""
    from ranks.evidence import evidence_rows
    from ranks.runner import load

    loaded = load(scenario)
    rows = evidence_rows(loaded)
    if csv:
        import csv as csvmod

        w = csvmod.writer(sys.stdout)
        w.writerow(["parameter", "value", "evidence", "origin", "note"])
        for r in rows:
            w.writerow([r.path, r.value, r.evidence, r.origin, r.note])
        return
    table = Table(title=f"Evidence: {loaded.scenario.name}", show_lines=False)
    for col in ("parameter", "value", "evidence", "origin", "note"):
        table.add_column(col, overflow="fold")
    for r in rows:
        table.add_row(r.path, r.value, r.evidence, r.origin, r.note)
    console.print(table)
    n_ass = sum(r.evidence.startswith("assumption") for r in rows)
    console.print(f"{len(rows)} parameters: {len(rows) - n_ass} cite a source, "
                  f"{n_ass} are assumptions")


@app.command()
@handle_errors
def plan(scenario: ScenarioArg) -> None:
    """Print the fixed daily order of phases and modules for SCENARIO."""
    from ranks.engine import Simulation
    from ranks.runner import load

    sim = Simulation(load(scenario), scale=0.001)
    for line in sim.plan():
        console.print(line)


# Commands that live in their own subpackages, registered here explicitly.
app.command("flee")(handle_errors(flee_command))
app.command()(report_cli.report)
app.command()(report_cli.check)
app.command()(report_cli.compare)
app.command()(ensemble_cli.sweep)
app.command()(ensemble_cli.sensitivity)
app.command("ingest")(ingest_command)


def main() -> None:
    """Console entry point. Input errors that escape a command still give one line and
    exit code 2 (a safety net: every command also handles its own)."""
    try:
        app()
    except RanksInputError as e:
        err_console.print(f"[bold red]error:[/] {e.format()}", highlight=False, soft_wrap=True)
        sys.exit(2)


if __name__ == "__main__":
    main()
