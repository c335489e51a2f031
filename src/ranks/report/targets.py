"""Calibration targets: the ``targets.yaml`` format, its validation, and simulated values.

A target is a public figure the model can produce, with a window of dates, a tolerance,
its evidence (a source id or an assumption) and whether it was used to fit parameters
(``used_in_fitting``) or is held out. See docs/calibration.md.

Simulated values are computed per replicate; a target passes when the mean across
replicates is inside the tolerance. Event counts and people-count stocks are divided by
the run's scale before comparing (shares are not).
"""

from __future__ import annotations

import datetime as dt
import difflib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

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


class Target(Evidenced):
    """One calibration target (see docs/calibration.md)."""

    id: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")]
    description: Annotated[str, Field(min_length=1)]
    metric: Literal["stock_max", "stock_mean", "stock_min", "stock_at", "event_sum"]
    stock: str | None = None
    event: Names = None
    actor: Names = None
    place: Names = None
    category: Names = None
    reason: Names = None
    destination: Names = None
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
        if self.scaled is not None:
            return self.scaled
        if self.metric == "event_sum" or self.stock == PEOPLE_UNDER_CONTROL:
            return True
        return is_count_stock(self.stock or "")


class TargetsFile(BaseModel):
    """A targets file: ``targets:`` list, optional ``scenario`` name and ``note``."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    scenario: str | None = None
    note: str | None = None
    targets: Annotated[list[Target], Field(min_length=1)]

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
    def targets(self) -> list[Target]:
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


@dataclass
class TargetResult:
    """A target and its simulated value per replicate.

    status: "pass", "fail", "no data" (the stock is absent from the run, or no snapshot or
    day of the window was simulated). Only "pass" passes.
    """

    target: Target
    values: np.ndarray
    status: str
    note: str = ""

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
        if t.compare != "within" or self.values.size == 0:
            return []
        return [Observation(t.id, t.id, float(t.value), t.error_sd(),
                            np.asarray(self.values, dtype=np.float64))]


def _window_rows(frame: pd.DataFrame, w: tuple[dt.date, dt.date]) -> pd.DataFrame:
    lo, hi = pd.Timestamp(w[0]), pd.Timestamp(w[1])
    return frame[(frame.index >= lo) & (frame.index <= hi)]


def simulate(t: Target, run: RunDir) -> TargetResult:
    """Compute target ``t`` on ``run``, per replicate."""
    reps = run.replicates
    lo, hi = pd.Timestamp(t.window[0]), pd.Timestamp(t.window[1])
    if hi < run.start or lo >= run.end:
        return TargetResult(t, np.zeros(0), "no data",
                            f"window outside the run ({run.start.date()}..{run.end.date()})")
    div = run.scale if t.is_scaled() else 1.0
    if t.metric == "event_sum":
        ev = run.events
        names = [t.event] if isinstance(t.event, str) else list(t.event or [])
        df = ev[ev["event"].isin(names) & (ev["date"] >= lo) & (ev["date"] <= hi)]
        for col in ("actor", "place", "reason", "destination"):
            want = getattr(t, col)
            if want is not None:
                df = df[df[col].isin([want] if isinstance(want, str) else want)]
        per = df.groupby("replicate")["count"].sum().reindex(reps).fillna(0.0)
        vals = per.to_numpy(dtype=float) / div
        note = "" if set(names) & set(run.event_names()) else \
            "no such event in this run"
    else:
        if t.stock == PEOPLE_UNDER_CONTROL:
            present = {"people", "control"} <= set(run.stock_names())
            frames = people_under_control(run, t.actor, t.place, t.category) if present else {}
            if not t.is_scaled():
                frames = {k: v * run.scale for k, v in frames.items()}
        else:
            present = t.stock in run.stock_names()
            filt = {c: getattr(t, c) for c in ("actor", "place", "category")
                    if getattr(t, c) is not None}
            frames = stock_series(run, t.stock or "", None, scaled=t.is_scaled(), **filt)
        if not present:
            return TargetResult(t, np.zeros(0), "no data",
                                f"stock '{t.stock}' not in this run")
        snap = run.snapshot_dates()
        snap = snap[(snap >= lo) & (snap <= hi)]
        if snap.empty:
            return TargetResult(t, np.zeros(0), "no data", "no stock snapshot in the window")
        series = sum(frames.values()) if frames else \
            pd.DataFrame(0.0, index=run.snapshot_dates(), columns=reps)
        win = series.loc[snap]
        if t.metric == "stock_max":
            vals = win.max(axis=0).to_numpy(float)
        elif t.metric == "stock_min":
            vals = win.min(axis=0).to_numpy(float)
        elif t.metric == "stock_mean":
            vals = win.mean(axis=0).to_numpy(float)
        else:
            vals = win.iloc[-1].to_numpy(float)
        note = ""
    low, high = t.bounds()
    m = float(np.mean(vals))
    return TargetResult(t, vals, "pass" if low <= m <= high else "fail", note)


def evaluate(lt: LoadedTargets, run: RunDir) -> list[TargetResult]:
    """Check names, then compute every target on the run."""
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


def result_rows(results: list[TargetResult]) -> list[dict[str, Any]]:
    """Rows for tables (CLI and HTML)."""
    rows = []
    for r in results:
        t = r.target
        sim = "n/a" if r.values.size == 0 else fmt_value(r.mean)
        if r.values.size > 1:
            sim += f" [{fmt_value(float(r.values.min()))}–{fmt_value(float(r.values.max()))}]"
        what = t.stock if t.metric != "event_sum" else (
            t.event if isinstance(t.event, str) else "+".join(t.event or []))
        rows.append({
            "id": t.id, "metric": f"{t.metric}({what})",
            "window": f"{t.window[0]}..{t.window[1]}", "target": t.describe_target(),
            "simulated": sim, "status": r.status, "fitted": t.used_in_fitting,
            "evidence": t.evidence, "description": t.description, "note": r.note,
        })
    return rows
