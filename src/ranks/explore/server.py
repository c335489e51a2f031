"""Start the explorer: a Panel (Bokeh/Tornado) server on this machine.

The page is served at ``http://ADDRESS:PORT/``; run directories written by the app are served
read-only under ``/runs/`` so their reports open from the page. The Dask cluster starts in
the background once the first page has loaded (it would compete with it for the processor);
a Run pressed before it is up waits for it.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from ranks.errors import RanksInputError


def check_options(*, port: int, scale: float, until: str | None, out: Path) -> None:
    """Refuse bad options before anything starts (one line, exit 2): a port outside
    0..65535, a scale that is not a positive finite number, a bad date, an ``out`` that
    is a file or lies under one."""
    from ranks.cli_common import parse_date
    from ranks.resources import check_scale

    if not 0 <= port <= 65535:
        raise RanksInputError(f"a port is a number from 0 to 65535, got {port}", field="--port")
    check_scale(scale)
    parse_date(until, "--until")
    for p in (out, *out.parents):
        if p.exists() or p.is_symlink():
            if not p.is_dir():
                raise RanksInputError("is a file, not a folder" if p == out else
                                      f"lies under {p}, which is a file", file=out,
                                      field="--out")
            break


def serve(scenario: Path | None, *, port: int = 5006, address: str = "127.0.0.1",
          out: Path = Path("runs/explore"), workers: int = 2, scale: float = 0.1,
          replicates: int = 4, show: bool = False, scheduler: str | None = None,
          processes: bool = True, until: str | None = None, ready: Any = None) -> None:
    """Serve the explorer until interrupted (Ctrl-C).

    Args:
        scenario: the scenario shown first (others beside it that declare levers are
            offered too).
        out: where pairs of runs are written (``out/<scenario>-<time>/baseline|variant``).
        workers: Dask worker processes (threads when ``processes`` is False).
        until: a 'stop before' date offered first (YYYY-MM-DD).
        ready: called with the URL and the seconds taken once the server is set up.
    """
    t0 = time.perf_counter()
    check_options(port=port, scale=scale, until=until, out=out)
    try:
        import panel as pn
    except ImportError:
        raise RanksInputError("the explorer needs Panel: pip install 'ranks[explore]'",
                              field="explore") from None
    from ranks.explore.app import Config, create_app, find_scenarios
    from ranks.explore.jobs import Pool
    from ranks.runner import load as load_scenario

    first = None
    if scenario is not None:
        first = load_scenario(scenario)  # bad input: one line, exit 2, before anything starts
    scenarios = find_scenarios(scenario, Path.cwd())
    if not scenarios:
        raise RanksInputError("no scenario given and none with levers under ./scenarios",
                              field="SCENARIO")
    out = out.resolve()
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise RanksInputError(f"cannot create the folder for runs: {e.strerror}", file=out,
                              field="--out") from None
    pool = Pool(workers, processes=processes, scheduler=scheduler)  # started by the first page
    cfg = Config(scenarios=scenarios, out=out, pool=pool, scale=scale, replicates=replicates,
                 extra={"until": until or ""})
    if first is not None:
        cfg.cache[scenarios[0]] = first
    server = pn.serve(lambda: create_app(cfg), port=port, address=address, show=show,
                      start=False, title="Ranks explorer", static_dirs={"runs": str(out)},
                      websocket_origin=[f"{address}:{port}", f"localhost:{port}",
                                        f"127.0.0.1:{port}"])
    url = f"http://{address}:{server.port}/"
    if ready is not None:
        ready(url, time.perf_counter() - t0)
    try:
        try:
            server.start()
        except OSError as e:  # the port is taken, or the address is not this machine's
            raise RanksInputError(f"cannot listen on {address}:{port}: {e.strerror or e}",
                                  field="--port") from None
        server.io_loop.start()
    finally:
        pool.close()
