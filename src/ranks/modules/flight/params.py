"""Parameters of the flight module (M22-M25): chances per decision unit (household or man)
and day, or per party and link crossed; speeds in km a day; money in USD. Every value cites
a source or says it is an assumption."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ranks.flee.settings import FleeSettings
from ranks.modules.actors import NonNeg, NonNegInt, PosF, PosInt, Prob
from ranks.modules.base import ModuleParams
from ranks.scenario.model import P

#: Flee 3.1 defaults: the rule's constants come from the same source as ``ranks flee``.
FLEE = FleeSettings()


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
    conflict_flight_per_day: P[Prob] = P(
        value=0.02, source="flee-2017",
        note="Flee's conflict-driven spawning generalised (departures in proportion to "
        "intensity and to the people exposed): daily chance of a household at home at a "
        "front of intensity 1 of a kind of weight 1, at the start of the episode (the Deir "
        "Ezzor scenarios fit it, docs/calibration.md)")
    conflict_kind_weight: dict[str, P[NonNeg]] = Field(default_factory=lambda: {
        "offensive": P(value=1.0, source="disp-sep-oct-2017-reach",
                       note="a ground offensive passing through empties towns (58 of 135 "
                       "communities uninhabited after Sep-Oct 2017): the reference kind"),
        "violence_against_civilians": P(value=1.0, source="press-shaitat-2014",
                                        note="massacres drive people out like an offensive "
                                        "(assumed equal)"),
        "battle": P(value=0.5, assumption="static front lines drive fewer out than an "
                    "offensive passing through"),
        "shelling": P(value=0.3, assumption="shelling from across the river or a line"),
        "airstrike": P(value=0.3, source="disp-dec-2018-hajin-ops",
                       note="strikes displace too (Hajin, Dec 2018), fewer than ground "
                       "fighting (weight assumed)"),
        "explosion": P(value=0.2, assumption="isolated explosions"),
        "siege": P(value=0.3, assumption="fighting on a siege line (leaving a besieged place "
                   "needs a smuggler or an evacuation: timeline siege)"),
        "other": P(value=0.0, assumption="no departures from other events"),
        "calm": P(value=0.0, assumption="residual intensity after the fighting moved on "
                  "drives nobody out"),
    })
    conflict_half_life_days: P[PosF] = P(
        value=21.0, source="disp-cccm-nov-2017",
        note="departures fall off as an episode of fighting goes on (those willing and able "
        "have left: 200,000 displacements in October 2017, a few thousand in November, "
        "disp-sep-oct-2017-reach, disp-cccm-nov-2017); Flee decays conflict spawning in "
        "30-day steps; half-life assumed")
    episode_gap_days: P[NonNegInt] = P(
        value=90, assumption="someone sent home who sets out again within this many days is "
        "on the same displacement episode (an attempt, not a new departure)")
    siege_price_factor: P[NonNeg] = P(
        value=2.0, source="press-dez-airlift-2015",
        note="forces in the enclave sold permission to leave on top of the smugglers' fee: "
        "factor on the smuggler price to leave a besieged place (assumed)")
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
        "road": P(value=FLEE.max_move_speed, source="flee-2017",
                  note="Flee's max_move_speed (km a day)"),
        "desert": P(value=100.0, source="domain-figures",
                    note="the desert route took up to 48 hours (seed-000: two days) for about "
                    "150-200 km"),
        "river": P(value=50.0, assumption="ferry crossings wait for a boat: half a day a link"),
        "border": P(value=FLEE.max_move_speed, source="flee-2017",
                    note="Flee's max_move_speed"),
    })
    town_movechance: P[Prob] = P(
        value=FLEE.default_movechance, source="flee-2017",
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
    conflict_weight: P[NonNeg] = P(value=FLEE.conflict_weight, source="flee-2017",
                                   note="Flee: score x conflict_weight ** intensity")
    abroad_weight: P[NonNeg] = P(value=2.0, assumption="abroad is a goal like a camp for "
                                 "those who flee an actor (Flee's foreign_weight idea)")
    hostile_weight: P[NonNeg] = P(
        value=0.1, source="seed-000",
        note="the goal is to get out of the feared actor's territory: its places weigh this "
        "factor (assumed)")
    distance_softening: P[NonNeg] = P(value=FLEE.distance_softening, source="flee-2017",
                                      note="Flee's softening (km)")
    distance_power: P[NonNeg] = P(value=FLEE.distance_power, source="flee-2017",
                                  note="Flee's distance_power")
    capacity_buffer: P[Prob] = P(value=FLEE.capacity_buffer, source="flee-2017",
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
    sponsor_per_day: P[Prob] = P(
        value=0.0015, source="camp-areesha-2018-03",
        note="residents of a camp whose exit rule is sponsorship find a sponsor (a relative, a "
        "tribal guarantor; seed-000: an aunt got him out) with this daily chance, unless the "
        "camps table gives the camp its own exit_per_day")
    camp_stay_days_mean: P[PosF] = P(value=15.0, source="seed-000",
                                     note="15 days in al-Sadd (Areesha) camp: a sponsored party "
                                     "whose home is not safe moves on after stays of this "
                                     "mean")
