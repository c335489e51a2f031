"""Checkpoints: save a simulation's whole state and continue it later (``ranks run
--checkpoint`` and ``ranks run --from RUN_DIR``).

A checkpoint is the :class:`~ranks.engine.Simulation` of one replicate after its last
simulated day, pickled with cloudpickle (people, households, every module's state, the
recorder's buffers so far; the stocks' functions are closures, which the standard pickle
cannot store). Random numbers are keyed by (seed, stream, day) and hold no state, so a run
continued from its checkpoint gives the same bytes as the run made in one go (tested).

Continuing may use another scenario file, for "what happens to people if" branches from a
date: its places, routes, actors, camps, population, modules and their parameters, and every
control, front and timeline row dated before the checkpoint's day must be those of the saved
run (their digest, the *fingerprint*, is compared); rows from that day on may differ, and
the period may end later. The seed and scale are the saved run's.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import cloudpickle

from ranks.errors import RanksInputError

if TYPE_CHECKING:
    from ranks.engine import Simulation
    from ranks.scenario.loader import Loaded

#: File name of replicate r's checkpoint in a run directory.
CHECKPOINT = "checkpoint-{r}.pkl"
#: Bumped when the saved layout changes.
FORMAT = 1


def fingerprint(loaded: Loaded, day: int) -> str:
    """Digest of what a run's first ``day`` days depend on: the scenario without its end
    date and seed, with only the control, front and timeline rows dated before ``day``,
    and the validated module parameters."""
    sc = loaded.scenario
    cut = sc.period.start + dt.timedelta(days=day)
    d = sc.model_dump(mode="json", by_alias=True, exclude={"period", "seed", "name",
                                                           "description", "output"})
    for key in ("control", "fronts", "timeline"):
        d[key] = [row for row, src in zip(d[key], getattr(sc, key), strict=True)
                  if src.date < cut]
    d["period_start"] = sc.period.start.isoformat()
    d["stocks_every_days"] = sc.output.stocks_every_days
    d["modules"] = {k: v.model_dump(mode="json") for k, v in loaded.module_params.items()}
    return hashlib.sha256(json.dumps(d, sort_keys=True).encode()).hexdigest()


def save(sim: Simulation, path: Path) -> None:
    """Write ``sim`` (after its last simulated day) to ``path`` (a temporary file, then
    renamed)."""
    state = {"format": FORMAT, "day": sim.next_day,
             "fingerprint": fingerprint(sim.loaded, sim.next_day), "sim": sim}
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        cloudpickle.dump(state, f, protocol=5)
    tmp.replace(path)


def load(run_dir: Path, replicate: int) -> dict[str, Any]:
    """The saved state of ``replicate`` in ``run_dir`` (keys format, day, fingerprint,
    sim). Raises RanksInputError when there is none."""
    path = Path(run_dir) / CHECKPOINT.format(r=replicate)
    if not path.is_file():
        raise RanksInputError(
            f"no checkpoint for replicate {replicate} (run it with --checkpoint)",
            file=run_dir, field="--from")
    with open(path, "rb") as f:
        state = cloudpickle.load(f)
    if not isinstance(state, dict) or state.get("format") != FORMAT:
        raise RanksInputError("checkpoint written by another version of ranks", file=path,
                              field="--from")
    return state


def resume(state: dict[str, Any], loaded: Loaded, until: dt.date | None,
           run_dir: Path) -> Simulation:
    """The saved simulation, set to continue under ``loaded`` (same fingerprint up to the
    saved day) until ``until`` or the end of its period."""
    from ranks.world import build_world

    sim: Simulation = state["sim"]
    day = int(state["day"])
    if fingerprint(loaded, day) != state["fingerprint"]:
        raise RanksInputError(
            f"the scenario differs from the saved run before {sim.world.date(day)} (places, "
            "routes, actors, camps, population, modules and parameters, or control, front "
            "or timeline rows dated before it): a run can only continue under a scenario "
            "that agrees with it up to the checkpoint", file=loaded.path, field="--from")
    world = build_world(loaded.scenario)
    n_days = world.n_days
    if until is not None:
        n_days = world.day_of(until)
    if not day < n_days <= world.n_days:
        raise RanksInputError(
            f"nothing to continue: the saved run ends on {sim.world.date(day)} and this one "
            f"on {world.date(n_days)}", file=run_dir, field="--until")
    sim.continue_with(loaded, world, n_days)
    return sim
