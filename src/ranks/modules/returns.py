"""Returns: displaced people go home when home is safe again (M27).

Requires: the flight module (``sim.get(Flight)``: its pool of displaced parties, party
members, whom each fled from, and ``Flight.mark_returned`` for those who go home);
``world.control`` and ``world.front``.

Outputs: event ``returned`` (reason ``safe``; place = where the party returns from,
destination = home, actor = the actor holding home).

Step behaviour, each day: candidate parties are drawn by thinning from the displaced pool
(camps, abroad, settled in towns away from home) at the largest daily chance; a party is
accepted with its own chance (by where it is) divided by that bound, and only when home is
safe: held by an actor other than the one it fled (and held by someone), with front
intensity below ``safe_front_max``, at least ``min_days_away`` days after it left. Members
of a party return together (state CIVILIAN at home). Counts keep common random numbers per
day (thinning), acceptance is keyed by the party. A party listed twice in the pool (between
its compactions) has about twice the chance to be drawn until the next compaction.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from ranks.modules.actors import NonNegInt, Prob
from ranks.modules.base import Module, ModuleParams
from ranks.modules.flight import Flight
from ranks.population import State
from ranks.scenario.model import P

if TYPE_CHECKING:
    from ranks.engine import Simulation


class ReturnsParams(ModuleParams):
    """Daily chances of a displaced party to go home once home is safe."""

    from_camp_per_day: P[Prob] = P(
        value=0.01, source="timeline-shared",
        note="2017-11: residents of east-bank towns start returning weeks after the SDF took "
        "them; daily chance (about 3 months on average) assumed")
    from_town_per_day: P[Prob] = P(
        value=0.01, source="timeline-shared",
        note="as from camps: displaced living in towns return weeks to months after their home "
        "is taken (assumed)")
    from_abroad_per_day: P[Prob] = P(
        value=0.002, assumption="people abroad return more slowly (a year on average): "
        "crossing back is costly and risky")
    safe_front_max: P[Prob] = P(
        value=0.2, assumption="home counts as safe below this front intensity")
    min_days_away: P[NonNegInt] = P(
        value=7, assumption="nobody turns round within a week of leaving")


class Returns(Module[ReturnsParams]):
    """Displaced people return home when it is safe again (M27)."""

    name = "returns"
    mids = ("M27",)
    Params = ReturnsParams
    requires = (Flight,)

    def init(self, sim: Simulation) -> None:
        flight = sim.get(Flight)
        if flight is None:  # the registry and Simulation check ``requires``
            raise RuntimeError("the returns module needs the flight module")
        self.flight = flight

    def step(self, sim: Simulation, day: int) -> None:
        flight = self.flight
        p, people, w = self.params, sim.people, sim.world
        rate = np.zeros(len(State))
        rate[State.CAMP] = p.from_camp_per_day.value
        rate[State.CIVILIAN] = p.from_town_per_day.value
        rate[State.HIDING] = p.from_town_per_day.value
        rate[State.ABROAD] = p.from_abroad_per_day.value
        p_max = float(rate.max())
        pool = flight.displaced_parties(sim, day)
        keys = np.unique(sim.thin_candidates("returns.candidates", day, p_max, pool))
        if keys.size == 0:
            return
        ids, k = flight.party_members(sim, keys)
        if ids.size == 0:
            return
        home = people.home[ids].astype(np.int64)
        ctrl = w.control[day].astype(np.int64)[home]
        safe = ((ctrl >= 0) & (ctrl != flight.fled_from[ids])
                & (w.front[day][home] < p.safe_front_max.value)
                & (day - people.since[ids] >= p.min_days_away.value)
                & (people.place[ids] != home))
        u = sim.person_uniform("returns.accept", k)
        go = safe & (u * p_max < rate[people.state[ids]])
        ids, home, ctrl = ids[go], home[go], ctrl[go]
        if ids.size == 0:
            return
        sim.record.events("returned", people.place[ids], actor=ctrl, reason="safe",
                          destination=home)
        flight.mark_returned(sim, ids)
        people.set(ids, day, state=State.CIVILIAN, place=home)
