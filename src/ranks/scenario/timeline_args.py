"""Typed timeline events: what each event type takes, with its bounds.

A timeline entry is ``{date, type, place, actor, tribe, until, value, args, evidence}``.
The generic model (:class:`ranks.scenario.model.TimelineEvent`) reads the shape; this
module then checks the entry against the model registered for its ``type``: which of
``place``, ``actor``, ``tribe``, ``until`` and ``value`` it needs or takes, the bounds of
``value``, and ``args`` key by key (unknown keys are errors with "did you mean", values
are typed and bounded, names in args must exist). NaN and infinity are refused
everywhere. Validation then hands the modules typed ``args`` (only the keys given: the
modules keep their own defaults).

Adding an event type: subclass :class:`EventModel` (and :class:`Args` when it takes
args), declare its fields with their bounds, and decorate it with ``@event_type("name")``.
The module that handles it lists the name in its ``event_types``; a test checks that every
handled type has a model here (docs/scenario-format.md lists them).
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

#: Generous upper bounds: values beyond them are typos, not scenarios.
MAX_FACTOR = 100.0  # multipliers and factors on a rate or a pay table
MAX_INDEX = 10_000.0  # price and wage indices (1.0 = 2011)
MAX_USD = 1_000_000.0  # a smuggler's price per person
MAX_PEOPLE = 10_000_000.0  # people named by one event (killed, executed)
MAX_DAYS = 3650  # durations in days

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Factor = Annotated[float, Field(ge=0.0, le=MAX_FACTOR)]
Days = Annotated[int, Field(ge=1, le=MAX_DAYS)]
NonNegDays = Annotated[int, Field(ge=0, le=MAX_DAYS)]
Name = Annotated[str, Field(min_length=1)]


def _places(v: Any) -> str | list[str]:
    """A place name or a non-empty list of names."""
    if isinstance(v, str) and v.strip():
        return v
    if isinstance(v, list) and v and all(isinstance(x, str) and x.strip() for x in v):
        return v
    raise ValueError("give a place name or a list of place names (an empty list names none)")


def _named(places: str | list[str]) -> list[str]:
    """The place names of a ``place`` field (one name or a list)."""
    return [places] if isinstance(places, str) else list(places)


Places = Annotated[Any, BeforeValidator(_places)]


class Args(BaseModel):
    """Base of the ``args`` of an event type: unknown keys are errors; finite numbers.

    ``refs`` maps an arg that names something in the scenario to what it names
    (``"place"``, ``"actor"``, ``"tribe"``); validation checks the name exists.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    refs: ClassVar[dict[str, str]] = {}


