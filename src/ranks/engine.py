"""The day loop: timeline, modules in one fixed printable order, deaths, recorder.

One direction of data flow: the scenario is frozen; the world and people are built from it;
each day the engine applies the timeline, calls each enabled module in the order of
``ranks.modules.registry.ORDER``, resolves the deaths modules requested (once), and asks the
recorder to close the day.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np

from ranks.arrays import unique
from ranks.arrivals import (
    ReserveGroup,
    append_households,
    append_people,
    synthesize_reserve,
)
from ranks.errors import ConservationError, RanksInputError
from ranks.modules.base import Module
from ranks.modules.registry import build
from ranks.population import Households, People, State, synthesize
from ranks.record import Recorder, control_stock, core_stocks
from ranks.resources import check_run
from ranks.rng import person_uniform, stream
from ranks.scenario.loader import Loaded
from ranks.scenario.model import TimelineEvent
from ranks.world import World, build_world


@dataclass
class RunInfo:
    """What a finished run reports for the manifest."""

    days: int
    wall_s: float
    synth_s: float
    module_s: dict[str, float] = field(default_factory=dict)
    people: int = 0
    households: int = 0
    people_bytes: int = 0

__all__ = ["ConservationError", "RunInfo", "Simulation", "StreamReuseError"]


class StreamReuseError(RuntimeError):
    """A random stream was drawn twice on one day: the two draws would share numbers (a
    bug: name each draw by its meaning)."""

T = TypeVar("T")


class Simulation:
    """One replicate of a scenario.

    Args:
        loaded: a loaded scenario with validated modules (``ranks.runner.load``).
        seed: root seed; all streams are keyed by (seed, stream name, day).
        scale: fraction of the population to synthesize.
        until: last date to simulate (exclusive); default the scenario's end.
        replicate: replicate number written in the outputs.
        check: recount stocks from everyone at the end of every day (slow) and fail loudly.
        modules: override the module list (for tests); default the enabled modules in ORDER.
    """

    def __init__(self, loaded: Loaded, seed: int | None = None, scale: float = 1.0,
                 until: dt.date | None = None, replicate: int = 0, check: bool = False,
                 modules: list[Module] | None = None) -> None:
        sc = loaded.scenario
        check_run(loaded, scale, until, seed, need_people=False)  # bounds, memory: first
        self.loaded = loaded
        self.scenario = sc
        self.seed = int(sc.seed if seed is None else seed)
        self.scale = float(scale)
        self.replicate = replicate
        self.check = check
        self.world: World = build_world(sc)
        self.n_days = self.world.n_days
        if until is not None:
            d = self.world.day_of(until)
            if not 0 < d <= self.world.n_days:
                raise RanksInputError(
                    f"--until {until} is outside the period {sc.period.start}..{sc.period.end}",
                    field="--until")
            self.n_days = d
        t0 = time.perf_counter()
        self.people: People
        self.households: Households
        self.people, self.households = synthesize(
            self.world.population, self.world.tribe, sc.population, self.scale, self.seed,
            self.world.n_actors, self.world.n_days)
        # people from outside who arrive during the run (ranks.arrivals): made now, held
        # abroad at their origin until their dated arrival (the flight module moves them)
        r_people, r_hh, groups = synthesize_reserve(
            sc, self.world.place_index, self.scale, self.seed, self.world.n_actors,
            self.world.n_days, self.people.n, len(self.households))
        #: the arrival groups (households and people of each ``arrivals`` event)
        self.reserve_groups: list[ReserveGroup] = groups
        if r_people is not None and r_hh is not None:
            self.people = append_people(self.people, r_people, self.world.n_days)
            self.households = append_households(self.households, r_hh, self.people, groups)
        self.synth_s = time.perf_counter() - t0
        self.initial_people = self.people.n
        self.day = 0
        #: stream name -> the day it was last drawn (the guard in :meth:`_drawing`)
        self._drawn: dict[str, int] = {}
        self._event_names: dict[str, tuple[int, int]] = {}
        #: the next day to simulate (days before it are done; see ranks.checkpoint)
        self.next_day = 0
        dates = [self.world.date(d) for d in range(self.world.n_days)]
        self.record = Recorder(self.world.place_names, self.world.actor_ids, dates,
                               replicate=replicate, stocks_every=sc.output.stocks_every_days)
        core_stocks(self.record, self.people, self.world.control)
        self._deaths: list[tuple[np.ndarray, str, int]] = []
        #: Called as ``fn(ids, cause, actor)`` for each batch of people who die, before their
        #: state is set to DEAD (members still carry their actor). ``actor`` is the actor
        #: given to :meth:`request_death` (the responsible actor, -1 none).
        self.death_listeners: list[Callable[[np.ndarray, str, int], None]] = []
        self._handlers: dict[str, list[Callable[[Simulation, TimelineEvent], None]]] = {
            "set_param": [self._set_param]}
        if modules is None:
            modules = build(loaded)
        self.modules: list[Module[Any]] = list(modules)
        #: modules and shared books by type (:meth:`get`, :meth:`provide`)
        self._found: dict[type, Any] = {type(m): m for m in self.modules}
        for m in self.modules:
            for dep in m.requires:
                if self.get(dep) is None:
                    raise ValueError(f"the {m.name} module needs the {dep.name} module")
        self.module_time = {m.name: 0.0 for m in self.modules}
        self.param_overrides: dict[str, float] = {}
        for m in self.modules:
            for t in m.event_types:
                self._handlers.setdefault(t, []).append(m.on_event)
        for m in self.modules:
            m.init(self)

    # -- services for modules --------------------------------------------------------------
    def get(self, cls: type[T]) -> T | None:
        """The enabled module of type ``cls`` (or the shared book of that type, see
        :meth:`provide`), or None. Modules declare what they look up in ``requires`` /
        ``uses``."""
        found = self._found.get(cls)
        if found is None:
            for obj in self._found.values():  # a subclass (tests)
                if isinstance(obj, cls):
                    return obj
        return found

    def provide(self, obj: T) -> T:
        """Make a shared book (state several modules change through its methods, e.g. the
        wanted book) findable by its type with :meth:`get`. Returns ``obj``."""
        if type(obj) in self._found:
            raise ValueError(f"a {type(obj).__name__} is already provided")
        self._found[type(obj)] = obj
        return obj

    def _drawing(self, name: str, day: int) -> None:
        """Refuse a second draw of stream ``name`` today (StreamReuseError): its numbers
        would repeat the first draw's. Draws keyed by another day are not today's."""
        if day == self.day:
            if self._drawn.get(name) == day:
                raise StreamReuseError(f"random stream '{name}' drawn twice on day {day}: "
                                       "give each draw a name of its own")
            self._drawn[name] = day

    def rng(self, name: str, day: int | None = None) -> np.random.Generator:
        """Generator of stream ``name`` for ``day`` (today by default); once a day."""
        d = self.day if day is None else day
        self._drawing(name, d)
        return stream(self.seed, name, d)

    def person_uniform(self, name: str, ids: np.ndarray, day: int | None = None) -> np.ndarray:
        """Per-person uniforms for ``ids`` (person-level common random numbers) from stream
        ``name`` on ``day`` (today by default); once a day."""
        d = self.day if day is None else day
        self._drawing(name, d)
        return person_uniform(self.seed, name, d, ids)

    def event_stream(self, base: str) -> str:
        """A stream name for a draw made for one timeline event: ``base`` for the first event
        of the day that asks for it, ``base#2``, ``base#3``... for the next ones (in the
        order of the scenario's timeline), so that two like events on one day never share
        numbers."""
        day, n = self._event_names.get(base, (self.day, 0))
        n = n + 1 if day == self.day else 1
        self._event_names[base] = (self.day, n)
        return base if n == 1 else f"{base}#{n}"

    def trait(self, name: str, ids: np.ndarray, key: int = -1) -> np.ndarray:
        """Per-person uniforms fixed for the whole run (a trait, e.g. whether relatives
        abroad would pay): the same person gets the same number however often asked."""
        return person_uniform(self.seed, name, key, ids)

    def thin_candidates(self, name: str, day: int, p_max: float,
                        pool: np.ndarray | None = None) -> np.ndarray:
        """Candidates for an event with daily chance at most ``p_max`` per person.

        Each member of ``pool`` (everyone when None) is a candidate with chance ``p_max``
        (Binomial count, then uniform picks, duplicates dropped). Accept each candidate with
        its own chance divided by ``p_max``. Not person-level CRN: say so where used.
        """
        n = self.people.n if pool is None else len(pool)
        if n == 0 or p_max <= 0:
            return np.zeros(0, dtype=np.int64)
        g = self.rng(name, day)
        k = g.binomial(n, min(p_max, 1.0))
        if p_max >= 0.2:  # dense: one number each is cheaper and exact
            pick = np.flatnonzero(g.random(n) < p_max)
        else:
            pick = unique(g.integers(0, n, size=k))
        return pick.astype(np.int64) if pool is None else np.asarray(pool)[pick]

    def request_death(self, ids: np.ndarray, cause: str, actor: int = -1) -> None:
        """Ask for ``ids`` to die today of ``cause``; resolved once after all modules ran."""
        if len(ids):
            self._deaths.append((np.asarray(ids, dtype=np.int64), cause, actor))

    def on(self, event_type: str, handler: Callable[[Simulation, TimelineEvent], None]) -> None:
        """Register an extra timeline handler."""
        self._handlers.setdefault(event_type, []).append(handler)

    def param(self, module: str, name: str, default: float) -> float:
        """A module parameter's value today (after ``set_param`` events)."""
        return self.param_overrides.get(f"{module}.{name}", default)

    def _set_param(self, sim: Simulation, ev: TimelineEvent) -> None:
        path = ev.args.get("path")
        if not isinstance(path, str) or ev.value is None:
            raise RanksInputError("set_param needs args.path and value", field="timeline")
        self.param_overrides[path] = float(ev.value)

    # -- the loop ---------------------------------------------------------------------------
    def plan(self) -> list[str]:
        """The daily plan, in order, one line per phase."""
        lines = ["1. timeline: apply the day's dated events (" + ", ".join(
            sorted(self._handlers)) + ")"]
        for i, m in enumerate(self.modules, start=2):
            lines.append(f"{i}. {m.name} [{', '.join(m.mids)}]")
        n = len(self.modules) + 2
        lines.append(f"{n}. deaths: resolve requested deaths once")
        lines.append(f"{n + 1}. recorder: flush events, snapshot stocks"
                     + (", recount and check conservation" if self.check else ""))
        return lines

    def step(self, day: int) -> None:
        """Advance one day."""
        self.day = day
        for ev in self.world.events_on.get(day, ()):
            for h in self._handlers.get(ev.type, ()):
                h(self, ev)
        for m in self.modules:
            t0 = time.perf_counter()
            m.step(self, day)
            self.module_time[m.name] += time.perf_counter() - t0
        self._resolve_deaths(day)
        self.record.end_day(day, last=day == self.n_days - 1)
        if self.check:
            self.check_conservation(day)

    def _resolve_deaths(self, day: int) -> None:
        if not self._deaths:
            return
        for ids, cause, actor in self._deaths:
            # those who died of an earlier cause today are DEAD already (set below)
            ids = unique(ids)
            ids = ids[self.people.state[ids] != State.DEAD]
            if ids.size == 0:
                continue
            actors = self.people.actor[ids]
            places = self.people.place[ids]
            self.record.events("died", places, actor=actor, reason=cause)
            members = actors >= 0
            if members.any():
                self.record.events("killed", places[members], actor=actors[members],
                                   reason=cause)
            for fn in self.death_listeners:
                fn(ids, cause, actor)
            self.people.set(ids, day, state=State.DEAD)
        self._deaths.clear()

    def check_conservation(self, day: int) -> None:
        """Recount everyone and compare with the kept stocks; raise ConservationError."""
        p = self.people
        rc = p.recount()
        total = int(p.by_place_state.sum())
        if total != self.initial_people:
            raise ConservationError(
                f"day {day}: {total} people in the books, {self.initial_people} synthesized")
        if (p.by_place_state < 0).any():
            raise ConservationError(f"day {day}: a negative count of people")
        if not np.array_equal(rc["by_place_state"], p.by_place_state):
            diff = np.argwhere(rc["by_place_state"] != p.by_place_state)[0]
            raise ConservationError(
                f"day {day}: people at place {self.world.place_names[diff[0]]} in state "
                f"{State.name_of(diff[1]).upper()}: counted {p.by_place_state[tuple(diff)]}, "
                f"recount {rc['by_place_state'][tuple(diff)]}")
        if not np.array_equal(rc["strength"], p.strength):
            raise ConservationError(f"day {day}: strength by actor and assignment does not "
                                    "match a recount of members")
        if (p.state > State.DEAD).any():
            raise ConservationError(f"day {day}: a person in an unknown state")

    def run(self, progress: Callable[[int], None] | None = None) -> RunInfo:
        """Run the days from :attr:`next_day` to the end. ``progress(day)`` is called after
        each day."""
        t0 = time.perf_counter()
        for day in range(self.next_day, self.n_days):
            self.step(day)
            self.next_day = day + 1
            if progress is not None:
                progress(day)
        if self.people.by_place_state.sum() != self.initial_people:
            raise ConservationError("people lost or counted twice over the run")
        return RunInfo(days=self.n_days, wall_s=time.perf_counter() - t0, synth_s=self.synth_s,
                       module_s=dict(self.module_time), people=self.people.n,
                       households=len(self.households), people_bytes=self.people.nbytes)

    def continue_with(self, loaded: Loaded, world: World, n_days: int) -> None:
        """Continue a saved run (:mod:`ranks.checkpoint`) under ``loaded`` and its ``world``
        (same places, routes and actors; rows from :attr:`next_day` on may differ) to day
        ``n_days``."""
        self.loaded = loaded
        self.scenario = loaded.scenario
        self.world = world
        self.n_days = n_days
        self.record.dates = [world.date(d) for d in range(world.n_days)]
        self.record.drop_unscheduled_last()
        self.record.replace_stock("control", control_stock(self.record, world.control))
