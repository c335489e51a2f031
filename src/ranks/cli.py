"""The ``ranks`` command line (Typer + Rich).

Bad input prints one line ``file:line: field: message`` to stderr and exits with code 2,
never a traceback. A conservation failure exits with code 1.
"""

from __future__ import annotations

import gc
import sys
from pathlib import Path
from typing import Annotated, Any, Protocol, cast

import typer
from rich.table import Table

import ranks
from ranks.calibrate import cli as calibrate_cli
from ranks.cli_common import (
    ScenarioArg,
    console,
    err_console,
    handle_errors,
    make_progress,
    parse_date,
    parse_sets,
    print_error,
    show_progress,
    styled,
)
from ranks.ensemble import cli as ensemble_cli
from ranks.errors import RanksInputError
from ranks.explore import cli as explore_cli
from ranks.flee.cli import flee_command
from ranks.flee.suite import suite_command
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
    posterior: Annotated[Path | None, typer.Option(
        help="Calibration directory (ranks calibrate): each replicate runs with one parameter "
        "set drawn from its posterior (recorded in the manifest).")] = None,
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
    from ranks.resources import check_run, check_scale, check_seed
    from ranks.runner import load, resume_scenario, run_scenario

    check_seed(seed)
    check_scale(scale)
    if from_ is not None and out.resolve() == from_.resolve():
        raise RanksInputError("--out is the run being continued; write the continued run to "
                              "another directory (the saved run is never replaced)",
                              file=out, field="--out")
    check_out_dir(out, force)
    loaded = load(scenario, overrides=parse_sets(set_ or []))
    until_d = parse_date(until, "--until")
    if (checkpoint or from_ is not None) and (workers > 1 or scheduler):
        raise RanksInputError("--checkpoint and --from run replicates one after the other: "
                              "leave out --workers and --scheduler", field="--from")
    if from_ is not None:
        if posterior is not None:
            raise RanksInputError("--from continues a saved run: leave out --posterior",
                                  field="--from")
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
    post_kw: dict[str, Any] = {}
    if posterior is not None:
        from ranks.calibrate.posterior import posterior_draws

        root = loaded.scenario.seed if seed is None else seed
        per_rep, section = posterior_draws(posterior, replicates, root, loaded.digest)
        post_kw = {"replicate_overrides": per_rep, "extra": {"posterior": section}}
    check_run(loaded, scale, until_d, seed,
              parallel=0 if scheduler else (min(workers, replicates) if workers > 1 else 1))
    if workers > 1 or scheduler:
        from ranks.ensemble.replicates import run_replicates_dask

        kw: dict[str, Any] = dict(seed=seed, scale=scale, until=until_d, force=force,
                                  replicates=replicates, check=check, workers=workers,
                                  scheduler=scheduler, **post_kw)
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
            err_console.print(styled("warning:", "yellow", f"{len(other)} Dask worker(s) run "
                                     "other ranks code than this process (restart them after "
                                     "updating ranks); results may not be reproducible"))
    elif show_progress(quiet):
        days = ((until_d or loaded.scenario.period.end) - loaded.scenario.period.start).days
        with make_progress() as bar:
            task = bar.add_task(f"{loaded.scenario.name}", total=days * replicates)
            run_scenario(loaded, out, seed=seed, scale=scale, until=until_d, force=force,
                         replicates=replicates, check=check, keep_checkpoint=checkpoint,
                         progress=lambda r, d: bar.advance(task), **post_kw)
    else:
        run_scenario(loaded, out, seed=seed, scale=scale, until=until_d, force=force,
                     replicates=replicates, check=check, keep_checkpoint=checkpoint, **post_kw)
    if not quiet:
        console.print(f"wrote {out}", soft_wrap=True)


@app.command()
@handle_errors
def validate(scenario: ScenarioArg) -> None:
    """Check SCENARIO: syntax, types, names, dates, and evidence of every parameter."""
    from ranks.runner import load

    loaded = load(scenario)
    sc = loaded.scenario
    console.print(styled("ok", "green", f"{scenario}: {len(sc.places)} places, "
                         f"{len(sc.routes)} routes, {len(sc.actors)} actors, "
                         f"{len(sc.timeline)} timeline events, "
                         f"modules: {', '.join(loaded.module_params) or 'none'}"
                         + (f", {len(sc.experiments.levers)} levers"
                            if sc.experiments.levers else "")),
                  soft_wrap=True)


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
app.command("flee-suite")(handle_errors(suite_command))
app.command()(report_cli.report)
app.command()(report_cli.check)
app.command()(report_cli.compare)
app.command()(ensemble_cli.sweep)
app.command()(ensemble_cli.sensitivity)
app.command()(calibrate_cli.calibrate)
app.command("ingest")(ingest_command)
app.command()(explore_cli.explore)


def _click_exceptions(name: str) -> tuple[type[BaseException], ...]:
    """Exception class ``name`` of Click and of the copy of Click that newer Typer vendors."""
    import importlib

    out = []
    for mod in ("typer._click.exceptions", "click.exceptions"):
        try:
            cls = getattr(importlib.import_module(mod), name, None)
        except ImportError:
            continue
        if cls is not None and cls not in out:
            out.append(cls)
    return tuple(out)


class _ClickError(Protocol):
    """What Click's exceptions offer (Click's own and the copy newer Typer vendors)."""

    exit_code: int

    def show(self) -> None: ...

    def format_message(self) -> str: ...


def main() -> None:
    """Console entry point. Command-line mistakes (a missing argument, a value of the wrong
    type) and input errors that escape a command give one line and exit code 2 (a safety
    net: every command also handles its own).

    Always ends by raising SystemExit. Before it, the objects left are frozen out of the
    garbage collector (``gc.freeze``): the interpreter's collections at exit then skip them
    (half a second after a run, for Numba's and pydantic's many objects). Every output is
    written and closed by then; exit handlers still run and stdout and stderr are still
    flushed; only objects held in reference cycles are left to the operating system."""
    try:
        _main()
    finally:
        gc.freeze()


def _main() -> None:
    no_args = _click_exceptions("NoArgsIsHelpError")
    usage = _click_exceptions("UsageError")
    click_error = _click_exceptions("ClickException")
    abort = _click_exceptions("Abort")
    try:
        rv = app(standalone_mode=False, prog_name="ranks")
    except no_args as e:  # bare "ranks": the help, as Click does
        err = cast(_ClickError, e)
        err.show()
        sys.exit(err.exit_code)
    except usage as e:
        ctx = getattr(e, "ctx", None)
        cmd = ctx.command_path if ctx is not None else "ranks"
        msg = cast(_ClickError, e).format_message()
        print_error("error:", f"{cmd}: {msg} (see '{cmd} --help')")
        sys.exit(2)
    except click_error as e:
        err = cast(_ClickError, e)
        print_error("error:", err.format_message())
        sys.exit(err.exit_code)
    except abort:
        print_error("error:", "aborted")
        sys.exit(1)
    except RanksInputError as e:
        print_error("error:", e.format())
        sys.exit(2)
    sys.exit(rv if isinstance(rv, int) else 0)


if __name__ == "__main__":
    main()
