"""Per-actor practices in force on each day, and the market series (M2, M4, M7-M10, M13,
M19, M24, M28).

The scenario's ``practices`` (data layer: :mod:`ranks.scenario.practices`) lists, for each
actor, dated regimes of module parameters. :class:`PracticeBook` turns them into step
functions of the day: ``book.value("leaving", "caught_chance", actor, day)``, or one value
per actor with :meth:`PracticeBook.column`. A regime dated before the scenario's start is in
force on its first day. Modules ask the book first and fall back to their own per-actor
settings (``modules.<name>.actors``) and then to their defaults, so a small scenario
without practices runs as before.

:class:`Market` turns the exchange-rate, price and wage series into arrays by day and place
(prices and wages scoped by place, or by the actor holding a place that day).

Interception outcomes (what happens to a person an actor's checkpoint, patrol or raid
catches) are a pure function of (actor, day, kind of person, uniform):
:func:`interception_codes`; the flight and coercion modules call it and act on the codes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic

import numpy as np

from ranks.modules.actors import A, resolve_actors
from ranks.scenario.practices import SECTIONS, Practices, PriceRow, WageRow

if TYPE_CHECKING:
    from ranks.engine import Simulation

#: What happens to a person caught by an actor (M24, M8-M10), in this order of codes.
OUTCOMES = ("returned", "fined", "passed", "detained", "conscripted", "killed")
RETURNED, FINED, PASSED, DETAINED, CONSCRIPTED, KILLED = range(len(OUTCOMES))
#: Kinds of person at an interception: wanted by the actor (an evader, a man due under its
#: duty or order), anyone else; caught deserters go to punishment, not here.
WANTED, OTHERS = 0, 1
KIND_FIELDS = ("interception_wanted", "interception_others")
#: Ages of the men among "others" whom an actor may hold or take (the SDF screened men
#: 15-49 arriving from ISIS areas, pub-sohr-82475; assumption for the others); women,
#: children and elders caught leaving are sent back.
HELD_AGES = (15, 49)
#: Generic interception outcomes for an actor the practices do not configure, by kind
#: (assumption: one set of shares for everyone, as before issue 12; the Deir Ezzor actors
#: each set their own).
DEFAULT_INTERCEPTION: tuple[dict[str, float], dict[str, float]] = (
    {"passed": 0.5, "conscripted": 0.3, "detained": 0.2}, {"returned": 1.0})
#: What happens to a caught leaver (M19), in this order of codes.
PUNISHMENTS = ("executed", "detained", "back_to_unit", "handed_over", "fined", "forgiven")
EXECUTED, P_DETAINED, BACK_TO_UNIT, HANDED_OVER, P_FINED, FORGIVEN = range(len(PUNISHMENTS))


def shares_vector(shares: Mapping[str, float], names: Sequence[str]) -> np.ndarray:
    """Shares over ``names`` as a vector summing to 1 (unnamed outcomes 0)."""
    v = np.array([float(shares.get(n, 0.0)) for n in names], dtype=np.float64)
    s = v.sum()
    return v / s if s > 0 else v


def check_shares(shares: Any, names: Sequence[str]) -> str | None:
    """Why ``shares`` is not a valid share dict over ``names`` (None when it is)."""
    if not isinstance(shares, Mapping):
        return "expected a mapping of outcome: share"
    bad = [k for k in shares if k not in names]
    if bad:
        return f"unknown outcome '{bad[0]}'; known: {', '.join(names)}"
    try:
        vals = [float(v) for v in shares.values()]
    except (TypeError, ValueError):
        return "shares must be numbers"
    if any(v < 0 for v in vals):
        return "shares must not be negative"
    if abs(sum(vals) - 1.0) > 0.01:
        return f"shares must sum to 1, they sum to {sum(vals):.3f}"
    return None


class PracticeBook:
    """Step functions of the day for every practice parameter of every actor.

    Args:
        practices: the scenario's practices (None: an empty book).
        actor_ids: the world's actors, in index order.
        start: the scenario's first day (day 0).
    """

    def __init__(self, practices: Practices | None, actor_ids: Sequence[str],
                 start: dt.date) -> None:
        self.actor_ids = list(actor_ids)
        self.start = start
        #: (section, field) -> per actor (days, values); days ascending, day 0 at the latest
        self._steps: dict[tuple[str, str], list[tuple[np.ndarray, list[Any]]]] = {}
        self._change_days: dict[str, set[int]] = {s: set() for s in SECTIONS}
        self.practices = practices
        if practices is None:
            return
        for a, actor in enumerate(self.actor_ids):
            for r in practices.regimes(actor):
                d = max((r.from_ - start).days, 0)
                for sec in SECTIONS:
                    for k, p in r.section(sec).items():
                        per = self._steps.setdefault(
                            (sec, k), [(np.zeros(0, dtype=np.int64), []) for _ in self.actor_ids])
                        days, vals = per[a]
                        if days.size and days[-1] == d:  # same day (regimes before start)
                            vals[-1] = p.value
                        else:
                            per[a] = (np.append(days, d), [*vals, p.value])
                        self._change_days[sec].add(d)

    # -- lookups ----------------------------------------------------------------------------
    def has(self, section: str, field: str, actor: int | None = None) -> bool:
        """Whether any regime (of ``actor``, or of any actor) sets this parameter."""
        per = self._steps.get((section, field))
        if per is None:
            return False
        if actor is None:
            return any(d.size for d, _ in per)
        return bool(per[actor][0].size)

    def value(self, section: str, field: str, actor: int, day: int, default: Any = None
              ) -> Any:
        """The parameter in force for ``actor`` on ``day`` (``default`` before its first
        regime, or when no regime sets it)."""
        per = self._steps.get((section, field))
        if per is None or actor < 0:
            return default
        days, vals = per[actor]
        i = int(np.searchsorted(days, day, side="right")) - 1
        return vals[i] if i >= 0 else default

    def values_of(self, section: str, field: str, actor: int) -> list[Any]:
        """Every value the regimes of ``actor`` give this parameter (in date order)."""
        per = self._steps.get((section, field))
        return list(per[actor][1]) if per is not None else []

    def column(self, section: str, field: str, day: int, fallback: np.ndarray
               ) -> np.ndarray:
        """One float per actor: the value in force on ``day``, else ``fallback[actor]``."""
        out = np.asarray(fallback, dtype=np.float64).copy()
        if (section, field) not in self._steps:
            return out
        for a in range(len(self.actor_ids)):
            v = self.value(section, field, a, day)
            if v is not None:
                out[a] = float(v)
        return out

    def configured(self, section: str) -> np.ndarray:
        """Actors with at least one regime setting something in ``section`` (ever)."""
        out = np.zeros(len(self.actor_ids), dtype=bool)
        for (sec, _), per in self._steps.items():
            if sec == section:
                out |= np.array([d.size > 0 for d, _ in per])
        return out

    def first_day(self, section: str, actor: int) -> int | None:
        """The first day on which a regime of ``actor`` sets something in ``section``."""
        firsts = [int(per[actor][0][0]) for (sec, _), per in self._steps.items()
                  if sec == section and per[actor][0].size]
        return min(firsts) if firsts else None

    def changes_on(self, section: str, day: int) -> bool:
        """Whether a regime setting ``section`` starts on ``day``."""
        return day in self._change_days.get(section, set())

    # -- interception (M24) and punishment (M19) -------------------------------------------
    def share_table(self, section: str, fields: Sequence[str], names: Sequence[str],
                    day: int, defaults: Sequence[Mapping[str, float]]) -> np.ndarray:
        """Cumulative shares (A, len(fields), len(names)) in force on ``day``; a field an
        actor does not set takes ``defaults[k]``."""
        A = len(self.actor_ids)
        out = np.zeros((A, len(fields), len(names)))
        for a in range(A):
            for k, f in enumerate(fields):
                sh = self.value(section, f, a, day, default=defaults[k])
                out[a, k] = np.cumsum(shares_vector(sh, names))
        out[..., -1] = 1.0
        return out


def cumulative_shares(shares: Sequence[Sequence[Mapping[str, float]]],
                      names: Sequence[str]) -> np.ndarray:
    """Cumulative share table (rows, kinds, outcomes) from share dicts, last column 1."""
    out = np.array([[np.cumsum(shares_vector(sh, names)) for sh in row] for row in shares],
                   dtype=np.float64)
    out[..., -1] = 1.0
    return out


def interception_codes(table: np.ndarray, actor: np.ndarray, kind: np.ndarray,
                       u: np.ndarray) -> np.ndarray:
    """Outcome codes (indices into :data:`OUTCOMES`) for people caught by ``actor``:
    ``table`` the cumulative shares (actors, kinds, outcomes) in force that day (the coercion
    module's, from each actor's ``interception_wanted`` / ``interception_others``), ``kind``
    WANTED or OTHERS per person, ``u`` a uniform per person (the caller's common random
    numbers)."""
    actor = np.asarray(actor, dtype=np.int64)
    if actor.size == 0:
        return np.zeros(0, dtype=np.int64)
    rows = table[actor, np.asarray(kind, dtype=np.int64)]
    return np.minimum((np.asarray(u)[:, None] >= rows).sum(axis=1), len(OUTCOMES) - 1)


def default_interception_table(n_actors: int) -> np.ndarray:
    """The generic interception shares for every actor (no coercion module)."""
    return cumulative_shares([list(DEFAULT_INTERCEPTION)] * n_actors, OUTCOMES)


def punishment_codes(local: Mapping[str, float], foreign_shares: Mapping[str, float],
                     foreign: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Punishment codes (indices into :data:`PUNISHMENTS`) for caught leavers: the actor's
    ``punishment_local`` shares for locals, ``punishment_foreign`` for foreign members, with
    ``u`` a uniform per person."""
    cum_l = np.cumsum(shares_vector(local, PUNISHMENTS))
    cum_f = np.cumsum(shares_vector(foreign_shares, PUNISHMENTS))
    cum_l[-1] = cum_f[-1] = 1.0
    rows = np.where(np.asarray(foreign, dtype=bool)[:, None], cum_f[None, :], cum_l[None, :])
    return np.minimum((np.asarray(u)[:, None] >= rows).sum(axis=1), len(PUNISHMENTS) - 1)


