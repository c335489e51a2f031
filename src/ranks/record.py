"""The recorder: events aggregated per day as they happen, and stock snapshots.

Modules call :meth:`Recorder.events` once per kind of event with the places of the people
concerned (or one place and a count) and, per person or as one value, the actor, reason and
destination; counts are summed with ``np.bincount`` per (event, actor, reason, destination)
key, flushed to column buffers at the end of each day. Nothing per person is kept. Stocks
are functions of the day, taken at each snapshot (mostly copies of the counters that
:class:`~ranks.population.People` keeps).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ranks import kernels
from ranks.arrays import unique
from ranks.population import ASSIGN_NAMES, STATE_NAMES

if TYPE_CHECKING:
    from ranks.population import People

#: A stock: ``fn(day)`` returns its values on day index ``day``.
StockFn = Callable[[int], np.ndarray]


@dataclass
class StockSeries:
    """A stock kept at each snapshot: ``fn(day)`` returns an array shaped by ``dims``.

    dims are among "actor", "place", "category"; ``labels`` gives the names per dim.
    """

    name: str
    dims: tuple[str, ...]
    labels: tuple[list[str], ...]
    fn: StockFn
    values: list[np.ndarray] = field(default_factory=list)


class Recorder:
    """Daily event counts and stock snapshots for one replicate.

    Args:
        place_names, actor_ids: labels for output tables.
        start_day_dates: calendar dates of day indices (a list of datetime.date).
        stocks_every: snapshot interval in days (the last day is always taken).
    """

    def __init__(self, place_names: list[str], actor_ids: list[str], dates: list,
                 replicate: int = 0, stocks_every: int = 1) -> None:
        self.place_names = place_names
        self.actor_ids = actor_ids
        self.dates = dates
        self.replicate = replicate
        self.stocks_every = stocks_every
        self.n_places = len(place_names)
        self._codes: dict[str, int] = {}
        self._names: list[str] = []
        self._reason_codes: dict[tuple[str, ...], np.ndarray] = {}  # codes of label lists
        # today's counts: a row of ``_rows`` (by place) for each (event, actor, reason,
        # destination) key, in the order the keys first came today
        self._today: dict[tuple[int, int, int, int], int] = {}
        self._rows = np.zeros((64, self.n_places), dtype=np.int64)
        self._cols: dict[str, list[np.ndarray]] = {
            k: [] for k in ("day", "actor", "place", "event", "reason", "destination", "count")}
        self.stocks: list[StockSeries] = []
        self.snapshot_days: list[int] = []
        self.totals: dict[str, int] = {}

    def _code(self, s: str) -> int:
        c = self._codes.get(s)
        if c is None:
            c = self._codes[s] = len(self._names)
            self._names.append(s)
        return c

    def events(
        self, name: str, places: int | np.ndarray, *, actor: int | np.ndarray = -1,
        reason: str | np.ndarray = "", reasons: Sequence[str] | None = None,
        destination: int | np.ndarray = -1, count: int | np.ndarray = 1,
    ) -> None:
        """Count events of one kind, for many people in one call.

        Args:
            name: event name (e.g. "joined").
            places: one place index, or an array of place indices, one per person.
            actor: actor index concerned (-1 none): one for all, or one per person.
            reason: why (motive, driver, cause; "" none): one string for all, or one code per
                person indexing ``reasons``.
            reasons: the labels of the reason codes (with an array ``reason``).
            destination: destination place index (-1 none): one, or one per person.
            count: with a single place, how many; with a place array, weights per entry.
        """
        per_person = (_is_array(actor) or _is_array(reason) or _is_array(destination))
        if not per_person:
            self._add(self._key(name, int(actor), str(reason), int(destination)), places, count)
            return
        places = np.asarray(places, dtype=np.int64)
        n = places.size
        if n == 0:
            return
        # one value for all or one per person: NumPy broadcasts the scalars
        a = np.asarray(actor, dtype=np.int64)
        d = np.asarray(destination, dtype=np.int64)
        if _is_array(reason):
            if reasons is None:
                raise ValueError("a reason code array needs its labels (reasons=)")
            codes = self._reason_codes.get(tuple(reasons))
            if codes is None:
                codes = np.array([self._code(r) for r in reasons], dtype=np.int64)
                self._reason_codes[tuple(reasons)] = codes
            rc: int | np.ndarray = codes[np.asarray(reason, dtype=np.int64)]
        else:
            rc = self._code(str(reason))
        n_code = len(self._names)
        P1 = self.n_places + 1
        P = self.n_places
        one_each = not _is_array(count) and count == 1
        if kernels.ENABLED and one_each:  # the same counts, in one compiled loop
            uk, counts = kernels.event_counts(
                places.reshape(-1), a.reshape(-1), d.reshape(-1),
                np.asarray(rc, dtype=np.int64).reshape(-1), n_code, P)
        else:
            combo = ((a + 1) * P1 + (d + 1)) * n_code + rc  # one key, or one per person
            w = None if one_each else np.broadcast_to(count, (n,))
            flat = combo.reshape(-1)
            if flat.size == 1 or (flat == flat[0]).all():  # one key (most calls): no grouping
                uk = flat[:1]
                cell = places
            else:
                uk = unique(flat)
                cell = np.searchsorted(uk, flat) * P + places
            counts = np.bincount(cell, weights=w, minlength=uk.size * P).astype(
                np.int64).reshape(uk.size, P)
        ev = self._code(name)
        today, buf = self._today, self._rows
        for j, k in enumerate(uk.tolist()):
            ad, r = divmod(k, n_code)
            ai, di = divmod(ad, P1)
            key = (ev, ai - 1, r, di - 1)
            row = today.get(key)
            if row is None:
                row = self._row(key)
                buf = self._rows  # it may have grown
            buf[row] += counts[j]

    def _row(self, key: tuple[int, int, int, int]) -> int:
        """The row of today's counts for ``key`` (a new zero row the first time today)."""
        row = self._today.get(key)
        if row is None:
            row = self._today[key] = len(self._today)
            if row >= self._rows.shape[0]:
                grown = np.zeros((2 * self._rows.shape[0], self.n_places), dtype=np.int64)
                grown[: self._rows.shape[0]] = self._rows
                self._rows = grown
        return row

    def today(self) -> list[tuple[tuple[int, int, int, int], np.ndarray]]:
        """Today's counts so far: (event, actor, reason, destination) codes and the count by
        place (copies), in the order the keys first came."""
        return [(k, self._rows[r].copy()) for k, r in self._today.items()]

    def _key(self, name: str, actor: int, reason: str, destination: int
             ) -> tuple[int, int, int, int]:
        return (self._code(name), actor, self._code(reason), destination)

    def _add(self, key: tuple[int, int, int, int], places: int | np.ndarray,
             count: int | np.ndarray) -> None:
        row = self._row(key)  # first: it may grow the buffer
        buf = self._rows[row]  # a view: added to in place
        if not _is_array(places):
            buf[int(places)] += int(np.asarray(count).item())
        else:
            places = np.asarray(places)
            if places.size == 0:
                return
            if not _is_array(count) and count == 1:
                buf += np.bincount(places, minlength=self.n_places)
            else:
                w = np.broadcast_to(count, places.shape)
                buf += np.bincount(places, weights=w, minlength=self.n_places).astype(np.int64)

    def add_stock(self, name: str, dims: tuple[str, ...], labels: tuple[list[str], ...],
                  fn: StockFn) -> None:
        """Register a stock taken at each snapshot: ``fn(day)`` gives its values."""
        self.stocks.append(StockSeries(name, dims, labels, fn))

    def drop_unscheduled_last(self) -> None:
        """Forget the last snapshot if it was taken only because the run ended that day
        (not on the ``stocks_every`` schedule): a continued run takes its own."""
        if self.snapshot_days and self.snapshot_days[-1] % self.stocks_every != 0:
            self.snapshot_days.pop()
            for s in self.stocks:
                if s.values:
                    s.values.pop()

    def replace_stock(self, name: str, fn: StockFn) -> None:
        """Give stock ``name`` a new function (its snapshots so far are kept)."""
        for s in self.stocks:
            if s.name == name:
                s.fn = fn

    def end_day(self, day: int, last: bool = False) -> None:
        """Flush today's event counts; take a stock snapshot when due."""
        if self._today:
            keys = np.array(list(self._today.keys()), dtype=np.int64)  # (K, 4)
            bufs = self._rows[: len(self._today)]  # (K, P), rows in the order of keys
            k_idx, p_idx = np.nonzero(bufs)
            if k_idx.size:
                counts = bufs[k_idx, p_idx]
                self._cols["day"].append(np.full(k_idx.size, day, dtype=np.int32))
                self._cols["actor"].append(keys[k_idx, 1].astype(np.int16))
                self._cols["place"].append(p_idx.astype(np.int32))
                self._cols["event"].append(keys[k_idx, 0].astype(np.int32))
                self._cols["reason"].append(keys[k_idx, 2].astype(np.int32))
                self._cols["destination"].append(keys[k_idx, 3].astype(np.int32))
                self._cols["count"].append(counts)
                per_event = np.bincount(keys[k_idx, 0], weights=counts,
                                        minlength=len(self._names))
                for code in np.flatnonzero(per_event):
                    name = self._names[code]
                    self.totals[name] = self.totals.get(name, 0) + int(per_event[code])
            bufs[:] = 0
        self._today.clear()
        if day % self.stocks_every == 0 or last:
            self.snapshot_days.append(day)
            for s in self.stocks:
                s.values.append(np.array(s.fn(day), dtype=np.float64, copy=True))

    # -- tables --------------------------------------------------------------------------
    def _day_dates(self) -> tuple[np.ndarray, np.ndarray]:
        """The calendar date of each day index: as ``datetime.date`` objects (an object
        array, what the tables hold) and as days since 1970 (int64, for sorting)."""
        d64 = np.array(self.dates, dtype="datetime64[D]")
        return pd.to_datetime(d64).date, d64.astype(np.int64)

    def events_frame(self) -> pd.DataFrame:
        """Events as a long table: replicate, date, actor, place, event, reason, destination,
        count (see docs/outputs.md), sorted by date, event, actor, place, reason and
        destination (categories in their order, missing last).

        Built from the integer codes: the labels are looked up once per distinct code
        (:func:`_categorical`) and the rows sorted on integer keys, the same table as
        ``pd.Categorical`` of the label per row and ``sort_values`` on the columns."""
        cols = {k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64))
                for k, v in self._cols.items()}
        n = len(cols["day"])
        if n == 0:
            return self._events_frame_empty()
        day = cols["day"].astype(np.int64)
        actors = np.array([*self.actor_ids, None], dtype=object)
        places = np.array([*self.place_names, None], dtype=object)
        names = np.array(self._names or [""], dtype=object)
        actor = _categorical(actors, cols["actor"].astype(np.int64), self.actor_ids)
        place = _categorical(places, cols["place"].astype(np.int64), self.place_names)
        event = _categorical(names, cols["event"].astype(np.int64))
        reason = _categorical(_none_if_empty(names), cols["reason"].astype(np.int64))
        destination = _categorical(places, cols["destination"].astype(np.int64),
                                   self.place_names)
        day_dates, day_key = self._day_dates()
        order = _sort_order(day_key[day], [event.codes, actor.codes, place.codes,
                                            reason.codes, destination.codes])
        return pd.DataFrame({
            "replicate": np.full(n, self.replicate, dtype=np.int16),
            "date": day_dates[day[order]],
            "actor": _take(actor, order),
            "place": _take(place, order),
            "event": _take(event, order),
            "reason": _take(reason, order),
            "destination": _take(destination, order),
            "count": cols["count"].astype(np.int64)[order],
        })

    def _events_frame_empty(self) -> pd.DataFrame:
        """The events table of a run without events (the columns and types of
        :meth:`events_frame`)."""
        e = np.zeros(0, dtype=np.int64)
        return pd.DataFrame({
            "replicate": np.zeros(0, dtype=np.int16),
            "date": [],
            "actor": pd.Categorical(np.zeros(0, dtype=object), categories=self.actor_ids),
            "place": pd.Categorical(np.zeros(0, dtype=object), categories=self.place_names),
            "event": pd.Categorical(np.zeros(0, dtype=object)),
            "reason": pd.Categorical(np.zeros(0, dtype=object)),
            "destination": pd.Categorical(np.zeros(0, dtype=object),
                                          categories=self.place_names),
            "count": e,
        })

    def stocks_frame(self) -> pd.DataFrame:
        """Stocks as a long table: replicate, date, stock, actor, place, category, value
        (non-zero values only), sorted by date, stock, actor, place and category.

        The table of one frame per stock (the labels per row) concatenated, made
        categorical and sorted, built from label indices as :meth:`events_frame` is. The
        categories (and their type, which pandas infers from the frames concatenated) come
        from those steps done on a few rows per stock holding each label it uses."""
        series = [s for s in self.stocks if s.values]
        if not series:
            return self._stocks_frame_empty()
        day_dates, day_key = self._day_dates()
        snap = np.array(self.snapshot_days, dtype=np.int64)
        dims = ("actor", "place", "category")
        # per stock: snapshot index, value and label index per dim of each kept cell; the
        # labels of all stocks one after the other (with None, missing, last)
        t_parts: list[np.ndarray] = []
        v_parts: list[np.ndarray] = []
        ix_parts: dict[str, list[np.ndarray]] = {c: [] for c in ("stock", *dims)}
        labels: dict[str, list[object]] = {c: [] for c in ("stock", *dims)}
        few: list[pd.DataFrame] = []  # per stock, a few rows holding each label it uses
        for s in series:
            arr = np.stack(s.values)  # (T, *dims)
            flat = arr.reshape(-1)
            keep = np.flatnonzero(flat != 0)  # cells in C order, as np.nonzero gives them
            where = np.unravel_index(keep, arr.shape)
            t_parts.append(where[0])
            v_parts.append(flat[keep])
            ix_parts["stock"].append(np.full(keep.size, len(labels["stock"]), dtype=np.int64))
            labels["stock"].append(s.name)
            used: dict[str, np.ndarray] = {}
            for c in dims:
                if c in s.dims:
                    d = s.dims.index(c)
                    lab = np.asarray(s.labels[d], dtype=object)
                    ix_parts[c].append(where[d + 1] + len(labels[c]))
                    labels[c].extend(lab.tolist())
                    used[c] = lab[np.unique(where[d + 1])]
                else:  # a dim this stock has not: missing (-1, the None after all labels)
                    ix_parts[c].append(np.full(keep.size, -1, dtype=np.int64))
            m = max((u.size for u in used.values()), default=min(keep.size, 1))
            part: dict[str, object] = {"date": np.zeros(m, dtype="datetime64[D]"),
                                       "stock": s.name, "value": np.zeros(m)}
            for c in s.dims:
                if c in used:
                    part[c] = np.resize(used[c], m) if m else used[c][:0]
            few.append(pd.DataFrame(part))
        cat_dtypes = self._stock_label_dtypes(few)
        codes = {}
        for c in ("stock", *dims):
            lab = np.array([*labels[c], None], dtype=object)
            code_of = cat_dtypes[c].categories.get_indexer(lab)
            codes[c] = code_of[np.concatenate(ix_parts[c])]
        day = snap[np.concatenate(t_parts)]
        order = _sort_order(day_key[day], [codes[c] for c in ("stock", *dims)])
        out: dict[str, object] = {
            "replicate": np.full(order.size, self.replicate, dtype=np.int16),
            "date": day_dates[day[order]]}
        for c in ("stock", *dims):
            out[c] = pd.Categorical.from_codes(codes[c][order], dtype=cat_dtypes[c])
        out["value"] = np.concatenate(v_parts)[order]
        return pd.DataFrame(out)

    @staticmethod
    def _stock_label_dtypes(parts: list[pd.DataFrame]) -> dict[str, pd.CategoricalDtype]:
        """The categorical type of the stock, actor, place and category columns of the
        frames ``parts`` concatenated (a column none has: all missing)."""
        df = pd.concat(parts, ignore_index=True)
        for c in ("actor", "place", "category"):
            if c not in df:
                df[c] = None
        return {c: pd.Categorical(df[c]).dtype for c in ("stock", "actor", "place",
                                                         "category")}

    def _stocks_frame_empty(self) -> pd.DataFrame:
        """The stocks table of a run without stock snapshots."""
        df = pd.DataFrame({"date": [], "stock": [], "value": []})
        for c in ("actor", "place", "category"):
            df[c] = None
        df.insert(0, "replicate", np.int16(self.replicate))
        df["date"] = pd.to_datetime(df["date"]).dt.date
        for c in ("stock", "actor", "place", "category"):
            df[c] = pd.Categorical(df[c])
        return df[["replicate", "date", "stock", "actor", "place", "category", "value"]]


