"""Flee validation data (data_layout.csv + per-camp series) and the validation metric.

Series are read as Flee 3.1's ``DataTable`` does: dates become day offsets from the start date,
counts are divided by ``hasten``, registration corrections rescale the level-1 entries before
a correction date, and a day's value is the linear interpolation between the neighbouring
entries truncated to an integer (the first value before the first entry, the last after).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from ranks.errors import RanksInputError
from ranks.flee.csvio import csv_rows, plain_csv_lines


@dataclass
class ValidationData:
    """Observed refugee counts per day (people / hasten) for the camps and the total."""

    layout_path: Path
    series: dict[str, np.ndarray]  # name -> observed value per simulated day (T,)
    total: np.ndarray  # (T,) interpolated total refugee count (refugees.csv)
    # series a registration correction made non-finite on a simulated day, with the error to
    # raise if the run uses them (Flee reads only the camps' series and the total)
    undefined: dict[str, RanksInputError] = field(default_factory=dict)

    def check_defined(self, names: list[str]) -> None:
        """Raise the stored error if ``total`` or a named series has undefined days."""
        for name in ["total", *names]:
            if name in self.undefined:
                raise self.undefined[name]

    def observed(self, name: str) -> np.ndarray | None:
        """The day-by-day series of a camp, or None when the layout has none."""
        return self.series.get(name)


def _csv_rows(path: Path) -> list[tuple[int, list[str]]]:
    return list(csv_rows(path))


def _quick_series(path: Path, start: dt.date, hasten: int) -> np.ndarray | None:
    """:func:`_read_series` for a plain file (no quotes, nothing wrong), without the csv
    module: None for anything else, and the csv reader reads it (and says what is wrong)."""
    lines = plain_csv_lines(path)
    if lines is None:
        return None
    out: list[tuple[float, float]] = []
    k = -1
    try:
        for ln in lines:
            if not ln.replace(",", "").strip():
                continue  # (csv_rows skips rows whose fields are all empty)
            k += 1
            f = ln.split(",", 2)
            if len(f) < 2:
                continue
            f0, f1 = f[0].strip(), f[1].strip()
            if f0.startswith("#") or f1 == "":
                continue
            try:
                date = dt.date.fromisoformat(f0)
            except ValueError:
                if k == 0:  # a header row
                    continue
                return None
            count = float(f1)
            if not math.isfinite(count):
                return None
            out.append((float((date - start).days), count / hasten))
    except ValueError:
        return None
    if not out:
        return None
    return np.array(out, dtype=np.float64)


def _read_series(path: Path, start: dt.date, hasten: int) -> np.ndarray:
    """Read one ``date,count`` CSV to an (n, 2) array of (day offset, count / hasten)."""
    quick = _quick_series(path, start, hasten)
    if quick is not None:
        return quick
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
        if (np.diff(d[1:]) >= 0).all():  # dates in order: the first later one by bisection
            i = np.searchsorted(d[1:], t, side="right")
            has = i < len(d) - 1
            i = np.minimum(i, len(d) - 2) + 1
        else:  # Flee takes the first later entry in file order
            later = t[:, None] < d[None, 1:]
            has = np.asarray(later.any(axis=1))
            i = np.argmax(later, axis=1) + 1
        old_d, old_v = d[i - 1], v[i - 1]
        with np.errstate(divide="ignore", invalid="ignore"):  # (repeated dates: unused)
            frac = (t - old_d) / (d[i] - old_d)
            val = np.trunc(old_v + frac * (v[i] - old_v))
        out = np.where(has, val, out)
    return np.where(t <= d[0], np.trunc(v[0]), out)


def read_validation(val_dir: Path, start: dt.date, days: int, hasten: int,
                    corrections: Path | None = None, *, flee32: bool = False
                    ) -> ValidationData:
    """Read ``val_dir/data_layout.csv`` and its series, apply registration corrections.

    A correction ``name,date`` rescales, as Flee's ``correctLevel1Registrations`` does, every
    entry of the series before each entry dated ``date`` (other than the first) by that
    entry's value over the previous entry's value.  When the previous value is 0 the rescaled
    entries become infinite or undefined, as in Flee; that is an error only if a simulated
    day's interpolated value depends on them (where Flee 3.1 would stop).  With ``flee32``
    (Flee 3.2's rule) corrections dated before ``start`` are ignored (they cannot change a
    simulated day anyway) and a previous value below 1 is an error (Flee 3.2 stops).

    Raises:
        RanksInputError: missing files, malformed rows, no ``total`` row, a correction that
            names an unknown series or a date with no data point after the series' first
            (Flee 3.1 stops there too), or a simulated day made non-finite by a correction.
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
        tables.setdefault(f[0], table)  # Flee looks names up from the top: the first wins
    if "total" not in tables:
        raise RanksInputError("expected a 'total' row naming the refugee totals file",
                              file=layout)
    last_fix: dict[str, int] = {}  # series -> line of the correction that made it non-finite
    if corrections is not None and corrections.exists():
        for line, f in _csv_rows(corrections):
            if len(f) < 2 or f[0].startswith("#"):
                continue
            if f[0] not in tables:
                raise RanksInputError(f"no validation series named {f[0]!r} (Flee 3.1 stops "
                                      "here too)", file=corrections, line=line, field="name")
            try:
                cday = (dt.date.fromisoformat(f[1]) - start).days
            except ValueError:
                raise RanksInputError(f"expected a date YYYY-MM-DD, got {f[1]!r}",
                                      file=corrections, line=line, field="date") from None
            if flee32 and cday < 0:
                continue
            tab = tables[f[0]]
            matched = False
            for i in range(1, len(tab)):
                if int(tab[i, 0]) == cday:
                    if flee32 and tab[i - 1, 1] < 1:
                        raise RanksInputError(
                            f"the count of {f[0]!r} before this correction date is below 1 "
                            "(Flee 3.2 stops here; Flee 3.1 divides by it)",
                            file=corrections, line=line, field="date")
                    with np.errstate(divide="ignore", invalid="ignore"):
                        tab[:i, 1] *= tab[i, 1] / tab[i - 1, 1]
                    if not np.isfinite(tab[:i, 1]).all():
                        last_fix[f[0]] = line
                    matched = True
            if not matched:
                raise RanksInputError(f"series {f[0]!r} has no data point on {f[1]} after its "
                                      "first (Flee 3.1 stops here too)", file=corrections,
                                      line=line, field="date")
    series: dict[str, np.ndarray] = {}
    undefined: dict[str, RanksInputError] = {}
    for name, tab in tables.items():
        with np.errstate(invalid="ignore"):
            vals = interpolate(tab, days)
        if not np.isfinite(vals).all():
            bad = int(np.flatnonzero(~np.isfinite(vals))[0])
            undefined[name] = RanksInputError(
                f"this correction divides by a zero count of {name!r}, which makes its "
                f"value on simulated day {bad} undefined (Flee 3.1 stops there too)",
                file=corrections, line=last_fix.get(name), field="date")
        series[name] = vals
    total = series.pop("total")
    return ValidationData(layout_path=layout, series=series, total=total,
                          undefined=undefined)


