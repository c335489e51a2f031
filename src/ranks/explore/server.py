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
    out.mkdir(parents=True, exist_ok=True)
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
        server.start()
        server.io_loop.start()
    finally:
        pool.close()
