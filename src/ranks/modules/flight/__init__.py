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

Outputs: events ``fled`` (reason conscription / planned / punishment / front / hardship; place = the
place left; actor = the actor fled from), ``stayed`` (reason cost: wanted to flee, could not
pay), ``smuggled`` (count of people who paid a smuggler; reason savings / relatives),
``arrived`` (place = home, destination = the camp, abroad node or town of arrival),
``interdicted`` (reason = ``hazard:outcome``: hazard checkpoint / patrol, outcome returned /
conscripted / detained / punished; place = where;
actor = the intercepting actor; destination = where the party was heading on that link),
``mine_death`` (actor = the actor holding the link's start, or the minefield's actor),
``camp_exit`` (reason sponsored); deaths ``mine`` through ``sim.request_death``. Stocks
``camp_population`` (place), ``in_transit`` (place), ``displaced`` (place x home place).

Files: ``params.py`` (parameters and their evidence), ``decide.py`` (M22, one function per
term), ``routes.py`` (M23 route choice on Flee's rules shared with ``ranks flee`` through
:mod:`ranks.routing`), ``hazards.py`` (M24, a pure ``hazard_chances``), ``camps.py`` (M25 and
the displaced), ``parties.py`` (who travels with whom), ``module.py`` (the day).

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

from ranks.modules.flight.decide import REASONS, Reason
from ranks.modules.flight.hazards import OUTCOME_NAMES, Hazard, Outcome
from ranks.modules.flight.module import Flight
from ranks.modules.flight.params import FlightParams
from ranks.modules.flight.parties import (
    EPISODE,
    EVER_FLED,
    FLED,
    LONE,
    NOCAMP,
    SMUGGLED,
    SPONSORED,
)
from ranks.modules.practices import OUTCOMES

__all__ = ["EPISODE", "EVER_FLED", "FLED", "LONE", "NOCAMP", "OUTCOMES", "OUTCOME_NAMES",
           "REASONS", "SMUGGLED", "SPONSORED", "Flight", "FlightParams", "Hazard", "Outcome",
           "Reason"]