class EventModel(BaseModel):
    """Base of an event type's model: the fields of a timeline entry that the type uses.

    A field not declared by the subclass is refused ("does not take"); a field declared
    without a default is required. ``value_help`` says what ``value`` means (for messages).
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    type_name: ClassVar[str] = ""
    value_help: ClassVar[str] = ""
    args: Args = Args()  # a type with args declares its own Args subclass here

    def check(self, ctx: TimelineContext) -> tuple[str, str] | None:
        """A check that needs the scenario: (message, field) or None when fine."""
        return None


#: Event type name -> its model. Filled by :func:`event_type`.
EVENT_TYPES: dict[str, type[EventModel]] = {}


def event_type(name: str) -> Any:
    """Class decorator: register an :class:`EventModel` for timeline type ``name``."""

    def deco(cls: type[EventModel]) -> type[EventModel]:
        if name in EVENT_TYPES:
            raise ValueError(f"timeline event type {name!r} registered twice")
        cls.type_name = name
        EVENT_TYPES[name] = cls
        return cls

    return deco


@dataclass
class TimelineContext:
    """What event checks may look at: names in the scenario, routes, module parameters."""

    places: list[str]
    actors: list[str]
    tribes: list[str]
    routes: set[frozenset[str]]
    module_params: Mapping[str, BaseModel]
    settable: dict[str, tuple[str, ...]] = field(default_factory=dict)
    #: places of type ``camp``
    camps: list[str] = field(default_factory=list)


# -- core ----------------------------------------------------------------------------------
class SetParamArgs(Args):
    path: Annotated[str, Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*$")]


@event_type("set_param")
class SetParam(EventModel):
    """From this day on, module parameter ``args.path`` takes ``value``."""

    value_help = "the parameter's new value"
    value: float
    args: SetParamArgs

    def check(self, ctx: TimelineContext) -> tuple[str, str] | None:
        module, name = self.args.path.split(".")
        params = ctx.module_params.get(module)
        if params is None or not getattr(params, "enabled", True):
            return f"set_param: module '{module}' is not enabled in this scenario", "args.path"
        settable = ctx.settable.get(module, ())
        if name not in settable:
            return (f"set_param cannot change '{self.args.path}' during a run; settable: "
                    + (", ".join(f"{module}.{n}" for n in settable) or "none"), "args.path")
        field = type(params).model_fields.get(name)
        if field is None:  # read daily with a default, not a parameter of the module block
            if self.value < 0:
                return (f"{self.args.path} = {self.value!r} is refused: a settable value "
                        "without its own bounds must be >= 0 (rates, indices)", "value")
            return None
        ann = field.annotation
        if ann is None:
            return None
        try:  # the same bounds as the parameter in the module block
            TypeAdapter(ann).validate_python({"value": self.value, "assumption": "set_param"})
        except ValidationError as e:
            msg = e.errors(include_url=False)[0]["msg"].removeprefix("Value error, ")
            return f"{self.args.path} = {self.value!r} is refused: {msg}", "value"
        return None


# -- economy -------------------------------------------------------------------------------
@event_type("prices")
class Prices(EventModel):
    """Food price index from this day (1.0 = 2011 prices), at ``place`` or everywhere."""

    value_help = "the food price index, 1.0 = 2011 prices"
    value: Annotated[float, Field(gt=0.0, le=MAX_INDEX)]
    place: Places | None = None


class WagesArgs(Args):
    jobs: Unit | None = None


@event_type("wages")
class Wages(EventModel):
    """Wage index (1.0 = 2011) and ``args.jobs``, the share of 2011 jobs left."""

    value_help = "the wage index, 1.0 = 2011 wages"
    value: Annotated[float, Field(ge=0.0, le=MAX_INDEX)] | None = None
    place: Places | None = None
    args: WagesArgs = WagesArgs()

    @model_validator(mode="after")
    def _something(self) -> Wages:
        if self.value is None and self.args.jobs is None:
            raise ValueError("wages needs a value (wage index) or args.jobs")
        return self


@event_type("pay_change")
class PayChange(EventModel):
    """An actor's pay factor from this day (1.0 = its pay table, 0.5 = halved)."""

    value_help = "the factor on the actor's pay table, 1.0 = unchanged"
    actor: Name
    value: Factor


# -- joining -------------------------------------------------------------------------------
@event_type("recruitment_office")
class RecruitmentOffice(EventModel):
    """Offices with gifts multiply joining at places (M5)."""

    value_help = "the multiplier on joining, 1.0 = none"
    actor: Name
    place: Places | None = None
    until: dt.date | None = None
    value: Factor | None = None


@event_type("cultural_centre")
class CulturalCentre(RecruitmentOffice):
    """Paid mediators multiply joining at places (M5)."""


@event_type("tribe_pledge")
class TribePledge(EventModel):
    """A tribe pledges allegiance to an actor (M6, M28): ``value`` the share of its men
    serving in other armed groups who switch to the actor."""

    value_help = "the share of the tribe's fighters in other groups who switch, 0..1"
    actor: Name
    tribe: Name
    value: Unit | None = None


@event_type("applications_closed")
class ApplicationsClosed(EventModel):
    """An actor takes no volunteers until ``until`` (M5)."""

    actor: Name
    until: dt.date | None = None


