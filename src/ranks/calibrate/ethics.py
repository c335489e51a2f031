"""Which parameters calibration may fit: how people respond, never an armed actor's practice.

Calibration searches parameter values that make the simulated past match public figures.
Pointed at an armed actor's recruitment, checkpoint, interdiction or punishment settings it
would search for the policy that best reproduces (or serves) that actor; Ranks refuses that.
A priors file may name only:

- module parameters that describe how civilians and members respond or uncertain rates
  (flight, returns, mortality, desertion drivers, joining motives, answers to an order), and
- population parameters (characteristics of the synthetic people),

and never a path matching :data:`REFUSED` (with the reason shown to the user). Scenario
structure (places, routes, control, fronts, actors, timeline, period, output, seed) and the
per-actor practices by date (``practices``) are not parameters and are refused too.
docs/calibration.md lists the rule and the patterns.
"""

from __future__ import annotations

from fnmatch import fnmatchcase

#: Roots a calibrated path may start with.
ALLOWED_ROOTS = ("modules", "population")

#: Patterns of refused paths (without a trailing ``.value``) and why. fnmatch syntax:
#: ``*`` matches across dots.
REFUSED: tuple[tuple[str, str], ...] = (
    # coercion: the actor's checkpoints, bribes, detention, raids, informers, forced labour,
    # amnesty terms. The answers of civilians to an order (register/hide/flee shares,
    # hiding) and the take-up of an amnesty are responses and stay allowed.
    ("modules.coercion.base_checkpoint_chance", "checkpoint practice"),
    ("modules.coercion.mobile_factor", "checkpoint practice"),
    ("modules.coercion.bribe_*", "checkpoint practice (bribes)"),
    ("modules.coercion.stop_conscript_share", "conscription practice"),
    ("modules.coercion.detention_days_mean", "punishment practice (detention)"),
    ("modules.coercion.forced_labour_*", "punishment practice (forced labour)"),
    ("modules.coercion.conscript_after_detention", "conscription practice"),
    ("modules.coercion.raid_*", "interdiction practice (raids)"),
    ("modules.coercion.informer_boost", "interdiction practice (informers)"),
    ("modules.coercion.violation_arrest_per_intensity", "checkpoint practice (arrests)"),
    ("modules.coercion.service_ages", "conscription practice (who is taken)"),
    ("modules.coercion.amnesty_window_days", "an actor's amnesty terms"),
    # per-actor practices (issue 12): what an actor does to those it catches, whom it calls
    # up and spares; the answers of men to its orders and duty stay allowed
    ("modules.coercion.actors.*.interception_*", "what an actor does to people it catches"),
    ("modules.coercion.actors.*.fine_usd", "punishment practice (fines)"),
    ("modules.coercion.actors.*.bribe_usd", "checkpoint practice (bribes)"),
    ("modules.coercion.actors.*.detention_*", "punishment practice (detention)"),
    ("modules.coercion.actors.*.conscript_*", "conscription practice"),
    ("modules.coercion.actors.*.forced_labour_*", "punishment practice (forced labour)"),
    ("modules.coercion.actors.*.raid_*", "interdiction practice (raids)"),
    ("modules.coercion.actors.*.duty_ages", "conscription practice (who is taken)"),
    ("modules.coercion.actors.*.duty_territory", "conscription practice (where)"),
    ("modules.coercion.actors.*.duty_exempt_members_of", "conscription practice (who is "
     "spared)"),
    # leaving: catching, executing and punishing leavers, and the deterrence it buys
    ("modules.leaving.caught_chance", "punishment practice (catching leavers)"),
    ("modules.leaving.informer_boost", "interdiction practice (informers)"),
    ("modules.leaving.execute_share", "punishment practice (executions)"),
    ("modules.leaving.confiscate_chance", "punishment practice (confiscation)"),
    ("modules.leaving.dangerous_chance", "punishment practice (dangerous missions)"),
    ("modules.leaving.suspicion_gain", "interdiction practice (suspicion)"),
    ("modules.leaving.deterrence_*", "the effect of punishment on members"),
    ("modules.leaving.fine_usd", "punishment practice (fines)"),
    ("modules.leaving.actors.*", "an actor's catching, punishing and taking revenge on "
     "leavers"),
    # flight: checkpoints, patrols, exit bans, mines and what is done to people caught
    ("modules.flight.checkpoint_chance*", "checkpoint practice"),
    ("modules.flight.smuggled_checkpoint_factor", "checkpoint practice"),
    ("modules.flight.campaign_checkpoint_scale", "checkpoint practice"),
    ("modules.flight.patrol_chance_desert", "interdiction practice (patrols)"),
    ("modules.flight.exit_ban_*", "interdiction practice (exit bans)"),
    ("modules.flight.mine_*", "interdiction practice (mines)"),
    ("modules.flight.outcome_shares*", "what an actor does to people it intercepts"),
    # service and pay: training, assignments, rotations, pay offers
    ("modules.service.*", "an actor's training, assignment and rotation practice"),
    ("modules.economy.actors.*", "an actor's pay offers"),
    # joining: where and whom an actor recruits, offices, centres, minors
    ("modules.joining.actors.*.recruits_in", "recruitment practice"),
    ("modules.joining.actors.*.allies", "an actor's alliances"),
    ("modules.joining.actors.*.initial_members", "an actor's strength (a state, not a "
     "response)"),
    ("modules.joining.actors.*.foreign_members", "an actor's strength (a state, not a "
     "response)"),
    ("modules.joining.actors.*.initial_homes", "an actor's strength (a state, not a "
     "response)"),
    ("modules.joining.actors.*.minors_*", "recruitment practice (minors)"),
    ("modules.joining.actors.*.office_multiplier", "recruitment practice (offices)"),
    ("modules.joining.actors.*.cultural_centre_multiplier", "recruitment practice (centres)"),
    ("modules.joining.min_age", "recruitment practice (who is targeted)"),
    ("modules.joining.max_age", "recruitment practice (who is targeted)"),
    ("modules.joining.youth_*", "recruitment practice (targeting the young)"),
)


def refusal(path: str) -> str | None:
    """Why ``path`` (a dotted scenario path) may not be calibrated, or None when it may."""
    p = path.removesuffix(".value")
    root = p.split(".", 1)[0]
    if root not in ALLOWED_ROOTS:
        return (f"'{root}' is scenario structure, not a response: calibration fits module "
                "parameters (how people respond, uncertain rates) and population parameters")
    for pattern, why in REFUSED:
        if fnmatchcase(p, pattern):
            return (f"{why}: calibration fits how people respond and never an armed actor's "
                    "recruitment, checkpoint, interdiction or punishment practice "
                    "(docs/calibration.md)")
    return None
