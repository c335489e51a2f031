"""The sweep file (YAML), validated with pydantic; errors name file, line and field.

Format (docs/ensembles.md)::

    design: sobol            # grid | lhs | sobol | morris
    samples: 8               # lhs: runs; sobol: base samples N (N*(D+2) points);
                             # morris: trajectories N (N*(D+1) points)
    levels: 4                # morris grid levels; grid points per parameter without values
    second_order: false      # sobol: also second-order indices (N*(2D+2) points)
    seed: 0                  # seed of the design sampler (not of the simulations)
    replicates: 1            # simulation replicates per design point
    scale: 0.1               # fraction of the population (CLI --scale overrides)
    until: 2015-01-01        # stop date (CLI --until overrides)
    parameters:
      - path: modules.mortality.background_per_year.value
        name: mortality_rate  # column name in runs.parquet (default: the path)
        min: 0.002
        max: 0.02
        log: false           # sample uniformly in log(value)
        integer: false       # round to whole numbers (default: as the scenario's value)
      - path: population.savings_usd_median.value
        values: [100, 300, 600]   # grid only: explicit values
    outcomes:                # extra outcomes besides the standard ones
      - {name: died_2015, event: died, from: 2015-01-01, until: 2015-07-01}
      - {name: camp_peak_sandcamp, stock: people, place: Sandcamp, stat: max}
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ranks.errors import RanksInputError
from ranks.scenario.sources import Locations, load_yaml

Design = Literal["grid", "lhs", "sobol", "morris"]
Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True,
                              allow_inf_nan=False)


class ParamSpec(_Strict):
    """One swept parameter: a dotted path into the scenario and its range or values."""

    path: Annotated[str, Field(min_length=1)]
    name: Name | None = None
    min: float | None = None
    max: float | None = None
    values: list[float] | None = None
    points: Annotated[int, Field(ge=2)] | None = None
    log: bool = False
    integer: bool | None = None

    @model_validator(mode="after")
    def _range(self) -> ParamSpec:
        if self.values is not None:
            if not self.values:
                raise ValueError("values: give at least one value")
            if self.min is not None or self.max is not None:
                raise ValueError("give either values or min/max, not both")
            return self
        if self.min is None or self.max is None:
            raise ValueError("give min and max (or values, for a grid)")
        if not self.min < self.max:
            raise ValueError(f"min {self.min} is not below max {self.max}")
        if self.log and self.min <= 0:
            raise ValueError("log: min must be positive")
        return self

    @property
    def label(self) -> str:
        """Column name in runs.parquet."""
        return self.name or self.path


class OutcomeSpec(_Strict):
    """An extra outcome: an event count in a date window, or a statistic of a stock."""

    name: Name
    event: str | None = None
    stock: str | None = None
    actor: str | None = None
    place: str | None = None
    reason: str | None = None
    category: str | None = None
    from_: dt.date | None = Field(default=None, alias="from")
    until: dt.date | None = None
    stat: Literal["total", "max", "min", "mean", "final"] | None = None

    @model_validator(mode="after")
    def _kind(self) -> OutcomeSpec:
        if (self.event is None) == (self.stock is None):
            raise ValueError("give exactly one of 'event' or 'stock'")
        if self.event is not None and self.stat not in (None, "total"):
            raise ValueError("an event outcome is a total (stat: total)")
        if self.event is not None and self.category is not None:
            raise ValueError("'category' applies to stocks only")
        if self.stock is not None and (self.reason is not None or self.stat == "total"):
            raise ValueError("a stock outcome takes stat max|min|mean|final, no reason")
        if self.from_ and self.until and self.until <= self.from_:
            raise ValueError(f"dates out of order: until {self.until} is not after "
                             f"{self.from_}")
        return self


class SweepSpec(_Strict):
    """A sweep: a design over parameters of one scenario."""

    design: Design
    samples: Annotated[int, Field(ge=1)] | None = None
    levels: Annotated[int, Field(ge=2)] = 4
    second_order: bool = False
    seed: int = 0
    replicates: Annotated[int, Field(ge=1)] = 1
    scale: Annotated[float, Field(gt=0)] = 1.0
    until: dt.date | None = None
    parameters: Annotated[list[ParamSpec], Field(min_length=1)]
    outcomes: list[OutcomeSpec] = []

    @model_validator(mode="after")
    def _design(self) -> SweepSpec:
        if self.design != "grid":
            if self.samples is None:
                raise ValueError(f"design {self.design} needs 'samples'")
            for p in self.parameters:
                if p.values is not None or p.points is not None:
                    raise ValueError(f"parameter {p.label}: 'values'/'points' are for grid "
                                     "designs only; give min and max")
        elif self.samples is not None:
            raise ValueError("a grid design takes no 'samples' (use values or points)")
        labels = [p.label for p in self.parameters]
        dup = {x for x in labels if labels.count(x) > 1}
        if dup:
            raise ValueError(f"duplicate parameter name(s): {', '.join(sorted(dup))}")
        names = [o.name for o in self.outcomes]
        dup = {x for x in names if names.count(x) > 1}
        if dup:
            raise ValueError(f"duplicate outcome name(s): {', '.join(sorted(dup))}")
        return self


def load_sweep(path: Path) -> tuple[SweepSpec, Locations]:
    """Read and validate a sweep file.

    Raises:
        RanksInputError: bad YAML or fields, naming file, line and field.
    """
    from ranks.scenario.loader import pydantic_to_scenario_error

    locs = Locations()
    data: Any = load_yaml(path, locs)
    if not isinstance(data, dict):
        raise RanksInputError("expected a mapping (design, parameters, ...)", file=path, line=1)
    try:
        spec = SweepSpec.model_validate(data)
    except ValidationError as err:
        e = pydantic_to_scenario_error(err, data, locs, SweepSpec)
        raise RanksInputError(e.message, file=e.file, line=e.line, field=e.field) from None
    return spec, locs


def param_error(path: Path, locs: Locations, i: int, key: str, msg: str) -> RanksInputError:
    """An error about ``parameters[i].key`` of a sweep file."""
    f, line = locs.find(("parameters", i, key))
    return RanksInputError(msg, file=f or path, line=line, field=f"parameters[{i}].{key}")