# -- service -------------------------------------------------------------------------------
class TrainingArgs(Args):
    religious_days: NonNegDays | None = None
    military_days: NonNegDays | None = None


@event_type("training_change")
class TrainingChange(EventModel):
    """An actor's training length from this day (M13): religious plus military days."""

    actor: Name
    args: TrainingArgs


class RotationArgs(Args):
    days: Days | None = None
    share_per_month: Unit | None = None


@event_type("rotation_change")
class RotationChange(EventModel):
    """Rotations to distant fronts (M15): mission ``days`` and ``share_per_month`` sent."""

    actor: Name
    args: RotationArgs

    @model_validator(mode="after")
    def _something(self) -> RotationChange:
        if self.args.days is None and self.args.share_per_month is None:
            raise ValueError("rotation_change needs args.days or args.share_per_month")
        return self


# -- coercion (and flight, which fears the same events) ---------------------------------------
AgeRange = tuple[Annotated[int, Field(ge=0, le=120)], Annotated[int, Field(ge=0, le=120)]]


class ConscriptionArgs(Args):
    ages: AgeRange | None = None
    deadline_days: Days | None = None
    applies_to_members: bool | None = None
    sex: Literal["male", "female", "all"] | None = None
    reason: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    #: an order on employees only (e.g. of the state), and the share of employed men it names
    employed_only: bool | None = None
    employed_share: Unit | None = None

    @model_validator(mode="after")
    def _ages(self) -> ConscriptionArgs:
        if self.ages is not None and self.ages[0] > self.ages[1]:
            raise ValueError(f"ages must be [youngest, oldest], got {list(self.ages)}")
        return self


@event_type("conscription_order")
class ConscriptionOrder(EventModel):
    """Who must register with an actor, by when (M7); flight fears it."""

    actor: Name
    place: Places | None = None
    until: dt.date | None = None
    args: ConscriptionArgs = ConscriptionArgs()


class CampaignArgs(Args):
    kind: Literal["fixed", "mobile", "desert_patrol"] | None = None


@event_type("checkpoint_campaign")
class CheckpointCampaign(EventModel):
    """Checkpoints and patrols (M8): ``value`` the daily chance to be stopped."""

    value_help = "the daily chance to be stopped, 0..1"
    actor: Name | None = None
    place: Places | None = None
    until: dt.date | None = None
    value: Unit | None = None
    args: CampaignArgs = CampaignArgs()


class AmnestyArgs(Args):
    rejoin: bool | None = None


@event_type("amnesty")
class Amnesty(EventModel):
    """A settlement offer for evaders and deserters: ``value`` the take-up, 0..1."""

    value_help = "the share who take the offer, 0..1"
    actor: Name | None = None
    place: Places | None = None
    until: dt.date | None = None
    value: Unit | None = None
    args: AmnestyArgs = AmnestyArgs()


class MediationArgs(Args):
    raid_factor: Factor | None = None


@event_type("tribe_mediation")
class TribeMediation(EventModel):
    """Tribal elders broker with an actor (M28): ``value`` the share of its detainees from
    the tribe or places who go free; ``args.raid_factor`` scales its raids there until
    ``until``."""

    value_help = "the share of detainees released, 0..1"
    actor: Name
    tribe: Name | None = None
    place: Places | None = None
    until: dt.date | None = None
    value: Unit | None = None
    args: MediationArgs = MediationArgs()


# -- leaving -------------------------------------------------------------------------------
@event_type("exile")
class Exile(EventModel):
    """An actor drives a tribe out of its towns (M28): ``value`` the share of its households
    at ``place`` who leave; those still away come home on ``until``."""

    value_help = "the share of the tribe's households who leave, 0..1"
    actor: Name
    tribe: Name
    place: Places | None = None
    until: dt.date | None = None
    value: Unit | None = None


