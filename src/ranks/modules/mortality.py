"""Civilian mortality: background deaths and deaths from fighting where people are (M16, M26).

Requires: ``world.front`` (front intensity by day and place).
Outputs: event ``died`` with reason ``background`` or ``conflict`` at the person's place.
Step behaviour: a thinning draw: candidates are drawn uniformly from everyone at the
largest daily chance, then each is accepted with their own chance divided by it. Counts
keep common random numbers per day only (not per person).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ranks.modules.actors import Prob
from ranks.modules.base import Module, ModuleParams
from ranks.population import State
from ranks.scenario.model import P

if TYPE_CHECKING:
    from ranks.engine import Simulation

DAYS_PER_YEAR = 365.25


class MortalityParams(ModuleParams):
    """Rates per person and year."""

    background_per_year: P[Prob] = P(
        value=0.0037,
        assumption="pre-war Syrian crude death rate of about 3.7 per 1,000 a year "
        "(CIA World Factbook 2011 order of magnitude; not yet in evidence/sources.yaml)",
    )
    conflict_per_year_at_full_front: P[Prob] = P(
        value=0.01,
        assumption="civilian death risk at the heaviest front intensity, 1% a year; "
        "order of magnitude only, to be calibrated against casualty records",
    )


class Mortality(Module[MortalityParams]):
    """Background and conflict deaths of everyone alive in the governorate's places."""

    name = "mortality"
    mids = ("M16", "M26")
    Params = MortalityParams
    settable = ("background_per_year", "conflict_per_year_at_full_front")

    def step(self, sim: Simulation, day: int) -> None:
        p = self.params
        base = sim.param(self.name, "background_per_year", p.background_per_year.value) \
            / DAYS_PER_YEAR
        conflict = sim.param(self.name, "conflict_per_year_at_full_front",
                             p.conflict_per_year_at_full_front.value) / DAYS_PER_YEAR
        front = sim.world.front[day]
        p_max = base + conflict * float(front.max(initial=0.0))
        if p_max <= 0:
            return
        ids = sim.thin_candidates("mortality.candidates", day, p_max)
        if ids.size == 0:
            return
        people = sim.people
        state = people.state[ids]
        alive = (state != State.DEAD) & (state != State.ABROAD)
        ids = ids[alive]
        u = sim.rng("mortality.accept", day).random(ids.size) * p_max
        place = people.place[ids]
        p_conf = conflict * front[place]
        die_bg = u < base
        die_conf = ~die_bg & (u < base + p_conf)
        sim.request_death(ids[die_bg], "background")
        sim.request_death(ids[die_conf], "conflict")
