"""Pydantic models of a scenario. Every model forbids unknown fields (typos are errors).

Every parameter is a :class:`P`: a value with its evidence, either ``source`` (an id in
``evidence/sources.yaml``) or ``assumption`` (why the value was chosen without a source).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

T = TypeVar("T")

#: Longest route accepted, km (once around the Earth): longer is a typo.
MAX_ROUTE_KM = 40_075.0
PLACE_TYPES = ("city", "town", "subdistrict", "camp", "crossing", "abroad")
ROUTE_KINDS = ("road", "desert", "river", "border")
#: What drives a front's intensity at a place (the fronts table's optional ``kind``): the
#: kinds ``ranks ingest`` maps conflict events to, plus a ground ``offensive`` passing
#: through, a ``siege`` line, and ``calm`` (residual intensity after the fighting moved on).
FRONT_KINDS = ("battle", "offensive", "airstrike", "shelling", "explosion",
               "violence_against_civilians", "siege", "other", "calm")
#: An actor colour as #rrggbb: one matplotlib takes, checked without importing it.
_HEX_COLOR = re.compile(r"#[0-9a-fA-F]{6}")


class Strict(BaseModel):
    """Base: unknown fields are errors, instances are frozen, NaN and infinity refused."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


class Evidenced(Strict):
    """Something that must cite a source id or state an assumption."""

    source: str | None = None
    assumption: str | None = None
    note: str | None = None

    @model_validator(mode="after")
    def _has_evidence(self, info: ValidationInfo) -> Evidenced:
        has_src = bool(self.source and self.source.strip())
        has_ass = bool(self.assumption and self.assumption.strip())
        if not has_src and not has_ass:
            raise ValueError(
                "no evidence: give 'source: <id from evidence/sources.yaml>' "
                "or 'assumption: <why>'"
            )
        if has_src and has_ass:
            raise ValueError("give either 'source' or 'assumption', not both")
        ids = (info.context or {}).get("source_ids")
        if has_src and ids is not None and self.source not in ids:
            import difflib

            hint = difflib.get_close_matches(self.source or "", sorted(ids), n=1)
            extra = f"; did you mean '{hint[0]}'?" if hint else ""
            raise ValueError(
                f"unknown source id '{self.source}' (not in evidence/sources.yaml){extra}")
        return self

    @property
    def evidence(self) -> str:
        """'source: id' or 'assumption: why'."""
        return f"source: {self.source}" if self.source else f"assumption: {self.assumption}"


class P(Evidenced, Generic[T]):
    """A parameter value with its evidence."""

    value: T


Prob = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
PosInt = Annotated[int, Field(gt=0)]
NonNegInt = Annotated[int, Field(ge=0)]
#: people in one camp: beyond ten million is a typo (al-Hol held about 73,000 at its peak)
CampPeople = Annotated[int, Field(ge=0, le=10_000_000)]


class Period(Strict):
    """Simulated dates, inclusive of start, exclusive of end."""

    start: dt.date
    end: dt.date

    @model_validator(mode="after")
    def _order(self) -> Period:
        if self.end <= self.start:
            raise ValueError(f"dates out of order: end {self.end} is not after start {self.start}")
        return self


class PlaceRow(Evidenced):
    """A place node. Population in people (2011 residents for the governorate)."""

    name: Annotated[str, Field(min_length=1)]
    lat: Annotated[float, Field(ge=-90, le=90)]
    lon: Annotated[float, Field(ge=-180, le=180)]
    type: Literal["city", "town", "subdistrict", "camp", "crossing", "abroad"]
    population: NonNegInt = 0
    district: str | None = None
    subdistrict: str | None = None
    tribe: str | None = None
    capacity: NonNegInt | None = None


