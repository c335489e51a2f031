"""Read a run directory (manifest, events, stocks, resolved scenario) for reports.

A run directory is what ``ranks run`` writes (docs/outputs.md). Counts in it are of
synthetic people at the run's ``scale``; :attr:`RunDir.scale` is used by the report,
``ranks check`` and ``ranks compare`` to turn them into population figures
(count / scale).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ranks.errors import RanksInputError

#: Stocks that are not counts of people (shares, indicators, flags): never divided by scale.
UNSCALED_STOCKS = frozenset({"control", "minors_share", "hardship", "food_price_index"})

#: States of the ``people`` stock that count living people.
ALIVE_STATES = ("civilian", "hiding", "detained", "training", "serving", "deserted",
                "transit", "camp", "abroad")


def is_count_stock(name: str) -> bool:
    """True when stock ``name`` counts synthetic people (or sums over them, like a pay bill)
    and so scales with the run's ``scale``; False for shares, indices and flags."""
    return not (name in UNSCALED_STOCKS or name.endswith(("_share", "_index", "_rate",
                                                          "_price", "_prob")))


@dataclass
class Place:
    """A place of the resolved scenario: name, type, position (degrees), 2011 population."""

    name: str
    type: str
    lat: float
    lon: float
    population: int


@dataclass
class RunDir:
    """A loaded run directory.

    Attributes:
        path: the directory.
        manifest: manifest.json as a dict.
        events: events table (date as datetime64[ns]; categorical strings as object).
        stocks: stocks table (same conventions).
        places: places of ``scenario.resolved.yaml`` (empty if absent).
        actors: actor id -> dict(name, kind, color) from the resolved scenario.
    """

    path: Path
    manifest: dict[str, Any]
    events: pd.DataFrame
    stocks: pd.DataFrame
    places: list[Place] = field(default_factory=list)
    actors: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def scale(self) -> float:
        """Fraction of the population simulated (counts / scale = population figures)."""
        return float(self.manifest["scale"])  # checked > 0 when read

    @property
    def name(self) -> str:
        """Scenario name."""
        return str((self.manifest.get("scenario") or {}).get("name") or self.path.name)

    @property
    def replicates(self) -> list[int]:
        """Replicate numbers, from the manifest (else from the tables)."""
        reps = [int(r["replicate"]) for r in self.manifest.get("replicates") or []]
        if not reps:
            reps = sorted(set(self.events["replicate"]) | set(self.stocks["replicate"]))
        return reps or [0]

    @property
    def seeds(self) -> dict[int, int]:
        """Replicate -> seed."""
        return {int(r["replicate"]): int(r["seed"]) for r in self.manifest.get("replicates")
                or []}

    @property
    def start(self) -> pd.Timestamp:
        """First simulated day."""
        s = self.manifest.get("start")
        if s:
            return pd.Timestamp(s)
        return pd.Timestamp(min(self.events["date"].min(), self.stocks["date"].min()))

    @property
    def end(self) -> pd.Timestamp:
        """The day the run stopped before (exclusive)."""
        e = self.manifest.get("end")
        if e:
            return pd.Timestamp(e)
        return pd.Timestamp(max(self.events["date"].max(), self.stocks["date"].max()))

    def place_table(self) -> pd.DataFrame:
        """Places as a frame indexed by name (type, lat, lon, population)."""
        return pd.DataFrame([p.__dict__ for p in self.places]).set_index("name") if \
            self.places else pd.DataFrame(columns=["type", "lat", "lon", "population"])

    def event_names(self) -> list[str]:
        """Event names present, sorted."""
        return sorted(self.events["event"].dropna().unique().tolist())

    def stock_names(self) -> list[str]:
        """Stock names present, sorted."""
        return sorted(self.stocks["stock"].dropna().unique().tolist())

    def snapshot_dates(self) -> pd.DatetimeIndex:
        """Every date at which stocks were taken."""
        return pd.DatetimeIndex(sorted(self.stocks["date"].unique()))