def _categorical(labels: np.ndarray, idx: np.ndarray,
                 categories: list[str] | None = None) -> pd.Categorical:
    """``pd.Categorical(labels[idx], categories=categories)`` (``idx`` may be -1: the last
    label), built from the distinct labels used: the same categories and codes without a
    Python object per row. ``labels`` is an object array (None: missing)."""
    pos = idx % len(labels)  # -1 -> the last label
    used = np.flatnonzero(np.bincount(pos, minlength=len(labels)))
    small = pd.Categorical(labels[used], categories=categories)
    code_of = np.full(len(labels), -1, dtype=np.int64)
    code_of[used] = small.codes
    return pd.Categorical.from_codes(code_of[pos], dtype=small.dtype)


def _take(cat: pd.Categorical, order: np.ndarray) -> pd.Categorical:
    """The rows ``order`` of ``cat``."""
    return pd.Categorical.from_codes(cat.codes[order], dtype=cat.dtype)


def _sort_order(date_key: np.ndarray, codes: list[np.ndarray]) -> np.ndarray:
    """The stable order sorting rows by ``date_key`` then by each categorical's ``codes``
    in turn (-1, missing, sorted last, as ``DataFrame.sort_values`` puts missing values).

    The keys are packed into one int64 (mixed radix) when their ranges allow, else sorted
    with ``np.lexsort`` (the same order)."""
    d = np.asarray(date_key, dtype=np.int64)
    cols = [d - d.min()] if d.size else [d]
    for c in codes:
        k = np.asarray(c, dtype=np.int64)
        if k.size and k.min() < 0:
            k = np.where(k < 0, k.max() + 1, k)
        cols.append(k)
    bases = [int(k.max()) + 1 if k.size else 1 for k in cols]
    if math.prod(bases) >= 2**62:
        return np.lexsort(cols[::-1])
    packed = cols[0].copy()
    for k, b in zip(cols[1:], bases[1:], strict=True):
        packed *= b
        packed += k
    return np.argsort(packed, kind="stable")