@event_type("massacre")
class Massacre(EventModel):
    """A massacre of one tribe by an actor (M18): ``value`` people killed (full scale)."""

    value_help = "people killed, at full scale"
    actor: Name
    tribe: Name
    place: Places | None = None
    value: Annotated[float, Field(ge=0.0, le=MAX_PEOPLE)] | None = None


@event_type("public_execution")
class PublicExecution(EventModel):
    """Public executions by an actor (M19): ``value`` people executed (full scale)."""

    value_help = "people executed, at full scale"
    actor: Name
    place: Places | None = None
    value: Annotated[float, Field(ge=0.0, le=MAX_PEOPLE)] | None = None


class SafeExitArgs(Args):
    refs = {"destination": "place"}
    destination: Name | None = None


@event_type("safe_exit")
class SafeExit(EventModel):
    """A safe-exit programme for an actor's members: ``value`` its weight (1.0 = full)."""

    value_help = "the weight of the offer, 1.0 = full"
    actor: Name
    place: Places | None = None
    until: dt.date | None = None
    value: Factor | None = None
    args: SafeExitArgs = SafeExitArgs()


# -- flight --------------------------------------------------------------------------------
class RouteArgs(Args):
    refs = {"from": "place", "to": "place"}
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False,
                              populate_by_name=True)
    from_: Name | None = Field(default=None, alias="from")
    to: Name | None = None


class _OnRoute(EventModel):
    """An event on a route (``args.from``/``args.to``) or at places (``place``)."""

    place: Places | None = None
    args: RouteArgs = RouteArgs()

    @model_validator(mode="after")
    def _where(self) -> _OnRoute:
        a, b = self.args.from_, self.args.to
        if (a is None) != (b is None):
            raise ValueError("give both args.from and args.to (a route), or a place")
        if a is None and self.place is None:
            raise ValueError(f"{self.type_name} needs a place or args.from and args.to")
        if a is not None and self.place is not None:
            raise ValueError("give a place or args.from and args.to, not both")
        return self

    def check(self, ctx: TimelineContext) -> tuple[str, str] | None:
        a, b = self.args.from_, self.args.to
        if a is not None and b is not None and a in ctx.places and b in ctx.places \
                and frozenset((a, b)) not in ctx.routes:
            return f"no route joins {a} and {b}", "args"
        return None


@event_type("closure")
class Closure(_OnRoute):
    """A route or the routes at places closed to travellers until ``until``."""

    until: dt.date | None = None


@event_type("minefield")
class Minefield(_OnRoute):
    """Mines on a route or at places (M24): ``value`` the chance per crossing."""

    value_help = "the chance of a mine per crossing, 0..1"
    actor: Name | None = None
    until: dt.date | None = None
    value: Unit | None = None


@event_type("smuggler_price")
class SmugglerPrice(EventModel):
    """What smugglers charge from this day, USD a person (M23)."""

    value_help = "USD a person"
    value: Annotated[float, Field(ge=0.0, le=MAX_USD)]


@event_type("exit_ban")
class ExitBan(EventModel):
    """An actor forbids leaving: smugglers needed; ``value`` the factor on its checks."""

    value_help = "the factor on the actor's checkpoints and patrols"
    actor: Name
    until: dt.date | None = None
    value: Factor | None = None


# -- validation ----------------------------------------------------------------------------
#: Fields of a timeline entry that belong to its type (the rest is date, type, evidence).
TYPED_FIELDS = ("place", "actor", "tribe", "until", "value", "args")


# -- displacement that follows the war (issue 13) ------------------------------------------
@event_type("siege")
class SiegeEvent(EventModel):
    """A besieged place (M23, M26): out only with a smuggler or an evacuation, nobody in,
    until ``until``; ``actor`` the besieging actor."""

    place: Places
    actor: Name | None = None
    until: dt.date | None = None


