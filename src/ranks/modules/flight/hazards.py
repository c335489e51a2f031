"""Hazards on the way (M24): the chances of a checkpoint, a desert patrol and a mine on a
link, as a pure function of the link and the party, and the outcome of an interception.

A party crossing a link meets the checkpoints of the actor holding the link's end (else its
start) and, on desert links, the patrols of the actor holding its start, when that actor is
hostile to it: the actor it fled, the actor that wants the man, or any actor whose exit ban
is in force. Minefields threaten everyone crossing. Draws are made by the module (one
uniform per party and link); this file has no random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np

from ranks import kernels
from ranks.modules.flight.routes import DESERT
from ranks.modules.practices import OTHERS, OUTCOMES


class Outcome(IntEnum):
    """What an interception does to a party (reason ``hazard:outcome`` of ``interdicted``):
    the outcomes of the intercepting actor's practice (:data:`ranks.modules.practices.
    OUTCOMES`, in that order), then PUNISHED (a caught deserter, handed to deterrence, M19)."""

    RETURNED = 0
    FINED = 1
    PASSED = 2
    DETAINED = 3
    CONSCRIPTED = 4
    KILLED = 5
    PUNISHED = 6


#: Labels of :class:`Outcome`, as written in the outputs.
OUTCOME_NAMES = tuple(o.name.lower() for o in Outcome)
assert OUTCOME_NAMES[:-1] == OUTCOMES


class Hazard(IntEnum):
    """Who stopped a party."""

    CHECKPOINT = 0
    PATROL = 1


@dataclass
class Window:
    """A dated timeline setting: a closure, a minefield or an exit ban, from ``start`` until
    ``until`` (day indices) on ``links`` or by ``actor`` (-1 none) with ``value``."""

    start: int
    until: int
    value: float
    actor: int = -1
    links: np.ndarray | None = None


@dataclass
class LinkHazards:
    """Per traveller finishing a link: the chance of each hazard and the actor behind it."""

    p_checkpoint: np.ndarray
    checkpoint_actor: np.ndarray
    p_patrol: np.ndarray
    patrol_actor: np.ndarray
    p_mine: np.ndarray
    mine_actor: np.ndarray

    @property
    def p_stop(self) -> np.ndarray:
        """Chance to be stopped by a checkpoint or, failing that, a patrol."""
        return self.p_checkpoint + self.p_patrol * (1.0 - self.p_checkpoint)


@dataclass
class HazardRates:
    """Today's hazard settings (chances per link crossed).

    Attributes:
        checkpoint_by_kind: checkpoint chance by route kind.
        smuggled_factor: factor on checkpoints for smuggled parties.
        campaign: the coercion module's checkpoint intensity by place (None without it).
        campaign_scale: chance x (1 + this x campaign intensity at the link's end).
        patrol_desert: patrol chance on desert links.
        patrols: desert patrol intensity by place (None without coercion).
        mine_by_kind: mine chance by route kind.
        ban: exit-ban factor by actor, index A for none (0 = no ban).
        minefields: timeline minefields active today.
    """

    checkpoint_by_kind: np.ndarray
    smuggled_factor: float
    campaign: np.ndarray | None
    campaign_scale: float
    patrol_desert: float
    patrols: np.ndarray | None
    mine_by_kind: np.ndarray
    ban: np.ndarray
    minefields: list[Window]


def hazard_chances(rates: HazardRates, link: np.ndarray, frm: np.ndarray, to: np.ndarray,
                   kind: np.ndarray, control: np.ndarray, feared: np.ndarray,
                   wanted: np.ndarray, smuggled: np.ndarray) -> LinkHazards:
    """The hazards of travellers finishing ``link`` (from ``frm`` to ``to``, route ``kind``),
    each fleeing ``feared`` and wanted by ``wanted`` (-1 none); ``control`` is today's
    holder of each place. Pure: no state, no random numbers."""
    if kernels.ENABLED and all(a is None or a.dtype == np.float64
                               for a in (rates.campaign, rates.patrols)):
        # the same chances, in one compiled loop (ranks.kernels)
        empty = np.zeros(0)
        p_cp, cp_actor, p_pat, pat_actor, p_mine, mine_actor = kernels.link_hazards(
            frm, to, kind, control, feared, wanted, smuggled, rates.checkpoint_by_kind,
            float(rates.smuggled_factor),
            rates.campaign if rates.campaign is not None else empty,
            rates.campaign is not None, float(rates.campaign_scale),
            float(rates.patrol_desert), rates.patrols if rates.patrols is not None else empty,
            rates.patrols is not None, rates.mine_by_kind, rates.ban, DESERT)
        return _minefields(rates, link, p_cp, cp_actor, p_pat, pat_actor, p_mine,
                           mine_actor)
    A = rates.ban.size - 1
    ctrl = control.astype(np.int64)
    # checkpoints of the actor holding the link's end (else its start) and desert patrols
    cp_actor = np.where(ctrl[to] >= 0, ctrl[to], ctrl[frm])
    ban = rates.ban[np.where(cp_actor >= 0, cp_actor, A)]
    # an actor stops those who flee it, the men it wants, and anyone leaving under its ban
    hostile = (cp_actor >= 0) & ((cp_actor == feared) | (cp_actor == wanted) | (ban > 0))
    ban = 1.0 + ban
    cp = rates.checkpoint_by_kind[kind] * np.where(smuggled, rates.smuggled_factor, 1.0)
    if rates.campaign is not None:
        cp = cp * (1.0 + rates.campaign_scale * rates.campaign[to])
    p_cp = np.minimum(cp * ban, 1.0) * hostile
    pat_actor = ctrl[frm]
    pat_ban = rates.ban[np.where(pat_actor >= 0, pat_actor, A)]
    pat_hostile = (pat_actor >= 0) & ((pat_actor == feared) | (pat_actor == wanted)
                                      | (pat_ban > 0))
    patrol = np.where(kind == DESERT, rates.patrol_desert, 0.0)
    if rates.patrols is not None:
        patrol = patrol * (1.0 + rates.patrols[frm])
    p_pat = np.minimum(patrol * (1.0 + pat_ban), 1.0)
    p_pat = p_pat * pat_hostile
    # minefields on the link (everyone crossing)
    return _minefields(rates, link, p_cp, cp_actor, p_pat, pat_actor,
                       rates.mine_by_kind[kind].copy(), ctrl[frm].copy())


def _minefields(rates: HazardRates, link: np.ndarray, p_cp: np.ndarray,
                cp_actor: np.ndarray, p_pat: np.ndarray, pat_actor: np.ndarray,
                p_mine: np.ndarray, mine_actor: np.ndarray) -> LinkHazards:
    """The hazards with today's minefields added to the route kind's mine chance
    (``p_mine``, ``mine_actor``: arrays of their own, changed in place)."""
    for m in rates.minefields:
        if m.links is not None:
            on = np.isin(link, m.links)
            p_mine[on] += m.value
            if m.actor >= 0:
                mine_actor[on] = m.actor
    return LinkHazards(p_cp, cp_actor, p_pat, pat_actor, np.minimum(p_mine, 1.0), mine_actor)


def interception_outcome(u: np.ndarray, cumulative: np.ndarray, actor: np.ndarray,
                         kind: np.ndarray, man: np.ndarray, deserter: np.ndarray
                         ) -> np.ndarray:
    """The :class:`Outcome` of each interception (what happens to the caught is the
    intercepting actor's practice, per date and kind of person): drawn with uniform ``u``
    from ``cumulative`` (actors, kinds, outcomes: the coercion module's table of the day);
    ``kind`` WANTED (a man the actor wants) or OTHERS; among the others, women, children
    and elders (not ``man``) are sent back rather than held, taken or killed; a caught
    deserter is PUNISHED."""
    rows = cumulative[actor, kind]
    oc = (rows <= u[:, None]).sum(axis=1).clip(0, len(OUTCOMES) - 1)
    spare = (kind == OTHERS) & ~man & (oc >= int(Outcome.DETAINED))
    oc = np.where(spare, int(Outcome.RETURNED), oc)
    return np.where(deserter, int(Outcome.PUNISHED), oc)
