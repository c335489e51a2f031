"""The priors file (YAML): one prior per calibrated parameter path, with its evidence.

Format (docs/calibration.md)::

    scenario: demo                      # optional, informational
    evidence: ../evidence/sources.yaml  # optional; default: evidence/sources.yaml above
    parameters:
      - path: modules.flight.hardship_flight_per_day.value
        name: hardship          # column name in posterior.parquet (default: the path)
        prior: loguniform       # uniform | loguniform | normal | beta
        min: 0.001
        max: 0.01
        source: domain-figures  # ... or assumption: why this range
      - path: modules.mortality.background_per_year.value
        prior: normal           # mean, sd; optional min/max truncate it
        mean: 0.004
        sd: 0.001
        min: 0
        assumption: crude death rate of 3-5 per 1,000 a year
      - path: modules.flight.family_goes_share.value
        prior: beta             # alpha, beta on [min, max] (default [0, 1])
        alpha: 4
        beta: 3
        source: timeline-shared

Every prior maps the standard normal ``z`` to the parameter: ``value = F^-1(Phi(z))`` with
``F`` the prior's distribution function. Inference works in ``z`` (a standard normal prior,
no bounds to leak past); values are mapped back for the scenario and the outputs.

Validation: bad YAML or fields name file, line and field; a path that is not a parameter
of the scenario, whose extreme prior values (0.1% and 99.9% quantiles) the scenario refuses,
or that is an armed actor's practice (:mod:`ranks.calibrate.ethics`) is an error at the
parameter's line; exit code 2 from the CLI.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field, ValidationError, model_validator
from scipy import stats

from ranks.calibrate.ethics import refusal
from ranks.errors import RanksInputError, ScenarioError
from ranks.scenario.model import Evidenced, Strict
from ranks.scenario.sources import Locations, load_yaml

Name = Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z][A-Za-z0-9_.\-]*$")]

#: Quantiles of each prior that must be values the scenario accepts.
CHECK_QUANTILES = (0.001, 0.999)


class Prior(Evidenced):
    """One calibrated parameter: a dotted path into the scenario, its prior and evidence."""

    path: Annotated[str, Field(min_length=1)]
    name: Name | None = None
    prior: Literal["uniform", "loguniform", "normal", "beta"]
    min: float | None = None
    max: float | None = None
    mean: float | None = None
    sd: Annotated[float, Field(gt=0)] | None = None
    alpha: Annotated[float, Field(gt=0)] | None = None
    beta: Annotated[float, Field(gt=0)] | None = None
    integer: bool = False

    @model_validator(mode="after")
    def _shape(self) -> Prior:
        need = {"uniform": ("min", "max"), "loguniform": ("min", "max"),
                "normal": ("mean", "sd"), "beta": ("alpha", "beta")}[self.prior]
        for k in need:
            if getattr(self, k) is None:
                raise ValueError(f"prior '{self.prior}' needs '{k}'")
        extra = {"uniform": ("mean", "sd", "alpha", "beta"),
                 "loguniform": ("mean", "sd", "alpha", "beta"),
                 "normal": ("alpha", "beta"), "beta": ("mean", "sd")}[self.prior]
        for k in extra:
            if getattr(self, k) is not None:
                raise ValueError(f"prior '{self.prior}' takes no '{k}'")
        lo, hi = self.min, self.max
        if lo is not None and hi is not None and not lo < hi:
            raise ValueError(f"min {lo} is not below max {hi}")
        if self.prior == "loguniform" and (lo or 0) <= 0:
            raise ValueError("loguniform: min must be positive")
        m, sd = self.mean, self.sd or 0.0
        if self.prior == "normal" and m is not None and (
                lo is not None and m + 3 * sd <= lo or hi is not None and m - 3 * sd >= hi):
            raise ValueError("the truncation bounds leave almost nothing of the normal")
        return self

    @property
    def label(self) -> str:
        """Column name in posterior.parquet."""
        return self.name or self.path

    def dist(self) -> Any:
        """The prior as a frozen scipy.stats distribution."""
        if self.prior == "uniform":
            assert self.min is not None and self.max is not None
            return stats.uniform(loc=self.min, scale=self.max - self.min)
        if self.prior == "loguniform":
            return stats.loguniform(self.min, self.max)
        if self.prior == "beta":
            lo = 0.0 if self.min is None else self.min
            hi = 1.0 if self.max is None else self.max
            return stats.beta(self.alpha, self.beta, loc=lo, scale=hi - lo)
        assert self.mean is not None and self.sd is not None
        a = -np.inf if self.min is None else (self.min - self.mean) / self.sd
        b = np.inf if self.max is None else (self.max - self.mean) / self.sd
        if np.isinf(a) and np.isinf(b):
            return stats.norm(self.mean, self.sd)
        return stats.truncnorm(a, b, loc=self.mean, scale=self.sd)

    def describe(self) -> str:
        """'loguniform(0.001, 0.01)' and the like."""
        if self.prior in ("uniform", "loguniform"):
            return f"{self.prior}({self.min:g}, {self.max:g})"
        if self.prior == "beta":
            lo = 0.0 if self.min is None else self.min
            hi = 1.0 if self.max is None else self.max
            return f"beta({self.alpha:g}, {self.beta:g}) on [{lo:g}, {hi:g}]"
        trunc = "" if self.min is None and self.max is None else \
            f" on [{'-inf' if self.min is None else f'{self.min:g}'}, " \
            f"{'inf' if self.max is None else f'{self.max:g}'}]"
        return f"normal({self.mean:g}, {self.sd:g}){trunc}"


class PriorsFile(Strict):
    """A priors file: ``parameters:`` list, optional ``scenario`` and ``note``."""

    scenario: str | None = None
    note: str | None = None
    parameters: Annotated[list[Prior], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> PriorsFile:
        for attr, what in (("label", "name"), ("path", "path")):
            seen: set[str] = set()
            for p in self.parameters:
                v = getattr(p, attr)
                if v in seen:
                    raise ValueError(f"duplicate parameter {what} '{v}'")
                seen.add(v)
        return self


@dataclass
class Priors:
    """A validated priors file: the parameters, the file and where each value came from."""

    path: Path
    file: PriorsFile
    locs: Locations
    integer: list[bool]

    @property
    def params(self) -> list[Prior]:
        return list(self.file.parameters)

    @property
    def labels(self) -> list[str]:
        return [p.label for p in self.file.parameters]

    @property
    def dim(self) -> int:
        return len(self.file.parameters)

    def to_values(self, z: np.ndarray) -> np.ndarray:
        """Standard-normal coordinates (n, d) -> parameter values (n, d)."""
        z = np.atleast_2d(np.asarray(z, dtype=np.float64))
        u = np.clip(stats.norm.cdf(z), 1e-12, 1 - 1e-12)
        out = np.empty_like(u)
        for j, p in enumerate(self.file.parameters):
            out[:, j] = p.dist().ppf(u[:, j])
            if self.integer[j]:
                out[:, j] = np.round(out[:, j])
        return out

    def to_z(self, values: np.ndarray) -> np.ndarray:
        """Parameter values (n, d) -> standard-normal coordinates (n, d)."""
        v = np.atleast_2d(np.asarray(values, dtype=np.float64))
        out = np.empty_like(v)
        for j, p in enumerate(self.file.parameters):
            u = np.clip(p.dist().cdf(v[:, j]), 1e-12, 1 - 1e-12)
            out[:, j] = stats.norm.ppf(u)
        return out

    def overrides(self, values: np.ndarray) -> dict[str, Any]:
        """Scenario overrides (dotted path -> value) of one parameter vector."""
        out: dict[str, Any] = {}
        for j, p in enumerate(self.file.parameters):
            v = float(values[j])
            out[p.path] = int(round(v)) if self.integer[j] else v
        return out

    def error(self, i: int, key: str, msg: str) -> RanksInputError:
        """An error about ``parameters[i].key`` naming the file's line."""
        f, line = self.locs.find(("parameters", i, key))
        if line is None:
            f, line = self.locs.find(("parameters", i))
        return RanksInputError(msg, file=f or self.path, line=line,
                               field=f"parameters[{i}].{key}")


