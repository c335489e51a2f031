"""The wanted book: who is wanted, hiding or detained, shared by coercion and leaving.

Coercion (M7-M12) and leaving (M18-M21) both change who an armed actor is looking for:
evaders of a conscription order and deserters. This small shared object keeps index sets of
the wanted and the detained (so nobody scans everyone each day), the per-person columns
they need, and the transitions both modules use (into hiding, conscription, detention).
It is created by whichever module asks first (``wanted_book(sim)``) and is found by type
(``sim.get(WantedBook)``); other modules change it only through its methods.

Columns added to ``sim.people`` (3 bytes a person):
    wanted_by (int8): actor index looking for the person, or holding them when DETAINED;
        -1 none.
    coercion_bits (uint8): FLEE_BIT (wants to flee: read by the flight module),
        LOST_WORK_BIT (stopped working to hide; the wage comes back on return),
        IN_WANTED and IN_DETAINED (bookkeeping of the index sets).
    grievance (int8): the actor that last held the person in detention (own detention as a
        path into armed groups, seed-002 ¶¶17-19; read by the joining module), -1 none.

It also resolves what happens to people an actor catches (:meth:`WantedBook.caught`): the
outcome codes of :func:`ranks.modules.practices.interception_codes` (per actor and date)
become fines, passage fees, detention, conscription or death.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Protocol

import numpy as np

from ranks import kernels
from ranks.arrays import unique, unique_first_inverse
from ranks.modules.economy import Economy
from ranks.modules.practices import (
    CONSCRIPTED,
    DETAINED,
    FINED,
    KILLED,
    PASSED,
    RETURNED,
    WANTED,
)
from ranks.population import Assignment, Flag, State

if TYPE_CHECKING:
    from ranks.engine import Simulation

FLEE_BIT = 1
LOST_WORK_BIT = 2
IN_WANTED = 4  # bookkeeping: the id is in the wanted index
IN_DETAINED = 8  # bookkeeping: the id is in the detained index
_EMPTY = np.zeros(0, dtype=np.int64)

class PunishHook(Protocol):
    """What happens to caught deserters ``ids`` of ``actor`` caught ``how`` (M19); ``draw``
    names the call's random stream apart from other calls of the day."""

    def __call__(self, sim: Simulation, ids: np.ndarray, actor: int, day: int, how: str, /,
                 draw: str = "") -> None: ...


