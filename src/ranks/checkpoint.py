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

The file is ``RANKS-CHECKPOINT``, a JSON header line (format, day, fingerprint, digest of
the simulation code), then the pickle; the run's manifest records each file's sha256.
Unpickling can run code, so :func:`load` unpickles a file only when it is the one the run
wrote (its sha256), in this format, from this code, for an agreeing scenario; anything else
is refused with one line (exit 2). This guards against foreign, truncated or swapped files,
not against a whole run directory forged by someone: continue only runs you trust.
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
FORMAT = 2
#: First line of every checkpoint file; a JSON header line follows, then the pickle.
MAGIC = b"RANKS-CHECKPOINT\n"
#: Longest header line read before giving up (bytes).
MAX_HEADER = 4096


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


def file_digest(path: Path) -> str:
    """sha256 of the file at ``path`` (hex), read in 1 MiB blocks."""
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def save(sim: Simulation, path: Path) -> str:
    """Write ``sim`` (after its last simulated day) to ``path`` (a temporary file, then
    renamed): :data:`MAGIC`, a JSON header line (format, day, fingerprint, code digest),
    then the pickle. Returns the file's sha256, which the run's manifest records
    (``checkpoints``) so that :func:`load` unpickles only the file this run wrote."""
    from ranks.ensemble.cluster import code_digest

    header = {"format": FORMAT, "day": sim.next_day,
              "fingerprint": fingerprint(sim.loaded, sim.next_day), "code": code_digest()}
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as f:
        f.write(MAGIC + json.dumps(header).encode() + b"\n")
        cloudpickle.dump(sim, f, protocol=5)
    tmp.replace(path)
    return file_digest(path)


def _header(path: Path) -> dict[str, Any]:
    """The header of the checkpoint file at ``path``, refusing a file Ranks did not write
    in this format."""
    with open(path, "rb") as f:
        magic = f.read(len(MAGIC))
        line = f.readline(MAX_HEADER)
    if magic != MAGIC:
        raise RanksInputError("not a Ranks checkpoint (no RANKS-CHECKPOINT header)",
                              file=path, field="--from")
    try:
        header = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        header = None
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise RanksInputError("checkpoint written by another version of ranks (format "
                              f"{header.get('format') if isinstance(header, dict) else '?'},"
                              f" this one reads {FORMAT})", file=path, field="--from")
    if not isinstance(header.get("day"), int) or not isinstance(header.get("fingerprint"),
                                                                str):
        raise RanksInputError("checkpoint header has no day or fingerprint", file=path,
                              field="--from")
    return header


def recorded_digest(manifest: dict[str, Any], replicate: int) -> str | None:
    """The sha256 the run's manifest records for replicate ``replicate``'s checkpoint."""
    for row in manifest.get("checkpoints") or []:
        if isinstance(row, dict) and row.get("replicate") == replicate:
            digest = row.get("sha256")
            return digest if isinstance(digest, str) else None
    return None


def verify(run_dir: Path, replicate: int, manifest: dict[str, Any],
           loaded: Loaded | None = None) -> dict[str, Any]:
    """The header of ``replicate``'s checkpoint in ``run_dir`` once every check of
    :func:`load` short of unpickling has passed.

    A checkpoint is a pickle, and unpickling a file can run code, so the file is
    unpickled only after these checks, each refused with one line (RanksInputError):
    it is a regular file; its sha256 is the one ``manifest`` (the run's manifest.json,
    written by Ranks) records for it; it starts with Ranks' header in this format, written
    by the same simulation code; and, with ``loaded``, the scenario agrees with the saved
    run up to its day (the fingerprint). A file that still fails to load (a library
    changed) is refused too. The digest guards against a foreign, truncated or swapped
    file, not against a forged run directory: continue only runs you trust.
    """
    from ranks.ensemble.cluster import code_digest

    path = Path(run_dir) / CHECKPOINT.format(r=replicate)
    if not path.is_file():
        raise RanksInputError(
            f"no checkpoint for replicate {replicate} (run it with --checkpoint)",
            file=run_dir, field="--from")
    want = recorded_digest(manifest, replicate)
    if want is None:
        raise RanksInputError(f"manifest.json records no digest for {path.name} (written "
                              "by another version of ranks?): refusing to load it",
                              file=path, field="--from")
    if file_digest(path) != want:
        raise RanksInputError("the file is not the checkpoint this run wrote (its sha256 "
                              "differs from the one in manifest.json: changed, truncated or "
                              "replaced): refusing to load it", file=path, field="--from")
    header = _header(path)
    if header.get("code") != code_digest():
        raise RanksInputError(f"checkpoint written by other ranks code (digest "
                              f"{header.get('code')}, this one {code_digest()}): continue "
                              "it with the code that wrote it", file=path, field="--from")
    if loaded is not None:
        check_fingerprint(header, loaded)
    return header


def load(run_dir: Path, replicate: int, manifest: dict[str, Any],
         loaded: Loaded | None = None) -> dict[str, Any]:
    """The saved state of ``replicate`` in ``run_dir`` (keys format, day, fingerprint, sim),
    unpickled only after :func:`verify`, from the very bytes whose digest was checked (a
    file swapped in between is refused, not read)."""
    from ranks.engine import Simulation

    header = verify(run_dir, replicate, manifest, loaded)
    path = Path(run_dir) / CHECKPOINT.format(r=replicate)
    day = header["day"]
    data = memoryview(path.read_bytes())
    if hashlib.sha256(data).hexdigest() != recorded_digest(manifest, replicate):
        raise RanksInputError("the checkpoint changed while it was being read: refusing to "
                              "load it", file=path, field="--from")
    try:
        start = len(MAGIC) + bytes(data[len(MAGIC):len(MAGIC) + MAX_HEADER]).index(b"\n") + 1
        sim = cloudpickle.loads(data[start:])
    except Exception as e:  # noqa: BLE001 - any failure to unpickle is a bad file
        raise RanksInputError(f"cannot load the checkpoint ({type(e).__name__}: {e})",
                              file=path, field="--from") from None
    if not isinstance(sim, Simulation) or sim.next_day != day:
        raise RanksInputError("the checkpoint does not hold a simulation saved on its "
                              "header's day", file=path, field="--from")
    return {"format": FORMAT, "day": day, "fingerprint": header["fingerprint"], "sim": sim}


def check_fingerprint(state: dict[str, Any], loaded: Loaded) -> None:
    """Refuse ``loaded`` unless it agrees with the saved run (``state`` holds its day and
    fingerprint) before the saved day."""
    day = int(state["day"])
    if fingerprint(loaded, day) != state["fingerprint"]:
        when = loaded.scenario.period.start + dt.timedelta(days=day)
        raise RanksInputError(
            f"the scenario differs from the saved run before {when} (places, "
            "routes, actors, camps, population, modules and parameters, or control, front "
            "or timeline rows dated before it): a run can only continue under a scenario "
            "that agrees with it up to the checkpoint", file=loaded.path, field="--from")


def resume(state: dict[str, Any], loaded: Loaded, until: dt.date | None,
           run_dir: Path) -> Simulation:
    """The saved simulation, set to continue under ``loaded`` (same fingerprint up to the
    saved day) until ``until`` or the end of its period."""
    from ranks.world import build_world

    sim: Simulation = state["sim"]
    day = int(state["day"])
    check_fingerprint(state, loaded)
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
