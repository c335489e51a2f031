"""Command ``ranks calibrate`` (registered by ``ranks.cli``)."""

from pathlib import Path
from typing import Annotated, Any

import typer

from ranks.cli_common import (
    ScenarioArg,
    console,
    handle_errors,
    make_progress,
    parse_date,
    show_progress,
)


@handle_errors
def calibrate(
    scenario: ScenarioArg,
    priors: Annotated[Path, typer.Option("--priors", help="Priors YAML: one prior per "
                                         "parameter path, with evidence "
                                         "(docs/calibration.md).")],
    out: Annotated[Path, typer.Option("--out", "-o", help="Calibration directory "
                                      "(created, or resumed when it holds the same "
                                      "calibration).")],
    targets: Annotated[Path | None, typer.Option(help="Targets file (default: "
                                                 "scenarios/<name>/targets.yaml).")
                       ] = None,
    budget: Annotated[int, typer.Option(min=20, help="Simulations drawn from the prior "
                                        "to train the estimator (240 by default: "
                                        "docs/calibration.md, 'The default budget').")] = 240,
    scale: Annotated[float, typer.Option(help="Fraction of the population per "
                                         "simulation.")] = 0.1,
    sbc: Annotated[int | None, typer.Option(min=0, help="Extra held-out prior "
                                            "simulations that check the estimator's "
                                            "calibration (default: 10% of the budget, "
                                            "at least 20).")] = None,
    samples: Annotated[int, typer.Option(min=100, help="Posterior draws to write.")
                       ] = 4000,
    seed: Annotated[int | None, typer.Option(help="Root seed (default: the "
                                             "scenario's).")] = None,
    until: Annotated[str | None, typer.Option(help="Stop each simulation before this "
                                              "date (YYYY-MM-DD).")] = None,
    workers: Annotated[int, typer.Option(min=1, help="Dask worker processes on this "
                                         "machine (1: run in this process).")] = 1,
    scheduler: Annotated[str | None, typer.Option(help="Address of a running Dask "
                                                  "scheduler (tcp://host:8786).")] = None,
    force: Annotated[bool, typer.Option(help="Delete OUT and start over.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="No progress bar or "
                                        "tables.")] = False,
) -> None:
    """Calibrate SCENARIO to its fitted targets: posterior over the priors' parameters
    (neural posterior estimation on Dask simulations; resumable)."""
    from rich.progress import TaskID
    from rich.table import Table

    from ranks.calibrate.core import Calibration, default_targets
    from ranks.calibrate.core import calibrate as run_calibration

    until_d = parse_date(until, "--until")
    tfile = targets or default_targets(scenario)

    def go(**cb: Any) -> Calibration:
        return run_calibration(scenario, priors, out, targets=tfile, budget=budget,
                               scale=scale, seed=seed, until=until_d, sbc=sbc,
                               samples=samples, workers=workers, scheduler=scheduler,
                               force=force, **cb)

    if show_progress(quiet):
        with make_progress() as bar:
            state: dict[str, TaskID] = {}

            def on_start(total: int, done: int) -> None:
                state["task"] = bar.add_task("calibration simulations", total=total,
                                             completed=done)

            def on_phase(what: str) -> None:
                console.print(what, highlight=False)

            res = go(on_start=on_start, on_sim=lambda so: bar.advance(state["task"]),
                     on_phase=on_phase)
    else:
        res = go()
    if quiet:
        return
    from ranks.report.targets import fmt_value

    t = Table(title=f"Posterior ({res.diagnostics['estimator']['train_simulations']} "
                    "simulations)")
    for col in ("parameter", "prior", "prior 90%", "posterior median", "posterior 90%",
                "contraction"):
        t.add_column(col, justify="left" if col in ("parameter", "prior") else "right")
    for p in res.diagnostics["parameters"]:
        t.add_row(p["name"], p["prior"],
                  f"{fmt_value(p['prior_90'][0])}–{fmt_value(p['prior_90'][1])}",
                  fmt_value(p["posterior_median"]),
                  f"{fmt_value(p['posterior_90'][0])}–{fmt_value(p['posterior_90'][1])}",
                  f"{p['contraction']:.2f}")
    console.print(t)
    sbc_d = res.diagnostics["sbc"]
    if sbc_d.get("simulations"):
        console.print(f"SBC on {sbc_d['simulations']} held-out simulations: truth inside "
                      + ", ".join(f"{k} intervals {v:.0%}" for k, v in
                                  sbc_d["overall"].items()), highlight=False)
    b = res.bank
    if b.failed:
        console.print(f"[yellow]{b.failed} simulation(s) failed[/]: run the same command "
                      "again to retry them", highlight=False)
    console.print(f"wrote {out / 'posterior.parquet'}, {res.html.name}")
