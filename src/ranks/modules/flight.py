"""Flight: deciding to flee, smugglers, hazards on the way, camps (M22-M25).

Requires: ``world.control`` (who holds each place: whom a traveller fears, whose checkpoints
stand on a link), ``world.front`` (fear of death; conflict weight of a place),
``world.route_*`` (the network), ``world.capacity`` (camps), household savings (smuggler
fees). Uses, when enabled: the wanted book (``sim.get(WantedBook)``: people flagged WANTED /
EVADER, who wants them, the men who chose flight under an order), the coercion module's
``checkpoint_intensity`` and ``patrol_intensity``, the economy's household ``hardship``;
and the leaving module's deserters (state DESERTED, flagged WANTED). Without them the module
runs on its own timeline events (``conscription_order`` and ``checkpoint_campaign`` are
read here too, for the fear they cause).

Outputs: events ``fled`` (reason conscription / punishment / planned / front; place = the
place left; actor = the actor fled from), ``stayed`` (reason cost: wanted to flee, could not
pay), ``smuggled`` (count of people who paid a smuggler; reason savings / relatives),
``arrived`` (place = home, destination = the camp, abroad node or town of arrival),
``interdicted`` (reason = outcome returned / conscripted / detained / punished; place = where;
actor = the intercepting actor; destination = where the party was heading on that link),
``mine_death`` (actor = the actor holding the link's start, or the minefield's actor),
``camp_exit`` (reason sponsored); deaths ``mine`` through ``sim.request_death``. Stocks
``camp_population`` (place), ``in_transit`` (place), ``displaced`` (place x home place).

Step behaviour, each day (details and equations in docs/odd.md section 3.6):
  1. decide (M22): the daily chance of a decision unit is one minus the product of one minus
     each named term: conscription (men of service age where an order or checkpoint campaign
     of the actor holding their place is active), planned (men who chose flight under an
     order), punishment (wanted evaders, deserters), front (households at places with front
     intensity > 0); a lone man with dependants is held back by family ties; under an exit
     ban a smuggler is paid from household savings, or by relatives abroad with a chance,
     else the party stays. Households flee together (front; conscription with a chance);
     wanted men, evaders and deserters alone.
  2. camps (M25): sponsored camp residents leave after stays of weeks and move on.
  3. travel (M23, M24): a party at a place picks a path with Flee's weights (score of the
     path's end over distance, summed up to ``awareness_hops`` links), a smuggled party
     prefers desert tracks; it covers links at the speed of their kind; on each link it
     crosses checkpoints and desert patrols of hostile actors (the actor it fled, the actor
     that wants the man, any actor whose exit ban is in force) and minefields; at the end
     of a link it may stop: at a camp with room, abroad, or in a safe town (settle, or stay
     with relatives some days before the next leg).
Decision units are drawn by thinning over candidate pools (common random numbers per day,
not per person); everything that follows (path, hazards, waits) uses uniforms keyed by the
party (household, or the man alone), so members of a party stay together.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Annotated

import numpy as np
from pydantic import Field

from ranks.errors import RanksInputError
from ranks.flee.settings import FleeSettings
from ranks.modules.actors import NonNeg, NonNegInt, PosF, PosInt, Prob
from ranks.modules.base import Module, ModuleParams, Problem
from ranks.modules.coercion import Coercion
from ranks.modules.economy import Economy
from ranks.modules.wanted import WantedBook, wanted_book
from ranks.population import Flag, Role, State
from ranks.scenario.model import PLACE_TYPES, ROUTE_KINDS, P, Scenario, TimelineEvent

if TYPE_CHECKING:
    from ranks.engine import Simulation
_EMPTY = np.zeros(0, dtype=np.int64)
_FLEE = FleeSettings()  # Flee 3.1 defaults: the rule's constants come from the same source

#: Bits of the ``flight_bits`` person column.
FLED = 1  # displaced by this module (in transit, in a camp, abroad or settled away)
LONE = 2  # fled as a man alone (party = the person), else with the household
SMUGGLED = 4  # paid a smuggler for this journey
NOCAMP = 8  # left a camp (or found it full): heads for towns or abroad
EVER_FLED = 16  # fled at least once (not cleared on return)

#: Reasons of a decision, in the order of the terms.
REASONS = ("conscription", "planned", "punishment", "front", "hardship")
#: Interdiction outcomes.
OUTCOMES = ("returned", "conscripted", "detained")
_TOWN_TYPES = tuple(PLACE_TYPES.index(t) for t in ("city", "town", "subdistrict"))
_CAMP = PLACE_TYPES.index("camp")
_ABROAD = PLACE_TYPES.index("abroad")
_DESERT = ROUTE_KINDS.index("desert")
#: Weight factor on going straight back to the place just left (a dead end lets one out).
BACK_FACTOR = 1e-6
#: Days between compactions of the displaced pool (and exact recounts of ``displaced``).
COMPACT_DAYS = 90
_PUNISHED = 3  # outcome code of a caught deserter handed to deterrence
_DISPLACED_STATE = np.zeros(len(State), dtype=bool)
_DISPLACED_STATE[[State.CIVILIAN, State.HIDING, State.CAMP, State.ABROAD]] = True


def _kinds(road: float, desert: float, river: float, border: float) -> dict[str, float]:
    return {"road": road, "desert": desert, "river": river, "border": border}


class FlightParams(ModuleParams):
    """Parameters of flight. Chances are per decision unit (household or man) and day,
    or per party and link crossed; speeds in km a day; money in USD."""

    # -- M22 deciding to flee ----------------------------------------------------------------
    conscription_fear_per_day: P[Prob] = P(
        value=0.006, source="seed-000",
        note="a conscription order made escape the only option for many young men; daily "
        "chance for a man of the order's ages while it is in force where he lives; value "
        "calibrated with relatives_pay_chance so that the Deir Ezzor skeleton run gives about "
        "36,000 departures (27,000 more displaced) in July-August 2017 (domain-figures: "
        "30-35,000; target displaced-jul-aug-2017)")
    order_fear_days: P[NonNegInt] = P(
        value=60, source="timeline-shared",
        note="arrests went on for weeks after the 2017-08-03 order's deadline (2017-08-13); "
        "fear lasts the deadline plus this many days (length assumed)")
    campaign_fear_scale: P[NonNeg] = P(
        value=10.0, source="seed-001",
        note="checkpoint campaigns drive young men to flee to SDF areas; fear level = this x "
        "campaign intensity (daily stop chance), capped at 1 (scale assumed)")
    service_ages: P[list[int]] = P(
        value=[18, 42], source="seed-001",
        note="men 18-42 owe service: the ages who fear conscription (order ages override)")
    family_goes_share: P[Prob] = P(
        value=0.3, source="timeline-shared",
        note="2017-08-13: families try to flee with their sons; seed-000: parents most afraid; "
        "share of conscription-driven flights that take the household (assumed)")
    family_ties: P[Prob] = P(
        value=0.5, source="seed-000",
        note="the father decided and organised the escape: family holds or moves a man; a head "
        "of household with dependants flees alone with chance x (1 - this) (size assumed)")
    planned_flight_per_day: P[Prob] = P(
        value=0.05, source="seed-000",
        note="men who chose flight under an order organise a smuggler within weeks (Ali: "
        "order in August, fled in September); daily chance assumed")
    evader_flight_per_day: P[Prob] = P(
        value=0.003, source="seed-001",
        note="wanted evaders hide at home or flee to SDF areas; daily chance assumed")
    deserter_flight_per_day: P[Prob] = P(
        value=0.01, source="seed-003",
        note="deserters face execution if caught and go to Turkey or SDF areas; daily chance "
        "of a hiding deserter assumed")
    front_flight_per_day: P[Prob] = P(
        value=0.002, source="domain-figures",
        note="the besieged government enclave fell from 228,000 (Mar 2015) to about 90,000 "
        "(Sep 2017), about 0.1% a day at front intensity about 0.6: daily chance of a "
        "household at intensity 1")
    hardship_flight_per_day: P[Prob] = P(
        value=0.004, source="domain-figures",
        note="households that cannot meet their needs leave the actor's area (M22: what "
        "staying costs against what leaving costs); daily chance of a household at hardship 1 "
        "(economy module), fleeing the actor that holds its place. Fitted so that about "
        "600,000 people remain in ISIS-held places in August 2017 (target "
        "people-under-isis-aug-2017; see docs/calibration.md)")
    # -- M23 smugglers -----------------------------------------------------------------------
    smuggler_price_usd: P[NonNeg] = P(
        value=400.0, source="domain-figures",
        note="$300-500 a person around 2016 (timeline event smuggler_price changes it: up to "
        "$1,000 by August 2017)")
    exit_ban_actors: P[list[str]] = P(
        value=[], assumption="actors that forbid leaving their areas from the start (a smuggler "
        "is needed); the scenario names them, or uses timeline exit_ban events")
    relatives_pay_chance: P[Prob] = P(
        value=0.5, source="seed-000",
        note="relatives (an aunt in Hasakah) organise and pay legs of the journey; chance that "
        "a party has relatives who pay a fee the household cannot (a trait of the party); "
        "value calibrated with conscription_fear_per_day against domain-figures Jul-Aug 2017")
    desert_preference: P[NonNeg] = P(
        value=4.0, source="seed-000",
        note="smugglers take desert roads for days; weight factor on paths starting with a "
        "desert link for smuggled parties (assumed)")
    speed_km_day: dict[str, P[PosF]] = Field(default_factory=lambda: {
        "road": P(value=_FLEE.max_move_speed, source="flee-2017",
                  note="Flee's max_move_speed (km a day)"),
        "desert": P(value=100.0, source="domain-figures",
                    note="the desert route took up to 48 hours (seed-000: two days) for about "
                    "150-200 km"),
        "river": P(value=50.0, assumption="ferry crossings wait for a boat: half a day a link"),
        "border": P(value=_FLEE.max_move_speed, source="flee-2017",
                    note="Flee's max_move_speed"),
    })
    town_movechance: P[Prob] = P(
        value=_FLEE.default_movechance, source="flee-2017",
        note="Flee's default_movechance: daily chance to move on from a safe town")
    max_legs_per_day: P[PosInt] = P(
        value=4, assumption="links a party may finish in one day (Flee: until the day's "
        "distance is used up); a bound that keeps the daily loop short")
    # -- route choice (Flee's rule) ----------------------------------------------------------
    awareness_hops: P[Annotated[int, Field(ge=1, le=5)]] = P(
        value=3, source="flee-2017",
        note="Flee's awareness_level: paths of up to this many links are weighed; 3 lets a "
        "party see past the places of the actor it flees (value assumed; Flee's default 1)")
    camp_weight: P[NonNeg] = P(value=2.0, source="flee-2017",
                               note="Flee 1.x CampWeight (shipped simsetting.yml: 1.0)")
    conflict_weight: P[NonNeg] = P(value=_FLEE.conflict_weight, source="flee-2017",
                                   note="Flee: score x conflict_weight ** intensity")
    abroad_weight: P[NonNeg] = P(value=2.0, assumption="abroad is a goal like a camp for "
                                 "those who flee an actor (Flee's foreign_weight idea)")
    hostile_weight: P[NonNeg] = P(
        value=0.1, source="seed-000",
        note="the goal is to get out of the feared actor's territory: its places weigh this "
        "factor (assumed)")
    distance_softening: P[NonNeg] = P(value=_FLEE.distance_softening, source="flee-2017",
                                      note="Flee's softening (km)")
    distance_power: P[NonNeg] = P(value=_FLEE.distance_power, source="flee-2017",
                                  note="Flee's distance_power")
    capacity_buffer: P[Prob] = P(value=_FLEE.capacity_buffer, source="flee-2017",
                                 note="Flee: camp weight falls linearly from this share of "
                                 "capacity to 0 at capacity")
    # -- M24 hazards -------------------------------------------------------------------------
    checkpoint_chance: dict[str, P[Prob]] = Field(default_factory=lambda: {
        k: P(value=v, source="seed-000", note="roadblocks on the roads to Hasakah, Raqqa and "
             "Damascus; chance per link crossed through a feared actor's checkpoint (assumed)")
        for k, v in _kinds(0.05, 0.01, 0.03, 0.08).items()})
    smuggled_checkpoint_factor: P[Prob] = P(
        value=0.3, assumption="smugglers know where the checkpoints are: factor on the chance")
    campaign_checkpoint_scale: P[NonNeg] = P(
        value=10.0, source="seed-001",
        note="checkpoint campaigns add mobile checkpoints: chance x (1 + this x the coercion "
        "module's checkpoint intensity at the link's end) (scale assumed)")
    patrol_chance_desert: P[Prob] = P(
        value=0.02, source="seed-000",
        note="forces dispatched to the northern and southern desert against smuggling; chance "
        "per desert link crossed from a feared actor's place (assumed)")
    exit_ban_factor: P[NonNeg] = P(
        value=3.0, source="timeline-shared",
        note="2017-08-12 ISIS bans exit: factor on its checkpoints and patrols while a ban "
        "runs (timeline exit_ban value overrides; assumed)")
    mine_chance: dict[str, P[Prob]] = Field(default_factory=lambda: {
        "road": P(value=0.0, assumption="no mines on used roads"),
        "desert": P(value=0.002, source="seed-000",
                    note="minefields scattered in the desert north and south; chance per "
                    "desert link (assumed); timeline minefield adds to it"),
        "river": P(value=0.0, assumption="no mines at ferries"),
        "border": P(value=0.0, assumption="border links: timeline minefield only"),
    })
    mine_lethality: P[Prob] = P(value=0.5, assumption="share of a party hit by a mine who die")
    outcome_shares: dict[str, P[NonNeg]] = Field(default_factory=lambda: {
        "returned": P(value=0.5, source="domain-figures",
                      note="M24: interception means return, conscription or detention; "
                      "shares assumed"),
        "conscripted": P(value=0.3, source="seed-001",
                         note="evaders caught are forced into service (share assumed); men of "
                         "service age only, others are sent back"),
        "detained": P(value=0.2, source="seed-001", note="arrests at checkpoints (share "
                      "assumed)"),
    })
    # -- stops, hosts, camps (M23, M25) ------------------------------------------------------
    safe_front_max: P[Prob] = P(
        value=0.3, assumption="a place with front intensity below this counts as safe")
    settle_chance: P[Prob] = P(
        value=0.2, assumption="chance that a party reaching a safe town stays there for good")
    host_chance: P[Prob] = P(
        value=0.5, source="seed-000",
        note="relatives host between legs (an aunt in al-Shaddadi); chance at a safe town "
        "(assumed)")
    host_days_mean: P[PosF] = P(value=10.0, source="seed-000",
                                note="stayed with his aunt about 10 days")
    sponsor_share: P[Prob] = P(
        value=0.3, source="seed-000",
        note="a relative got him out of the camp; share of camp residents with a sponsor "
        "(assumed)")
    camp_stay_days_mean: P[PosF] = P(value=15.0, source="seed-000",
                                     note="15 days in al-Sadd (Areesha) camp")


@dataclass
class Fear:
    """A window of conscription fear: men ``pool`` at places held by ``actor``."""

    actor: int
    places: np.ndarray | None
    level: float
    start: int
    until: int
    ages: tuple[int, int]
    pool: np.ndarray | None = None


class KeyPool:
    """A growable buffer of party keys (duplicates allowed until the owner compacts it)."""

    def __init__(self) -> None:
        self.buf = np.zeros(1024, dtype=np.int64)
        self.n = 0

    def add(self, keys: np.ndarray) -> None:
        """Append ``keys``."""
        k = keys.size
        if self.n + k > self.buf.size:
            new = np.zeros(max(2 * self.buf.size, self.n + k), dtype=np.int64)
            new[: self.n] = self.buf[: self.n]
            self.buf = new
        self.buf[self.n: self.n + k] = keys
        self.n += k

    def view(self) -> np.ndarray:
        """The keys (a view, no copy)."""
        return self.buf[: self.n]

    def reset(self, keys: np.ndarray) -> None:
        """Replace the content by ``keys``."""
        self.n = 0
        self.add(keys)


@dataclass
class Window:
    """A dated timeline setting: closure, minefield or exit ban."""

    start: int
    until: int
    value: float
    actor: int = -1
    links: np.ndarray | None = None


class Flight(Module[FlightParams]):
    """Deciding to flee, smugglers, hazards, camps (M22-M25). See the module docstring."""

    name = "flight"
    mids = ("M22", "M23", "M24", "M25")
    Params = FlightParams
    event_types = ("closure", "smuggler_price", "minefield", "exit_ban",
                   "conscription_order", "checkpoint_campaign")
    uses = (Economy, Coercion)

    @classmethod
    def check_scenario(cls, scenario: Scenario, params: FlightParams) -> Problem | None:
        """Actors and route kinds named in the parameters exist."""
        ids = {a.id for a in scenario.actors}
        for a in params.exit_ban_actors.value:
            if a not in ids:
                return f"unknown actor '{a}'", ("exit_ban_actors",)
        for field, by_kind in (("speed_km_day", params.speed_km_day),
                               ("checkpoint_chance", params.checkpoint_chance),
                               ("mine_chance", params.mine_chance)):
            for k in by_kind:
                if k not in ROUTE_KINDS:
                    return f"unknown route kind '{k}' (one of {', '.join(ROUTE_KINDS)})", (
                        field, k)
        for k in params.outcome_shares:
            if k not in OUTCOMES:
                return f"unknown outcome '{k}' (one of {', '.join(OUTCOMES)})", (
                    "outcome_shares", k)
        lo, hi = params.service_ages.value
        if lo > hi:
            return "service_ages must be [low, high]", ("service_ages",)
        return None

    # ------------------------------------------------------------------ set-up
    def init(self, sim: Simulation) -> None:
        p = self.params
        self.p = p
        w, people, hh = sim.world, sim.people, sim.households
        self.P, self.A, self.H = w.n_places, w.n_actors, len(hh)
        self._people = people
        self.bits = people.add_column("flight_bits", np.uint8, 0)
        self.fled_from = people.add_column("fled_from", np.int8, -1)
        # people by household (CSR), households by home place (synthesis sorts them by place)
        order = np.argsort(people.household, kind="stable")
        self.hh_members = order.astype(np.int64)
        self.hh_ptr = np.concatenate([[0], np.cumsum(np.bincount(people.household,
                                                                 minlength=self.H))])
        hplace = hh.place.astype(np.int64)
        if self.H and not (np.diff(hplace) >= 0).all():
            raise RanksInputError("flight needs households sorted by home place",
                                  field="population")
        self.place_hh = np.searchsorted(hplace, np.arange(self.P + 1))
        # route network: link l < R goes from->to, l >= R the other way
        R = len(w.route_from)
        self.R = R
        self.l_from = np.concatenate([w.route_from, w.route_to]).astype(np.int64)
        self.l_to = np.concatenate([w.route_to, w.route_from]).astype(np.int64)
        self.l_km = np.concatenate([w.route_km, w.route_km]).astype(np.float64)
        self.l_kind = np.concatenate([w.route_kind, w.route_kind]).astype(np.int64)
        kinds = list(ROUTE_KINDS)
        self.speed = np.array([p.speed_km_day[k].value if k in p.speed_km_day
                               else _FLEE.max_move_speed for k in kinds])
        self.cp_kind = np.array([p.checkpoint_chance[k].value if k in p.checkpoint_chance
                                 else 0.0 for k in kinds])
        self.mine_kind = np.array([p.mine_chance[k].value if k in p.mine_chance else 0.0
                                   for k in kinds])
        shares = np.array([p.outcome_shares[o].value if o in p.outcome_shares else 0.0
                           for o in OUTCOMES])
        self.outcome_cum = np.cumsum(shares / max(shares.sum(), 1e-12))
        self.is_camp = w.place_type == _CAMP
        self.is_abroad = w.place_type == _ABROAD
        self.is_town = np.isin(w.place_type, _TOWN_TYPES)
        self.capacity = np.where(w.capacity > 0, np.maximum(w.capacity * sim.scale, 1.0), 0.0)
        self.price = p.smuggler_price_usd.value
        self.ban_static = np.zeros(self.A + 1, dtype=bool)
        for a in p.exit_ban_actors.value:
            self.ban_static[w.actor_index[a]] = True
        self.fears: list[Fear] = []
        self.closures: list[Window] = []
        self.minefields: list[Window] = []
        self.bans: list[Window] = []
        self._closed_key: bytes = b""
        self._build_paths(np.ones(2 * R, dtype=bool))
        # travellers (module-local, only people in transit)
        self.t_ids = _EMPTY
        self.t_link = _EMPTY  # link being travelled, -1 at a place
        self.t_left = np.zeros(0)  # days of travel left on the link
        self.t_wait = _EMPTY  # days to wait at the place (hosted) before the next leg
        self.t_prev = _EMPTY  # place before the current one (-1 none)
        # party keys of the displaced who are not travelling (camp, abroad, settled away):
        # a growable buffer, duplicates and stale keys dropped at each compaction
        self._pool = KeyPool()
        self._camp_pool = KeyPool()  # parties in camps with a sponsor (M25)
        self._disp_day = 0
        #: displaced by this module and not travelling, by current place x home place
        self.displaced = np.zeros((self.P, self.P), dtype=np.int64)
        sim.death_listeners.append(self._on_death)
        rec, names = sim.record, w.place_names
        rec.add_stock("camp_population", ("place",), (names,),
                      lambda day: people.by_place_state[:, State.CAMP])
        rec.add_stock("in_transit", ("place",), (names,),
                      lambda day: people.by_place_state[:, State.TRANSIT])
        rec.add_stock("displaced", ("place", "category"), (names, names),
                      lambda day: self.displaced)

    def _build_paths(self, open_: np.ndarray) -> None:
        """Enumerate paths of up to ``awareness_hops`` open links from each place (Flee's
        link-weight tree; loops skipped). Padded table ``path_of[origin, k]``."""
        hops = self.p.awareness_hops.value
        out: list[list[int]] = [[] for _ in range(self.P)]
        for link in np.flatnonzero(open_):
            out[int(self.l_from[link])].append(int(link))
        rows: list[tuple[int, int, float, int, int]] = []  # origin, end, km, first link, first

        def walk(o: int, at: int, km: float, first: int, seen: list[int], depth: int) -> None:
            for link in out[at]:
                nxt = int(self.l_to[link])
                if nxt in seen:
                    continue
                f = link if first < 0 else first
                d = km + float(self.l_km[link])
                rows.append((o, nxt, d, f, int(self.l_to[f])))
                if depth + 1 < hops:
                    walk(o, nxt, d, f, [*seen, nxt], depth + 1)

        for o in range(self.P):
            walk(o, o, 0.0, -1, [o], 0)
        arr = np.array(rows, dtype=np.float64).reshape(-1, 5)
        org = arr[:, 0].astype(np.int64)
        n_per = np.bincount(org, minlength=self.P)
        K = max(int(n_per.max(initial=0)), 1)
        start = np.concatenate([[0], np.cumsum(n_per)[:-1]])
        k = np.arange(len(org)) - start[org]
        self.path_of = np.full((self.P, K), -1, dtype=np.int64)
        self.path_of[org, k] = np.arange(len(org))
        self.path_end = arr[:, 1].astype(np.int64)
        self.path_km = arr[:, 2]
        self.path_link = arr[:, 3].astype(np.int64)
        self.path_next = arr[:, 4].astype(np.int64)
        p = self.p
        self.path_dist_w = 1.0 / (p.distance_softening.value + self.path_km) ** \
            p.distance_power.value
        self.path_desert = self.l_kind[self.path_link] == _DESERT

    # ------------------------------------------------------------------ timeline
    def _place_ids(self, sim: Simulation, ev: TimelineEvent) -> np.ndarray | None:
        names = ev.places or ev.args.get("places")
        if isinstance(names, str):
            names = [names]
        if not names:
            return None
        try:
            return np.array([sim.world.place_index[n] for n in names], dtype=np.int64)
        except KeyError as e:
            raise RanksInputError(f"{ev.type}: unknown place {e}", field="timeline") from None

    def _links(self, sim: Simulation, ev: TimelineEvent) -> np.ndarray:
        """Links named by ``args: {from, to}`` (both directions) or touching ``place``."""
        w = sim.world
        a, b = ev.args.get("from"), ev.args.get("to")
        if a is not None or b is not None:
            if a not in w.place_index or b not in w.place_index:
                raise RanksInputError(f"{ev.type}: args.from/args.to must name places joined "
                                      "by a route", field="timeline")
            i, j = w.place_index[a], w.place_index[b]
            m = ((self.l_from == i) & (self.l_to == j)) | ((self.l_from == j) & (self.l_to == i))
            if not m.any():
                raise RanksInputError(f"{ev.type}: no route between {a} and {b}",
                                      field="timeline")
            return np.flatnonzero(m)
        places = self._place_ids(sim, ev)
        if places is None:
            raise RanksInputError(f"{ev.type} needs a place or args.from and args.to",
                                  field="timeline")
        return np.flatnonzero(np.isin(self.l_from, places) | np.isin(self.l_to, places))

    def _actor(self, sim: Simulation, ev: TimelineEvent) -> int:
        name = ev.actor or ev.args.get("actor")
        if name is None:
            return -1
        if name not in sim.world.actor_index:
            raise RanksInputError(f"{ev.type}: unknown actor '{name}'", field="timeline")
        return sim.world.actor_index[name]

    def on_event(self, sim: Simulation, ev: TimelineEvent) -> None:
        day, w = sim.day, sim.world
        until = w.day_of(ev.until) if ev.until else w.n_days + 1
        if ev.type == "smuggler_price":
            if ev.value is None:
                raise RanksInputError("smuggler_price needs a value (USD a person)",
                                      field="timeline")
            self.price = float(ev.value)
        elif ev.type == "closure":
            self.closures.append(Window(day, until, 1.0, links=self._links(sim, ev)))
        elif ev.type == "minefield":
            v = float(ev.value if ev.value is not None else 0.02)
            self.minefields.append(Window(day, until, v, self._actor(sim, ev),
                                          self._links(sim, ev)))
        elif ev.type == "exit_ban":
            a = self._actor(sim, ev)
            if a < 0:
                raise RanksInputError("exit_ban needs an actor", field="timeline")
            v = float(ev.value if ev.value is not None else self.p.exit_ban_factor.value)
            self.bans.append(Window(day, until, v, a))
        elif ev.type == "conscription_order":
            a = self._actor(sim, ev)
            if a < 0:
                return
            lo, hi = ev.args.get("ages", self.p.service_ages.value)
            end = day + int(ev.args.get("deadline_days", 7)) + self.p.order_fear_days.value
            self.fears.append(Fear(a, self._place_ids(sim, ev), 1.0, day,
                                   min(until, end) if ev.until else end, (int(lo), int(hi))))
        elif ev.type == "checkpoint_campaign":
            if ev.args.get("kind") == "desert_patrol":
                return
            a = self._actor(sim, ev)
            level = min(1.0, float(ev.value if ev.value is not None else 0.05)
                        * self.p.campaign_fear_scale.value)
            lo, hi = self.p.service_ages.value
            self.fears.append(Fear(a, self._place_ids(sim, ev), level, day, until,
                                   (int(lo), int(hi))))

    # ------------------------------------------------------------------ helpers
    def party_key(self, ids: np.ndarray) -> np.ndarray:
        """Party of each person: the household, or ``H + id`` for a man alone."""
        lone = (self.bits[ids] & LONE) != 0
        return np.where(lone, self.H + ids, self._hh(ids))

    def _hh(self, ids: np.ndarray) -> np.ndarray:
        return self._people.household[ids].astype(np.int64)

    def members(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """People of parties ``keys`` (households: all members; lone: the man)."""
        keys = np.asarray(keys, dtype=np.int64)
        lone = keys >= self.H
        fam = keys[~lone]
        lo, hi = self.hh_ptr[fam], self.hh_ptr[fam + 1]
        n = hi - lo
        off = np.repeat(lo - np.concatenate([[0], np.cumsum(n)[:-1]]), n)
        idx = self.hh_members[np.arange(int(n.sum())) + off]
        return (np.concatenate([idx, keys[lone] - self.H]),
                np.concatenate([np.repeat(fam, n), keys[lone]]))

    def _u(self, sim: Simulation, name: str, keys: np.ndarray, day: int | None = None
           ) -> np.ndarray:
        return sim.person_uniform(f"flight.{name}", keys, day)

    def _ban(self, day: int) -> np.ndarray:
        """Exit-ban factor by actor (index A = no actor): 0 = no ban."""
        out = np.where(self.ban_static, self.p.exit_ban_factor.value, 0.0)
        for b in self.bans:
            if b.start <= day < b.until:
                out[b.actor] = max(out[b.actor], b.value)
        out[self.A] = 0.0
        return out

    def _open_links(self, day: int) -> np.ndarray:
        open_ = np.ones(2 * self.R, dtype=bool)
        for c in self.closures:
            if c.start <= day < c.until and c.links is not None:
                open_[c.links] = False
        return open_

    # ------------------------------------------------------------------ the day
    def step(self, sim: Simulation, day: int) -> None:
        open_ = self._open_links(day)
        key = open_.tobytes()
        if key != self._closed_key:
            self._closed_key = key
            self._build_paths(open_)
        self._ban_today = self._ban(day)
        coercion = sim.get(Coercion)
        self._cp_campaign = (coercion.checkpoint_intensity(sim, day) if coercion is not None
                             else None)
        self._patrols = coercion.patrol_intensity(sim, day) if coercion is not None else None
        self._decide(sim, day)
        self._camp_exits(sim, day)
        self._travel(sim, day)

    # -- M22 ---------------------------------------------------------------------------------
    def _decide(self, sim: Simulation, day: int) -> None:
        p, people, w = self.p, sim.people, sim.world
        ctrl = w.control[day].astype(np.int64)
        lone: list[np.ndarray] = []
        lone_r: list[np.ndarray] = []
        fam: list[np.ndarray] = []
        fam_r: list[np.ndarray] = []
        # conscription fear: men of service age under an active order or campaign
        self.fears = [f for f in self.fears if day < f.until]
        for i, f in enumerate(self.fears):
            if day < f.start:
                continue
            if f.pool is None:
                f.pool = self._fear_pool(sim, day, f)
            chance = p.conscription_fear_per_day.value * f.level
            ids = sim.thin_candidates(f"flight.fear.{i}.{f.start}", day, chance, f.pool)
            ids = ids[(ctrl[people.place[ids]] == f.actor) & self._can_leave(sim, ids)
                      & ((people.flags[ids] & Flag.WANTED) == 0)]
            if ids.size == 0:
                continue
            with_family = self._u(sim, "family_goes", ids) < p.family_goes_share.value
            fam.append(self._hh(ids[with_family]))
            fam_r.append(np.zeros(int(with_family.sum()), dtype=np.int64))
            ids = ids[~with_family]
            ids = ids[self._ties_ok(sim, ids)]
            lone.append(ids)
            lone_r.append(np.zeros(ids.size, dtype=np.int64))
        # punishment: wanted evaders and deserters; men who planned flight under an order
        book = sim.get(WantedBook)
        if book is not None:
            W = book.wanted(sim)
            W = W[self._can_leave(sim, W)]
            if W.size:
                planned = book.planned_flight(W)
                deserter = (people.state[W] == State.DESERTED) | (
                    ((people.flags[W] & Flag.WAS_MEMBER) != 0)
                    & ((people.flags[W] & Flag.EVADER) == 0))
                daily = np.where(planned, p.planned_flight_per_day.value, np.where(
                    deserter, p.deserter_flight_per_day.value, p.evader_flight_per_day.value))
                go = self._u(sim, "punishment", W) < daily
                go[~planned] &= self._ties_ok(sim, W[~planned])
                lone.append(W[go])
                lone_r.append(np.where(planned[go], 1, 2))
        # front: households at places with fighting
        front = w.front[day]
        hot = np.flatnonzero((front > 0) & ~self.is_camp & ~self.is_abroad)
        if hot.size:
            g = sim.rng("flight.front", day)
            n_hh = self.place_hh[hot + 1] - self.place_hh[hot]
            k = g.binomial(n_hh, np.minimum(p.front_flight_per_day.value * front[hot], 1.0))
            if k.sum():
                picks = np.unique(np.repeat(self.place_hh[hot], k)
                                  + (g.random(int(k.sum())) * np.repeat(n_hh, k)).astype(
                                      np.int64))
                fam.append(picks)
                fam_r.append(np.full(picks.size, 3, dtype=np.int64))
        # hardship: households that cannot meet their needs (economy module)
        eco = sim.get(Economy)
        rate = p.hardship_flight_per_day.value
        if eco is not None and rate > 0 and self.H:
            g = sim.rng("flight.hardship", day)
            n_cand = g.binomial(self.H, min(rate, 1.0))
            if n_cand:
                picks = np.unique(g.integers(0, self.H, size=n_cand))
                picks = picks[g.random(picks.size) < np.asarray(eco.hardship)[picks]]
                home = sim.households.place[picks].astype(np.int64)
                picks = picks[~self.is_camp[home] & ~self.is_abroad[home]]
                fam.append(picks)
                fam_r.append(np.full(picks.size, 4, dtype=np.int64))
        if lone:
            ids = np.concatenate(lone)
            ids, first = np.unique(ids, return_index=True)
            self._start(sim, day, ids, np.concatenate(lone_r)[first], alone=True)
        if fam:
            hhs = np.concatenate(fam)
            hhs, first = np.unique(hhs, return_index=True)
            ids, keys = self.members(hhs)
            reason = np.concatenate(fam_r)[first][np.searchsorted(hhs, keys)]
            ok = self._can_leave(sim, ids) & (people.place[ids] == people.home[ids])
            ok &= people.actor[ids] < 0
            self._start(sim, day, ids[ok], reason[ok], alone=False)

    def _fear_pool(self, sim: Simulation, day: int, f: Fear) -> np.ndarray:
        """Men of the window's ages at its places (one scan of everyone, once a window)."""
        people = sim.people
        places = f.places if f.places is not None else np.flatnonzero(
            sim.world.control[day] == f.actor)
        at = np.zeros(self.P, dtype=bool)
        at[places] = True
        cand = np.flatnonzero(at[people.place] & (people.sex == 1))
        age = people.age_years(day, cand)
        return cand[(age >= f.ages[0]) & (age <= f.ages[1])]

    def _can_leave(self, sim: Simulation, ids: np.ndarray) -> np.ndarray:
        st = sim.people.state[ids]
        return (((st == State.CIVILIAN) | (st == State.HIDING) | (st == State.DESERTED))
                & ((self.bits[ids] & FLED) == 0))

    def _ties_ok(self, sim: Simulation, ids: np.ndarray) -> np.ndarray:
        """Family ties: a head of household with dependants stays with chance family_ties."""
        hh = sim.households
        h = self._hh(ids)
        deps = (hh.n_wives[h].astype(np.int64) + hh.n_children[h] + hh.n_parents[h]) > 0
        tied = (sim.people.role[ids] == Role.HEAD) & deps
        return ~tied | (self._u(sim, "ties", ids) >= self.p.family_ties.value)

    def _start(self, sim: Simulation, day: int, ids: np.ndarray, reason: np.ndarray,
               alone: bool) -> None:
        """Parties ``ids`` (lone men, or members of households) set out, if they can pay."""
        if ids.size == 0:
            return
        people, hh = sim.people, sim.households
        place = people.place[ids].astype(np.int64)
        ctrl = sim.world.control[day].astype(np.int64)[place]
        feared = np.where(alone & ((people.flags[ids] & Flag.WANTED) != 0) & (reason != 3),
                          self._wanted_by(sim, ids), ctrl)
        keys = self.H + ids if alone else self._hh(ids)
        # M23: a smuggler where the actor holding the place bans exit
        ban = self._ban_today[np.where(ctrl >= 0, ctrl, self.A)] > 0
        smuggled = np.zeros(ids.size, dtype=bool)
        if ban.any():
            uk, inv, size = np.unique(keys[ban], return_inverse=True, return_counts=True)
            h = uk - self.H if alone else uk
            if alone:
                h = self._hh(h)
            cost = self.price * size
            own = hh.savings[h] >= cost
            # relatives abroad who would pay: a trait of the party (not redrawn each day)
            rel = ~own & (self._u(sim, "relatives", uk, day=-1)
                          < self.p.relatives_pay_chance.value)
            np.subtract.at(hh.savings, h[own], cost[own].astype(np.float32))
            paid = own | rel
            if (~paid).any():
                sim.record.events("stayed", place[ban][~paid[inv]], reason="cost")
            for ok, why in ((own, "savings"), (rel, "relatives")):
                if ok.any():
                    sim.record.events("smuggled", place[ban][ok[inv]], reason=why)
            keep = np.ones(ids.size, dtype=bool)
            keep[np.flatnonzero(ban)[~paid[inv]]] = False
            smuggled[ban] = paid[inv]
            ids, place, feared, keys, reason, smuggled = (
                ids[keep], place[keep], feared[keep], keys[keep], reason[keep], smuggled[keep])
        if ids.size == 0:
            return
        sim.record.events("fled", place, actor=feared, reason=reason, reasons=REASONS)
        bits = FLED | EVER_FLED | (LONE if alone else 0)
        self.bits[ids] = (self.bits[ids] & ~np.uint8(NOCAMP | SMUGGLED | LONE)) | bits
        self.bits[ids[smuggled]] |= np.uint8(SMUGGLED)
        self.fled_from[ids] = feared
        if (book := sim.get(WantedBook)) is not None:
            book.flight_started(ids)
        people.set(ids, day, state=State.TRANSIT)
        self._add_travellers(ids)

    def _wanted_by(self, sim: Simulation, ids: np.ndarray) -> np.ndarray:
        """The actor that wants each of ``ids`` (the wanted book's), else the actor holding
        their place today."""
        book = sim.get(WantedBook)
        if book is not None:
            return book.wanted_by[ids].astype(np.int64)
        return sim.world.control[sim.day].astype(np.int64)[sim.people.place[ids]]

    def _add_travellers(self, ids: np.ndarray, wait: np.ndarray | None = None) -> None:
        k = ids.size
        self.t_ids = np.concatenate([self.t_ids, ids])
        self.t_link = np.concatenate([self.t_link, np.full(k, -1, dtype=np.int64)])
        self.t_left = np.concatenate([self.t_left, np.zeros(k)])
        self.t_wait = np.concatenate([self.t_wait, np.zeros(k, dtype=np.int64)
                                      if wait is None else wait])
        self.t_prev = np.concatenate([self.t_prev, np.full(k, -1, dtype=np.int64)])

    # -- M25 camps ---------------------------------------------------------------------------
    def displaced_parties(self, sim: Simulation, day: int) -> np.ndarray:
        """Party keys of people displaced and not travelling (camps, abroad, settled away).

        A view of a buffer (no copy). Every ``COMPACT_DAYS`` days duplicates and parties with
        nobody displaced left are dropped and the ``displaced`` counts are recounted from the
        pool (exact then; between compactions they are kept by this module's and returns'
        transitions and by deaths). Callers filter members with :meth:`party_members`.
        """
        if day - self._disp_day >= COMPACT_DAYS:
            self._disp_day = day
            ids, k = self.party_members(sim, np.unique(self._pool.view()))
            self._pool.reset(np.unique(k))
            self.displaced[:] = 0
            self.count_displaced(sim, ids, +1)
            _, k = self.party_members(sim, np.unique(self._camp_pool.view()), State.CAMP)
            self._camp_pool.reset(np.unique(k))
        return self._pool.view()

    def party_members(self, sim: Simulation, keys: np.ndarray, state: int | None = None
                      ) -> tuple[np.ndarray, np.ndarray]:
        """Displaced members of parties ``keys`` (optionally only those in ``state``):
        flagged FLED, of this party, in a camp, abroad or living away from home."""
        ids, k = self.members(keys)
        b = self.bits[ids]
        ok = ((b & FLED) != 0) & (((b & LONE) != 0) == (k >= self.H))
        st = sim.people.state[ids]
        if state is not None:
            ok &= st == state
        else:
            ok &= _DISPLACED_STATE[st] & (sim.people.place[ids] != sim.people.home[ids])
        return ids[ok], k[ok]

    def count_displaced(self, sim: Simulation, ids: np.ndarray, sign: int) -> None:
        """Add (+1) or remove (-1) ``ids`` from the displaced counts at their place."""
        if ids.size:
            people = sim.people
            flat = people.place[ids].astype(np.int64) * self.P + people.home[ids]
            self.displaced.reshape(-1)[:] += sign * np.bincount(flat,
                                                                 minlength=self.P * self.P)

    def mark_returned(self, sim: Simulation, ids: np.ndarray) -> None:
        """``ids`` go home (the returns module, M27): no longer displaced by this module.
        Call before moving them."""
        self.count_displaced(sim, ids, -1)
        self.bits[ids] &= np.uint8(~(FLED | LONE | SMUGGLED | NOCAMP) & 0xFF)
        self.fled_from[ids] = -1

    def _on_death(self, ids: np.ndarray, cause: str, actor: int) -> None:
        people = self._people
        st = people.state[ids]
        d = ids[((self.bits[ids] & FLED) != 0) & _DISPLACED_STATE[st]
                & (people.place[ids] != people.home[ids])]
        if d.size:
            flat = people.place[d].astype(np.int64) * self.P + people.home[d]
            self.displaced.reshape(-1)[:] -= np.bincount(flat, minlength=self.P * self.P)

    def _camp_exits(self, sim: Simulation, day: int) -> None:
        """Sponsored camp residents leave after stays of weeks and move on (M25)."""
        p = self.p
        chance = 1.0 / p.camp_stay_days_mean.value
        if p.sponsor_share.value <= 0 or not (sim.people.by_place_state[:, State.CAMP].any()):
            return
        self.displaced_parties(sim, day)  # compacts the camp pool too when due
        keys = sim.thin_candidates("flight.camp_exit", day, chance, self._camp_pool.view())
        if keys.size == 0:
            return
        keys = np.unique(keys)  # the pool may hold a party twice between compactions
        ids, _ = self.party_members(sim, keys, State.CAMP)
        if ids.size == 0:
            return
        sim.record.events("camp_exit", sim.people.place[ids], reason="sponsored")
        self.count_displaced(sim, ids, -1)
        self.bits[ids] |= np.uint8(NOCAMP)
        sim.people.set(ids, day, state=State.TRANSIT)
        self._add_travellers(ids)

    def remember_displaced(self, sim: Simulation, keys: np.ndarray, in_camp: bool) -> None:
        """Add party keys to the displaced pool (and sponsored camp parties to the camp
        pool: whether a party has a sponsor is a trait drawn once per party)."""
        self._pool.add(keys)
        if in_camp and keys.size:
            keys = np.unique(keys)
            self._camp_pool.add(keys[self._u(sim, "sponsor", keys, day=-1)
                                     < self.p.sponsor_share.value])

    # -- M23, M24 travel ---------------------------------------------------------------------
    def _scores(self, sim: Simulation, day: int) -> np.ndarray:
        """Flee scores of each place for a traveller fearing actor f: (A + 1, P), row A for
        none. Camps weigh camp_weight x Flee's capacity factor, abroad abroad_weight,
        places at the front conflict_weight ** intensity, the feared actor's places
        hostile_weight."""
        p, w = self.p, sim.world
        s = np.ones(self.P)
        cap = self.capacity
        s[self.is_camp] = p.camp_weight.value
        has = cap > 0
        if has.any():
            n = sim.people.by_place_state[has, State.CAMP].astype(np.float64)
            c, buf = cap[has], p.capacity_buffer.value
            mult = np.where(n <= buf * c, 1.0, np.clip((c - n) / (c * (1.0 - buf)), 0.0, 1.0))
            s[has] *= mult
        s[self.is_abroad] = p.abroad_weight.value
        s *= p.conflict_weight.value ** w.front[day].astype(np.float64)
        out = np.repeat(s[None, :], self.A + 1, axis=0)
        ctrl = w.control[day].astype(np.int64)
        held = ctrl >= 0
        out[ctrl[held], np.flatnonzero(held)] *= p.hostile_weight.value
        return out

    def _choose(self, ids: np.ndarray, at: np.ndarray, prev: np.ndarray, score: np.ndarray,
                u: np.ndarray) -> np.ndarray:
        """A link for each traveller at ``at`` (Flee's rule over paths), -1 if none.

        Travellers who see the same weights (same place, feared actor, previous place,
        smuggled, camp-averse) form a group; each group's path weights are computed once and
        laid end to end in one cumulative array, and each traveller's pick is one
        ``searchsorted`` in it (as Flee's engine does per origin)."""
        if ids.size == 0:
            return _EMPTY
        b = self.bits[ids]
        f = self.fled_from[ids].astype(np.int64)
        f = np.where(f >= 0, f, self.A)
        nocamp = (b & NOCAMP) != 0
        smug = (b & SMUGGLED) != 0
        g = (((at * (self.A + 1) + f) * 2 + nocamp) * 2 + smug) * (self.P + 1) + prev + 1
        ug, first, inv = np.unique(g, return_index=True, return_inverse=True)
        r_at, r_f, r_nc, r_sm, r_prev = at[first], f[first], nocamp[first], smug[first], \
            prev[first]
        paths = self.path_of[r_at]  # (groups, K)
        valid = paths >= 0
        pp = np.where(valid, paths, 0)
        end = self.path_end[pp]
        wgt = score[r_f[:, None], end] * self.path_dist_w[pp]
        wgt[r_nc[:, None] & self.is_camp[end]] = 0.0
        if r_sm.any():
            wgt[r_sm] *= np.where(self.path_desert[pp[r_sm]], self.p.desert_preference.value,
                                  1.0)
        wgt[self.path_next[pp] == r_prev[:, None]] *= BACK_FACTOR  # back only at a dead end
        wgt[~valid] = 0.0
        K = wgt.shape[1]
        cw = np.cumsum(wgt.reshape(-1))
        lo = np.concatenate([[0.0], cw[K - 1:-1:K]]) if cw.size else np.zeros(0)
        tot = cw[K - 1::K] - lo
        target = lo[inv] + u * tot[inv]
        pos = np.searchsorted(cw, target, side="right")
        pos = np.minimum(np.maximum(pos, inv * K), inv * K + K - 1)
        link = self.path_link[pp.reshape(-1)[pos]]
        return np.where(tot[inv] > 0, link, -1)

    def _move_chance(self, sim: Simulation, day: int, ids: np.ndarray, at: np.ndarray,
                     prev: np.ndarray) -> np.ndarray:
        """Flee's move chance at a place: 1 where the traveller is not safe (the feared
        actor's place, a front) or has just set out, ``town_movechance`` in a safe place."""
        w = sim.world
        safe = ((w.control[day].astype(np.int64)[at] != self.fled_from[ids])
                & (w.front[day][at] < self.p.safe_front_max.value) & (prev >= 0))
        return np.where(safe, self.p.town_movechance.value, 1.0)

    def _travel(self, sim: Simulation, day: int) -> None:
        people = sim.people
        # drop travellers whom another module moved (conscripted, detained, dead)
        keep = people.state[self.t_ids] == State.TRANSIT
        if not keep.all():
            self._subset(keep)
        if self.t_ids.size == 0:
            return
        score = self._scores(sim, day)
        waiting = self.t_wait > 0
        self.t_wait[waiting] -= 1
        budget = np.where(waiting, 0.0, 1.0)  # days of travel left today
        for wave in range(self.p.max_legs_per_day.value):
            at_place = (self.t_link < 0) & (budget > 0)
            if at_place.any():
                i = np.flatnonzero(at_place)
                ids = self.t_ids[i]
                at = people.place[ids].astype(np.int64)
                u = self._u(sim, f"move.{wave}", self.party_key(ids))
                mc = self._move_chance(sim, day, ids, at, self.t_prev[i])
                move = u < mc
                budget[i[~move]] = 0.0
                i, ids, at = i[move], ids[move], at[move]
                # given a move, u / mc is uniform again: it picks the path
                link = self._choose(ids, at, self.t_prev[i], score, u[move] / mc[move])
                go = link >= 0
                self.t_link[i[go]] = link[go]
                self.t_left[i[go]] = self.l_km[link[go]] / self.speed[self.l_kind[link[go]]]
                budget[i[~go]] = 0.0
            moving = (self.t_link >= 0) & (budget > 0)
            if not moving.any():
                break
            i = np.flatnonzero(moving)
            step = np.minimum(self.t_left[i], budget[i])
            self.t_left[i] -= step
            budget[i] -= step
            arrive = i[self.t_left[i] <= 1e-9]
            if arrive.size:
                gone = self._arrive(sim, day, wave, arrive, score)
                if gone.size:
                    keep = np.ones(self.t_ids.size, dtype=bool)
                    keep[gone] = False
                    budget = budget[keep]
                    self._subset(keep)
                budget[self.t_wait > 0] = 0.0  # hosted by relatives: the next leg waits

    def _subset(self, keep: np.ndarray) -> None:
        self.t_ids, self.t_link, self.t_left = self.t_ids[keep], self.t_link[keep], \
            self.t_left[keep]
        self.t_wait, self.t_prev = self.t_wait[keep], self.t_prev[keep]

    def _arrive(self, sim: Simulation, day: int, wave: int, i: np.ndarray,
                score: np.ndarray) -> np.ndarray:
        """Travellers at positions ``i`` finish their link: hazards, then stop or go on.
        Returns positions that left the travellers."""
        p, people, w = self.p, sim.people, sim.world
        ids = self.t_ids[i]
        link = self.t_link[i]
        frm, to, kind = self.l_from[link], self.l_to[link], self.l_kind[link]
        keys = self.party_key(ids)
        ctrl = w.control[day].astype(np.int64)
        feared = self.fled_from[ids].astype(np.int64)
        wanted = self._wanted_by(sim, ids) if sim.get(WantedBook) is not None else feared
        gone = np.zeros(i.size, dtype=bool)
        # checkpoints of the actor holding the link's end (else its start) and desert patrols
        cp_actor = np.where(ctrl[to] >= 0, ctrl[to], ctrl[frm])
        ban = self._ban_today[np.where(cp_actor >= 0, cp_actor, self.A)]
        # an actor stops those who flee it, the men it wants, and anyone leaving under its ban
        hostile = (cp_actor >= 0) & ((cp_actor == feared) | (cp_actor == wanted) | (ban > 0))
        ban = 1.0 + ban
        smug = (self.bits[ids] & SMUGGLED) != 0
        cp = self.cp_kind[kind] * np.where(smug, p.smuggled_checkpoint_factor.value, 1.0)
        if self._cp_campaign is not None:
            cp = cp * (1.0 + p.campaign_checkpoint_scale.value * self._cp_campaign[to])
        p_cp = np.minimum(cp * ban, 1.0) * hostile
        pat_actor = ctrl[frm]
        pat_ban = self._ban_today[np.where(pat_actor >= 0, pat_actor, self.A)]
        pat_hostile = (pat_actor >= 0) & ((pat_actor == feared) | (pat_actor == wanted)
                                          | (pat_ban > 0))
        patrol = np.where(kind == _DESERT, p.patrol_chance_desert.value, 0.0)
        if self._patrols is not None:
            patrol = patrol * (1.0 + self._patrols[frm])
        p_pat = np.minimum(patrol * (1.0 + pat_ban), 1.0)
        p_pat = p_pat * pat_hostile
        # minefields on the link (everyone crossing)
        p_mine = self.mine_kind[kind].copy()
        mine_actor = ctrl[frm].copy()
        for m in self.minefields:
            if m.start <= day < m.until and m.links is not None:
                on = np.isin(link, m.links)
                p_mine[on] += m.value
                if m.actor >= 0:
                    mine_actor[on] = m.actor
        p_mine = np.minimum(p_mine, 1.0)
        p_stop = p_cp + p_pat * (1.0 - p_cp)
        if p_stop.any() or p_mine.any():
            # one uniform per party: below p_cp a checkpoint, then a patrol; past both, the
            # rest of the interval (rescaled) decides a mine
            u = self._u(sim, f"hazard.{wave}", keys)
            stop_cp = u < p_cp
            stop_pat = ~stop_cp & (u < p_stop)
            for mask, actor, hz in ((stop_cp, cp_actor, "checkpoint"),
                                    (stop_pat, pat_actor, "patrol")):
                if mask.any():
                    self._interdict(sim, day, ids[mask], keys[mask], actor[mask], to[mask],
                                    hz, u[mask] / p_stop[mask])
                    gone |= mask
            u_mine = (u - p_stop) / np.maximum(1.0 - p_stop, 1e-12)
            hit = ~gone & (u_mine < p_mine)
        else:
            hit = gone
        if hit.any():
            die = hit & (sim.person_uniform(f"flight.mine_kill.{wave}", ids)
                         < p.mine_lethality.value)
            sim.record.events("mine_death", people.place[ids[die]], actor=mine_actor[die])
            for a in np.unique(mine_actor[die]):  # deaths are requested per responsible actor
                sim.request_death(ids[die & (mine_actor == a)], "mine", int(a))
            gone |= die
        # on to the link's end
        go = ~gone
        g_ids, g_to = ids[go], to[go]
        people.set(g_ids, day, place=g_to)
        pos = i[go]
        self.t_prev[pos] = frm[go]
        self.t_link[pos] = -1
        self.t_left[pos] = 0.0
        stop = self._stop(sim, day, wave, g_ids, keys[go], g_to, pos)
        gone_pos = np.concatenate([i[gone], pos[stop]])
        return gone_pos

    def _stop(self, sim: Simulation, day: int, wave: int, ids: np.ndarray, keys: np.ndarray,
              at: np.ndarray, pos: np.ndarray) -> np.ndarray:
        """Where a party ends its journey (camp with room, abroad, settle in a safe town) or
        waits with relatives. Returns a mask of those who left the travellers."""
        p, people, w = self.p, sim.people, sim.world
        ctrl = w.control[day].astype(np.int64)[at]
        safe = (ctrl != self.fled_from[ids]) & (w.front[day][at] < p.safe_front_max.value)
        out = np.zeros(ids.size, dtype=bool)
        camp = self.is_camp[at] & ((self.bits[ids] & NOCAMP) == 0)
        if camp.any():
            c_at = at[camp]
            full = np.zeros(c_at.size, dtype=bool)
            if (self.capacity[c_at] > 0).any():
                # admit whole parties, by party key, while the camp has room for all of them
                room = self.capacity[c_at] - people.by_place_state[c_at, State.CAMP]
                c_key = keys[camp]
                order = np.lexsort((c_key, c_at))
                sa, sk = c_at[order], c_key[order]
                rank = np.arange(sa.size) - np.searchsorted(sa, sa)  # 0.. within the camp
                new = np.concatenate([[True], (sa[1:] != sa[:-1]) | (sk[1:] != sk[:-1])])
                start = np.flatnonzero(new)
                last = np.maximum.reduceat(rank, start)  # rank of each party's last member
                party_last = np.repeat(last, np.diff(np.append(start, sa.size)))
                full[order] = (self.capacity[sa] > 0) & (party_last >= room[order])
            sel = np.flatnonzero(camp)
            self.bits[ids[sel[full]]] |= np.uint8(NOCAMP)
            camp[sel[full]] = False
        abroad = self.is_abroad[at]
        town = self.is_town[at] & safe & ~camp & ~abroad
        s_ch = p.settle_chance.value
        u = self._u(sim, f"stop.{wave}", keys) if town.any() else np.ones(ids.size)
        settle = town & (u < s_ch)
        host = town & ~settle & (u < s_ch + (1.0 - s_ch) * p.host_chance.value)
        for mask, state in ((camp, State.CAMP), (abroad, State.ABROAD),
                            (settle, State.CIVILIAN)):
            if not mask.any():
                continue
            sel = ids[mask]
            people.set(sel, day, state=state)
            self.count_displaced(sim, sel, +1)
            sim.record.events("arrived", people.home[sel], actor=ctrl[mask],
                              destination=at[mask])
            self.remember_displaced(sim, keys[mask], state == State.CAMP)
            out |= mask
        if host.any():
            days = -np.log(np.maximum(self._u(sim, f"host_days.{wave}", keys[host]), 1e-12))
            self.t_wait[pos[host]] = np.maximum(np.rint(days * p.host_days_mean.value), 1)
        return out

    def _interdict(self, sim: Simulation, day: int, ids: np.ndarray, keys: np.ndarray,
                   actor: np.ndarray, toward: np.ndarray, hazard: str, u: np.ndarray) -> None:
        """Intercepted parties: sent back home, conscripted (men of service age), detained;
        caught deserters go to the leaving module's deterrence (M19) when present."""
        people = sim.people
        book = wanted_book(sim)
        oc = np.searchsorted(self.outcome_cum, u, side="right").clip(0, len(OUTCOMES) - 1)
        lo, hi = self.p.service_ages.value
        age = people.age_years(day, ids)
        fl = people.flags[ids]
        man = (people.sex[ids] == 1) & (age >= lo) & (age <= hi)
        oc = np.where(man, oc, 0)  # women, children and elders are sent back
        deserter = (((fl & Flag.WAS_MEMBER) != 0) & ((fl & Flag.EVADER) == 0)
                    & ((fl & Flag.WANTED) != 0))
        oc = np.where(deserter & (oc > 0), _PUNISHED, oc)
        self.bits[ids] &= np.uint8(~(FLED | SMUGGLED | NOCAMP) & 0xFF)
        self.fled_from[ids] = -1
        where = people.place[ids].astype(np.int64)  # the place of interception
        back = oc == 0
        if back.any():
            b_ids = ids[back]
            wanted = (fl[back] & Flag.WANTED) != 0
            people.set(b_ids[~wanted], day, state=State.CIVILIAN,
                       place=people.home[b_ids[~wanted]])
            people.set(b_ids[wanted], day, state=State.HIDING, place=people.home[b_ids[wanted]])
        sim.record.events("interdicted", where, actor=actor, reason=oc, destination=toward,
                          reasons=[f"{hazard}:{o}" for o in (*OUTCOMES, "punished")])
        combo = actor * 4 + oc
        for c in np.unique(combo):  # the transitions of the wanted book are per actor
            sel = combo == c
            a, o = int(c) // 4, int(c) % 4
            s_ids = ids[sel]
            if o == 1:
                book.conscript(sim, s_ids, a, day, "interdiction")
            elif o == 2:
                book.detain(sim, s_ids, a, day, "interdiction")
            elif o == _PUNISHED:
                if book.punish_deserters is not None:
                    book.punish_deserters(sim, s_ids, a, day, "flight")
                else:
                    book.detain(sim, s_ids, a, day, "flight")