class Market:
    """Exchange rate, food prices and wages by day and place (M2).

    Args:
        practices: the scenario's practices (None: flat 2011 levels, 47 pounds a dollar).
        start: the first day's date; n_days: days simulated.
        place_index: place name -> index; actor_index: actor id -> index.
        control: (n_days, n_places) actor index holding each place (-1 none).
    """

    BASE_FX = 47.0  # SYP per USD in 2011 (fx-syp-market): prices are indices on 2011

    def __init__(self, practices: Practices | None, start: dt.date, n_days: int,
                 place_index: Mapping[str, int], actor_index: Mapping[str, int],
                 control: np.ndarray) -> None:
        self.n_days = n_days
        self.n_places = len(place_index)
        self.control = control
        eco = practices.economy if practices is not None else None
        days = np.arange(n_days)
        self.fx = np.full(n_days, self.BASE_FX)
        self.has_series = eco is not None and bool(eco.exchange_rate or eco.prices
                                                    or eco.wages)
        if eco is not None and eco.exchange_rate:
            d = np.array([(r.date - start).days for r in eco.exchange_rate])
            v = np.array([r.market for r in eco.exchange_rate])
            i = np.searchsorted(d, days, side="right") - 1
            self.fx = np.where(i >= 0, v[np.maximum(i, 0)], v[0])

        def scoped(rows: Sequence[PriceRow | WageRow]) -> list[tuple[int, int, np.ndarray | None,
                                                                     np.ndarray | None]]:
            out = []
            for r in rows:
                places = (np.array([place_index[p] for p in r.places], dtype=np.int64)
                          if r.places else None)
                holders = (np.array([actor_index[h] for h in r.held_by], dtype=np.int64)
                           if r.held_by else None)
                out.append(((r.from_ - start).days, r.rank, places, holders))
            return out

        self._price_rows = scoped(eco.prices) if eco is not None else []
        self._price_vals = [r.value for r in eco.prices] if eco is not None else []
        #: rows that follow the exchange rate: the rate on their first day
        self._price_fx0 = [float(self.fx[min(max((r.from_ - start).days, 0), n_days - 1)])
                           if r.follow_fx else 0.0 for r in eco.prices] if eco is not None \
            else []
        self._wage_rows = scoped(eco.wages) if eco is not None else []
        self._wage_vals = [r.wage for r in eco.wages] if eco is not None else []
        self._job_vals = [r.jobs for r in eco.wages] if eco is not None else []
        starts = {max(r[0], 0) for r in self._price_rows + self._wage_rows}
        self._row_days = starts

    def fx_index(self, day: int) -> float:
        """Pounds per dollar on ``day`` relative to 2011 (47): 1.0 in 2011."""
        return float(self.fx[min(max(day, 0), self.n_days - 1)] / self.BASE_FX)

    def due(self, day: int) -> bool:
        """Whether a price or wage row starts on ``day`` or the rate moves (control changes
        are the caller's)."""
        return day == 0 or day in self._row_days or (
            0 < day < self.n_days and self.fx[day] != self.fx[day - 1])

    def _latest(self, rows: list[tuple[int, int, np.ndarray | None, np.ndarray | None]],
                vals: Sequence[float | None], day: int, base: float,
                fx0: Sequence[float] | None = None) -> np.ndarray:
        """Per place: the value of the latest row in force today (ties: higher rank); a row
        with a base rate in ``fx0`` is scaled by today's rate over it."""
        ctrl = self.control[min(max(day, 0), self.n_days - 1)].astype(np.int64)
        fx_now = float(self.fx[min(max(day, 0), self.n_days - 1)])
        out = np.full(self.n_places, base)
        best = np.full(self.n_places, -(10 ** 9), dtype=np.int64)
        for i, ((d, rank, places, holders), v) in enumerate(zip(rows, vals, strict=True)):
            if d > day or v is None:
                continue
            mask = np.zeros(self.n_places, dtype=bool)
            if places is not None:
                mask[places] = True
            elif holders is not None:
                mask = np.isin(ctrl, holders)
            else:
                mask[:] = True
            key = d * 4 + rank
            take = mask & (key >= best)
            f = fx_now / fx0[i] if fx0 is not None and fx0[i] > 0 else 1.0
            out[take] = v * f
            best[take] = key
        return out

    def prices(self, day: int) -> np.ndarray:
        """Food price index in pounds (2011 = 1) by place on ``day``."""
        return self._latest(self._price_rows, self._price_vals, day, 1.0, self._price_fx0)

    def wages(self, day: int) -> np.ndarray:
        """Wage index in pounds (2011 = 1) by place on ``day``."""
        return self._latest(self._wage_rows, self._wage_vals, day, 1.0)

    def jobs(self, day: int) -> np.ndarray:
        """Share of 2011 jobs left by place on ``day``."""
        return self._latest(self._wage_rows, self._job_vals, day, 1.0)


