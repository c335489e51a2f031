"""Time series per replicate from a run directory's long tables, and bands across them.

Every series is a frame indexed by date with one column per replicate. Event counts and
people-count stocks are divided by the run's scale (population figures); shares are not.
Rows missing from the stocks table mean zero (the recorder drops zeros), so stock series are
re-indexed to every snapshot date with zeros filled; event series to every period of the run.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from ranks.report.rundir import RunDir, is_count_stock

Filter = str | Iterable[str] | None


def _match(df: pd.DataFrame, col: str, want: Filter) -> pd.DataFrame:
    if want is None:
        return df
    vals = [want] if isinstance(want, str) else list(want)
    return df[df[col].isin(vals)]


def event_freq(run: RunDir) -> str:
    """Bucket for event series: weeks for runs up to ~9 months, else months."""
    return "W-MON" if (run.end - run.start).days <= 270 else "MS"


def _periods(run: RunDir, freq: str) -> pd.DatetimeIndex:
    start = run.start.to_period("W-SUN" if freq.startswith("W") else "M").start_time
    idx = pd.date_range(start, run.end, freq="W-MON" if freq.startswith("W") else "MS")
    return idx[idx < run.end]


def event_series(run: RunDir, event: Filter, by: str | None = None, *, freq: str | None = None,
                 scaled: bool = True, **filters: Filter) -> dict[str, pd.DataFrame]:
    """Counts of ``event`` per period (people per period; / scale when ``scaled``).

    Args:
        event: event name(s).
        by: column to split by ("reason", "actor", "place", "event", "destination") or None
            (one series keyed "all").
        freq: pandas frequency ("W-MON" or "MS"); default from :func:`event_freq`.
        filters: column -> value(s) to keep (e.g. actor="ISIS").

    Returns:
        key -> frame indexed by period start, one column per replicate.
    """
    freq = freq or event_freq(run)
    df = _match(run.events, "event", event)
    for col, want in filters.items():
        df = _match(df, col, want)
    reps = run.replicates
    idx = _periods(run, freq)
    out: dict[str, pd.DataFrame] = {}
    if df.empty:
        return out
    period = df["date"].dt.to_period("W-SUN" if freq.startswith("W") else "M").dt.start_time
    keys = df[by].fillna("(none)") if by else pd.Series("all", index=df.index)
    g = df.groupby([keys.rename("key"), period.rename("period"), df["replicate"]])["count"].sum()
    div = run.scale if scaled else 1.0
    for key, sub in g.groupby(level="key"):
        t = sub.droplevel("key").unstack("replicate").reindex(index=idx, columns=reps)
        out[str(key)] = t.fillna(0.0).astype(float) / div
    return out


def event_totals(run: RunDir, event: Filter, by: str | None = None, *, scaled: bool = True,
                 **filters: Filter) -> pd.DataFrame:
    """Total counts over the whole run: index key, one column per replicate."""
    df = _match(run.events, "event", event)
    for col, want in filters.items():
        df = _match(df, col, want)
    keys = df[by].fillna("(none)") if by else pd.Series("all", index=df.index, dtype=object)
    t = df.groupby([keys.rename("key"), df["replicate"]])["count"].sum().unstack("replicate")
    t = t.reindex(columns=run.replicates).fillna(0.0).astype(float)
    return t / (run.scale if scaled else 1.0)


def stock_series(run: RunDir, stock: str, by: str | None = None, *,
                 scaled: bool | None = None, **filters: Filter) -> dict[str, pd.DataFrame]:
    """Values of ``stock`` summed over rows kept by ``filters``, per snapshot date.

    Args:
        stock: stock name.
        by: column to split by ("actor", "place", "category") or None (key "all").
        scaled: divide by scale; default :func:`is_count_stock`.

    Returns:
        key -> frame indexed by every snapshot date, one column per replicate.
    """
    df = run.stocks[run.stocks["stock"] == stock]
    for col, want in filters.items():
        df = _match(df, col, want)
    if df.empty:
        return {}
    if scaled is None:
        scaled = is_count_stock(stock)
    idx = run.snapshot_dates()
    keys = df[by].fillna("(none)") if by else pd.Series("all", index=df.index, dtype=object)
    g = df.groupby([keys.rename("key"), df["date"], df["replicate"]])["value"].sum()
    div = run.scale if scaled else 1.0
    out = {}
    for key, sub in g.groupby(level="key"):
        t = sub.droplevel("key").unstack("replicate").reindex(index=idx, columns=run.replicates)
        out[str(key)] = t.fillna(0.0).astype(float) / div
    return out


def people_under_control(run: RunDir, actor: Filter = None, place: Filter = None,
                         category: Filter = None) -> dict[str, pd.DataFrame]:
    """People (stock ``people``, by default living states) at places held by ``actor`` on
    each snapshot date (stock ``control`` value 1), / scale. Keyed by controlling actor."""
    from ranks.report.rundir import ALIVE_STATES

    ppl = run.stocks[run.stocks["stock"] == "people"]
    ppl = _match(ppl, "category", category if category is not None else ALIVE_STATES)
    ppl = _match(ppl, "place", place)
    ctl = run.stocks[(run.stocks["stock"] == "control") & (run.stocks["value"] > 0)]
    ctl = _match(ctl, "actor", actor)
    ctl = _match(ctl, "place", place)
    if ppl.empty or ctl.empty:
        return {}
    per_place = ppl.groupby(["replicate", "date", "place"])["value"].sum().rename("n")
    held = ctl[["replicate", "date", "place", "actor"]].merge(
        per_place.reset_index(), on=["replicate", "date", "place"], how="inner")
    idx = run.snapshot_dates()
    out = {}
    for key, sub in held.groupby("actor"):
        t = sub.groupby(["date", "replicate"])["n"].sum().unstack("replicate")
        t = t.reindex(index=idx, columns=run.replicates).fillna(0.0).astype(float)
        out[str(key)] = t / run.scale
    return out


def band(df: pd.DataFrame) -> tuple[pd.Series, pd.Series, pd.Series, str]:
    """Median and band across replicates (columns) of a series frame.

    Returns (median, low, high, label): 5-95% quantiles with 20 replicates or more,
    otherwise min-max; with one replicate low = high = the series.
    """
    n = df.shape[1]
    med = df.median(axis=1)
    if n >= 20:
        return med, df.quantile(0.05, axis=1), df.quantile(0.95, axis=1), "5-95%"
    return med, df.min(axis=1), df.max(axis=1), "min-max"


def total(frames: dict[str, pd.DataFrame]) -> pd.DataFrame | None:
    """Sum of several series frames (same index and columns), None when empty."""
    if not frames:
        return None
    it = iter(frames.values())
    acc = next(it).copy()
    for f in it:
        acc = acc.add(f, fill_value=0.0)
    return acc


def nonzero(frames: dict[str, pd.DataFrame]) -> dict[str, pd.DataFrame]:
    """Drop series that are zero throughout."""
    return {k: v for k, v in frames.items() if np.any(v.to_numpy() != 0)}