class WantedBook:
    """Index sets of wanted and detained people and the transitions that change them.

    ``wage_usd`` is the monthly wage a hiding worker stops earning (the population's
    ``wage_usd_month``).
    """

    def __init__(self, sim: Simulation) -> None:
        self.wanted_by = sim.people.add_column("wanted_by", np.int8, -1)
        self.bits = sim.people.add_column("coercion_bits", np.uint8, 0)
        self.grievance = sim.people.add_column("grievance", np.int8, -1)
        self._wanted: list[np.ndarray] = [_EMPTY]
        self._detained: list[np.ndarray] = [_EMPTY]
        self.wage_usd = float(sim.scenario.population.wage_usd_month.value)
        #: What happens to a caught deserter (M19): set by the leaving module with
        #: :meth:`set_punisher`; None without it.
        self.punish_deserters: PunishHook | None = None

    def set_punisher(self, hook: PunishHook) -> None:
        """The leaving module's deterrence (M19) takes caught deserters."""
        self.punish_deserters = hook

    # -- index sets ------------------------------------------------------------------------
    # An id is in an index array at most once: IN_WANTED / IN_DETAINED bits mark membership,
    # so appending needs no np.unique; ids that no longer qualify are dropped (and unmarked)
    # when the set is read.
    def _read(self, chunks: list[np.ndarray], keep: Callable[[np.ndarray], np.ndarray],
              bit: int) -> np.ndarray:
        ids = np.concatenate(chunks) if len(chunks) > 1 else chunks[0]
        k = keep(ids)
        gone = ids[~k]
        if gone.size:
            self.bits[gone] &= np.uint8(~bit & 0xFF)
        return ids[k]

    def wanted(self, sim: Simulation) -> np.ndarray:
        """Ids of living people flagged WANTED (each once, unordered)."""
        p = sim.people
        if kernels.ENABLED:  # the same ids, in one compiled loop (ranks.kernels)
            ids = kernels.still_in(self._joined(self._wanted), p.flags, Flag.WANTED, p.state,
                                   -1, State.DEAD, self.bits, IN_WANTED)
        else:
            ids = self._read(self._wanted, lambda i: ((p.flags[i] & Flag.WANTED) != 0)
                             & (p.state[i] != State.DEAD), IN_WANTED)
        self._wanted = [ids]
        return ids

    def detained(self, sim: Simulation) -> np.ndarray:
        """Ids of people in state DETAINED (each once, unordered)."""
        p = sim.people
        if kernels.ENABLED:  # the same ids, in one compiled loop (ranks.kernels)
            ids = kernels.still_in(self._joined(self._detained), p.flags, 0, p.state,
                                   State.DETAINED, -1, self.bits, IN_DETAINED)
        else:
            ids = self._read(self._detained, lambda i: p.state[i] == State.DETAINED,
                             IN_DETAINED)
        self._detained = [ids]
        return ids

    @staticmethod
    def _joined(chunks: list[np.ndarray]) -> np.ndarray:
        return np.ascontiguousarray(np.concatenate(chunks) if len(chunks) > 1 else chunks[0],
                                    dtype=np.int64)

    def _append(self, chunks: list[np.ndarray], ids: np.ndarray, bit: int) -> None:
        ids = np.asarray(ids, dtype=np.int64)
        new = ids[(self.bits[ids] & bit) == 0]
        if new.size:
            new = unique(new)
            self.bits[new] |= np.uint8(bit)
            chunks.append(new)

    def add_wanted(self, sim: Simulation, ids: np.ndarray, actor: int | np.ndarray,
                   evader: bool) -> None:
        """Flag ``ids`` WANTED by ``actor`` (one or one each; EVADER for evaders of an order)."""
        if ids.size == 0:
            return
        bits = Flag.WANTED | (Flag.EVADER if evader else 0)
        sim.people.flags[ids] |= np.uint8(bits)
        self.wanted_by[ids] = actor
        self._append(self._wanted, ids, IN_WANTED)

    def plan_flight(self, ids: np.ndarray) -> None:
        """``ids`` chose to flee under an order (FLEE_BIT: the flight module reads it)."""
        self.bits[ids] |= np.uint8(FLEE_BIT)

    def flight_started(self, ids: np.ndarray) -> None:
        """``ids`` set out: their plan to flee is carried out (FLEE_BIT cleared)."""
        self.bits[ids] &= np.uint8(~FLEE_BIT & 0xFF)

    def planned_flight(self, ids: np.ndarray) -> np.ndarray:
        """True for those of ``ids`` who chose to flee under an order."""
        return (self.bits[ids] & FLEE_BIT) != 0

    def clear_wanted(self, sim: Simulation, ids: np.ndarray) -> None:
        """No longer wanted (caught, settled, amnestied): clears WANTED, EVADER, FLEE_BIT."""
        sim.people.flags[ids] &= np.uint8(~(Flag.WANTED | Flag.EVADER) & 0xFF)
        self.bits[ids] &= np.uint8(~FLEE_BIT & 0xFF)
        self.wanted_by[ids] = -1

    # -- transitions -----------------------------------------------------------------------
    def stop_work(self, sim: Simulation, ids: np.ndarray) -> None:
        """Employed people among ``ids`` stop working: household income falls by a wage."""
        p = sim.people
        w = ids[(p.flags[ids] & Flag.EMPLOYED) != 0]
        if w.size == 0:
            return
        p.flags[w] &= np.uint8(~Flag.EMPLOYED & 0xFF)
        self.bits[w] |= np.uint8(LOST_WORK_BIT)
        self._add_income(sim, p.household[w], -self.wage_usd)

    def back_to_work(self, sim: Simulation, ids: np.ndarray) -> None:
        """Those among ``ids`` who stopped work to hide work again: income rises by a wage."""
        p = sim.people
        w = ids[(self.bits[ids] & LOST_WORK_BIT) != 0]
        if w.size == 0:
            return
        p.flags[w] |= np.uint8(Flag.EMPLOYED)
        self.bits[w] &= np.uint8(~LOST_WORK_BIT & 0xFF)
        self._add_income(sim, p.household[w], self.wage_usd)

    @staticmethod
    def _add_income(sim: Simulation, households: np.ndarray, usd: float) -> None:
        """Add ``usd`` a month to the income of ``households`` (one entry per worker), and to
        the economy module's 2011 work earnings (``economy.work_income``) when present, so
        that its pay-day recomputation keeps a lost wage lost. Never below zero."""
        hh = np.asarray(households, dtype=np.int64)
        inc = sim.households.income
        np.add.at(inc, hh, np.float32(usd))
        inc[hh] = np.maximum(inc[hh], 0.0)
        econ = sim.get(Economy)
        if econ is not None:
            econ.add_work_income(hh, usd)

    def go_hiding(self, sim: Simulation, ids: np.ndarray, day: int,
                  state: int = State.HIDING) -> None:
        """Move ``ids`` into hiding at home (state HIDING, or DESERTED for deserters)."""
        if ids.size == 0:
            return
        sim.people.set(ids, day, state=state)
        self.stop_work(sim, ids)

    def conscript(self, sim: Simulation, ids: np.ndarray, actor: int, day: int,
                  reason: str) -> None:
        """Take ``ids`` into ``actor``'s training (M7, M8): event ``conscripted``."""
        if ids.size == 0:
            return
        p = sim.people
        sim.record.events("conscripted", p.place[ids], actor=actor, reason=reason)
        self.clear_wanted(sim, ids)
        self.stop_work(sim, ids)
        self.bits[ids] &= np.uint8(~LOST_WORK_BIT & 0xFF)
        p.set(ids, day, state=State.TRAINING, actor=actor, assignment=Assignment.TRAINING)

    def set_grievance(self, ids: np.ndarray, actor: int | np.ndarray) -> None:
        """``ids`` were held (and tortured) by ``actor``: a grievance against it."""
        self.grievance[np.asarray(ids, dtype=np.int64)] = actor

    def release(self, sim: Simulation, ids: np.ndarray, day: int) -> None:
        """Detainees ``ids`` go free: home as civilians, back to work, with a grievance
        against the actor that held them."""
        if ids.size == 0:
            return
        held = self.wanted_by[ids]
        self.grievance[ids[held >= 0]] = held[held >= 0]
        self.wanted_by[ids] = -1
        sim.people.set(ids, day, state=State.CIVILIAN)
        self.back_to_work(sim, ids)

    def detain(self, sim: Simulation, ids: np.ndarray, actor: int, day: int,
               reason: str) -> None:
        """Detain ``ids`` by ``actor`` (M10): event ``detained``; members leave their actor."""
        if ids.size == 0:
            return
        p = sim.people
        sim.record.events("detained", p.place[ids], actor=actor, reason=reason)
        self.clear_wanted(sim, ids)
        self.stop_work(sim, ids)
        p.set(ids, day, state=State.DETAINED, actor=-1, assignment=Assignment.NONE)
        self.wanted_by[ids] = actor
        self._append(self._detained, ids, IN_DETAINED)


    # -- what happens to the caught (M8-M10, M24) ---------------------------------------------
    @staticmethod
    def pay(sim: Simulation, ids: np.ndarray, usd: float) -> np.ndarray:
        """Households of ``ids`` pay ``usd`` each (once per household and call) from their
        savings. Returns a mask of those whose household could pay (all when usd <= 0)."""
        ids = np.asarray(ids, dtype=np.int64)
        if usd <= 0 or ids.size == 0:
            return np.ones(ids.size, dtype=bool)
        hh = sim.people.household[ids].astype(np.int64)
        savings = sim.households.savings
        u, _, inv = unique_first_inverse(hh)  # np.unique's values and inverse
        can_h = savings[u] >= usd
        savings[u[can_h]] -= usd
        return np.asarray(can_h[inv], dtype=bool)

    def caught(self, sim: Simulation, ids: np.ndarray, actor: int, codes: np.ndarray,
               kind: np.ndarray, day: int, how: str, fine_usd: float, fee_usd: float,
               conscript_for: int) -> np.ndarray:
        """Carry out outcome ``codes`` for people ``ids`` caught by ``actor``: a fine or a fee
        from household savings (who cannot pay is detained if wanted, sent back otherwise),
        detention, conscription (into ``conscript_for``: an army the actor hands men to) or
        death. Returns the final codes: RETURNED and PASSED are left to the caller (send
        home or let through), the others are done here."""
        codes = np.asarray(codes, dtype=np.int64).copy()
        if ids.size == 0:
            return codes
        wanted = np.asarray(kind) == WANTED
        present = np.bincount(codes, minlength=KILLED + 1) > 0  # outcomes to carry out
        for code, price in ((FINED, fine_usd), (PASSED, fee_usd)):
            if present[code] and price > 0:
                sel = codes == code
                ok = self.pay(sim, ids[sel], price)
                fallback = np.where(wanted[sel], DETAINED, RETURNED)
                codes[np.flatnonzero(sel)[~ok]] = fallback[~ok]
        present = np.bincount(codes, minlength=KILLED + 1) > 0
        if present[FINED]:
            codes[codes == FINED] = RETURNED  # paid: sent home
        if present[DETAINED]:
            self.detain(sim, ids[codes == DETAINED], actor, day, how)
        if present[CONSCRIPTED]:
            self.conscript(sim, ids[codes == CONSCRIPTED],
                           conscript_for if conscript_for >= 0 else actor, day, how)
        dead = ids[codes == KILLED] if present[KILLED] else ids[:0]
        if dead.size:
            sim.record.events("killed_caught", sim.people.place[dead], actor=actor, reason=how)
            sim.request_death(dead, "caught", actor)
        return codes


def wanted_book(sim: Simulation) -> WantedBook:
    """The simulation's wanted book, created (and provided to ``sim.get``) on first use."""
    book = sim.get(WantedBook)
    return book if book is not None else sim.provide(WantedBook(sim))
