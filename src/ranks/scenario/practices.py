"""Per-actor practices by date, and the dated market series they are paid and priced in.

A scenario names a practices file (``practices: common/practices-deir-ezzor.yaml``) or gives
the section inline. It holds:

- ``actors``: for each actor id, a list of dated *regimes*. A regime starts on its ``from``
  date and sets parameters of the modules' per-actor settings, by module section
  (``economy``, ``joining``, ``service``, ``coercion``, ``leaving``): each leaf a
  :class:`~ranks.scenario.model.P` (value with a source or an assumption). A parameter not
  repeated in a later regime carries over. Regimes dated before the scenario's start are in
  force at the start (a scenario starting in 2017 inherits the 2015 pay cut).
- ``economy``: dated series in which pay and prices are expressed: the Syrian pound's
  market and official exchange rates, the food price index in pounds (2011 = 1) and the
  wage and jobs indices, by place or by the actor that holds a place.
- ``org_territory``: the whole organisation's territory over time (km2) for actors whose
  fortunes outside the scenario's map matter (read by the joining module's prospects term).

This is the data layer: it checks structure, dates, names and evidence. Which parameters a
section accepts is checked by the module that owns it
(:func:`ranks.modules.registry.validate_modules`).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import ConfigDict, Field, model_validator

from ranks.scenario.model import Evidenced, P, Strict

#: Module sections a regime may set, in the order the engine calls the modules.
SECTIONS = ("economy", "joining", "coercion", "service", "leaving")


class Regime(Strict):
    """Practices of one actor from ``from`` on (until a later regime changes them)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: dt.date = Field(alias="from")
    note: str | None = None
    economy: dict[str, P[Any]] = Field(default_factory=dict)
    joining: dict[str, P[Any]] = Field(default_factory=dict)
    coercion: dict[str, P[Any]] = Field(default_factory=dict)
    service: dict[str, P[Any]] = Field(default_factory=dict)
    leaving: dict[str, P[Any]] = Field(default_factory=dict)

    def section(self, name: str) -> dict[str, P[Any]]:
        """The parameters this regime sets in module section ``name``."""
        out: dict[str, P[Any]] = getattr(self, name)
        return out


#: Generous upper bounds: values beyond them are typos, not series (issue 17).
MAX_SYP_PER_USD = 1_000_000.0  # the pound traded near 15,000 in 2023
MAX_INDEX = 10_000.0  # price and wage indices, 2011 = 1
MAX_KM2 = 10_000_000.0  # an organisation's territory (Syria and Iraq: about 620,000 km2)

PosF = Annotated[float, Field(gt=0.0, le=MAX_INDEX)]
Rate = Annotated[float, Field(gt=0.0, le=MAX_SYP_PER_USD)]
NonNeg = Annotated[float, Field(ge=0.0, le=MAX_KM2)]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]


class FxRow(Evidenced):
    """Syrian pounds per US dollar from ``date`` on: the market (parallel) rate and, where
    known, the official one."""

    date: dt.date
    market: Rate
    official: Rate | None = None