class RouteRow(Evidenced):
    """An undirected link. ``distance_km`` defaults to 1.2 x great-circle distance."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)

    from_: str = Field(alias="from")
    to: str
    distance_km: Annotated[float, Field(gt=0, le=MAX_ROUTE_KM)] | None = None
    kind: Literal["road", "desert", "river", "border"] = "road"


class Actor(Evidenced):
    """An armed actor or a controlling authority (M28)."""

    id: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9_]*$")]
    name: str
    kind: Literal["armed", "state", "external", "none"] = "armed"
    color: str | None = None

    @field_validator("color")
    @classmethod
    def _color(cls, v: str | None) -> str | None:
        if v is None or _HEX_COLOR.fullmatch(v):  # #rrggbb: a colour without matplotlib
            return v
        from matplotlib.colors import is_color_like

        if not is_color_like(v):
            raise ValueError(f"not a colour: give a name (firebrick) or #rrggbb, got {v!r}")
        return v


class ControlRow(Evidenced):
    """From ``date`` on, ``actor`` holds ``place`` (M26)."""

    date: dt.date
    place: str
    actor: str


class FrontRow(Evidenced):
    """From ``date`` on, front intensity at ``place`` is ``intensity`` (0 calm .. 1 heaviest)
    and the fighting is of ``kind`` (one of FRONT_KINDS; default ``battle``)."""

    date: dt.date
    place: str
    intensity: Prob
    kind: Literal["battle", "offensive", "airstrike", "shelling", "explosion",
                  "violence_against_civilians", "siege", "other", "calm"] = "battle"


class CampRow(Evidenced):
    """The rules of a camp place (M25): open from ``opens`` (closed before, and from
    ``closes`` on, when its residents move to ``transfer_to`` if given); parties choose it
    less as it nears ``soft_capacity`` (Flee's capacity rule) and it turns arrivals away at
    ``hard_capacity`` (people; 0 = no such limit); ``screening`` is the share of arriving
    men of service age its holder detains; residents leave only as ``exit`` allows:
    ``free`` (any time), ``sponsorship`` (once a sponsor is found, with daily chance
    ``exit_per_day``, or by an organised return), ``organised`` (organised returns and
    transfers only)."""

    name: Annotated[str, Field(min_length=1)]
    opens: dt.date
    closes: dt.date | None = None
    soft_capacity: CampPeople = 0
    hard_capacity: CampPeople = 0
    screening: Prob = 0.0
    exit: Literal["free", "sponsorship", "organised"] = "free"
    exit_per_day: Prob = 0.0
    transfer_to: str | None = None

    @model_validator(mode="after")
    def _dates(self) -> CampRow:
        if self.closes is not None and self.closes <= self.opens:
            raise ValueError(f"dates out of order: closes {self.closes} is not after opens "
                             f"{self.opens}")
        if self.hard_capacity and self.soft_capacity > self.hard_capacity:
            raise ValueError("soft_capacity is above hard_capacity")
        if self.transfer_to is not None and self.transfer_to == self.name:
            raise ValueError(f"transfer_to is the camp itself ({self.name}): its residents "
                             "would go nowhere")
        return self


class TimelineEvent(Evidenced):
    """A dated change. ``type`` must be handled by the core or an enabled module.

    ``args`` holds type-specific settings, validated by the module that handles the type.
    """

    date: dt.date
    type: Annotated[str, Field(min_length=1)]
    #: optional name, unique in the timeline: ``--set`` paths and levers can say
    #: ``timeline.<id>.until`` instead of a list index
    id: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")] | None = None
    place: str | list[str] | None = None
    actor: str | None = None
    tribe: str | None = None
    until: dt.date | None = None
    value: float | None = None
    args: dict[str, Any] = Field(default_factory=dict)

    @property
    def places(self) -> list[str]:
        """The places named, as a list (empty: the whole region)."""
        if self.place is None:
            return []
        return [self.place] if isinstance(self.place, str) else list(self.place)


class PopulationSpec(Strict):
    """Inputs of population synthesis (M1, M2).

    ``age_shares``: shares of people in 5-year bands 0-4 ... 75-79, 80+ (17 values, sum 1).
    """

    age_shares: P[list[NonNeg]]
    male_share: P[Prob]
    household_size_mean: P[Annotated[float, Field(ge=1.0, le=20.0)]]
    polygamy_share: P[Prob]
    unemployment_men: P[Prob]
    unemployment_youth: P[Prob]
    women_employed: P[Prob]
    savings_usd_median: P[NonNeg]
    savings_log_sigma: P[NonNeg]
    wage_usd_month: P[NonNeg]

    @field_validator("age_shares")
    @classmethod
    def _shares(cls, v: P[list[float]]) -> P[list[float]]:
        if len(v.value) != 17:
            raise ValueError(f"age_shares needs 17 values (0-4 ... 75-79, 80+), got {len(v.value)}")
        s = sum(v.value)
        if abs(s - 1.0) > 0.01:
            raise ValueError(f"age_shares must sum to 1, they sum to {s:.4f}")
        return v


class ModuleParams(BaseModel):
    """Base of every module's parameters (``modules.<name>`` of a scenario): unknown keys are
    errors; NaN and infinity refused; ``enabled`` switch. Each module subclasses it
    (``ranks.modules``)."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    enabled: bool = True


class OutputSpec(Strict):
    """What the recorder keeps."""

    stocks_every_days: PosInt = 1


class Lever(Evidenced):
    """A value an analyst may change in a what-if experiment (``experiments.levers``).

    ``path`` is a dotted path as for ``--set`` (``modules.flight.relatives_pay_chance.value``,
    ``timeline.<id>.until``, ``places.<name>.capacity``); ``min`` and ``max`` bound the values
    offered (for a ``[low, high]`` pair such as ages, both ends); the evidence says why the
    range is meaningful. Checked against the scenario by :mod:`ranks.scenario.levers`.
    """

    id: Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$")]
    label: Annotated[str, Field(min_length=1)]
    path: Annotated[str, Field(min_length=1)]
    min: int | float | dt.date | None = None
    max: int | float | dt.date | None = None
    step: Annotated[float, Field(gt=0)] | None = None
    unit: str | None = None
    group: str | None = None


class Experiments(Strict):
    """What-if experiments the scenario offers (``ranks explore``, ``ranks.run(set=...)``)."""

    levers: list[Lever] = Field(default_factory=list)


# per-actor practices (issue 12); imported here because they build on Evidenced and P above
from ranks.scenario.practices import Practices  # noqa: E402


class Scenario(Strict):
    """A whole scenario, as read from YAML plus the CSV files it names."""

    name: Annotated[str, Field(min_length=1)]
    description: str = ""
    period: Period
    seed: NonNegInt = 0
    places: list[PlaceRow]
    routes: list[RouteRow] = Field(default_factory=list)
    actors: list[Actor]
    control: list[ControlRow]
    fronts: list[FrontRow] = Field(default_factory=list)
    camps: list[CampRow] = Field(default_factory=list)
    timeline: list[TimelineEvent] = Field(default_factory=list)
    population: PopulationSpec
    modules: dict[str, Any] = Field(default_factory=dict)
    practices: Practices | None = None
    output: OutputSpec = Field(default_factory=OutputSpec)
    experiments: Experiments = Field(default_factory=Experiments)

    @property
    def n_days(self) -> int:
        """Number of simulated days."""
        return (self.period.end - self.period.start).days