class EvacuationArgs(Args):
    refs = {"destination": "place"}
    destination: Name
    kind: Literal["airlift", "corridor", "transfer", "convoy"] | None = None
    who: Literal["leavers", "residents"] | None = None
    share_per_day: Unit | None = None

    @model_validator(mode="after")
    def _residents(self) -> EvacuationArgs:
        if self.who == "residents" and not self.share_per_day:
            raise ValueError("an evacuation of residents needs share_per_day in (0, 1]")
        return self


@event_type("evacuation")
class EvacuationEvent(EventModel):
    """An organised way out of ``place`` (M23, M25): an airlift, a corridor, transfers to a
    camp, convoys from a camp; ``value`` seats a day (people at full scale; none = no
    limit)."""

    value_help = "seats a day, people at full scale"
    place: Places
    until: dt.date | None = None
    value: Annotated[float, Field(ge=0.0, le=MAX_PEOPLE)] | None = None
    args: EvacuationArgs

    def check(self, ctx: TimelineContext) -> tuple[str, str] | None:
        if self.args.destination in _named(self.place):
            return (f"the destination {self.args.destination} is a place being evacuated: "
                    "nobody would move", "args.destination")
        return None


@event_type("expulsion")
class ExpulsionEvent(EventModel):
    """An actor orders the residents of ``place`` out (M22): ``value`` the share of
    households (default 1); no return before ``until``."""

    value_help = "the share of households ordered out, 0..1"
    place: Places
    actor: Name | None = None
    until: dt.date | None = None
    value: Unit | None = None


class ArrivalsArgs(Args):
    refs = {"origin": "place", "fled_from": "actor"}
    origin: Name
    children_share: Unit | None = None
    men_share: Unit | None = None
    household_size: Annotated[float, Field(ge=1.0, le=50.0)] | None = None
    displaced: bool | None = None
    fled_from: Name | None = None

    @model_validator(mode="after")
    def _shares(self) -> ArrivalsArgs:
        # the defaults of ranks.arrivals: households of 3.5 headed by a woman, a man in 5%
        size = 3.5 if self.household_size is None else self.household_size
        men = 0.05 if self.men_share is None else self.men_share
        kids = 0.67 if self.children_share is None else self.children_share
        most = max(size - 1.0 - men, 0.0) / size
        if kids > most + 1e-9:
            raise ValueError(f"children_share {kids:g} cannot be met in households of {size:g} "
                             f"headed by a woman with men_share {men:g}: at most {most:.2f}")
        return self


@event_type("arrivals")
class ArrivalsEvent(EventModel):
    """People from outside the governorate arrive at ``place`` between the date and
    ``until``: ``value`` people at full scale, made at set-up and held at ``args.origin``."""

    value_help = "people arriving, at full scale"
    place: Places
    until: dt.date | None = None
    value: Annotated[float, Field(ge=0.0, le=MAX_PEOPLE)]
    args: ArrivalsArgs

    def check(self, ctx: TimelineContext) -> tuple[str, str] | None:
        if self.args.origin in _named(self.place):
            return (f"the origin {self.args.origin} is a place they arrive at: give where "
                    "they come from", "args.origin")
        return None


@event_type("camp_exit_rate")
class CampExitRate(EventModel):
    """A camp's daily chance of leaving by sponsorship from this day (M25)."""

    value_help = "the daily chance, 0..1"
    place: Places
    value: Unit

    def check(self, ctx: TimelineContext) -> tuple[str, str] | None:
        other = [p for p in _named(self.place) if p in ctx.places and p not in ctx.camps]
        if other:
            return (f"{other[0]} is not a camp: a camp's exit rate changes nothing there "
                    f"(camps: {', '.join(ctx.camps) or 'none'})", "place")
        return None


def _fields(model: type[BaseModel]) -> list[str]:
    return [f.alias or n for n, f in model.model_fields.items()]


def args_model(model: type[EventModel]) -> type[Args]:
    """The Args model of an event type (plain :class:`Args` when it takes none)."""
    ann = model.model_fields["args"].annotation
    return ann if isinstance(ann, type) and issubclass(ann, Args) else Args


