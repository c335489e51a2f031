"""Service: training, assignment, rotations to distant fronts, deaths in service, the foreign
contingent (M13, M14, M15, M16, M17, M29).

Requires: members put into training with :meth:`Service.enlist` (the joining module calls
it through ``sim.get(Service)``) or found in state TRAINING by the weekly scan;
``world.front`` (front intensity by day and place); the joining module's
:class:`~ranks.modules.actors.Camps` (``sim.get(Camps)``: where each actor's camp holds)
when joining is enabled, else control.

Person columns added: ``trained_days`` (uint8, days of training received, capped at 255),
``front_days`` (uint16, days at the front, distant front or on dangerous missions, counted
weekly; read by the economy for the raise after long front service), ``assign_until``
(int16, last day of a distant rotation, -1 none).

Outputs: events ``trained`` (reason ``full`` or ``short``), ``deployed`` (reason the
assignment ``guard``/``front``/``dangerous``, or ``shortage``, ``suspected``,
``redeploy``), ``rotated`` (reason ``out``/``back``), deaths requested with cause ``front``,
``distant_front``, ``dangerous_mission`` or ``guard_post`` (the engine records ``killed``).

Step behaviour: weekly, a scan of ``people.actor`` rebuilds the member list (then moves
guards to the front when ranks are short, the suspected to dangerous missions, front
fighters to where fighting is, and adds a week of front days; the weekly move of the
suspected is left to the leaving module's suspicion rule when that module runs); daily,
trainees whose course is over graduate and are assigned, rotations start and end, and
deaths are drawn by thinning: candidates among serving members at the largest hazard of
the day, each accepted with their own hazard over it (common random numbers per day, not
per person).

Death hazard per year of a member of actor a (see docs/odd.md section 3.4):
    guard:      guard_death
    front:      front_death * max(front_intensity(place), front_floor)
    distant:    distant_death
    dangerous:  front_death * dangerous_multiplier * max(front_intensity(place), 0.5)
times (1 + untrained_excess * (1 - min(trained_days / full_training_days, 1))) and times
minor_death_multiplier for members under 18.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field

from ranks.arrays import unique
from ranks.modules.actors import (
    ActorParams,
    Byte,
    Camps,
    NonNeg,
    PosInt,
    Prob,
    check_actor_names,
)
from ranks.modules.base import Module, ModuleParams, Problem
from ranks.modules.practices import ActorSettings
from ranks.population import Assignment, Flag, State
from ranks.scenario.model import P, Scenario, TimelineEvent

if TYPE_CHECKING:
    from ranks.engine import Simulation

YEAR = 365.25
ADULT_YEARS = 18
FRONTLIKE = (Assignment.FRONT, Assignment.DISTANT, Assignment.DANGEROUS)
#: Routes into an actor (M13): training can differ by route.
ROUTE_VOLUNTEER, ROUTE_AMNESTY, ROUTE_CONSCRIPT = 0, 1, 2
_ROUTE_FIELDS = {ROUTE_AMNESTY: "amnesty", ROUTE_CONSCRIPT: "conscript"}


class ServiceActor(ActorParams):
    """Training, assignment, rotation and death risk of an actor's members. Rates per
    member and year."""

    religious_days: P[Byte] = P(value=0, assumption="no religious course")
    military_days: P[Byte] = P(value=14, assumption="two weeks of basic training")
    full_training_days: P[PosInt] = P(value=60, assumption="training after which the "
                                      "untrained excess risk is gone")
    connected_share: P[Prob] = P(value=0.15, assumption="share of recruits with ties to "
                                 "commanders who stay as guards (seed-004 reports the "
                                 "practice, not the share)")
    guard_share_max: P[Prob] = P(value=0.3, assumption="at most 30% of members guard "
                                 "headquarters and checkpoints")
    shortage_threshold: P[Prob] = P(value=0.8, assumption="seed-000: police and civil "
                                    "servants sent to the front when ranks thin; the "
                                    "threshold (80% of peak strength) is a guess")
    shortage_move_share: P[Prob] = P(value=0.25, assumption="a quarter of guards moved to "
                                     "the front each week while short")
    distant_share_per_month: P[Prob] = P(value=0.0, assumption="no distant rotations unless "
                                         "a rotation_change event starts them")
    rotation_days: P[PosInt] = P(value=15, source="seed-004", note="missions of about 15 "
                                 "days at Iraqi fronts, later a month")
    front_death_per_year: P[NonNeg] = P(value=0.3, assumption="death risk at the heaviest "
                                        "front intensity for a trained adult: 30% a year; "
                                        "order of magnitude, to be calibrated")
    front_floor: P[Prob] = P(value=0.05, assumption="skirmishes and strikes where no front "
                             "is marked")
    distant_death_per_year: P[NonNeg] = P(value=0.5, assumption="distant fronts feared as "
                                          "certain death (seed-004); rate a guess")
    dangerous_multiplier: P[NonNeg] = P(value=3.0, assumption="most dangerous missions "
                                        "(seed-003) three times the front risk")
    guard_death_per_year: P[NonNeg] = P(value=0.01, assumption="strikes on headquarters "
                                        "and checkpoints")
    untrained_excess: P[NonNeg] = P(value=1.0, assumption="untrained recruits die twice as "
                                    "often (seed-003: used as cannon fodder for lack of "
                                    "training and experience)")
    minor_death_multiplier: P[NonNeg] = P(value=1.5, assumption="children used as cannon "
                                          "fodder (seed-003); factor a guess")
    foreign_command_share: P[Prob] = P(value=0.7, assumption="foreigners favoured for "
                                       "command and headquarters (seed-003); share a guess")
    amnesty_religious_days: P[Byte | None] = P(value=None, assumption="repentants (amnesty "
                                               "route) train like volunteers")
    amnesty_military_days: P[Byte | None] = P(value=None, assumption="as volunteers")
    conscript_religious_days: P[Byte | None] = P(value=None, assumption="conscripts train "
                                                 "like volunteers")
    conscript_military_days: P[Byte | None] = P(value=None, assumption="as volunteers")


class ServiceParams(ModuleParams):
    """Training, assignment, rotations and deaths in service."""

    actors: dict[str, ServiceActor] = Field(default_factory=dict)
    #: switches (mechanism on/off)
    training: bool = True
    assignment_rules: bool = True
    rotations: bool = True
    untrained_risk: bool = True
    foreign: bool = True


class Service(Module[ServiceParams]):
    """What service does to members (M13-M17, M29)."""

    name = "service"
    mids = ("M13", "M14", "M15", "M16", "M17", "M29")
    Params = ServiceParams
    Actor = ServiceActor
    event_types = ("training_change", "rotation_change")

    @classmethod
    def check_scenario(cls, scenario: Scenario, params: ServiceParams) -> Problem | None:
        return check_actor_names(scenario, list(params.actors))

    def init(self, sim: Simulation) -> None:
        p = self.params
        w, ppl = sim.world, sim.people
        A = w.n_actors
        self.settings = ActorSettings(sim, self.name, ServiceActor, p.actors)
        self._tables(0)
        self.trained_days = ppl.add_column("trained_days", np.uint8, 0)
        self.front_days = ppl.add_column("front_days", np.uint16, 0)
        self.assign_until = ppl.add_column("assign_until", np.int16, -1)
        #: days of training a trainee must do, fixed when he enters (-1: not yet known)
        self.train_need = ppl.add_column("train_need", np.int16, -1)
        self.peak = np.zeros(A)
        #: the leaving module's suspicion rule (M21) moves serving suspects instead of the
        #: weekly rule here (:meth:`leave_suspects_to_leaving`)
        self.suspects_elsewhere = False
        self.members = ppl.members()
        self.trainees = self.members[ppl.state[self.members] == State.TRAINING]
        serving = self.members[ppl.state[self.members] == State.SERVING]
        self.trained_days[serving] = np.minimum(self.full_days[ppl.actor[serving]], 255)
        # initial members: assign by the same rules as graduates (no events at the start)
        if serving.size:
            self._assign(sim, 0, serving, record=False)

    def _tables(self, day: int) -> None:
        """Per-actor arrays from the practices in force on ``day`` (M13-M16, M29)."""
        p, s = self.params, self.settings
        A = len(s.actor_ids)

        def col(field: str) -> np.ndarray:
            return s.col(field, day)

        self.rel_days = col("religious_days")
        self.mil_days = col("military_days")
        self.train_days = self.rel_days + self.mil_days
        self.route_days = {self_route: np.array(
            [self._route_need(s, a, day, f) for a in range(A)], dtype=np.float64)
            for self_route, f in _ROUTE_FIELDS.items()}
        self.full_days = col("full_training_days")
        self.connected = col("connected_share")
        self.guard_max = col("guard_share_max")
        self.short_thr = col("shortage_threshold")
        self.short_move = col("shortage_move_share")
        self.distant_share = col("distant_share_per_month")
        self.rot_days = col("rotation_days")
        self.front_death = col("front_death_per_year")
        self.front_floor = col("front_floor")
        self.distant_death = col("distant_death_per_year")
        self.dangerous_mult = col("dangerous_multiplier")
        self.guard_death = col("guard_death_per_year")
        self.untrained = col("untrained_excess") if p.untrained_risk else np.zeros(A)
        self.minor_mult = col("minor_death_multiplier")
        self.foreign_cmd = col("foreign_command_share") if p.foreign else np.zeros(A)

    @staticmethod
    def _route_need(s: ActorSettings[ServiceActor], a: int, day: int, route: str) -> float:
        """Training days of route ``route`` (amnesty, conscript) for actor ``a``: its own
        religious and military days where set, else the volunteers'."""
        rel = s.value(f"{route}_religious_days", a, day)
        mil = s.value(f"{route}_military_days", a, day)
        if rel is None and mil is None:
            return -1.0
        if rel is None:
            rel = s.value("religious_days", a, day)
        if mil is None:
            mil = s.value("military_days", a, day)
        return float(rel) + float(mil)

    def need_days(self, actor: np.ndarray, route: np.ndarray | int) -> np.ndarray:
        """Days of training a recruit of ``actor`` entering by ``route`` must do today."""
        actor = np.asarray(actor, dtype=np.int64)
        need = self.train_days[actor].copy()
        route = np.broadcast_to(np.asarray(route, dtype=np.int64), actor.shape)
        for r, days in self.route_days.items():
            sel = (route == r) & (days[actor] >= 0)
            need[sel] = days[actor[sel]]
        return need

    # -- public ----------------------------------------------------------------------------
    def enlist(self, sim: Simulation, ids: np.ndarray, actor: int | np.ndarray,
               route: int | np.ndarray = ROUTE_VOLUNTEER) -> None:
        """Make ``ids`` members of ``actor`` (one, or one each) in training from today, by
        ``route`` (volunteer, amnesty or conscript: one, or one each)."""
        ids = np.asarray(ids, dtype=np.int64)
        sim.people.set(ids, sim.day, state=State.TRAINING, actor=actor,
                       assignment=Assignment.TRAINING)
        acts = np.broadcast_to(np.asarray(actor, dtype=np.int64), ids.shape)
        self.train_need[ids] = np.minimum(self.need_days(acts, route), 32767).astype(np.int16)
        self.trained_days[ids] = 0
        self.front_days[ids] = 0
        self.trainees = np.concatenate([self.trainees, ids])
        self.members = np.concatenate([self.members, ids])

    def leave_suspects_to_leaving(self) -> None:
        """The leaving module's suspicion rule (M21) reassigns serving suspects; the weekly
        rule here stands down."""
        self.suspects_elsewhere = True

    # -- timeline --------------------------------------------------------------------------
    def on_event(self, sim: Simulation, ev: TimelineEvent) -> None:
        """``training_change`` (actor; args religious_days, military_days) and
        ``rotation_change`` (actor; args days, share_per_month)."""
        if ev.actor is None:
            raise ValueError(f"{ev.date} {ev.type}: needs an actor")
        a = sim.world.actor_index[ev.actor]
        if ev.type == "training_change":
            self.rel_days[a] = float(ev.args.get("religious_days", 0))
            self.mil_days[a] = float(ev.args.get("military_days", 0))
            self.train_days[a] = self.rel_days[a] + self.mil_days[a]
        elif ev.type == "rotation_change":
            if "days" in ev.args:
                self.rot_days[a] = float(ev.args["days"])
            if "share_per_month" in ev.args:
                self.distant_share[a] = float(ev.args["share_per_month"])

    # -- helpers ---------------------------------------------------------------------------
    def _held(self, sim: Simulation, day: int) -> np.ndarray:
        """held[a, p]: actor a (or its camp) holds place p today."""
        camps = sim.get(Camps)
        if camps is not None:
            return camps.recruiting
        c = sim.world.control[day].astype(np.int64)
        return np.arange(sim.world.n_actors)[:, None] == c[None, :]

    def _front_place(self, sim: Simulation, day: int, actor: int, n: int,
                     stream: str) -> np.ndarray | None:
        """``n`` front places of ``actor`` drawn by front intensity, or None when it holds no
        place with fighting."""
        held = self._held(sim, day)[actor]
        f = np.where(held, sim.world.front[day], 0.0).astype(np.float64)
        if f.sum() <= 0:
            return None
        return sim.rng(f"{stream}.{actor}", day).choice(len(f), size=n, p=f / f.sum())

    def _valid(self, sim: Simulation, ids: np.ndarray, state: int) -> np.ndarray:
        ppl = sim.people
        return ids[(ppl.actor[ids] >= 0) & (ppl.state[ids] == state)]

    def _assign(self, sim: Simulation, day: int, ids: np.ndarray, record: bool = True) -> None:
        """Guard for the well connected, front for others, dangerous missions for the
        suspected, command posts (guard) for most foreigners (M14, M29)."""
        p = self.params
        ppl = sim.people
        actors = ppl.actor[ids].astype(np.int64)
        for a in unique(actors):
            who = ids[actors == a]
            asg = np.full(len(who), Assignment.FRONT, dtype=np.uint8)
            if p.assignment_rules:
                conn = sim.trait("service.connected", who, key=0) < self.connected[a]
                strength = ppl.strength[a].sum()
                room = max(int(self.guard_max[a] * strength)
                           - int(ppl.strength[a, Assignment.GUARD]), 0)
                conn_idx = np.flatnonzero(conn)[:room]
                asg[conn_idx] = Assignment.GUARD
                fl = ppl.flags[who]
                foreign = (fl & Flag.FOREIGN) > 0
                cmd = sim.trait("service.command", who, key=0) < self.foreign_cmd[a]
                asg[foreign & cmd] = Assignment.GUARD
                asg[(fl & Flag.SUSPECTED) > 0] = Assignment.DANGEROUS
            for k in unique(asg):
                sel = who[asg == k]
                ppl.set(sel, day, state=State.SERVING, assignment=int(k))
                if k in (Assignment.FRONT, Assignment.DANGEROUS):
                    # one draw per actor and assignment; the initial members' apart
                    stream = (f"service.{'deploy' if record else 'initial_deploy'}"
                              f"{'' if k == Assignment.FRONT else '_dangerous'}")
                    dest = self._front_place(sim, day, int(a), len(sel), stream)
                    if dest is not None:
                        ppl.set(sel, day, place=dest)
                if record:
                    sim.record.events("deployed", ppl.place[sel], actor=int(a),
                                     reason=Assignment.name_of(k))

    # -- day -------------------------------------------------------------------------------
    def step(self, sim: Simulation, day: int) -> None:
        ppl = sim.people
        if day > 0 and self.settings.changes_on(day):
            self._tables(day)
        if day % 7 == 0:
            self.members = ppl.members()
            self.trainees = self.members[ppl.state[self.members] == State.TRAINING]
        strength = ppl.strength[: sim.world.n_actors].sum(axis=1).astype(np.float64)
        self.peak = np.maximum(self.peak, strength)
        self._graduate(sim, day)
        serving = self._valid(sim, self.members, State.SERVING)
        if serving.size == 0:
            return
        if day % 7 == 0:
            self._weekly(sim, day, serving, strength)
            serving = self._valid(sim, self.members, State.SERVING)
        p = self.params
        if p.rotations:
            self._rotate(sim, day, serving)
        self._deaths(sim, day, serving)

    def _graduate(self, sim: Simulation, day: int) -> None:
        p = self.params
        ppl = sim.people
        t = self._valid(sim, self.trainees, State.TRAINING)
        if t.size == 0:
            self.trainees = t
            return
        actors = ppl.actor[t].astype(np.int64)
        days_in = day - ppl.since[t].astype(np.int64)
        unknown = self.train_need[t] < 0  # put into training by coercion: conscripts
        if unknown.any():
            self.train_need[t[unknown]] = np.minimum(
                self.need_days(actors[unknown], ROUTE_CONSCRIPT), 32767).astype(np.int16)
        need = self.train_need[t].astype(np.float64) if p.training else np.zeros(len(t))
        due = days_in >= need
        self.trainees = t[~due]
        g = t[due]
        if g.size == 0:
            return
        ga = actors[due]
        got = np.where(p.training, days_in[due], self.full_days[ga])
        self.trained_days[g] = np.minimum(got, 255).astype(np.uint8)
        full = got >= self.full_days[ga]
        sim.record.events("trained", ppl.place[g], actor=ga, reason=np.where(full, 0, 1),
                          reasons=("full", "short"))
        self._assign(sim, day, g)

    def _weekly(self, sim: Simulation, day: int, serving: np.ndarray,
                strength: np.ndarray) -> None:
        p = self.params
        ppl = sim.people
        asg = ppl.assignment[serving]
        front = np.isin(asg, FRONTLIKE)
        fd = self.front_days[serving[front]].astype(np.int64) + 7
        self.front_days[serving[front]] = np.minimum(fd, 65535).astype(np.uint16)
        if not p.assignment_rules:
            return
        actors = ppl.actor[serving].astype(np.int64)
        fl = ppl.flags[serving]
        # the suspected are sent on the most dangerous missions (seed-003); when the leaving
        # module runs, its suspicion rule (M21) reassigns serving suspects instead
        sus = serving[((fl & Flag.SUSPECTED) > 0) & (asg != Assignment.DANGEROUS)]
        if self.suspects_elsewhere:
            sus = sus[:0]
        if sus.size:
            ppl.set(sus, day, assignment=Assignment.DANGEROUS)
            sim.record.events("deployed", ppl.place[sus], actor=ppl.actor[sus],
                              reason="suspected")
        # guards to the front when ranks thin (seed-000)
        short = (self.peak > 0) & (strength < self.short_thr * self.peak)
        guards = serving[(asg == Assignment.GUARD) & short[actors] & ((fl & Flag.FOREIGN) == 0)]
        if guards.size:
            u = sim.person_uniform("service.shortage", guards, day)
            mv = guards[u < self.short_move[ppl.actor[guards].astype(np.int64)]]
            ppl.set(mv, day, assignment=Assignment.FRONT)
            for a in unique(ppl.actor[mv]):  # a draw of front places per actor
                sel = mv[ppl.actor[mv] == a]
                dest = self._front_place(sim, day, int(a), len(sel), "service.shortage_place")
                if dest is not None:
                    ppl.set(sel, day, place=dest)
            sim.record.events("deployed", ppl.place[mv], actor=ppl.actor[mv],
                              reason="shortage")
        # front fighters follow the fighting
        fr = serving[np.isin(ppl.assignment[serving], (Assignment.FRONT, Assignment.DANGEROUS))]
        calm = fr[sim.world.front[day][ppl.place[fr]] <= 0]
        moved: list[np.ndarray] = []
        for a in unique(ppl.actor[calm]):  # a draw of front places per actor
            sel = calm[ppl.actor[calm] == a]
            dest = self._front_place(sim, day, int(a), len(sel), "service.redeploy")
            if dest is None:
                continue
            go = dest != ppl.place[sel]
            ppl.set(sel[go], day, place=dest[go])
            moved.append(sel[go])
        if moved:
            m = np.concatenate(moved)
            sim.record.events("deployed", ppl.place[m], actor=ppl.actor[m], reason="redeploy")

    def _rotate(self, sim: Simulation, day: int, serving: np.ndarray) -> None:
        """Rotations to distant fronts and back (M15, seed-004)."""
        ppl = sim.people
        asg = ppl.assignment[serving]
        away = serving[(asg == Assignment.DISTANT) & (self.assign_until[serving] <= day)]
        if away.size:
            ppl.set(away, day, assignment=Assignment.FRONT)
            self.assign_until[away] = -1
            sim.record.events("rotated", ppl.place[away], actor=ppl.actor[away], reason="back")
        if not self.distant_share.any():
            return
        front = serving[asg == Assignment.FRONT]
        p_max = float(self.distant_share.max()) / 30.0
        cand = sim.thin_candidates("service.rotate", day, p_max, front)
        chance = self.distant_share[ppl.actor[cand].astype(np.int64)] / 30.0
        go = cand[sim.rng("service.rotate_accept", day).random(len(cand)) * p_max < chance]
        if go.size:
            a_go = ppl.actor[go].astype(np.int64)
            ppl.set(go, day, assignment=Assignment.DISTANT)
            self.assign_until[go] = np.minimum(day + self.rot_days[a_go].astype(np.int64), 32767)
            sim.record.events("rotated", ppl.place[go], actor=a_go, reason="out")

    def death_hazard(self, sim: Simulation, day: int, ids: np.ndarray) -> np.ndarray:
        """Death hazard per year of serving members ``ids`` (see the module docstring)."""
        ppl = sim.people
        a = ppl.actor[ids].astype(np.int64)
        asg = ppl.assignment[ids]
        f = sim.world.front[day][ppl.place[ids]].astype(np.float64)
        h = np.select(
            [asg == Assignment.GUARD, asg == Assignment.FRONT, asg == Assignment.DISTANT,
             asg == Assignment.DANGEROUS],
            [self.guard_death[a], self.front_death[a] * np.maximum(f, self.front_floor[a]),
             self.distant_death[a], self.front_death[a] * self.dangerous_mult[a]
             * np.maximum(f, 0.5)], 0.0)
        lack = 1.0 - np.minimum(self.trained_days[ids] / np.maximum(self.full_days[a], 1), 1.0)
        h = h * (1.0 + self.untrained[a] * lack)
        minor = ppl.age_years(day, ids) < ADULT_YEARS
        return np.where(minor, h * self.minor_mult[a], h)

    def hazard_bound(self, sim: Simulation, day: int) -> float:
        """Largest death hazard per year any member can have today (for thinning)."""
        fmax = float(sim.world.front[day].max(initial=0.0))
        h = np.maximum.reduce([self.guard_death,
                               self.front_death * np.maximum(fmax, self.front_floor),
                               self.distant_death,
                               self.front_death * self.dangerous_mult * max(fmax, 0.5)])
        h = h * (1.0 + self.untrained) * np.maximum(1.0, self.minor_mult)
        return float(h.max(initial=0.0))

    def _deaths(self, sim: Simulation, day: int, serving: np.ndarray) -> None:
        """Thinning: candidates at the bound, each accepted with own chance / bound (not
        person-level common random numbers)."""
        p_max = float(-np.expm1(-self.hazard_bound(sim, day) / YEAR))
        cand = sim.thin_candidates("service.death", day, p_max, serving)
        if cand.size == 0:
            return
        h = self.death_hazard(sim, day, cand)
        u = sim.rng("service.death_accept", day).random(len(cand))
        die = u * p_max < -np.expm1(-h / YEAR)
        if not die.any():
            return
        dead = cand[die]
        asg = sim.people.assignment[dead]
        for k, cause in ((Assignment.GUARD, "guard_post"), (Assignment.FRONT, "front"),
                         (Assignment.DISTANT, "distant_front"),
                         (Assignment.DANGEROUS, "dangerous_mission")):
            sel = dead[asg == k]
            if sel.size:
                sim.request_death(sel, cause)
