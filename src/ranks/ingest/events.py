"""Read a conflict-event CSV (ACLED or UCDP GED column format) into one normalised table.

The two public datasets name their columns differently; both become rows of
:data:`EVENT_COLUMNS`:

- ``date`` (datetime64[D]): the day the event is counted on. UCDP events spanning
  ``date_start``..``date_end`` are spread evenly over their days (fractional ``weight``).
- ``lat``, ``lon`` (degrees), ``precision`` (1 exact .. larger is vaguer; ACLED
  ``geo_precision`` 1-3, UCDP ``where_prec`` 1-7).
- ``kind``: ``battle``, ``airstrike``, ``shelling``, ``explosion``, ``violence_against_civilians``
  or ``other`` (from ACLED ``event_type``/``sub_event_type``; UCDP ``type_of_violence`` 1-2 is
  ``battle``, 3 is ``violence_against_civilians``).
- ``fatalities`` (people; ACLED ``fatalities``, UCDP ``best``), ``weight`` (share of the event
  counted on this day, 1 for single-day events), ``line`` (1-based CSV line, for messages).

Bad cells give a :class:`~ranks.errors.RanksInputError` naming file, line and column.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from ranks.errors import RanksInputError

Format = Literal["acled", "ucdp"]

EVENT_COLUMNS = ["date", "lat", "lon", "precision", "kind", "fatalities", "weight", "line"]

#: Columns each format must have.
REQUIRED: dict[str, tuple[str, ...]] = {
    "acled": ("event_date", "event_type", "sub_event_type", "latitude", "longitude",
              "fatalities"),
    "ucdp": ("date_start", "date_end", "type_of_violence", "latitude", "longitude", "best"),
}

#: ACLED sub-event types (lower case) that get a kind of their own.
ACLED_SUB_KINDS = {
    "air/drone strike": "airstrike",
    "shelling/artillery/missile attack": "shelling",
    "remote explosive/landmine/ied": "explosion",
    "suicide bomb": "explosion",
    "grenade": "explosion",
}
#: ACLED event types (lower case) and their kind when the sub-event type says nothing more.
ACLED_EVENT_KINDS = {
    "battles": "battle",
    "explosions/remote violence": "explosion",
    "violence against civilians": "violence_against_civilians",
}
#: UCDP ``type_of_violence``: 1 state-based, 2 non-state, 3 one-sided.
UCDP_KINDS = {1: "battle", 2: "battle", 3: "violence_against_civilians"}
#: Longest UCDP event spread over days; longer spans are refused as a likely error (days).
MAX_SPAN_DAYS = 366


def detect_format(columns: list[str]) -> Format | None:
    """``acled`` or ``ucdp`` when every required column of that format is present."""
    cols = {c.strip().lower() for c in columns}
    formats: tuple[Format, ...] = ("acled", "ucdp")
    for fmt in formats:
        if all(c in cols for c in REQUIRED[fmt]):
            return fmt
    return None


def _date(text: str, path: Path, line: int, column: str) -> dt.date:
    s = text.strip()
    for fmt in ("%Y-%m-%d", "%d %B %Y", "%d-%B-%Y", "%d/%m/%Y"):
        try:
            return dt.datetime.strptime(s, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    raise RanksInputError(f"not a date: {s!r} (expected YYYY-MM-DD or '15 March 2017')",
                          file=path, line=line, field=column)


def _number(text: str, path: Path, line: int, column: str, lo: float, hi: float,
            blank: float | None = None) -> float:
    s = text.strip()
    if s == "" and blank is not None:
        return blank
    try:
        v = float(s)
    except ValueError:
        raise RanksInputError(f"not a number: {s!r}", file=path, line=line,
                              field=column) from None
    if not math.isfinite(v) or not lo <= v <= hi:
        raise RanksInputError(f"{v} is outside {lo}..{hi}", file=path, line=line, field=column)
    return v


def read_events(path: Path, fmt: Format | None = None) -> tuple[pd.DataFrame, Format]:
    """Read ``path`` (ACLED or UCDP GED columns; detected when ``fmt`` is None).

    Returns the normalised table (:data:`EVENT_COLUMNS`) and the format read.
    """
    try:
        fh = open(path, newline="", encoding="utf-8-sig")  # noqa: SIM115 - closed below
    except OSError as e:
        raise RanksInputError(f"cannot read: {e.strerror}", file=path) from None
    with fh:
        reader = csv.DictReader(fh)
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        found = detect_format(header)
        if fmt is None:
            if found is None:
                raise RanksInputError(
                    "not a conflict-event CSV: expected ACLED columns ("
                    + ", ".join(REQUIRED["acled"]) + ") or UCDP GED columns ("
                    + ", ".join(REQUIRED["ucdp"]) + ")", file=path, line=1, field="header")
            fmt = found
        missing = [c for c in REQUIRED[fmt] if c not in header]
        if missing:
            raise RanksInputError(f"missing column(s) for {fmt}: {', '.join(missing)}",
                                  file=path, line=1, field="header")
        reader.fieldnames = header
        rows: list[tuple] = []
        for i, row in enumerate(reader, start=2):
            line = reader.line_num if reader.line_num else i
            rows.extend(_acled_row(row, path, line) if fmt == "acled"
                        else _ucdp_row(row, path, line))
    df = pd.DataFrame(rows, columns=EVENT_COLUMNS)
    df["date"] = pd.to_datetime(df["date"]).astype("datetime64[s]")
    return df, fmt


def _acled_row(row: dict[str, str], path: Path, line: int) -> list[tuple]:
    day = _date(row["event_date"], path, line, "event_date")
    lat = _number(row["latitude"], path, line, "latitude", -90, 90)
    lon = _number(row["longitude"], path, line, "longitude", -180, 180)
    prec = _number(row.get("geo_precision") or "", path, line, "geo_precision", 1, 3, blank=1)
    dead = _number(row["fatalities"], path, line, "fatalities", 0, 1e6, blank=0)
    sub = (row.get("sub_event_type") or "").strip().lower()
    ev = (row.get("event_type") or "").strip().lower()
    kind = ACLED_SUB_KINDS.get(sub) or ACLED_EVENT_KINDS.get(ev, "other")
    return [(day, lat, lon, prec, kind, dead, 1.0, line)]


def _ucdp_row(row: dict[str, str], path: Path, line: int) -> list[tuple]:
    start = _date(row["date_start"].split(" ")[0], path, line, "date_start")
    end = _date(row["date_end"].split(" ")[0], path, line, "date_end")
    if end < start:
        raise RanksInputError(f"date_end {end} is before date_start {start}", file=path,
                              line=line, field="date_end")
    span = (end - start).days + 1
    if span > MAX_SPAN_DAYS:
        raise RanksInputError(f"the event spans {span} days (more than {MAX_SPAN_DAYS})",
                              file=path, line=line, field="date_end")
    lat = _number(row["latitude"], path, line, "latitude", -90, 90)
    lon = _number(row["longitude"], path, line, "longitude", -180, 180)
    prec = _number(row.get("where_prec") or "", path, line, "where_prec", 1, 7, blank=1)
    dead = _number(row["best"], path, line, "best", 0, 1e6, blank=0)
    tv = int(_number(row["type_of_violence"], path, line, "type_of_violence", 1, 3))
    kind = UCDP_KINDS[tv]
    w = 1.0 / span
    return [(start + dt.timedelta(days=k), lat, lon, prec, kind, dead * w, w, line)
            for k in range(span)]


def haversine_km(lat1: np.ndarray, lon1: np.ndarray, lat2: np.ndarray,
                 lon2: np.ndarray) -> np.ndarray:
    """Great-circle distance in km (broadcasting)."""
    r = 6371.0
    p1, p2 = np.radians(lat1), np.radians(lat2)
    dp, dl = p2 - p1, np.radians(lon2 - lon1)
    a = np.sin(dp / 2) ** 2 + np.cos(p1) * np.cos(p2) * np.sin(dl / 2) ** 2
    return 2 * r * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))