def _error(err: ValidationError, model: type[EventModel], given: dict[str, Any]
           ) -> tuple[str, tuple[Any, ...]]:
    """A message and the path (inside the entry) of the first error."""
    e = err.errors(include_url=False)[0]
    loc = tuple(e["loc"])
    etype, t = e["type"], model.type_name
    where = loc
    if etype == "extra_forbidden":
        bad = str(loc[-1])
        if len(loc) == 1:
            takes = [f for f in _fields(model) if f != "args" or args_model(model) is not Args]
            return (f"{t} does not take '{bad}'" + (f"; it takes: {', '.join(takes)}" if takes
                                                    else "; it takes nothing but a date")), loc
        allowed = _fields(args_model(model))
        hint = difflib.get_close_matches(bad, allowed, n=1, cutoff=0.6)
        msg = f"unknown key '{bad}' in the args of {t}" + (
            f"; did you mean '{hint[0]}'?" if hint else
            (f"; allowed: {', '.join(allowed)}" if allowed else "; it takes no args"))
        return msg, loc
    if etype == "missing":
        what = ".".join(map(str, loc))
        if loc == ("value",) and model.value_help:
            return f"{t} needs a value ({model.value_help})", loc
        article = {"actor": "an actor", "tribe": "a tribe", "place": "a place"}
        if what == "args":
            keys = _fields(args_model(model))
            return f"{t} needs args ({', '.join(keys)})", loc
        return f"{t} needs {article.get(what, repr(what))}", loc
    msg = e["msg"].removeprefix("Value error, ")
    got = e.get("input")
    if loc and loc[0] == "args" and len(loc) > 2 and isinstance(loc[2], int):
        where = loc[:2]
    if not isinstance(got, dict | list) and etype != "missing":
        msg += f" (got {got!r})"
    if loc == ("value",) and model.value_help:
        msg = f"{msg}; value is {model.value_help}"
    return msg, where


def validate_event(ev_type: str, given: dict[str, Any], ctx: TimelineContext
                   ) -> tuple[EventModel | None, tuple[str, tuple[Any, ...]] | None]:
    """Check the typed fields ``given`` (those of :data:`TYPED_FIELDS` that are set) of an
    entry of type ``ev_type``. Returns (model, None) or (None, (message, path in entry))."""
    model = EVENT_TYPES.get(ev_type)
    if model is None:
        return None, (f"no model for timeline event type '{ev_type}'", ("type",))
    try:
        m = model.model_validate(given)
    except ValidationError as err:
        return None, _error(err, model, given)
    for key, kind in type(m.args).refs.items():
        fld = "from_" if key == "from" else key
        name = getattr(m.args, fld, None)
        if name is None:
            continue
        known = {"place": ctx.places, "actor": ctx.actors, "tribe": ctx.tribes}[kind]
        if name not in known:
            hint = difflib.get_close_matches(name, known, n=1)
            return None, (f"unknown {kind} '{name}'" + (f"; did you mean '{hint[0]}'?"
                                                        if hint else ""), ("args", key))
    bad = m.check(ctx)
    if bad is not None:
        msg, where = bad
        return None, (msg, tuple(where.split(".")))
    return m, None


def typed_args(m: EventModel) -> dict[str, Any]:
    """The args as given, typed (tuples as lists), keyed as in the scenario file."""
    return m.args.model_dump(mode="json", by_alias=True, exclude_unset=True)


def describe_types() -> list[tuple[str, str, list[str], list[str]]]:
    """(type, what it does, fields it takes, args keys) for every registered type."""
    out = []
    for name, model in sorted(EVENT_TYPES.items()):
        args = args_model(model)
        keys = _fields(args) if args is not Args else []
        fields = [f for f in _fields(model) if f != "args"]
        out.append((name, (model.__doc__ or "").strip().splitlines()[0], fields, keys))
    return out