def drop_unused_categories(cat: pd.Categorical) -> pd.Categorical:
    """``cat.remove_unused_categories()`` (categories kept in their order, codes renumbered),
    counting the codes with ``np.bincount`` instead of sorting them."""
    codes = np.asarray(cat.codes, dtype=np.int64)
    n = len(cat.categories)
    used = np.flatnonzero(np.bincount(codes[codes >= 0], minlength=n))
    if used.size == n:
        return cat.copy()
    new = np.full(n + 1, -1, dtype=np.int64)  # new[-1]: missing stays missing
    new[used] = np.arange(used.size)
    dtype = pd.CategoricalDtype(cat.categories.take(used), ordered=cat.ordered)
    return pd.Categorical.from_codes(new[codes], dtype=dtype)


def _is_array(x: object) -> bool:
    """An array of one value per person (not one value for all)."""
    if type(x) is np.ndarray:  # the common case, without np.ndim's dispatch
        return x.ndim > 0
    return isinstance(x, np.ndarray | list | tuple) and np.ndim(x) > 0


def _none_if_empty(labels: np.ndarray) -> np.ndarray:
    """An object array of ``labels`` with None for "" (no reason)."""
    out = np.array(labels, dtype=object)
    out[out == ""] = None
    return out


def control_stock(rec: Recorder, control: np.ndarray) -> StockFn:
    """The ``control`` stock's function: 1 where an actor holds a place on the day
    (``control`` is the world's day x place array of holders)."""
    n_a = len(rec.actor_ids)

    def held(day: int) -> np.ndarray:
        c = control[day].astype(np.int64)
        out = np.zeros((rec.n_places, n_a))
        ok = c >= 0
        out[np.flatnonzero(ok), c[ok]] = 1.0
        return out

    return held


def core_stocks(rec: Recorder, people: People, control: np.ndarray | None = None) -> None:
    """Register the core stocks: people by place and state, strength by actor and
    assignment, minors' share by actor, and (with ``control``, the world's day x place
    array) which actor holds each place (value 1)."""
    n_a = len(rec.actor_ids)
    if control is not None:
        rec.add_stock("control", ("place", "actor"), (rec.place_names, rec.actor_ids),
                      control_stock(rec, control))
    rec.add_stock("people", ("place", "category"), (rec.place_names, STATE_NAMES),
                  lambda day: people.by_place_state)
    rec.add_stock("strength", ("actor", "category"), (rec.actor_ids, ASSIGN_NAMES),
                  lambda day: people.strength[:n_a])

    def minors_share(day: int) -> np.ndarray:
        total = people.strength[:n_a].sum(axis=1)
        minors = people.minors(day)[:n_a]
        return np.where(total > 0, minors / np.maximum(total, 1), 0.0)

    rec.add_stock("minors_share", ("actor",), (rec.actor_ids,), minors_share)
