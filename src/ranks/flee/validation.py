"""Flee validation data (data_layout.csv + per-camp series) and the validation metric.

Series are read as Flee 3.1's ``DataTable`` does: dates become day offsets from the start date,
counts are divided by ``hasten``, registration corrections rescale the level-1 entries before
a correction date, and a day's value is the linear interpolation between the neighbouring
entries truncated to an integer (the first value before the first entry, the last after).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ranks.errors import RanksInputError
from ranks.flee.csvio import csv_rows


@dataclass
class ValidationData:
    """Observed refugee counts per day (people / hasten) for the camps and the total."""

    layout_path: Path
    series: dict[str, np.ndarray]  # name -> observed value per simulated day (T,)
    total: np.ndarray  # (T,) interpolated total refugee count (refugees.csv)

    def observed(self, name: str) -> np.ndarray | None:
        """The day-by-day series of a camp, or None when the layout has none."""
        return self.series.get(name)


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    return list(csv_rows(path))


def _read_series(path: Path, start: dt.date, hasten: int) -> np.ndarray:
    """Read one ``date,count`` CSV to an (n, 2) array of (day offset, count / hasten)."""
    rows = _csv_rows(path)
    out: list[tuple[float, float]] = []
    for k, (line, f) in enumerate(rows):
        if len(f) < 2 or f[0].startswith("#") or f[1] == "":
            continue
        try:
            date = dt.date.fromisoformat(f[0])
        except ValueError:
            if k == 0:  # a header row (Flee skips "Date"/"DateTime"/empty first fields)
                continue
            raise RanksInputError(f"expected a date YYYY-MM-DD, got {f[0]!r}", file=path,
                                  line=line, field="date") from None
        try:
            count = float(f[1])
        except ValueError:
            raise RanksInputError(f"expected a refugee count, got {f[1]!r}", file=path,
                                  line=line, field="count") from None
        if not np.isfinite(count):
            raise RanksInputError(f"expected a finite count, got {f[1]!r}", file=path,
                                  line=line, field="count")
        out.append((float((date - start).days), count / hasten))
    if not out:
        raise RanksInputError("no dated counts", file=path)
    return np.array(out, dtype=np.float64)


def _add_tables(t1: np.ndarray, t2: np.ndarray) -> np.ndarray:
    """Flee's ``AddCSVTables``: merge two step series by date (no interpolation)."""
    table: list[list[float]] = []
    off = 0
    last2 = np.zeros(2)
    for c2 in t2:
        while c2[0] > t1[off][0]:
            table.append([t1[off][0], last2[1] + t1[off][1]])
            if off < len(t1) - 1:
                off += 1
            else:
                break
        if c2[0] == t1[off][0]:
            table.append([c2[0], c2[1] + t1[off][1]])
            if off < len(t1) - 1:
                off += 1
            last2 = c2
            continue
        if c2[0] < t1[off][0]:
            table.append([c2[0], c2[1] + t1[off][1]])
            last2 = c2
    return np.array(table, dtype=np.float64).reshape(-1, 2)


def interpolate(table: np.ndarray, days: int) -> np.ndarray:
    """Flee's ``get_interpolated_data`` for days 0..days-1 (integers, as float64)."""
    d, v = table[:, 0], table[:, 1]
    t = np.arange(days, dtype=np.float64)
    out = np.full(days, np.trunc(v[-1]))
    if len(d) > 1:
        later = t[:, None] < d[None, 1:]
        has = later.any(axis=1)
        i = np.argmax(later, axis=1) + 1
        old_d, old_v = d[i - 1], v[i - 1]
        with np.errstate(divide="ignore", invalid="ignore"):
            frac = (t - old_d) / (d[i] - old_d)
        val = np.trunc(old_v + frac * (v[i] - old_v))
        out = np.where(has, val, out)
    return np.where(t <= d[0], np.trunc(v[0]), out)


def read_validation(val_dir: Path, start: dt.date, days: int, hasten: int,
                    corrections: Path | None = None) -> ValidationData:
    """Read ``val_dir/data_layout.csv`` and its series, apply registration corrections.

    Raises:
        RanksInputError: missing files, malformed rows, no ``total`` row, or a correction that
            names an unknown series or a date with no data point (Flee 3.1 stops there too).
    """
    layout = val_dir / "data_layout.csv"
    if not val_dir.is_dir():
        raise RanksInputError("validation directory not found", file=val_dir)
    tables: dict[str, np.ndarray] = {}
    for line, f in _csv_rows(layout):
        if len(f) < 2 or f[0].startswith("#") or not f[0]:
            continue
        if not f[1]:
            raise RanksInputError("expected name,file.csv", file=layout, line=line,
                                  field="file")
        table = _read_series(val_dir / f[1], start, hasten)
        for extra in f[2:]:
            if extra:
                table = _add_tables(table, _read_series(val_dir / extra, start, hasten))
        tables[f[0]] = table
    if "total" not in tables:
        raise RanksInputError("expected a 'total' row naming the refugee totals file",
                              file=layout)
    if corrections is not None and corrections.exists():
        for line, f in _csv_rows(corrections):
            if len(f) < 2 or f[0].startswith("#"):
                continue
            if f[0] not in tables:
                raise RanksInputError(f"no validation series named {f[0]!r}", file=corrections,
                                      line=line, field="name")
            try:
                cday = (dt.date.fromisoformat(f[1]) - start).days
            except ValueError:
                raise RanksInputError(f"expected a date YYYY-MM-DD, got {f[1]!r}",
                                      file=corrections, line=line, field="date") from None
            tab = tables[f[0]]
            matched = False
            for i in range(len(tab)):
                if int(tab[i, 0]) == cday and i > 0:
                    if tab[i - 1, 1] == 0:
                        raise RanksInputError("the data point before the correction date is 0",
                                              file=corrections, line=line, field="date")
                    tab[:i, 1] *= tab[i, 1] / tab[i - 1, 1]
                    matched = True
            if not matched:
                raise RanksInputError(f"series {f[0]!r} has no data point on {f[1]} after its "
                                      "first", file=corrections, line=line, field="date")
    series = {name: interpolate(tab, days) for name, tab in tables.items() if name != "total"}
    return ValidationData(layout_path=layout, series=series,
                          total=interpolate(tables["total"], days))


def metrics(sim: np.ndarray, obs: np.ndarray, total: np.ndarray) -> dict[str, float]:
    """Flee's validation metric.

    Args:
        sim: (T, C) simulated agents per camp at the end of each day.
        obs: (T, C) observed counts (people / hasten) for the same camps.
        total: (T,) observed total refugee count of the day.

    Returns:
        ``averaged_relative_difference``: mean over days of sum_c |sim - obs| divided by
        max(sum_c obs, 1); ``total_error``: mean over days with total > 0 of the same
        numerator divided by the total.
    """
    num = np.abs(sim - obs).sum(axis=1)
    ard = num / np.maximum(obs.sum(axis=1), 1.0)
    pos = total > 0
    tot = float(np.mean(num[pos] / total[pos])) if pos.any() else float("nan")
    return {"averaged_relative_difference": float(np.mean(ard)), "total_error": tot}