def territory_share(practices: Practices | None, actor: str, start: dt.date, n_days: int
                    ) -> np.ndarray | None:
    """The whole organisation's territory on each day relative to its largest so far (0..1),
    linear between the dated points and flat after the last; None without a series."""
    if practices is None or not practices.org_territory.get(actor):
        return None
    rows = practices.org_territory[actor]
    d = np.array([(r.date - start).days for r in rows], dtype=np.float64)
    v = np.array([r.km2 for r in rows], dtype=np.float64)
    km2 = np.interp(np.arange(n_days, dtype=np.float64), d, v)
    peak = np.maximum.accumulate(np.maximum(km2, 1e-9))
    return np.clip(km2 / peak, 0.0, 1.0)


class MarketSeries(Market):
    """The simulation's market series, shared by the modules (found with ``sim.get``)."""


def practice_book(sim: Simulation) -> PracticeBook:
    """The simulation's practice book, created (and provided to ``sim.get``) on first use."""
    book = sim.get(PracticeBook)
    if book is None:
        sc = sim.scenario
        book = sim.provide(PracticeBook(sc.practices, sim.world.actor_ids, sc.period.start))
    return book


def market(sim: Simulation) -> MarketSeries:
    """The simulation's market series, created (and provided to ``sim.get``) on first use."""
    m = sim.get(MarketSeries)
    if m is None:
        w, sc = sim.world, sim.scenario
        m = sim.provide(MarketSeries(sc.practices, sc.period.start, w.n_days, w.place_index,
                                     w.actor_index, w.control))
    return m


