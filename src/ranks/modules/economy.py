"""Economy and pay: prices, wages, the exchange rate, household hardship, and what each
armed actor pays, in its own currency (M2, M4).

Shared interface (other modules find this module with ``sim.get(Economy)`` and read these;
the names are stable):

- ``food_price_index``: float64 array (n_places,), food prices in Syrian pounds, 2011 = 1.
- ``wage_index``: float64 array (n_places,), wages in pounds, 2011 = 1; ``jobs_index`` the
  share of 2011 jobs still there (1.0 = all).
- ``fx_index``: float, pounds per dollar today over 2011's 47 (1.0 without a rate series):
  a dollar buys ``fx_index`` times as many pounds as in 2011.
- ``pay_usd``: float64 array (n_actors,), current monthly base pay of each actor in US
  dollars at today's market rate (table base times the cash factor; 0 for actors that pay
  nothing).
- ``pay_factor``: float64 array (n_actors,), the cash factor (1.0 = the table, 0.5 halved).
- ``hardship``: float32 array (n_households,), 0 (needs met) .. 1 (no means).
- ``household_pay``: float32 array (n_households,), what members bring home a month, in
  2011 dollars (dollars at today's rate times ``fx_index``: pounds over 47).
- ``pay_bill_usd``: float64 array (n_actors,), what each actor pays its members a month (US
  dollars at the market rate).
- ``work_income``: float64 array (n_households,), USD a month households earn from work at
  2011 wages (before ``wage_index`` and ``jobs_index``); other modules change it through
  ``add_work_income(households, usd)`` when a person loses or finds work.
- ``in_kind``: float64 array (n_actors,), USD a month of fuel and housing each member gets;
  ``in_kind_pp``: USD a month of food per person of a member's household.
- ``member_pay(sim, ids)``: monthly cash pay in USD of members ``ids``.
- ``offer(sim, actor, ids)``: monthly cash pay in USD actor would pay ``ids`` if they joined.
- ``add_members(sim, ids)``: tell the economy that ``ids`` just joined (their pay reaches
  their household now rather than at the next pay day).

Requires: ``world.control`` (who holds the economy of each place), households from
synthesis. Uses the service module's ``front_days`` (days at the front by person) for the
raise for long front service, when that module is enabled. Reads the practices' market series
(exchange rate, prices and wages by place or holder) and each actor's pay practice in force
(currency, table, cash factor, front bonus, in kind).

Outputs: stocks ``pay_bill_usd`` (actor), ``food_price_index`` (place), ``hardship`` (place:
mean hardship of the households living there, taken at each pay day), ``syp_per_usd`` (no
dimension: the market rate of the Syrian pound).

Step behaviour: on pay day (every ``pay_day_every_days``), after timeline events ``prices``,
``wages`` and ``pay_change``, when a practice regime or a market row starts, and when control
of any place changes, member pay is recomputed for all members (one scan of
``people.actor``) and household hardship for all households. Joiners are added in between by
:meth:`Economy.add_members` for their households only.

Hardship of household h at home place p, in 2011 dollars (see docs/odd.md section 3.4):
    income_h = work_h * wage_index_p * jobs_index_p + pay_h
    need_h = size_h * food_usd_per_person * food_price_index_p
    hardship_h = clip(1 - income_h / need_h, 0, 1) + control_p, clipped to 1
where pay_h is the cash pay and in-kind of its members in dollars times ``fx_index`` (a
pound-paid member's pay is first converted at the market rate), and control_p is the
``economic_control`` of the actor holding p, added only for households with no member in
that actor (the actor runs mills, bakeries and oil, seed-002).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
from pydantic import Field

from ranks.arrays import unique
from ranks.modules.actors import ActorParams, NonNeg, PosInt, Prob, check_actor_names
from ranks.modules.base import Module, ModuleParams, Problem
from ranks.modules.practices import ActorSettings, market
from ranks.modules.service import Service
from ranks.population import Assignment, Flag, Role, State
from ranks.scenario.model import P, Scenario, TimelineEvent

if TYPE_CHECKING:
    from ranks.engine import Simulation

Currency = Literal["USD", "SYP"]
_FRONTLIKE = np.zeros(len(Assignment), dtype=bool)
_FRONTLIKE[[Assignment.FRONT, Assignment.DISTANT, Assignment.DANGEROUS]] = True


class EconomyActor(ActorParams):
    """What an actor pays a member a month, in its currency (M4), and its hold on the
    economy (M2)."""

    currency: P[Currency] = P(value="USD", assumption="pay in US dollars unless configured")
    base: P[NonNeg] = P(value=0.0, assumption="pays nothing unless configured")
    per_wife: P[NonNeg] = P(value=0.0, assumption="no allowance unless configured")
    per_parent: P[NonNeg] = P(value=0.0, assumption="no allowance unless configured")
    per_child: P[NonNeg] = P(value=0.0, assumption="no allowance unless configured")
    foreign_multiplier: P[NonNeg] = P(value=1.0, assumption="no foreign contingent premium")
    cash_factor: P[NonNeg] = P(value=1.0, assumption="the full table unless cut")
    front_bonus: P[NonNeg] = P(value=0.0, assumption="no bonus at the front")
    long_service_days: P[PosInt] = P(value=60, assumption="days at the front before a raise")
    long_service_raise: P[NonNeg] = P(value=0.0, assumption="no raise unless configured")
    in_kind_usd: P[NonNeg] = P(value=0.0, assumption="no fuel or housing in kind")
    in_kind_per_person_usd: P[NonNeg] = P(value=0.0, assumption="no food in kind")
    economic_control: P[Prob] = P(value=0.0, assumption="does not run the local economy")


class EconomyParams(ModuleParams):
    """Economy and pay. Money a month; indices 1.0 = 2011."""

    actors: dict[str, EconomyActor] = Field(default_factory=dict)
    food_usd_per_person: P[NonNeg] = P(
        value=25.0, assumption="monthly cost of a basic food basket per person at 2011 prices; "
        "one average wage ($230, wages-2009) then feeds a household of 5.8 with room to spare")
    pay_day_every_days: P[PosInt] = P(value=30, assumption="pay is monthly")
    #: switches (mechanism on/off, for experiments and tests; not evidence-bearing values)
    allowances: bool = True
    pay_changes: bool = True
    economic_control: bool = True
    in_kind: bool = True
    currency: bool = True


class Economy(Module[EconomyParams]):
    """Prices, wages, the exchange rate, member pay and household hardship (M2, M4)."""

    name = "economy"
    mids = ("M2", "M4", "M28")
    Params = EconomyParams
    Actor = EconomyActor
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
        self.settings = ActorSettings(sim, self.name, EconomyActor, p.actors)
        self.market = market(sim)
        self.event_factor = np.ones(n_a)  # timeline pay_change events
        P_ = w.n_places
        self.food_price_index = np.ones(P_)
        self.wage_index = np.ones(P_)
        self.jobs_index = np.ones(P_)
        self._event_prices: dict[int, float] = {}
        self._event_wages: dict[int, float] = {}
        self._event_jobs: dict[int, float] = {}
        self.fx_index = 1.0
        self._actor_tables(0)
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
        sim.record.add_stock("syp_per_usd", (), (),
                             lambda day: np.array(self.fx_index * self.market.BASE_FX))

    def _actor_tables(self, day: int) -> None:
        """Per-actor pay arrays from the practices in force on ``day``."""
        p, s = self.params, self.settings
        n_a = len(s.actor_ids)
        z = np.zeros(n_a)
        self.base = s.col("base", day)
        self.per_wife = s.col("per_wife", day) if p.allowances else z
        self.per_parent = s.col("per_parent", day) if p.allowances else z
        self.per_child = s.col("per_child", day) if p.allowances else z
        fm = s.col("foreign_multiplier", day)
        self.foreign_mult = np.where(fm > 0, fm, 1.0)
        self.cash_factor = s.col("cash_factor", day) if p.pay_changes else np.ones(n_a)
        self.pay_factor = self.cash_factor * self.event_factor
        self.front_bonus = s.col("front_bonus", day)
        self.long_days = s.col("long_service_days", day)
        self.long_raise = s.col("long_service_raise", day)
        self.in_kind = s.col("in_kind_usd", day) if p.in_kind else z
        self.in_kind_pp = s.col("in_kind_per_person_usd", day) if p.in_kind else z
        self.control_add = s.col("economic_control", day) if p.economic_control else z
        self.in_pounds = np.array([s.value("currency", a, day) == "SYP" for a in range(n_a)])
        self._usd_per_unit()

    def _usd_per_unit(self) -> None:
        """Dollars per unit of each actor's currency at today's market rate, and base pay in
        dollars."""
        rate = self.fx_index * self.market.BASE_FX if self.params.currency else 1.0
        self.usd_per_unit = np.where(self.in_pounds & self.params.currency, 1.0 / rate, 1.0)
        self.pay_usd = self.base * self.pay_factor * self.usd_per_unit

    def _market_day(self, sim: Simulation, day: int) -> None:
        """Exchange rate, prices and wages in force today (series, then timeline events)."""
        m = self.market
        self.fx_index = m.fx_index(day) if self.params.currency else 1.0
        if m.has_series:
            self.food_price_index = m.prices(day)
            self.wage_index = m.wages(day)
            self.jobs_index = m.jobs(day)
        for arr, ev in ((self.food_price_index, self._event_prices),
                        (self.wage_index, self._event_wages), (self.jobs_index, self._event_jobs)):
            for place, v in ev.items():
                arr[place] = v
        self._usd_per_unit()

    # -- pay -------------------------------------------------------------------------------
    def cash_pay(self, actor: int, n_wives: np.ndarray, n_parents: np.ndarray,
                 n_children: np.ndarray, foreign: np.ndarray | bool = False,
                 front_days: np.ndarray | int = 0, at_front: np.ndarray | bool = False
                 ) -> np.ndarray:
        """Monthly cash pay in US dollars (at today's market rate) under ``actor``'s table.

        (base + per_wife * wives + per_parent * parents + per_child * children) times the cash
        factor, times the foreign multiplier for foreigners, plus the front bonus at the front
        and the raise after ``long_service_days`` of front service (seed-004), all in the
        actor's currency, then converted.
        """
        a = int(actor)
        pay = (self.base[a] + self.per_wife[a] * np.asarray(n_wives, dtype=np.float64)
               + self.per_parent[a] * np.asarray(n_parents, dtype=np.float64)
               + self.per_child[a] * np.asarray(n_children, dtype=np.float64))
        pay = pay * self.pay_factor[a]
        pay = np.where(foreign, pay * self.foreign_mult[a], pay)
        pay = pay + np.where(at_front, self.front_bonus[a], 0.0)
        pay = pay + np.where(np.asarray(front_days) >= self.long_days[a], self.long_raise[a], 0)
        return np.asarray(pay * self.usd_per_unit[a], dtype=np.float64)

    def family_pay_usd(self, sim: Simulation, actor: int, n_wives: int, n_parents: int,
                       n_children: int, size: int) -> tuple[float, float]:
        """Cash pay and in kind, US dollars a month, of a local member of ``actor`` who heads a
        household of ``size`` with these dependants, today (for reports and benchmarks)."""
        cash = float(self.cash_pay(actor, np.array([n_wives]), np.array([n_parents]),
                                   np.array([n_children]))[0])
        return cash, float(self.in_kind[actor] + self.in_kind_pp[actor] * size)

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
        for a in unique(actors[paid]):
            sel = paid & (actors == a)
            m = ids[sel]
            w, par, ch = self._dependents(sim, m)
            fd = fd_col[m] if fd_col is not None else 0
            out[sel] = self.cash_pay(int(a), w, par, ch, (ppl.flags[m] & Flag.FOREIGN) > 0, fd,
                                     _FRONTLIKE[ppl.assignment[m]])
        return out

    def real_pay_usd(self) -> np.ndarray:
        """Base pay of each actor in 2011 dollars (pounds over 47): what it buys at 2011
        prices before the food price index (n_actors,)."""
        return np.asarray(self.pay_usd * self.fx_index, dtype=np.float64)

    # -- households ------------------------------------------------------------------------
    def _kind_food(self, sim: Simulation, hh: np.ndarray, actors: np.ndarray) -> np.ndarray:
        """Food in kind (USD a month) per household of ``hh`` (unique) with a member of one
        of ``actors`` (one each): per person of the household, the largest actor's ration."""
        return np.asarray(self.in_kind_pp[actors] * sim.households.size[hh], dtype=np.float64)

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
        hp = np.bincount(h[local], weights=home_pay[local], minlength=H)
        if self.in_kind_pp.any():
            # food for the household, once per household (the largest ration of its actors)
            sel = local & paid & (self.in_kind_pp[actors] > 0)
            if sel.any():
                ration = np.zeros(H)
                np.maximum.at(ration, h[sel], self.in_kind_pp[actors[sel]])
                hp += ration * sim.households.size
        self.household_pay = (hp * self.fx_index).astype(np.float32)
        self._hh_actor_mask[:] = 0
        np.bitwise_or.at(self._hh_actor_mask, h, (np.uint32(1) << actors.astype(np.uint32)))
        self._hardship(sim, day, None)
        hpl = sim.households.place.astype(np.int64)
        n = np.bincount(hpl, minlength=sim.world.n_places)
        self.hardship_by_place = np.bincount(hpl, weights=self.hardship,
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
        add = (pay + self.in_kind[actors]) * self.fx_index
        np.add.at(self.household_pay, h[local], add[local])
        # food in kind for households that had no member of the actor yet
        had = (self._hh_actor_mask[h] >> actors.astype(np.uint32)) & 1
        new = local & (had == 0) & (self.in_kind_pp[actors] > 0)
        if new.any():
            hn, first = np.unique(h[new], return_index=True)
            food = self._kind_food(sim, hn, actors[new][first]) * self.fx_index
            np.add.at(self.household_pay, hn, food)
        np.bitwise_or.at(self._hh_actor_mask, h, (np.uint32(1) << actors.astype(np.uint32)))
        self._hardship(sim, sim.day, unique(h))

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
        share of 2011 jobs left), ``pay_change`` (actor; value: factor on the pay table, on
        top of the practices' cash factor). Event values override the practices' market
        series at their places until the next event there."""
        p = self.params
        if ev.type == "prices":
            if ev.value is None:
                raise ValueError(f"{ev.date} prices: needs a value (food price index)")
            for i in self._places(sim, ev):
                self._event_prices[int(i)] = float(ev.value)
        elif ev.type == "wages":
            for i in self._places(sim, ev):
                if ev.value is not None:
                    self._event_wages[int(i)] = float(ev.value)
                if "jobs" in ev.args:
                    self._event_jobs[int(i)] = float(ev.args["jobs"])
        elif ev.type == "pay_change":
            if ev.actor is None or ev.value is None:
                raise ValueError(f"{ev.date} pay_change: needs an actor and a value (factor)")
            if not p.pay_changes:
                return
            a = sim.world.actor_index[ev.actor]
            self.event_factor[a] = ev.value
            self.pay_factor = self.cash_factor * self.event_factor
        self._market_day(sim, sim.day)
        self._dirty = True

    def step(self, sim: Simulation, day: int) -> None:
        p = self.params
        changed = day > 0 and bool(
            (sim.world.control[day] != sim.world.control[day - 1]).any())
        if self.settings.changes_on(day):
            self._actor_tables(day)
            self._dirty = True
        fx_moved = self.market.fx[day] != self.market.fx[max(day - 1, 0)]
        if changed or self.market.due(day) or day == 0 or fx_moved:
            self._market_day(sim, day)
            self._dirty = True
        if self._dirty or changed or day - self._last_refresh >= p.pay_day_every_days.value:
            self.refresh(sim, day)
