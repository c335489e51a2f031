"""``ranks flee``: run a Flee-format scenario with the vectorized engine.

Use :func:`register` to add the command to a Typer app; ``python -m ranks.flee.cli`` runs it
standalone (input errors are then printed as one line, exit code 2).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from typer.core import TyperGroup

from ranks.errors import RanksInputError
from ranks.io.atomic import atomic_dir, check_out_dir


def flee_command(
    input_dir: Path = typer.Argument(
        ..., help="Flee input directory (locations.csv, ...) or FabFlee conflict directory "
        "(input_csv/, source_data/, simsetting.yml)."),
    validation_dir: Path | None = typer.Argument(
        None, help="Flee validation directory (data_layout.csv and camp series; default for "
        "a FabFlee directory: its source_data/)."),
    out: Path = typer.Option(..., "--out", "-o", help="Output directory (written atomically)."),
    settings: Path | None = typer.Option(
        None, "--settings", "-s",
        help="Flee simsetting.yml (default: INPUT_DIR/simsetting.yml, else Flee's defaults)."),
    seed: int = typer.Option(0, "--seed", help="Random seed; same seed, same out.csv."),
    days: int | None = typer.Option(None, "--days", min=1,
                                    help="Run only the first DAYS days."),
    force: bool = typer.Option(False, "--force", help="Replace an existing output directory."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary."),
    replicates: int = typer.Option(
        1, "--replicates", min=1, help="Run seeds SEED..SEED+N-1: adds per-camp 5-95% bands "
        "(bands.csv), their coverage of the data and report.html."),
) -> None:
    """Run a Flee refugee scenario (Flee 3.1 rules, vectorized) and score it.

    Writes OUT/out.csv (per day: simulated and observed refugees per camp, totals, errors)
    and OUT/summary.json (averaged_relative_difference, total_error, maape, agent_steps,
    wall_s, peak_rss_mb, seed, ...); with --replicates N also OUT/bands.csv and
    OUT/report.html.
    """
    from ranks.flee.engine import FleeEngine
    from ranks.flee.output import write_outputs
    from ranks.flee.reader import read_scenario
    from ranks.resources import check_seed

    t_start = time.perf_counter()
    check_seed(seed)
    check_out_dir(out, force, kind="flee")  # before reading and running
    scen = read_scenario(input_dir, validation_dir, settings, days=days)
    console = Console(stderr=True)
    show = not quiet and sys.stdout.isatty()
    for w in scen.warnings if not quiet else ():
        if "is not a setting Ranks reads" in w:
            typer.echo(f"warning: {w}", err=True)
    with atomic_dir(out, force, kind="flee") as tmp:
        with Progress(TextColumn("[bold]flee[/] day {task.completed}/{task.total}"),
                      BarColumn(), TimeElapsedColumn(), console=console,
                      disable=not show, transient=True) as progress:
            task = progress.add_task("days", total=scen.days * replicates)
            if replicates > 1:
                from ranks.flee.bands import run_replicates, write_replicate_outputs

                rep = run_replicates(scen, list(range(seed, seed + replicates)),
                                     on_day=lambda _t: progress.advance(task))
            else:
                engine = FleeEngine(scen, seed=seed)
                result = engine.run(on_day=lambda _t: progress.advance(task))
        if replicates > 1:
            assert rep.first is not None
            rep.first.wall_s = time.perf_counter() - t_start  # reading and all replicates
            summary = write_replicate_outputs(rep, tmp)
        else:
            result.wall_s = time.perf_counter() - t_start  # reading included
            summary = write_outputs(result, tmp)
    if not quiet:
        ard = summary["averaged_relative_difference"]
        err = f"{ard:.4f}" if ard is not None else "n/a (no validation data)"
        typer.echo(f"{scen.days} days, {summary['agents_final']} agents, "
                   f"{summary['agent_steps']} agent-steps in {summary['wall_s']:.2f} s; "
                   f"averaged relative difference {err}; wrote {out}")
        if replicates > 1:
            cov = summary["replicates"]["coverage"]
            typer.echo(f"{replicates} replicates: 5-95% bands cover "
                       f"{'n/a' if cov is None else f'{cov:.0%}'} of the observed camp-days")
        for w in summary["warnings"]:
            if "is not a setting Ranks reads" not in w:  # shown before the run
                typer.echo(f"warning: {w}", err=True)


def register(app: typer.Typer) -> None:
    """Add the ``flee`` command to ``app``.

    Input errors propagate as :class:`RanksInputError`.  When the main ``ranks`` CLI is
    loaded, its ``handle_errors`` decorator (one line on stderr, exit code 2) wraps the
    command like the other ``ranks`` commands; :func:`make_app` does the same standalone.
    """
    main_cli = sys.modules.get("ranks.cli")
    wrap = getattr(main_cli, "handle_errors", None)
    app.command("flee")(wrap(flee_command) if callable(wrap) else flee_command)


class _OneLineErrors(TyperGroup):
    """Click group that reports :class:`RanksInputError` as one line and exit code 2."""

    def invoke(self, ctx: Any) -> object:
        try:
            return super().invoke(ctx)
        except RanksInputError as exc:
            typer.echo(f"error: {exc.format()}", err=True)
            raise typer.Exit(exc.exit_code) from None


def make_app() -> typer.Typer:
    """A standalone Typer app with only the ``flee`` command (input errors: exit 2)."""
    app = typer.Typer(cls=_OneLineErrors, add_completion=False, no_args_is_help=True)

    @app.callback()
    def _root() -> None:
        """Ranks Flee engine."""

    register(app)
    return app


def main() -> None:
    """Standalone entry point (``python -m ranks.flee.cli flee ...``)."""
    make_app()()


if __name__ == "__main__":
    main()