def metrics(sim: np.ndarray, obs: np.ndarray, total: np.ndarray) -> dict[str, float]:
    """Flee's two validation metrics and the bounded MAAPE.

    Args:
        sim: (T, C) simulated agents per camp at the end of each day.
        obs: (T, C) observed counts (people / hasten) for the same camps.
        total: (T,) observed total refugee count of the day.

    Returns:
        ``averaged_relative_difference``: mean over days of sum_c |sim - obs| divided by
        max(sum_c obs, 1); ``total_error``: mean over days with total > 0 of the same
        numerator divided by the total; ``maape``: mean over days of
        arctan(sum_c |sim - obs| / sum_c obs) in radians (0 to pi/2; see :func:`maape`).
    """
    num = np.abs(sim - obs).sum(axis=1)
    ard = num / np.maximum(obs.sum(axis=1), 1.0)
    pos = total > 0
    tot = float(np.mean(num[pos] / total[pos])) if pos.any() else float("nan")
    return {"averaged_relative_difference": float(np.mean(ard)), "total_error": tot,
            "maape": maape(num, obs.sum(axis=1))}


def arctan_ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """arctan(num / den) elementwise for num, den >= 0: 0 where both are 0, pi/2 where only
    ``den`` is 0 (radians)."""
    num = np.asarray(num, dtype=np.float64)
    den = np.asarray(den, dtype=np.float64)
    return np.arctan2(num, den)  # arctan2(0, 0) = 0, arctan2(x > 0, 0) = pi/2


def maape(abs_err: np.ndarray, obs: np.ndarray) -> float:
    """Mean arctangent absolute percentage error (Kim & Kim 2016), in radians.

    The mean over days of arctan(|sim - obs| / obs): about the relative error while it is
    small (arctan x ~ x), but bounded by pi/2 where the observed count is near zero, so a day
    or camp with almost no data cannot dominate the mean as it does in a relative
    difference.  ``abs_err`` and ``obs`` are per-day (or per-day-and-camp) arrays.
    """
    if np.size(abs_err) == 0:
        return float("nan")
    return float(np.mean(arctan_ratio(abs_err, obs)))


def camp_maape(sim: np.ndarray, obs: np.ndarray) -> np.ndarray:
    """Per-camp MAAPE (radians) of (T, C) arrays: mean over days of arctan(|s - o| / o)."""
    return arctan_ratio(np.abs(sim - obs), obs).mean(axis=0)
