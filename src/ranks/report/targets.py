"""Calibration targets: the ``targets.yaml`` format, its validation, and simulated values.

A target is a public figure the model can produce, with a window of dates, a tolerance,
its evidence (a source id or an assumption) and whether it was used to fit parameters
(``used_in_fitting``) or is held out. A **series** target (``metric: series``) is a dated
public series: points, each a reported figure at a date (stocks) or over a window (events,
or a stock's mean or maximum), with a band of values the figure allows, its own evidence and
its own fitting status; each point passes or fails on its own. See docs/calibration.md.

Simulated values are computed per replicate; a target passes when the mean across
replicates is inside the tolerance. Event counts and people-count stocks are divided by
the run's scale before comparing (shares are not).
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    ValidationError,
    field_validator,
    model_validator,
)

from ranks.errors import RanksInputError, ScenarioError
from ranks.report.rundir import RunDir, is_count_stock
from ranks.report.series import people_under_control, stock_series
from ranks.scenario.model import Evidenced
from ranks.scenario.sources import Locations, load_yaml

METRICS = ("stock_max", "stock_mean", "stock_min", "stock_at", "event_sum")
#: A stock computed from ``people`` and ``control``: people at places held by ``actor``.
PEOPLE_UNDER_CONTROL = "people_under_control"

Names = str | list[str] | None


class Tolerance(BaseModel):
    """Allowed distance from the target value: ``absolute`` (same unit as the value) or
    ``relative`` (fraction of the value), exactly one."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    absolute: Annotated[float, Field(ge=0)] | None = None
    relative: Annotated[float, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _one(self) -> Tolerance:
        if (self.absolute is None) == (self.relative is None):
            raise ValueError("give exactly one of 'absolute' or 'relative'")
        return self

    def width(self, value: float) -> float:
        """Tolerance in the value's unit."""
        return float(self.absolute) if self.absolute is not None else \
            float(self.relative or 0.0) * abs(value)

    def describe(self) -> str:
        """'± 500' or '± 25%'."""
        if self.absolute is not None:
            return f"± {self.absolute:,.0f}" if self.absolute >= 10 else f"± {self.absolute:g}"
        return f"± {100 * (self.relative or 0.0):g}%"


class _Filters(Evidenced):
    """What a target and a series share: its id, description and ``metric``, and what it
    reads from the run: a ``stock`` or ``event`` (names), filtered by ``actor``, ``place``,
    ``category`` (stocks), ``reason`` and ``destination`` (events), each a name or a list.

    ``metric`` is here only to keep a target's fields in their order (the first error of a
    bad file, and the list of allowed fields, follow it); each kind narrows it. A series'
    ``measure`` comes after the filters.
    """

    id: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    description: Annotated[str, Field(min_length=1)]
    metric: str
    stock: str | None = None
    event: Names = None
    actor: Names = None
    place: Names = None
    category: Names = None
    reason: Names = None
    destination: Names = None

    def _scaled(self, scaled: bool | None, events: bool) -> bool:
        """Whether simulated counts are divided by the run's scale: ``scaled`` when given,
        else for events (``events``), people under control and people-count stocks."""
        if scaled is not None:
            return scaled
        if events or self.stock == PEOPLE_UNDER_CONTROL:
            return True
        return is_count_stock(self.stock or "")


class Target(_Filters):
    """One calibration target (see docs/calibration.md)."""

    metric: Literal["stock_max", "stock_mean", "stock_min", "stock_at", "event_sum"]
    window: tuple[dt.date, dt.date]
    value: float
    tolerance: Tolerance
    compare: Literal["within", "at_least", "at_most"] = "within"
    scaled: bool | None = None
    used_in_fitting: bool

    @field_validator("window")
    @classmethod
    def _window(cls, w: tuple[dt.date, dt.date]) -> tuple[dt.date, dt.date]:
        if w[1] < w[0]:
            raise ValueError(f"dates out of order: window end {w[1]} is before start {w[0]}")
        return w

    @model_validator(mode="after")
    def _metric_fields(self) -> Target:
        if self.metric == "event_sum":
            if not self.event:
                raise ValueError("metric 'event_sum' needs 'event' (an event name)")
            if self.stock is not None:
                raise ValueError("metric 'event_sum' takes 'event', not 'stock'")
            if self.category is not None:
                raise ValueError("events have no 'category'; filter with 'reason'")
        else:
            if not self.stock:
                raise ValueError(f"metric '{self.metric}' needs 'stock' (a stock name)")
            if self.event is not None or self.reason is not None or \
                    self.destination is not None:
                raise ValueError(f"metric '{self.metric}' reads a stock: 'event', 'reason' and "
                                 "'destination' do not apply")
        return self

    def bounds(self) -> tuple[float, float]:
        """Passing interval [low, high] of the simulated value."""
        w = self.tolerance.width(self.value)
        if self.compare == "at_least":
            return self.value - w, float("inf")
        if self.compare == "at_most":
            return float("-inf"), self.value + w
        return self.value - w, self.value + w

    def describe_target(self) -> str:
        """Human form of the target, e.g. '≥ 3,000' or '600,000 ± 20%'."""
        v = f"{self.value:,.0f}" if abs(self.value) >= 10 else f"{self.value:g}"
        if self.compare == "at_least":
            return f"≥ {v}" + (f" ({self.tolerance.describe()})" if
                                self.tolerance.width(self.value) else "")
        if self.compare == "at_most":
            return f"≤ {v}" + (f" ({self.tolerance.describe()})" if
                                self.tolerance.width(self.value) else "")
        return f"{v} {self.tolerance.describe()}"

    def error_sd(self) -> float:
        """Standard deviation of the reported figure's error (its unit): the tolerance read
        as a 95% interval (``tolerance / 1.96``), at least 1% of the value. Used by
        calibration and probabilistic skill (docs/calibration.md)."""
        w = self.tolerance.width(self.value) / 1.96
        return max(w, 0.01 * abs(self.value), 1e-9)

    def is_scaled(self) -> bool:
        """Whether simulated counts are divided by the run's scale."""
        return self._scaled(self.scaled, self.metric == "event_sum")


#: How each point of a series is computed from the run.
SERIES_MEASURES = ("stock_at", "stock_mean", "stock_max", "stock_min", "event_sum")
#: A stock point given by a date takes the nearest snapshot no further than this (days).
NEAREST_SNAPSHOT_DAYS = 31


class SeriesPoint(Evidenced):
    """One dated figure of a series: ``date`` (a stock on that day) or ``window`` (events
    summed, or a stock's mean/max/min, over the days), the reported ``value`` and the band
    ``[low, high]`` the figure allows (its own range, or its stated or assumed error)."""

    date: dt.date | None = None
    window: tuple[dt.date, dt.date] | None = None
    value: float
    low: float
    high: float
    used_in_fitting: bool

    @model_validator(mode="after")
    def _point(self) -> SeriesPoint:
        if (self.date is None) == (self.window is None):
            raise ValueError("give exactly one of 'date' or 'window'")
        if self.window is not None and self.window[1] < self.window[0]:
            raise ValueError(f"dates out of order: window end {self.window[1]} is before "
                             f"start {self.window[0]}")
        if not self.low <= self.high:
            raise ValueError(f"band out of order: low {self.low:g} > high {self.high:g}")
        if not self.low <= self.value <= self.high:
            raise ValueError(f"value {self.value:g} outside its band [{self.low:g}, "
                             f"{self.high:g}]")
        return self

    @property
    def span(self) -> tuple[dt.date, dt.date]:
        """First and last day the point covers."""
        if self.window is not None:
            return self.window
        assert self.date is not None
        return self.date, self.date

    @property
    def label(self) -> str:
        """``2019-03-17`` or ``2017-09-01..2017-10-08``."""
        a, b = self.span
        return str(a) if a == b else f"{a}..{b}"

    def error_sd(self) -> float:
        """Standard deviation of the figure's error, reading the band as a 95% interval:
        ``(high - low) / 3.92`` (same unit as the value), at least 1% of the value."""
        return max((self.high - self.low) / 3.92, 0.01 * abs(self.value), 1e-9)


class SeriesTarget(_Filters):
    """A dated public series (see the module docstring and docs/calibration.md).

    ``measure`` says how each point is computed; filters as for :class:`Target`. The
    series' own ``source``/``assumption`` says where the series as a whole comes from (each
    point cites its own figure)."""

    metric: Literal["series"]
    measure: Literal["stock_at", "stock_mean", "stock_max", "stock_min", "event_sum"]
    scaled: bool | None = None
    points: Annotated[list[SeriesPoint], Field(min_length=1)]

    @model_validator(mode="after")
    def _measure_fields(self) -> SeriesTarget:
        if self.measure == "event_sum":
            if not self.event or self.stock is not None or self.category is not None:
                raise ValueError("measure 'event_sum' needs 'event' (no 'stock' or 'category')")
            if any(p.window is None for p in self.points):
                raise ValueError("measure 'event_sum': every point needs a 'window'")
        else:
            if not self.stock or self.event is not None or self.reason is not None or \
                    self.destination is not None:
                raise ValueError(f"measure '{self.measure}' needs 'stock' (no 'event', "
                                 "'reason' or 'destination')")
            if self.measure != "stock_at" and any(p.window is None for p in self.points):
                raise ValueError(f"measure '{self.measure}': every point needs a 'window'")
        return self

    @property
    def used_in_fitting(self) -> bool:
        """True when any point informed a parameter value."""
        return any(p.used_in_fitting for p in self.points)

    def is_scaled(self) -> bool:
        """Whether simulated counts are divided by the run's scale."""
        return self._scaled(self.scaled, self.measure == "event_sum")


AnyTarget = Target | SeriesTarget


def _target_kind(v: Any) -> str:
    """Tag of a raw or built target: 'series' for ``metric: series``, else 'scalar'."""
    metric = v.get("metric") if isinstance(v, dict) else getattr(v, "metric", None)
    return "series" if metric == "series" else "scalar"


class TargetsFile(BaseModel):
    """A targets file: ``targets:`` list, optional ``scenario`` name and ``note``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str | None = None
    note: str | None = None
    targets: Annotated[list[Annotated[
        Annotated[Target, Tag("scalar")] | Annotated[SeriesTarget, Tag("series")],
        Discriminator(_target_kind)]], Field(min_length=1)]

    @model_validator(mode="after")
    def _unique(self) -> TargetsFile:
        seen: set[str] = set()
        for t in self.targets:
            if t.id in seen:
                raise ValueError(f"duplicate target id '{t.id}'")
            seen.add(t.id)
        return self


@dataclass
class LoadedTargets:
    """A validated targets file with where each value came from."""

    path: Path
    file: TargetsFile
    locs: Locations

    @property
    def targets(self) -> list[AnyTarget]:
        return list(self.file.targets)


def load_targets(path: str | Path) -> LoadedTargets:
    """Read and validate a targets file. Raises ScenarioError (file:line: field: message)."""
    from ranks.scenario.loader import find_sources_file, load_sources, pydantic_to_scenario_error

    path = Path(path)
    if not path.exists():
        raise ScenarioError("targets file not found", file=path, field="--targets")
    locs = Locations()
    data = load_yaml(path, locs, "targets file")
    if not isinstance(data, dict):
        raise ScenarioError("expected a mapping with a 'targets:' list", file=path, line=1)
    sources = load_sources(find_sources_file(path, data))
    data.pop("evidence", None)
    try:
        tf = TargetsFile.model_validate(data, context={"source_ids": set(sources)})
    except ValidationError as err:
        raise pydantic_to_scenario_error(err, data, locs, TargetsFile) from None
    return LoadedTargets(path, tf, locs)


def find_targets(run: RunDir, cwd: Path | None = None) -> Path | None:
    """Default targets file of a run: ``targets.yaml`` beside the scenario named in the
    manifest or in a folder named after it (``scenarios/x.yaml`` -> ``scenarios/x/``),
    else ``scenarios/<scenario name>/targets.yaml`` (also trying the name without
    its last ``-part``s, so ``deir-ezzor-skeleton`` finds ``scenarios/deir-ezzor``) under the
    current directory or a parent of the run directory. None when there is none."""
    cwd = cwd or Path.cwd()
    sc = run.manifest.get("scenario") or {}
    sc = sc if isinstance(sc, dict) else {}
    cands: list[Path] = []
    scen_paths: list[Path] = []  # where the scenario is: absolute, from the run, as given
    if isinstance(sc.get("abs_path"), str):
        scen_paths.append(Path(sc["abs_path"]))
    if isinstance(sc.get("path_from_run"), str):
        scen_paths.append(run.path / sc["path_from_run"])
    if isinstance(sc.get("path"), str) and sc["path"]:
        p = Path(sc["path"])
        scen_paths.append(p if p.is_absolute() else cwd / p)
    for p in scen_paths:
        cands += [p.parent / "targets.yaml", p.parent / p.stem / "targets.yaml"]
    name = str(sc.get("name") or "")
    parts = name.split("-")
    names = ["-".join(parts[:k]) for k in range(len(parts), 0, -1) if parts[:k]]
    roots = [cwd, *run.path.resolve().parents]
    for root in roots:
        for n in names:
            cands.append(root / "scenarios" / n / "targets.yaml")
    for c in cands:
        if c.is_file():
            return c
    return None


def check_names(lt: LoadedTargets, run: RunDir) -> None:
    """Actor and place names of every target exist in the run's scenario (typos are input
    errors with file and line); unknown stock/event names are allowed (a module may be off:
    the target then has no data)."""
    actors = set(run.actors) or (set(run.stocks["actor"].dropna())
                                 | set(run.events["actor"].dropna()))
    places = {p.name for p in run.places} or set(run.stocks["place"].dropna())
    for i, t in enumerate(lt.targets):
        for fld, known in (("actor", actors), ("place", places), ("destination", places)):
            val = getattr(t, fld)
            if val is None or not known:
                continue
            for v in [val] if isinstance(val, str) else val:
                if v not in known:
                    hint = difflib.get_close_matches(v, sorted(known), n=1)
                    f, line = lt.locs.find(("targets", i, fld))
                    raise ScenarioError(
                        f"unknown {'place' if fld == 'destination' else fld} '{v}' in run "
                        f"'{run.name}'" + (f"; did you mean '{hint[0]}'?" if hint else ""),
                        file=f, line=line, field=f"targets[{i}].{fld}")


@dataclass
class Observation:
    """One reported figure and its simulated ensemble, for probabilistic skill.

    A scalar target gives one observation; a dated series with a band (issue 13) gives one
    per dated point, with ``label`` ``<id>@<date>``, ``sd`` from its band (``(high - low) /
    3.92``) and ``persistence`` the previous reported point (the naive baseline of a series).
    Scoring is in :mod:`ranks.calibrate.skill`.

    Attributes:
        target: target id.
        label: the target id, or ``<id>@<date>`` for a point of a series.
        observed: the reported value.
        sd: standard deviation of its error (same unit).
        ensemble: simulated values, one per replicate (or posterior draw).
        baseline: the baseline ensemble (e.g. the prior predictive), or None.
        persistence: for a point of a series, the previous reported value, else None.
    """

    target: str
    label: str
    observed: float
    sd: float
    ensemble: np.ndarray
    baseline: np.ndarray | None = None
    persistence: float | None = None
    fitted: bool = False


@dataclass
class PointResult:
    """A point of a series and its simulated value per replicate; status as for
    :class:`TargetResult` (inside the band ``[low, high]`` passes)."""

    point: SeriesPoint
    values: np.ndarray
    status: str
    note: str = ""

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values.size else float("nan")

    @property
    def passed(self) -> bool:
        return self.status == "pass"


@dataclass
class TargetResult:
    """A target and its simulated value per replicate.

    status: "pass", "fail", "no data" (the stock is absent from the run, or no snapshot or
    day of the window was simulated). Only "pass" passes. A series target has one
    :class:`PointResult` per point in ``points`` (``values`` then empty); it passes when
    every point with data passes and at least one has data.
    """

    target: AnyTarget
    values: np.ndarray
    status: str
    note: str = ""
    points: list[PointResult] = field(default_factory=list)

    @property
    def mean(self) -> float:
        return float(np.mean(self.values)) if self.values.size else float("nan")

    @property
    def passed(self) -> bool:
        return self.status == "pass"

    def observations(self) -> list[Observation]:
        """The reported figures this target scores: one for a target with a value
        (``compare: within``) and data, none for a bound (``at_least``/``at_most``: no
        value to score) or without data."""
        t = self.target
        if isinstance(t, SeriesTarget):  # one per dated point with data
            out: list[Observation] = []
            prev: float | None = None
            for pr in self.points:
                p = pr.point
                if pr.values.size:
                    out.append(Observation(t.id, f"{t.id}@{p.label}", float(p.value),
                                           p.error_sd(), np.asarray(pr.values, np.float64),
                                           persistence=prev, fitted=p.used_in_fitting))
                prev = float(p.value)
            return out
        if t.compare != "within" or self.values.size == 0:
            return []
        return [Observation(t.id, t.id, float(t.value), t.error_sd(),
                            np.asarray(self.values, dtype=np.float64),
                            fitted=t.used_in_fitting)]


def _window_rows(frame: pd.DataFrame, w: tuple[dt.date, dt.date]) -> pd.DataFrame:
    lo, hi = pd.Timestamp(w[0]), pd.Timestamp(w[1])
    return frame[(frame.index >= lo) & (frame.index <= hi)]


def _outside(run: RunDir, w: tuple[dt.date, dt.date]) -> bool:
    return pd.Timestamp(w[1]) < run.start or pd.Timestamp(w[0]) >= run.end


def _event_sum(t: AnyTarget, run: RunDir, w: tuple[dt.date, dt.date]) -> np.ndarray:
    """Events of ``t`` (with its filters) summed over window ``w``, per replicate."""
    lo, hi = pd.Timestamp(w[0]), pd.Timestamp(w[1])
    ev = run.events
    names = [t.event] if isinstance(t.event, str) else list(t.event or [])
    df = ev[ev["event"].isin(names) & (ev["date"] >= lo) & (ev["date"] <= hi)]
    for col in ("actor", "place", "reason", "destination"):
        want = getattr(t, col)
        if want is not None:
            df = df[df[col].isin([want] if isinstance(want, str) else want)]
    per = df.groupby("replicate")["count"].sum().reindex(run.replicates).fillna(0.0)
    return per.to_numpy(dtype=float) / (run.scale if t.is_scaled() else 1.0)


def _has_event(t: AnyTarget, run: RunDir) -> bool:
    names = [t.event] if isinstance(t.event, str) else list(t.event or [])
    return bool(set(names) & set(run.event_names()))


def stock_frame(t: AnyTarget, run: RunDir) -> pd.DataFrame | None:
    """The stock of ``t`` (with its filters) at every snapshot date, one column per
    replicate (population figures when scaled); None when the stock is absent."""
    if t.stock == PEOPLE_UNDER_CONTROL:
        if not {"people", "control"} <= set(run.stock_names()):
            return None
        frames = people_under_control(run, t.actor, t.place, t.category)
        if not t.is_scaled():
            frames = {k: v * run.scale for k, v in frames.items()}
    else:
        if t.stock not in run.stock_names():
            return None
        filt = {c: getattr(t, c) for c in ("actor", "place", "category")
                if getattr(t, c) is not None}
        frames = stock_series(run, t.stock or "", None, scaled=t.is_scaled(), **filt)
    if not frames:
        return pd.DataFrame(0.0, index=run.snapshot_dates(), columns=run.replicates)
    out: pd.DataFrame = sum(frames.values())
    return out


def _reduce(win: pd.DataFrame, how: str) -> np.ndarray:
    if how == "stock_max":
        return win.max(axis=0).to_numpy(float)
    if how == "stock_min":
        return win.min(axis=0).to_numpy(float)
    if how == "stock_mean":
        return win.mean(axis=0).to_numpy(float)
    return win.iloc[-1].to_numpy(float)


def simulate(t: AnyTarget, run: RunDir) -> TargetResult:
    """Compute target ``t`` on ``run``, per replicate (a series: per point)."""
    if isinstance(t, SeriesTarget):
        return simulate_series(t, run)
    if _outside(run, t.window):
        return TargetResult(t, np.zeros(0), "no data",
                            f"window outside the run ({run.start.date()}..{run.end.date()})")
    if t.metric == "event_sum":
        vals = _event_sum(t, run, t.window)
        note = "" if _has_event(t, run) else "no such event in this run"
    else:
        series = stock_frame(t, run)
        if series is None:
            return TargetResult(t, np.zeros(0), "no data",
                                f"stock '{t.stock}' not in this run")
        win = _window_rows(series, t.window)
        if win.empty:
            return TargetResult(t, np.zeros(0), "no data", "no stock snapshot in the window")
        vals = _reduce(win, t.metric)
        note = ""
    low, high = t.bounds()
    m = float(np.mean(vals))
    return TargetResult(t, vals, "pass" if low <= m <= high else "fail", note)


def _point(t: SeriesTarget, p: SeriesPoint, run: RunDir,
           series: pd.DataFrame | None) -> PointResult:
    if _outside(run, p.span):
        return PointResult(p, np.zeros(0), "no data", "outside the run")
    if t.measure == "event_sum":
        vals = _event_sum(t, run, p.span)
        note = "" if _has_event(t, run) else "no such event in this run"
    else:
        if series is None:
            return PointResult(p, np.zeros(0), "no data", f"stock '{t.stock}' not in this run")
        if p.window is not None:
            win = _window_rows(series, p.window)
        else:
            gap = np.abs((series.index - pd.Timestamp(p.span[0])).days)
            win = series.iloc[[int(np.argmin(gap))]] if gap.size and \
                gap.min() <= NEAREST_SNAPSHOT_DAYS else series.iloc[:0]
        if win.empty:
            return PointResult(p, np.zeros(0), "no data", "no stock snapshot near the date")
        vals = _reduce(win, t.measure)
        note = ""
    m = float(np.mean(vals))
    return PointResult(p, vals, "pass" if p.low <= m <= p.high else "fail", note)


def simulate_series(t: SeriesTarget, run: RunDir) -> TargetResult:
    """Each point of series ``t`` on ``run``."""
    series = None if t.measure == "event_sum" else stock_frame(t, run)
    pts = [_point(t, p, run, series) for p in t.points]
    with_data = [r for r in pts if r.status != "no data"]
    status = "no data" if not with_data else (
        "pass" if all(r.passed for r in with_data) else "fail")
    n_pass = sum(r.passed for r in with_data)
    return TargetResult(t, np.zeros(0), status,
                        f"{n_pass} of {len(with_data)} points pass", points=pts)


def series_frame(t: SeriesTarget, run: RunDir, freq: str = "MS") -> pd.DataFrame | None:
    """The simulated series of ``t`` for plotting: the stock at every snapshot, or the
    events per period (``freq``, default months), one column per replicate."""
    if t.measure != "event_sum":
        return stock_frame(t, run)
    from ranks.report.series import event_series, total

    filt = {c: getattr(t, c) for c in ("actor", "place", "reason", "destination")
            if getattr(t, c) is not None}
    return total(event_series(run, t.event, None, freq=freq, scaled=t.is_scaled(), **filt))


def evaluate(lt: LoadedTargets, run: RunDir) -> list[TargetResult]:
    """Check names, then compute every target (every point of a series) on the run."""
    check_names(lt, run)
    return [simulate(t, run) for t in lt.targets]


def resolve_targets(run: RunDir, targets: Path | None, required: bool) -> LoadedTargets | None:
    """Load ``targets`` or the run's default targets file. With ``required`` a missing
    default is an input error; otherwise None."""
    path = targets or find_targets(run)
    if path is None:
        if required:
            raise RanksInputError(
                "no targets file found beside the scenario named in the manifest or under "
                "scenarios/<name>/; give --targets FILE", file=run.path, field="--targets")
        return None
    return load_targets(path)


def fmt_value(x: float) -> str:
    """A figure for tables: thousands separators for large values, 3 significant digits
    for small ones."""
    if x != x:  # nan
        return "n/a"
    return f"{x:,.0f}" if abs(x) >= 100 else f"{x:.3g}"


def _sim_text(values: np.ndarray) -> str:
    sim = "n/a" if values.size == 0 else fmt_value(float(np.mean(values)))
    if values.size > 1:
        sim += f" [{fmt_value(float(values.min()))}–{fmt_value(float(values.max()))}]"
    return sim


def _what(t: AnyTarget) -> str:
    is_event = (t.measure if isinstance(t, SeriesTarget) else t.metric) == "event_sum"
    if not is_event:
        return t.stock or ""
    return t.event if isinstance(t.event, str) else "+".join(t.event or [])


def result_rows(results: list[TargetResult]) -> list[dict[str, Any]]:
    """Rows for tables (CLI and HTML): one per scalar target, one per point of a series
    (id ``<series id>@<date or window>``)."""
    rows = []
    for r in results:
        t = r.target
        if isinstance(t, SeriesTarget):
            for pr in r.points:
                p = pr.point
                rows.append({
                    "id": f"{t.id}@{p.label}", "metric": f"{t.measure}({_what(t)})",
                    "window": p.label,
                    "target": f"{fmt_value(p.value)} [{fmt_value(p.low)}–{fmt_value(p.high)}]",
                    "simulated": _sim_text(pr.values), "status": pr.status,
                    "fitted": p.used_in_fitting, "evidence": p.evidence,
                    "description": t.description, "note": pr.note, "series": t.id,
                })
            continue
        rows.append({
            "id": t.id, "metric": f"{t.metric}({_what(t)})",
            "window": f"{t.window[0]}..{t.window[1]}", "target": t.describe_target(),
            "simulated": _sim_text(r.values), "status": r.status, "fitted": t.used_in_fitting,
            "evidence": t.evidence, "description": t.description, "note": r.note,
            "series": None,
        })
    return rows


def pass_rates(results: list[TargetResult]) -> dict[str, dict[str, float]]:
    """Passing share of the figures with data (scalar targets and points of series), split
    into all, fitted and held out: ``{"all": {"n": .., "pass": .., "rate": ..}, ...}``."""
    rows = [r for r in result_rows(results) if r["status"] != "no data"]
    out: dict[str, dict[str, float]] = {}
    for key, sel in (("all", rows), ("fitted", [r for r in rows if r["fitted"]]),
                     ("held_out", [r for r in rows if not r["fitted"]])):
        n = len(sel)
        k = sum(r["status"] == "pass" for r in sel)
        out[key] = {"n": n, "pass": k, "rate": round(k / n, 3) if n else float("nan")}
    return out
