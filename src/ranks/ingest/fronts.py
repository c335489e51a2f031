"""Conflict events -> the scenario's fronts table (front intensity by place and date, M26).

The mapping, documented in ``docs/ingest.md``:

1. Keep events inside the period whose location is precise enough (``max_precision``) and
   within ``radius_km`` of a scenario place (not ``abroad``); each goes to its nearest place.
2. Score each event: ``weight(kind) * (1 + ln(1 + fatalities))`` times the share of the event
   counted on the day (UCDP events spanning several days are spread evenly).
3. Per place, the daily pressure ``S[d] = S[d-1] * 2**(-1 / half_life_days) + score[d]``:
   fighting raises it, and it decays with the given half-life once the fighting stops.
4. Intensity ``1 - exp(-S / saturation)`` in 0..1, rounded to ``step``; a fronts row is
   written on the first day and whenever a place's rounded intensity changes. Its ``kind``
   is the kind with the largest score at the place in the last 7 days (``calm`` when none).

Everything here is plain arrays: a loop over days with vector operations over places.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ranks.ingest.events import haversine_km

#: Weight of one event of each kind, before fatalities (assumptions, docs/ingest.md).
DEFAULT_KIND_WEIGHTS: dict[str, float] = {
    "battle": 1.0,
    "airstrike": 1.0,
    "shelling": 0.7,
    "explosion": 0.5,
    "violence_against_civilians": 0.3,
    "other": 0.0,
}


@dataclass(frozen=True)
class FrontMapping:
    """Settings of the event -> intensity mapping (units in the names)."""

    radius_km: float = 20.0
    max_precision: float = 2.0
    half_life_days: float = 10.0
    saturation: float = 5.0
    step: float = 0.1
    kind_weights: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_KIND_WEIGHTS))


@dataclass
class IngestSummary:
    """What happened to the events read."""

    read: int = 0
    kept: int = 0
    outside_period: int = 0
    too_vague: int = 0
    too_far: int = 0
    not_fighting: int = 0
    by_place: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, int] = field(default_factory=dict)
    rows: int = 0


def events_to_fronts(events: pd.DataFrame, place_names: list[str], lat: np.ndarray,
                     lon: np.ndarray, start: dt.date, end: dt.date,
                     mapping: FrontMapping | None = None,
                     source: str = "") -> tuple[pd.DataFrame, IngestSummary]:
    """Turn normalised events (``ranks.ingest.events.EVENT_COLUMNS``) into fronts rows.

    Args:
        events: events as read by :func:`ranks.ingest.events.read_events`.
        place_names, lat, lon: the places events may be assigned to (degrees).
        start, end: the period (end exclusive).
        mapping: the mapping's settings.
        source: evidence id written in the ``source`` column of every row.

    Returns:
        A frame with columns ``date, place, intensity, kind, source, note`` sorted by date
        and place, and a summary of what was kept and dropped.
    """
    m = mapping or FrontMapping()
    n_days = (end - start).days
    n_places = len(place_names)
    d = ((events["date"].to_numpy().astype("datetime64[D]")
          - np.datetime64(start, "D")).astype(np.int64))
    # why each day-row is dropped: 0 kept, 1 outside the period, 2 too vague,
    # 3 not fighting, 4 too far from every place (the first reason that applies)
    why = np.zeros(len(events), dtype=np.int8)
    why[(d < 0) | (d >= n_days)] = 1
    why[(why == 0) & (events["precision"].to_numpy() > m.max_precision)] = 2
    w_kind = events["kind"].map(m.kind_weights).fillna(0.0).to_numpy(dtype=np.float64)
    why[(why == 0) & (w_kind <= 0)] = 3
    nearest = np.zeros(len(events), dtype=np.int64)
    cand = np.flatnonzero(why == 0)
    if len(cand) and n_places:
        dist = haversine_km(events["lat"].to_numpy()[cand, None],
                            events["lon"].to_numpy()[cand, None],
                            np.asarray(lat)[None, :], np.asarray(lon)[None, :])
        nearest[cand] = dist.argmin(axis=1)
        far = dist[np.arange(len(cand)), nearest[cand]] > m.radius_km
        why[cand[far]] = 4
    else:
        why[cand] = 4
    # the summary counts events (CSV rows): one spread over days is kept if any day is
    per_event = pd.Series(np.where(why == 0, 0, why)).groupby(events["line"].to_numpy()).min()
    s = IngestSummary(read=int(len(per_event)))
    s.kept = int((per_event == 0).sum())
    s.outside_period, s.too_vague, s.not_fighting, s.too_far = (
        int((per_event == k).sum()) for k in (1, 2, 3, 4))
    keep = why == 0
    ev, dk, nearest = events[keep], d[keep], nearest[keep]
    first = ~pd.Series(ev["line"].to_numpy()).duplicated().to_numpy()
    for k, c in ev[first].groupby("kind").size().items():
        s.by_kind[str(k)] = int(c)
    for p, c in zip(*np.unique(nearest[first], return_counts=True), strict=True):
        s.by_place[place_names[int(p)]] = int(c)
    score = (ev["kind"].map(m.kind_weights).to_numpy(dtype=np.float64)
             * (1.0 + np.log1p(ev["fatalities"].to_numpy(dtype=np.float64)))
             * ev["weight"].to_numpy(dtype=np.float64))
    daily = np.zeros((n_days, n_places), dtype=np.float64)
    np.add.at(daily, (dk, nearest), score)
    counts = np.zeros((n_days, n_places), dtype=np.float64)
    np.add.at(counts, (dk, nearest), ev["weight"].to_numpy(dtype=np.float64))
    kinds = sorted(m.kind_weights)
    k_of = ev["kind"].map({k: i for i, k in enumerate(kinds)}).to_numpy(dtype=np.int64)
    by_kind = np.zeros((n_days, len(kinds), n_places), dtype=np.float64)
    np.add.at(by_kind, (dk, k_of, nearest), score)
    recent_kind = np.zeros((len(kinds), n_places))  # scores by kind in the last 7 days
    decay = 2.0 ** (-1.0 / m.half_life_days)
    pressure = np.zeros(n_places)
    prev = np.full(n_places, -1.0)
    recent = np.zeros(n_places)  # events in the last 7 days, for the note
    rows: list[tuple[dt.date, str, float, str, str, str]] = []
    for day in range(n_days):
        pressure = pressure * decay + daily[day]
        recent += counts[day]
        recent_kind += by_kind[day]
        if day >= 7:
            recent -= counts[day - 7]
            recent_kind -= by_kind[day - 7]
        level = np.round(np.round((1.0 - np.exp(-pressure / m.saturation)) / m.step) * m.step,
                         6)
        changed = np.flatnonzero(level != prev)
        date = start + dt.timedelta(days=day)
        for p in changed:
            n7 = round(float(recent[p]), 1)
            if n7 > 0:
                note = f"{n7:g} events in the last 7 days"
            else:
                note = "decaying after fighting" if level[p] > 0 else "calm"
            kind = kinds[int(recent_kind[:, p].argmax())] if recent_kind[:, p].max() > 1e-12 \
                else "calm"
            rows.append((date, place_names[p], float(level[p]), kind, source, note))
        prev = level
    out = pd.DataFrame(rows, columns=["date", "place", "intensity", "kind", "source", "note"])
    s.rows = len(out)
    return out, s