class ActorSettings(Generic[A]):
    """A module's per-actor parameters on a day: the practice in force (section named after
    the module), else the actor's ``modules.<name>.actors`` setting, else the parameter's
    generic default.

    Args:
        sim: the simulation (for the practice book and the actors).
        section: the module's name (its section of the practices).
        cls: the module's per-actor settings model.
        given: ``modules.<name>.actors`` of the scenario.
    """

    def __init__(self, sim: Simulation, section: str, cls: type[A], given: Mapping[str, A]
                 ) -> None:
        self.book = practice_book(sim)
        self.section = section
        self.actor_ids = list(sim.world.actor_ids)
        self.given = resolve_actors(given, cls, self.actor_ids)
        self.default = cls()

    def value(self, field: str, actor: int, day: int) -> Any:
        """Parameter ``field`` of ``actor`` in force on ``day``."""
        v = self.book.value(self.section, field, actor, day)
        if v is not None:
            return v
        s = self.given[actor]
        return getattr(s if s is not None else self.default, field).value

    def col(self, field: str, day: int) -> np.ndarray:
        """Parameter ``field`` for every actor on ``day`` (float64)."""
        return np.array([float(self.value(field, a, day)) for a in range(len(self.actor_ids))],
                        dtype=np.float64)

    def configured(self, day: int) -> np.ndarray:
        """Actors configured in this module on ``day``: by ``modules.<name>.actors``, or by a
        regime of the practices that has started."""
        out = np.array([g is not None for g in self.given])
        for a in range(len(self.actor_ids)):
            first = self.book.first_day(self.section, a)
            if first is not None and first <= day:
                out[a] = True
        return out

    def changes_on(self, day: int) -> bool:
        """Whether a regime of this section starts on ``day`` (day 0 included)."""
        return day == 0 or self.book.changes_on(self.section, day)
