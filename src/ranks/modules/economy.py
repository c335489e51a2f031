"""Economy and pay: prices, wages, household hardship, and what each armed actor pays (M2, M4).

Shared interface (other modules find this module with ``sim.get(Economy)`` and read these;
the names are stable):

- ``food_price_index``: float64 array (n_places,), 1.0 = 2011 prices.
- ``wage_index``: float64 array (n_places,), 1.0 = 2011 wages; ``jobs_index`` the share of
  2011 jobs still there (1.0 = all).
- ``pay_usd``: float64 array (n_actors,), current monthly base pay in USD of each actor
  (table base times the current pay factor; 0 for actors that pay nothing).
- ``pay_factor``: float64 array (n_actors,), 1.0 = the pay table, 0.5 = halved.
- ``hardship``: float32 array (n_households,), 0 (needs met) .. 1 (no means).
- ``household_pay``: float32 array (n_households,), USD a month members bring home.
- ``pay_bill_usd``: float64 array (n_actors,), what each actor pays its members a month.
- ``work_income``: float64 array (n_households,), USD a month households earn from work at
  2011 wages (before ``wage_index`` and ``jobs_index``); other modules change it through
  ``add_work_income(households, usd)`` when a person loses or finds work.
- ``in_kind``: float64 array (n_actors,), USD a month of food, fuel and housing members get.
- ``member_pay(sim, ids)``: monthly cash pay in USD of members ``ids``.
- ``offer(sim, actor, ids)``: monthly cash pay in USD actor would pay ``ids`` if they joined.
- ``add_members(sim, ids)``: tell the economy that ``ids`` just joined (their pay reaches
  their household now rather than at the next pay day).

Requires: ``world.control`` (who holds the economy of each place), households from
synthesis. Uses the service module's ``front_days`` (days at the front by person) for the
raise for long front service, when that module is enabled.

Outputs: stocks ``pay_bill_usd`` (actor), ``food_price_index`` (place), ``hardship`` (place:
mean hardship of the households living there, taken at each pay day).

Step behaviour: on pay day (every ``pay_day_every_days``), after timeline events ``prices``,
``wages`` and ``pay_change``, and when control of any place changes, member pay is recomputed
for all members (one scan of ``people.actor``) and household hardship for all households.
Joiners are added in between by :meth:`Economy.add_members` for their households only.

Hardship of household h at home place p (see docs/odd.md section 3.4):
    income_h = work_h * wage_index_p * jobs_index_p + pay_h
    need_h = size_h * food_usd_per_person * food_price_index_p
    hardship_h = clip(1 - income_h / need_h, 0, 1) + control_p, clipped to 1
where control_p is the ``economic_control`` of the actor holding p, added only for
households with no member in that actor (the actor runs mills, bakeries and oil, seed-002).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from ranks.modules.actors import (
    ActorParams,
    NonNeg,
    PosInt,
    Prob,
    actor_column,
    assume,
    check_actor_names,
    resolve_actors,
    src,
)
from ranks.modules.base import Module, ModuleParams, Problem
from ranks.modules.service import Service
from ranks.population import Flag, Role, State
from ranks.scenario.model import P, Scenario, TimelineEvent

if TYPE_CHECKING:
    from ranks.engine import Simulation


class EconomyActor(ActorParams):
    """What an actor pays a member, USD a month (M4), and its hold on the economy (M2)."""

    base_usd: P[NonNeg] = P(value=0.0, assumption="pays nothing unless configured")
    per_wife_usd: P[NonNeg] = P(value=0.0, assumption="no allowance unless configured")
    per_parent_usd: P[NonNeg] = P(value=0.0, assumption="no allowance unless configured")
    per_child_usd: P[NonNeg] = P(value=0.0, assumption="no allowance unless configured")
    in_kind_usd: P[NonNeg] = P(value=0.0, assumption="no food, fuel or housing in kind")
    foreign_multiplier: P[NonNeg] = P(value=1.0, assumption="no foreign contingent premium")
    long_service_days: P[PosInt] = P(value=60, source="seed-004",
                                     note="raises promised after more than two months at fronts")
    long_service_raise_usd: P[NonNeg] = P(value=0.0, assumption="no raise unless configured")
    economic_control: P[Prob] = P(value=0.0, assumption="does not run the local economy")


_ISIS_PAY = {
    "base_usd": src(50.0, "seed-003", "starting salary of a fighter"),
    "per_wife_usd": src(50.0, "seed-003", "per wife"),
    "per_parent_usd": src(50.0, "seed-003", "per dependent parent"),
    "per_child_usd": src(35.0, "seed-003", "per child"),
    "in_kind_usd": assume(100.0, "free food, gas and housing (seed-003 lists them, no value); "
                          "brings a typical local head of household to about $350-400, the "
                          "low end of seed-003's $400-1,200 and below seed-002's $600"),
    "foreign_multiplier": src(2.5, "seed-003", "foreigners paid two to three times more"),
    "long_service_raise_usd": assume(50.0, "seed-004 reports raises and prizes for staying "
                                     "longer at the front, without an amount"),
    "economic_control": assume(0.15, "seed-002: ISIS ran mills, bakeries and oil wells; the "
                               "size of the added hardship for non-members is a guess"),
}
EconomyActor.PRESETS = {
    "ISIS": _ISIS_PAY,
    "SAA": {"base_usd": src(63.0, "seed-003", "army salaries start at $63 (2016)")},
    "NDF": {"base_usd": assume(100.0, "no figure found; between the army's $63 and the "
                                      "Iran-backed militias' $150-200")},
    "IRAN": {"base_usd": src(175.0, "domain-figures", "Iran-backed militias pay $150-200")},
    "FSA": {"base_usd": src(36.0, "seed-003", "FSA as little as $36, no benefits")},
    "NUSRA": {"base_usd": src(100.0, "seed-003", "Nusra about $100 on average")},
    "SDF": {"base_usd": assume(150.0, "no figure found; order of the Iran-backed militias")},
}


class EconomyParams(ModuleParams):
    """Economy and pay. Money in USD a month; indices 1.0 = 2011."""

    actors: dict[str, EconomyActor] = Field(default_factory=dict)
    food_usd_per_person: P[NonNeg] = P(
        value=25.0, assumption="monthly cost of a basic food basket per person at 2011 prices; "
        "one average wage ($230, wages-2009) then feeds a household of 5.8 with room to spare")
    pay_day_every_days: P[PosInt] = P(value=30, assumption="pay is monthly")
    #: switches (mechanism on/off, for experiments and tests; not evidence-bearing values)
    allowances: bool = True
    pay_changes: bool = True
    economic_control: bool = True


class Economy(Module[EconomyParams]):
    """Prices, wages, member pay and household hardship (M2, M4)."""

    name = "economy"
    mids = ("M2", "M4", "M28")
    Params = EconomyParams
    event_types = ("prices", "wages", "pay_change")
    uses = (Service,)

    @classmethod
    def check_scenario(cls, scenario: Scenario, params: EconomyParams) -> Problem | None:
        return check_actor_names(scenario, list(params.actors))

    # -- set up ----------------------------------------------------------------------------
    def init(self, sim: Simulation) -> None:
        p = self.params
        w, hh = sim.world, sim.households
        n_a = w.n_actors
        if n_a > 32:
            raise ValueError("the economy module handles at most 32 actors (a bit mask)")
        self.settings = resolve_actors(p.actors, EconomyActor, w.actor_ids)

        def col(field: str) -> np.ndarray:
            return actor_column(self.settings, field)

        self.base = col("base_usd")
        self.per_wife = col("per_wife_usd") if p.allowances else np.zeros(n_a)
        self.per_parent = col("per_parent_usd") if p.allowances else np.zeros(n_a)
        self.per_child = col("per_child_usd") if p.allowances else np.zeros(n_a)
        self.in_kind = col("in_kind_usd")
        self.foreign_mult = np.where(col("foreign_multiplier") > 0, col("foreign_multiplier"), 1)
        self.long_days = col("long_service_days")
        self.long_raise = col("long_service_raise_usd")
        self.control_add = col("economic_control") if p.economic_control else np.zeros(n_a)
        self.pay_factor = np.ones(n_a)
        self.pay_usd = self.base * self.pay_factor
        P_ = w.n_places
        self.food_price_index = np.ones(P_)
        self.wage_index = np.ones(P_)
        self.jobs_index = np.ones(P_)
        H = len(hh)
        self.work_income = hh.income.astype(np.float64).copy()  # 2011 earnings, USD a month
        self.household_pay = np.zeros(H, dtype=np.float32)
        self.hardship = np.zeros(H, dtype=np.float32)
        self._hh_actor_mask = np.zeros(H, dtype=np.uint32)  # bit a: a member of actor a
        self.pay_bill_usd = np.zeros(n_a)
        self.hardship_by_place = np.zeros(P_)
        self._dirty = True
        self._last_refresh = -10**9
        names = w.actor_ids
        sim.record.add_stock("pay_bill_usd", ("actor",), (names,), lambda day: self.pay_bill_usd)
        sim.record.add_stock("food_price_index", ("place",), (w.place_names,),
                             lambda day: self.food_price_index)
        sim.record.add_stock("hardship", ("place",), (w.place_names,),
                             lambda day: self.hardship_by_place)

    # -- pay -------------------------------------------------------------------------------
    def cash_pay(self, actor: int, n_wives: np.ndarray, n_parents: np.ndarray,
                 n_children: np.ndarray, foreign: np.ndarray | bool = False,
                 front_days: np.ndarray | int = 0) -> np.ndarray:
        """Monthly cash pay in USD under ``actor``'s table (seed-003 for ISIS).

        base + per_wife * wives + per_parent * parents + per_child * children, times the
        current pay factor, times the foreign multiplier for foreigners, plus the raise after
        ``long_service_days`` of front service (seed-004).
        """
        a = int(actor)
        pay = (self.base[a] + self.per_wife[a] * np.asarray(n_wives, dtype=np.float64)
               + self.per_parent[a] * np.asarray(n_parents, dtype=np.float64)
               + self.per_child[a] * np.asarray(n_children, dtype=np.float64))
        pay = pay * self.pay_factor[a]
        pay = np.where(foreign, pay * self.foreign_mult[a], pay)
        return pay + np.where(np.asarray(front_days) >= self.long_days[a], self.long_raise[a], 0)

    def _dependents(self, sim: Simulation, ids: np.ndarray) -> tuple[np.ndarray, ...]:
        """Wives, dependent parents and children counted for ``ids``' pay: a household's
        dependents are counted for its head only (assumption: sons living with their father
        draw the base)."""
        hh = sim.households
        h = sim.people.household[ids]
        head = sim.people.role[ids] == Role.HEAD
        z = np.zeros(len(ids))
        return (np.where(head, hh.n_wives[h], z), np.where(head, hh.n_parents[h], z),
                np.where(head, hh.n_children[h], z))

    def offer(self, sim: Simulation, actor: int, ids: np.ndarray) -> np.ndarray:
        """Monthly cash pay in USD ``actor`` would pay ``ids`` if they joined now."""
        w, par, ch = self._dependents(sim, ids)
        return self.cash_pay(actor, w, par, ch)

    def member_pay(self, sim: Simulation, ids: np.ndarray) -> np.ndarray:
        """Monthly cash pay in USD of members ``ids`` (0 for non-members and those not in
        training or service)."""
        ppl = sim.people
        actors = ppl.actor[ids].astype(np.int64)
        out = np.zeros(len(ids))
        st = ppl.state[ids]
        paid = (actors >= 0) & ((st == State.SERVING) | (st == State.TRAINING))
        service = sim.get(Service)
        fd_col = service.front_days if service is not None else None
        for a in np.unique(actors[paid]):
            sel = paid & (actors == a)
            m = ids[sel]
            w, par, ch = self._dependents(sim, m)
            fd = fd_col[m] if fd_col is not None else 0
            out[sel] = self.cash_pay(int(a), w, par, ch, (ppl.flags[m] & Flag.FOREIGN) > 0, fd)
        return out

    # -- households ------------------------------------------------------------------------
    def refresh(self, sim: Simulation, day: int) -> None:
        """Pay day: recompute every member's pay, each household's pay and hardship."""
        ppl = sim.people
        members = ppl.members()
        pay = self.member_pay(sim, members)
        actors = ppl.actor[members].astype(np.int64)
        H = len(sim.households)
        self.pay_bill_usd = np.bincount(actors, weights=pay, minlength=sim.world.n_actors
                                        ).astype(np.float64)
        local = (ppl.flags[members] & Flag.FOREIGN) == 0
        paid = pay > 0
        home_pay = np.where(paid, pay + self.in_kind[actors], 0.0)
        h = ppl.household[members]
        self.household_pay = np.bincount(h[local], weights=home_pay[local], minlength=H
                                         ).astype(np.float32)
        self._hh_actor_mask[:] = 0
        np.bitwise_or.at(self._hh_actor_mask, h, (np.uint32(1) << actors.astype(np.uint32)))
        self._hardship(sim, day, None)
        hp = sim.households.place.astype(np.int64)
        n = np.bincount(hp, minlength=sim.world.n_places)
        self.hardship_by_place = np.bincount(hp, weights=self.hardship,
                                             minlength=sim.world.n_places) / np.maximum(n, 1)
        self._dirty = False
        self._last_refresh = day

    def _hardship(self, sim: Simulation, day: int, hh_ids: np.ndarray | None) -> None:
        p = self.params
        hh = sim.households
        sel = slice(None) if hh_ids is None else hh_ids
        place = hh.place[sel].astype(np.int64)
        income = (self.work_income[sel] * self.wage_index[place] * self.jobs_index[place]
                  + self.household_pay[sel])
        need = hh.size[sel] * p.food_usd_per_person.value * self.food_price_index[place]
        hard = np.clip(1.0 - income / np.maximum(need, 1e-9), 0.0, 1.0)
        ctrl = sim.world.control[day][place].astype(np.int64)
        held = ctrl >= 0
        add = np.where(held, self.control_add[np.maximum(ctrl, 0)], 0.0)
        is_member = (self._hh_actor_mask[sel] >> np.maximum(ctrl, 0).astype(np.uint32)) & 1
        add = np.where(held & (is_member == 0), add, 0.0)
        self.hardship[sel] = np.minimum(hard + add, 1.0)
        hh.income[sel] = income

    def add_members(self, sim: Simulation, ids: np.ndarray) -> None:
        """``ids`` just joined (or were enlisted): add their pay to their households now."""
        if len(ids) == 0:
            return
        ppl = sim.people
        ids = np.asarray(ids, dtype=np.int64)
        pay = self.member_pay(sim, ids)
        actors = ppl.actor[ids].astype(np.int64)
        ok = actors >= 0
        ids, pay, actors = ids[ok], pay[ok], actors[ok]
        self.pay_bill_usd += np.bincount(actors, weights=pay, minlength=sim.world.n_actors)
        local = (ppl.flags[ids] & Flag.FOREIGN) == 0
        h = ppl.household[ids]
        np.add.at(self.household_pay, h[local], (pay + self.in_kind[actors])[local])
        np.bitwise_or.at(self._hh_actor_mask, h, (np.uint32(1) << actors.astype(np.uint32)))
        self._hardship(sim, sim.day, np.unique(h))

    def add_work_income(self, households: np.ndarray, usd: float) -> None:
        """Add ``usd`` a month to the 2011 work earnings of ``households`` (one entry per
        worker who found or lost work), never below zero: the next pay day keeps a lost wage
        lost."""
        hh = np.asarray(households, dtype=np.int64)
        np.add.at(self.work_income, hh, usd)
        self.work_income[hh] = np.maximum(self.work_income[hh], 0.0)

    # -- timeline and day ------------------------------------------------------------------
    def _places(self, sim: Simulation, ev: TimelineEvent) -> np.ndarray:
        if not ev.places:
            return np.arange(sim.world.n_places)
        return np.array([sim.world.place_index[n] for n in ev.places], dtype=np.int64)

    def on_event(self, sim: Simulation, ev: TimelineEvent) -> None:
        """``prices`` (value: food price index), ``wages`` (value: wage index; args.jobs:
        share of 2011 jobs left), ``pay_change`` (actor; value: factor on the pay table)."""
        p = self.params
        if ev.type == "prices":
            if ev.value is None:
                raise ValueError(f"{ev.date} prices: needs a value (food price index)")
            self.food_price_index[self._places(sim, ev)] = ev.value
        elif ev.type == "wages":
            idx = self._places(sim, ev)
            if ev.value is not None:
                self.wage_index[idx] = ev.value
            if "jobs" in ev.args:
                self.jobs_index[idx] = float(ev.args["jobs"])
        elif ev.type == "pay_change":
            if ev.actor is None or ev.value is None:
                raise ValueError(f"{ev.date} pay_change: needs an actor and a value (factor)")
            if not p.pay_changes:
                return
            a = sim.world.actor_index[ev.actor]
            self.pay_factor[a] = ev.value
            self.pay_usd = self.base * self.pay_factor
        self._dirty = True

    def step(self, sim: Simulation, day: int) -> None:
        p = self.params
        changed = day > 0 and bool(
            (sim.world.control[day] != sim.world.control[day - 1]).any())
        if self._dirty or changed or day - self._last_refresh >= p.pay_day_every_days.value:
            self.refresh(sim, day)
