"""Command ``ranks explore`` (registered by ``ranks.cli``). Panel is imported only when the
command runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ranks.cli_common import console, handle_errors


@handle_errors
def explore(
    scenario: Annotated[Path | None, typer.Argument(
        help="Scenario shown first (others beside it with levers are offered too).")] = None,
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 5006,
    address: Annotated[str, typer.Option(help="Address to listen on (this machine only by "
                                         "default).")] = "127.0.0.1",
    out: Annotated[Path, typer.Option("--out", "-o", help="Folder for the runs the app makes "
                                      "(one sub-folder per pair).")] = Path("runs/explore"),
    workers: Annotated[int, typer.Option(min=1, help="Dask worker processes.")] = 2,
    scheduler: Annotated[str | None, typer.Option(
        help="Address of a running Dask scheduler to run on instead.")] = None,
    scale: Annotated[float, typer.Option(help="Scale offered first.")] = 0.1,
    replicates: Annotated[int, typer.Option(min=1, max=10, help="Paired replicates offered "
                                            "first.")] = 4,
    until: Annotated[str | None, typer.Option(help="'Stop before' date offered first "
                                              "(YYYY-MM-DD).")] = None,
    browser: Annotated[bool, typer.Option(help="Open a browser tab.")] = True,
) -> None:
    """A local web app for what-if experiments with a scenario's levers.

    Runs baseline and variant as paired replicates on Dask and shows a map, strength,
    displacement, camps, returns and paired differences. Ctrl-C stops it.
    """
    from ranks.explore.server import serve

    def ready(url: str, took: float) -> None:
        console.print(f"Ranks explorer at [bold]{url}[/] (started in {took:.1f} s; runs go "
                      f"to {out}); Ctrl-C stops it", highlight=False)

    serve(scenario, port=port, address=address, out=out, workers=workers, scale=scale,
          replicates=replicates, show=browser, scheduler=scheduler, until=until, ready=ready)