def load_priors(path: str | Path) -> Priors:
    """Read and validate a priors file (without the scenario: see :func:`check_priors`).

    Raises:
        RanksInputError: bad YAML, fields, evidence or a refused path (file, line, field).
    """
    from ranks.scenario.loader import find_sources_file, load_sources, pydantic_to_scenario_error

    path = Path(path)
    if not path.exists():
        raise RanksInputError("priors file not found", file=path, field="--priors")
    locs = Locations()
    data: Any = load_yaml(path, locs)
    if not isinstance(data, dict):
        raise RanksInputError("expected a mapping with a 'parameters:' list", file=path, line=1)
    sources = load_sources(find_sources_file(path, data))
    data.pop("evidence", None)
    try:
        pf = PriorsFile.model_validate(data, context={"source_ids": set(sources)})
    except ValidationError as err:
        e = pydantic_to_scenario_error(err, data, locs, PriorsFile)
        raise RanksInputError(e.message, file=e.file, line=e.line, field=e.field) from None
    pri = Priors(path, pf, locs, [p.integer for p in pf.parameters])
    for i, p in enumerate(pf.parameters):
        why = refusal(p.path)
        if why is not None:
            raise pri.error(i, "path", f"{p.path} cannot be calibrated: {why}")
    return pri


def check_priors(pri: Priors, scenario: Path) -> None:
    """Check every path against the scenario: it must lead to a numeric parameter, and the
    scenario must accept the prior's extreme values. Integer parameters (the scenario's value
    is an int) are rounded from then on.

    Raises:
        RanksInputError: naming the priors file's line.
    """
    from ranks.ensemble.sweep import _base_value
    from ranks.runner import load as load_scenario

    loaded = load_scenario(scenario)
    for i, p in enumerate(pri.params):
        base = _base_value(loaded, p.path)
        if base is None or isinstance(base, bool) or not isinstance(
                base, int | float | np.integer | np.floating):
            hint = "" if p.path.endswith(".value") else \
                " (module and population parameters end in '.value')"
            raise pri.error(i, "path", f"{p.path} is not a numeric parameter of scenario "
                            f"{loaded.scenario.name}{hint}")
        is_int = isinstance(base, int | np.integer)
        pri.integer[i] = pri.integer[i] or is_int
        for q in CHECK_QUANTILES:
            v = float(p.dist().ppf(q))
            val: Any = int(round(v)) if pri.integer[i] else v
            try:
                load_scenario(scenario, {p.path: val})
            except ScenarioError as e:
                raise pri.error(i, "prior", f"{p.path} = {val!r} (the prior's {q:.1%} "
                                f"quantile) is refused by the scenario: {e.message}") from None


__all__ = ["Prior", "Priors", "PriorsFile", "check_priors", "load_priors"]
