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
from typing import Any

import numpy as np
import pandas as pd
import yaml

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
        return float(self.manifest.get("scale") or 1.0)

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


def _read_table(path: Path, columns: tuple[str, ...]) -> pd.DataFrame:
    if not path.exists():
        raise RanksInputError(f"missing {path.name}; is this a run directory written by "
                              "'ranks run'?", file=path.parent)
    try:
        df = pd.read_parquet(path)
    except Exception as e:  # noqa: BLE001 - any reader error is bad input
        raise RanksInputError(f"cannot read Parquet table: {e}", file=path) from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise RanksInputError(f"missing columns {missing}", file=path)
    return _tidy(df[list(columns)])


def load_run_dir(path: str | Path) -> RunDir:
    """Read a run directory. Raises RanksInputError (exit 2) when it is missing or malformed."""
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
        manifest = json.loads(mpath.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise RanksInputError(f"manifest is not valid JSON: {e}", file=mpath) from None
    if not isinstance(manifest, dict):
        raise RanksInputError("manifest is not a JSON object", file=mpath)
    events = _read_table(path / "events.parquet", EVENT_COLUMNS)
    stocks = _read_table(path / "stocks.parquet", STOCK_COLUMNS)
    places: list[Place] = []
    actors: dict[str, dict[str, Any]] = {}
    rpath = path / "scenario.resolved.yaml"
    if rpath.exists():
        try:
            res = yaml.safe_load(rpath.read_text(encoding="utf-8")) or {}
        except yaml.YAMLError as e:
            raise RanksInputError(f"cannot read resolved scenario: {e}", file=rpath) from None
        for p in res.get("places") or []:
            try:
                places.append(Place(str(p["name"]), str(p.get("type") or "town"),
                                    float(p["lat"]), float(p["lon"]),
                                    int(p.get("population") or 0)))
            except (KeyError, TypeError, ValueError):
                continue
        for a in res.get("actors") or []:
            if isinstance(a, dict) and "id" in a:
                actors[str(a["id"])] = {"name": a.get("name") or a["id"],
                                        "kind": a.get("kind"), "color": a.get("color")}
    return RunDir(path, manifest, events, stocks, places, actors)


def manifest_date(value: Any) -> dt.date | None:
    """A manifest date string as a date (None when absent)."""
    return dt.date.fromisoformat(value) if isinstance(value, str) and value else None
