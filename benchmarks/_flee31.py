"""Flee 3.1 (PyPI) driven as its ``runscripts/run.py`` does, for the side-by-side
benchmarks flee_compare.py and flee_fabflee.py (run them as scripts).

Flee prints a lot: import it (:func:`import_flee`) and run it inside :func:`quiet`. Times are
the callers': import Flee before their timed span starts, read the model (:func:`load_flee`)
inside it.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Standard output and error go to the null device inside the block."""
    devnull = open(os.devnull, "w")  # noqa: SIM115 - Flee prints a lot
    real_stdout, real_stderr = sys.stdout, sys.stderr
    sys.stdout = sys.stderr = devnull
    try:
        yield
    finally:
        sys.stdout, sys.stderr = real_stdout, real_stderr
        devnull.close()


def flee_importable(python: str, timeout: float) -> bool:
    """True when ``python`` can import Flee (within ``timeout`` seconds)."""
    try:
        r = subprocess.run([python, "-c", "import flee.flee"], capture_output=True,
                           timeout=timeout)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return r.returncode == 0


def import_flee() -> None:
    """Import the Flee modules used here (so that a timed span excludes the imports)."""
    import flee.datamanager.handle_refugee_data
    import flee.datamanager.read_period
    import flee.flee
    import flee.InputGeography
    import flee.SimulationSettings
    import flee.spawning  # noqa: F401


@dataclass
class FleeModel:
    """A Flee 3.1 ecosystem read from a conflict's files, ready to run ``days`` days."""

    e: Any  #: flee.Ecosystem
    ig: Any  #: InputGeography, which adds conflict zones day by day
    lm: dict[str, Any]  #: locations by name
    d: Any  #: RefugeeTable of the validation data
    camps: list[str]
    days: int

    def day(self, t: int) -> tuple[int, float]:
        """Day ``t`` as run.py: new conflict zones, data-driven spawning, spawn weights,
        border closures, then every agent moves. Returns the agents alive before they move
        (a day's agent-steps) and Flee's ``refugees_raw`` of the day."""
        from flee import spawning

        self.ig.AddNewConflictZones(self.e, t)
        _new, refugees_raw, _debt = spawning.spawn_daily_displaced(self.e, t, self.d)
        spawning.refresh_spawn_weights(self.e)
        self.e.enact_border_closures(t)
        agents = len(self.e.agents)
        self.e.evolve()
        return agents, refugees_raw


def load_flee(inp: Path, val: Path, settings: Path, days: int | None,
              periods: tuple[str, str], agents_csv: bool) -> FleeModel:
    """Read a conflict into Flee 3.1 as run.py does: settings, the first of ``periods``
    (file names in ``inp``) that exists, at most ``days`` days, the geography, with
    ``agents_csv`` the agents of ``agents.csv`` when the settings ask for them, the
    validation data of ``val`` and its registration corrections, and the camps' initial
    refugees."""
    from flee import InputGeography, flee, spawning
    from flee.datamanager import handle_refugee_data, read_period
    from flee.SimulationSettings import SimulationSettings

    SimulationSettings.ReadFromYML(str(settings))
    SimulationSettings.ConflictInputFile = str(inp / "conflicts.csv")
    period = inp / periods[0]
    if not period.exists():
        period = inp / periods[1]
    start_date, end_time = read_period.read_conflict_period(str(period))
    if days:
        end_time = min(end_time, days)
    e = flee.Ecosystem()
    ig = InputGeography.InputGeography()
    ig.ReadConflictInputCSV(SimulationSettings.ConflictInputFile)
    ig.ReadLocationsFromCSV(str(inp / "locations.csv"))
    ig.ReadLinksFromCSV(str(inp / "routes.csv"))
    ig.ReadClosuresFromCSV(str(inp / "closures.csv"))
    e, lm = ig.StoreInputGeographyInEcosystem(e)
    if agents_csv and SimulationSettings.spawn_rules["read_from_agents_csv_file"]:
        ig.ReadAgentsFromCSV(e, str(inp / "agents.csv"))
    d = handle_refugee_data.RefugeeTable(
        csvformat="generic", data_directory=str(val), start_date=start_date,
        data_layout="data_layout.csv",
        population_scaledown_factor=SimulationSettings.optimisations[
            "PopulationScaleDownFactor"])
    d.ReadL1Corrections(str(inp / "registration_corrections.csv"))
    camps = e.get_camp_names()
    for name in camps:
        spawning.add_initial_refugees(e, d, lm[name])
    return FleeModel(e, ig, lm, d, camps, end_time)