class PlaceScoped(Evidenced):
    """A row that applies from ``from`` on to the named ``places``, or to the places held by
    one of ``held_by`` on each day, or (neither given) to every place. Among the rows in
    force for a place, the latest ``from`` wins; on a tie, named places beat holders, which
    beat the whole region."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    from_: dt.date = Field(alias="from")
    places: list[str] = Field(default_factory=list)
    held_by: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_scope(self) -> PlaceScoped:
        if self.places and self.held_by:
            raise ValueError("give 'places' or 'held_by', not both")
        return self

    @property
    def rank(self) -> int:
        """Precedence on a tie of dates: 2 named places, 1 holders, 0 everywhere."""
        return 2 if self.places else (1 if self.held_by else 0)


class PriceRow(PlaceScoped):
    """Food price index in Syrian pounds (2011 = 1). With ``follow_fx`` the index moves with
    the market exchange rate after its date (full pass-through of the pound's fall) until a
    later row takes over: for rows that stand for a pass-through assumption rather than a
    price quote."""

    value: PosF
    follow_fx: bool = False


class WageRow(PlaceScoped):
    """Wage index in Syrian pounds (2011 = 1) and the share of 2011 jobs still there."""

    wage: PosF | None = None
    jobs: Unit | None = None

    @model_validator(mode="after")
    def _something(self) -> WageRow:
        if self.wage is None and self.jobs is None:
            raise ValueError("a wages row sets 'wage', 'jobs' or both")
        return self


class TerritoryRow(Evidenced):
    """Territory held by the whole organisation on ``date`` (km2)."""

    date: dt.date
    km2: NonNeg


class EconomySeries(Strict):
    """Dated market series (M2): exchange rate, prices and wages by place."""

    exchange_rate: list[FxRow] = Field(default_factory=list)
    prices: list[PriceRow] = Field(default_factory=list)
    wages: list[WageRow] = Field(default_factory=list)


class Practices(Strict):
    """Per-actor practices by date and the series they refer to."""

    actors: dict[str, list[Regime]] = Field(default_factory=dict)
    economy: EconomySeries = Field(default_factory=EconomySeries)
    org_territory: dict[str, list[TerritoryRow]] = Field(default_factory=dict)

    def regimes(self, actor: str) -> list[Regime]:
        """The actor's regimes in date order (empty when none)."""
        return list(self.actors.get(actor, []))


def resolve(practices: Practices | None, actor: str, section: str, day: dt.date
            ) -> dict[str, P[Any]]:
    """The parameters of ``section`` in force for ``actor`` on ``day`` (carried over)."""
    out: dict[str, P[Any]] = {}
    if practices is None:
        return out
    for r in practices.regimes(actor):
        if r.from_ > day:
            break
        out.update(r.section(section))
    return out


def check_practices(practices: Practices | None, places: set[str], actors: set[str],
                    fail: Any) -> None:
    """Names exist and dates are in order. ``fail(path, field, message)`` raises the
    located error (the loader passes one that names file and line)."""
    if practices is None:
        return
    for a, regimes in practices.actors.items():
        if a not in actors:
            fail(("practices", "actors", a), f"practices.actors.{a}",
                 f"unknown actor '{a}' (actors: {', '.join(sorted(actors))})")
        prev: dt.date | None = None
        for i, r in enumerate(regimes):
            if prev is not None and r.from_ <= prev:
                fail(("practices", "actors", a, i, "from"), f"practices.actors.{a}[{i}].from",
                     f"regimes out of order: {r.from_} is not after {prev}")
            prev = r.from_
    eco = practices.economy
    prev = None
    for i, fx in enumerate(eco.exchange_rate):
        if prev is not None and fx.date <= prev:
            fail(("practices", "economy", "exchange_rate", i, "date"),
                 f"practices.economy.exchange_rate[{i}].date",
                 f"dates out of order: {fx.date} is not after {prev}")
        prev = fx.date
    scoped: tuple[tuple[str, list[PriceRow] | list[WageRow]], ...] = (
        ("prices", eco.prices), ("wages", eco.wages))
    for name, rows in scoped:
        prev = None
        for i, row in enumerate(rows):
            base = ("practices", "economy", name, i)
            if prev is not None and row.from_ < prev:
                fail((*base, "from"), f"practices.economy.{name}[{i}].from",
                     f"dates out of order: {row.from_} comes after {prev}")
            prev = row.from_
            for p in row.places:
                if p not in places:
                    fail((*base, "places"), f"practices.economy.{name}[{i}].places",
                         f"unknown place '{p}'")
            for h in row.held_by:
                if h not in actors:
                    fail((*base, "held_by"), f"practices.economy.{name}[{i}].held_by",
                         f"unknown actor '{h}'")
    for a, trows in practices.org_territory.items():
        if a not in actors:
            fail(("practices", "org_territory", a), f"practices.org_territory.{a}",
                 f"unknown actor '{a}'")
        prev = None
        for i, t in enumerate(trows):
            if prev is not None and t.date <= prev:
                fail(("practices", "org_territory", a, i, "date"),
                     f"practices.org_territory.{a}[{i}].date",
                     f"dates out of order: {t.date} is not after {prev}")
            prev = t.date