def _tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Categoricals to plain object strings (None for missing), dates to datetime64."""
    df = df.copy()
    for c in df.columns:
        if isinstance(df[c].dtype, pd.CategoricalDtype):
            df[c] = df[c].astype(object).where(df[c].notna(), None)
    if "date" in df:
        df["date"] = pd.to_datetime(df["date"])
    if "replicate" in df:
        df["replicate"] = df["replicate"].astype(np.int64)
    return df


EVENT_COLUMNS = ("replicate", "date", "actor", "place", "event", "reason", "destination",
                 "count")
STOCK_COLUMNS = ("replicate", "date", "stock", "actor", "place", "category", "value")


#: Largest table read from a run directory, bytes.
MAX_TABLE_BYTES = 8 * 2**30
#: Columns that must hold numbers.
NUMERIC = {"count", "value", "replicate"}


def _read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    from ranks.io.inputs import check_input_file

    if not path.exists() and not path.is_symlink():
        raise RanksInputError(f"missing {path.name}; is this a run directory written by "
                              "'ranks run'?", file=path.parent)
    check_input_file(path, "table", max_bytes=MAX_TABLE_BYTES)
    try:
        df = pd.read_parquet(path)
    except Exception as e:  # noqa: BLE001 - any reader error is bad input
        raise RanksInputError(f"cannot read Parquet table: {type(e).__name__}: "
                              f"{str(e).splitlines()[0] if str(e) else ''}", file=path) from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise RanksInputError(f"missing columns {missing}", file=path)
    for c in columns:
        if c in NUMERIC and not pd.api.types.is_numeric_dtype(df[c]):
            raise RanksInputError(f"column '{c}' holds {df[c].dtype} values, expected "
                                  "numbers", file=path, field=c)
        if c in NUMERIC and c != "replicate" and not np.isfinite(
                df[c].to_numpy(dtype=np.float64)).all():
            raise RanksInputError(f"column '{c}' holds NaN or infinite values", file=path,
                                  field=c)
    try:
        return _tidy(df[list(columns)])
    except (ValueError, TypeError, OverflowError) as e:
        raise RanksInputError(f"bad values: {str(e).splitlines()[0]}", file=path) from None


class _ManifestScenario(BaseModel):
    model_config = ConfigDict(extra="allow")
    name: str | None = None
    path: str | None = None
    abs_path: str | None = None
    path_from_run: str | None = None
    sha256: str | None = None


class _ManifestReplicate(BaseModel):
    model_config = ConfigDict(extra="allow")
    replicate: Annotated[int, Field(ge=0)]
    seed: Annotated[int, Field(ge=0)]


class RunManifest(BaseModel):
    """The fields of manifest.json that reports, checks and comparisons read (others are
    kept as they are)."""

    model_config = ConfigDict(extra="allow", allow_inf_nan=False)
    scale: Annotated[float, Field(gt=0)]
    scenario: _ManifestScenario | None = None
    replicates: list[_ManifestReplicate] = []
    seed: Annotated[int, Field(ge=0)] | None = None
    start: dt.date | None = None
    end: dt.date | None = None
    days: Annotated[int, Field(ge=0)] | None = None
    people: Annotated[int, Field(ge=0)] | None = None
    modules: list[str] = []
    runtime_s: Annotated[float, Field(ge=0)] | None = None
    peak_rss_mb: Annotated[float, Field(ge=0)] | None = None
    ranks_version: str | None = None


def _check_manifest(manifest: dict[str, Any], mpath: Path) -> None:
    try:
        RunManifest.model_validate(manifest, strict=False)
    except ValidationError as err:
        e = err.errors(include_url=False)[0]
        where = ".".join(str(x) for x in e["loc"])
        got = e.get("input")
        extra = f" (got {got!r})" if not isinstance(got, dict | list) else ""
        msg = ("missing" if e["type"] == "missing" else e["msg"]) + extra
        raise RanksInputError(msg, file=mpath, field=where or None) from None


def load_run_dir(path: str | Path) -> RunDir:
    """Read a run directory. Raises RanksInputError (exit 2) when it is missing or malformed."""
    from ranks.io.inputs import check_yaml_bounds, read_input_text

    path = Path(path)
    if not path.exists():
        raise RanksInputError("run directory not found", file=path)
    if not path.is_dir():
        raise RanksInputError("not a directory; expected a run directory from 'ranks run'",
                              file=path)
    mpath = path / "manifest.json"
    if not mpath.exists():
        raise RanksInputError("no manifest.json; is this a run directory written by "
                              "'ranks run'?", file=path)
    try:
        manifest = json.loads(read_input_text(mpath, "manifest"))
    except json.JSONDecodeError as e:
        raise RanksInputError(f"manifest is not valid JSON: {e.msg}", file=mpath,
                              line=e.lineno) from None
    if not isinstance(manifest, dict):
        raise RanksInputError("manifest is not a JSON object", file=mpath)
    _check_manifest(manifest, mpath)
    events = _read_table(path / "events.parquet", EVENT_COLUMNS)
    stocks = _read_table(path / "stocks.parquet", STOCK_COLUMNS)
    places: list[Place] = []
    actors: dict[str, dict[str, Any]] = {}
    rpath = path / "scenario.resolved.yaml"
    if rpath.exists():
        text = read_input_text(rpath, "resolved scenario")
        check_yaml_bounds(text, rpath)
        try:
            res = yaml.safe_load(text) or {}
        except yaml.YAMLError as e:
            mark = getattr(e, "problem_mark", None)
            raise RanksInputError(f"cannot read resolved scenario: "
                                  f"{getattr(e, 'problem', None) or 'YAML error'}", file=rpath,
                                  line=mark.line + 1 if mark else None) from None
        if not isinstance(res, dict):
            raise RanksInputError("the resolved scenario is not a mapping of sections",
                                  file=rpath, line=1)
        for p in res.get("places") or []:
            try:
                places.append(Place(str(p["name"]), str(p.get("type") or "town"),
                                    float(p["lat"]), float(p["lon"]),
                                    int(p.get("population") or 0)))
            except (KeyError, TypeError, ValueError, AttributeError):
                continue
        for a in res.get("actors") or []:
            if isinstance(a, dict) and "id" in a:
                actors[str(a["id"])] = {"name": a.get("name") or a["id"],
                                        "kind": a.get("kind"), "color": a.get("color")}
    return RunDir(path, manifest, events, stocks, places, actors)


def manifest_date(value: Any) -> dt.date | None:
    """A manifest date string as a date (None when absent)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None
