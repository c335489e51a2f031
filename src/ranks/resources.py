"""Bounded resources: run options checked, and memory estimated before anything is allocated.

:func:`check_run_options` refuses a scale or seed the engine cannot use (NaN, infinity,
zero or negative scale, a scale that makes nobody, a negative seed). :func:`estimate_run`
estimates the peak memory of one replicate from the scenario and the scale (people, days,
places, the place-by-place matrices of the flight module, the stock snapshots kept), and
:func:`check_memory` refuses a run that would not fit in the memory available, saying how
much it needs and which scale would fit. The constants were measured on the shipped
scenarios (the 2014-2017 flagship at full scale: 1.24 million people, 1,310 days, every
module, peaks at about 400 MB) and are rounded up: the estimate errs on the high side.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from ranks.errors import RanksInputError

if TYPE_CHECKING:
    from ranks.scenario.loader import Loaded

#: Memory of the interpreter and the libraries before a run, bytes.
BASE_BYTES = 250 * 2**20
#: Peak bytes per synthesized person: person columns, module columns and the temporary
#: arrays of synthesis and of a day's largest step.
BYTES_PER_PERSON = 300
#: Bytes per (day, place) of the world's time series (control int8, fronts float32).
BYTES_PER_PLACE_DAY = 5
#: Stocks kept per place at each snapshot (people by state, module stocks), 8 bytes each.
STOCK_VALUES_PER_PLACE = 24
#: Place-by-place matrices of the flight module kept at once (displaced, paths, distances).
FLIGHT_PLACE_MATRICES = 4
#: Largest seed accepted (seeds are written as 64-bit integers).
MAX_SEED = 2**63 - 1
#: Share of the available memory a run may plan to use.
MEMORY_SHARE = 0.9


def check_seed(seed: int | None, field: str = "--seed") -> None:
    """A seed is a whole number 0 .. 2**63-1."""
    if seed is not None and not 0 <= int(seed) <= MAX_SEED:
        raise RanksInputError(f"a seed is a whole number from 0 to {MAX_SEED}, got {seed}",
                              field=field)


def check_scale(scale: float, field: str = "--scale") -> None:
    """Refuse a scale that is not a positive finite number."""
    if isinstance(scale, bool) or not isinstance(scale, int | float) or not math.isfinite(
            scale) or scale <= 0:
        raise RanksInputError(f"the scale is a fraction of the population, a positive number "
                              f"(0.1 = a tenth), got {scale!r}", field=field)


@dataclass
class Estimate:
    """Estimated peak memory of one replicate, with what it comes from."""

    people: int
    days: int
    places: int
    snapshots: int
    flight: bool
    bytes: int

    @property
    def gib(self) -> float:
        return self.bytes / 2**30

    def describe(self) -> str:
        return (f"about {fmt_bytes(self.bytes)} for {self.people:,} people, {self.days:,} days "
                f"and {self.places:,} places")


def fmt_bytes(n: float) -> str:
    """``1.5 GiB``, ``300 MiB``."""
    if n >= 2**30:
        return f"{n / 2**30:,.1f} GiB"
    return f"{n / 2**20:,.0f} MiB"


def people_at_scale(populations: list[int], scale: float) -> int:
    """People synthesis makes at ``scale`` (each place rounded to whole people)."""
    return int(sum(round(p * scale) for p in populations)) if populations else 0


def estimate(people: int, days: int, places: int, snapshots: int, flight: bool) -> Estimate:
    """Peak bytes of one replicate of ``people`` over ``days`` at ``places``."""
    b = BASE_BYTES + people * BYTES_PER_PERSON + days * places * BYTES_PER_PLACE_DAY
    b += snapshots * places * STOCK_VALUES_PER_PLACE * 8
    if flight:
        b += places * places * 8 * (FLIGHT_PLACE_MATRICES + snapshots)
    return Estimate(people, days, places, snapshots, flight, int(b))


def available_bytes() -> int:
    """Memory available to a new allocation now, bytes (psutil)."""
    import psutil

    return int(psutil.virtual_memory().available)


def estimate_run(loaded: Loaded, scale: float, until: dt.date | None = None) -> Estimate:
    """Estimate one replicate of a loaded scenario at ``scale`` (until ``until``)."""
    sc = loaded.scenario
    days = sc.n_days if until is None else max(1, (until - sc.period.start).days)
    places = len(sc.places)
    every = max(1, int(sc.output.stocks_every_days))
    snapshots = -(-days // every) + 1
    mp = loaded.module_params
    flight = "flight" in mp and bool(getattr(mp["flight"], "enabled", True))
    arriving = [int(ev.value or 0) for ev in sc.timeline if ev.type == "arrivals"]
    people = people_at_scale([p.population for p in sc.places] + arriving, scale)
    return estimate(people, days, places, snapshots, flight)


def check_run(loaded: Loaded, scale: float, until: dt.date | None = None, seed: int | None = None,
              parallel: int = 1, field: str = "--scale", need_people: bool = True) -> Estimate:
    """Refuse a bad scale or seed, a run that makes nobody (with ``need_people``), and a
    run whose estimated memory (times ``parallel`` replicates at once; 0 skips the memory
    check, for remote workers) exceeds what is available here. Returns the estimate of one
    replicate.

    Raises:
        RanksInputError: one line saying what was asked, the estimate and what would fit.
    """
    check_seed(seed)
    check_scale(scale, field)
    est = estimate_run(loaded, scale, until)
    sc = loaded.scenario
    full = sum(p.population for p in sc.places)
    if need_people and est.people == 0:
        largest = max((p.population for p in sc.places), default=0)
        hint = (f"; the smallest scale that makes anyone is about {0.5 / largest:.2g}"
                if largest else "; the scenario's places have no population")
        raise RanksInputError(f"scale {scale:g} makes no people (the scenario has "
                              f"{full:,}){hint}", field=field)
    if parallel <= 0:
        return est
    need = est.bytes * parallel
    have = available_bytes()
    if need > have * MEMORY_SHARE:
        per_person = BYTES_PER_PERSON * parallel
        room = have * MEMORY_SHARE - (need - est.people * per_person)
        fit = room / per_person / full if room > 0 and full else 0.0
        hint = (f"; a scale of at most {fit:.2g} would fit" if fit > 0 else
                "; fewer days or places would be needed")
        times = f" x {parallel} at once" if parallel > 1 else ""
        raise RanksInputError(
            f"this run needs {est.describe()}{times}; {fmt_bytes(have)} of memory is "
            f"available{hint}", field=field)
    return est
