"""The recorder: one vectorised call per kind of event counts exactly what one call per
(actor, reason, destination) group would; stocks are functions of the day given."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from ranks.record import Recorder

PLACES = ["a", "b", "c", "d"]
ACTORS = ["X", "Y", "Z"]
REASONS = ("belief", "pay", "fear")
DATES = [dt.date(2015, 1, 1) + dt.timedelta(days=i) for i in range(3)]


def _rec() -> Recorder:
    return Recorder(PLACES, ACTORS, DATES)


rows = st.lists(st.tuples(st.integers(0, 3), st.integers(-1, 2), st.integers(0, 2),
                          st.integers(-1, 3), st.integers(1, 4)), min_size=0, max_size=40)


@settings(max_examples=60, deadline=None)
@given(rows)
def test_one_vectorised_call_equals_one_call_per_group(data: list[tuple[int, ...]]) -> None:
    arr = np.array(data, dtype=np.int64).reshape(-1, 5)
    place, actor, reason, dest, w = arr.T
    one = _rec()
    one.events("joined", place, actor=actor, reason=reason, reasons=REASONS, destination=dest,
               count=w)
    one.end_day(0, last=True)
    many = _rec()
    for key in {tuple(r) for r in arr[:, 1:4].tolist()}:
        sel = (actor == key[0]) & (reason == key[1]) & (dest == key[2])
        many.events("joined", place[sel], actor=key[0], reason=REASONS[key[1]],
                    destination=key[2], count=w[sel])
    many.end_day(0, last=True)
    pd.testing.assert_frame_equal(one.events_frame(), many.events_frame())
    assert one.totals == many.totals
    assert one.totals.get("joined", 0) == int(w.sum())


def test_scalar_place_and_count() -> None:
    r = _rec()
    r.events("withdrew", 2, actor=1, destination=0, count=5)
    r.events("withdrew", np.array([2, 2, 2]), actor=1, destination=0)
    r.end_day(1, last=True)
    ev = r.events_frame()
    assert len(ev) == 1 and int(ev["count"].iloc[0]) == 8
    assert ev["destination"].iloc[0] == "a" and ev["actor"].iloc[0] == "Y"


def test_stocks_are_taken_with_the_day() -> None:
    r = _rec()
    seen: list[int] = []

    def fn(day: int) -> np.ndarray:
        seen.append(day)
        return np.full(len(PLACES), float(day))

    r.add_stock("level", ("place",), (PLACES,), fn)
    for d in range(3):
        r.end_day(d, last=d == 2)
    assert seen == [0, 1, 2]
    st_ = r.stocks_frame()
    assert st_.groupby("date")["value"].first().tolist() == [1.0, 2.0]  # zeros are not kept


# -- the tables: the same as pandas builds them from one label per row ---------------------
def _reference_events(r: Recorder) -> pd.DataFrame:
    """The events table built as it was before it was built from codes: a label object
    per row, ``pd.Categorical`` of those, ``sort_values`` on the columns."""
    cols = {k: (np.concatenate(v) if v else np.zeros(0, dtype=np.int64))
            for k, v in r._cols.items()}
    actors = np.array([*r.actor_ids, None], dtype=object)
    places = np.array([*r.place_names, None], dtype=object)
    names = np.array(r._names or [""], dtype=object)
    reason = names[cols["reason"].astype(np.int64)] if len(cols["reason"]) else names[:0]
    reason = np.array(reason, dtype=object)
    reason[reason == ""] = None
    df = pd.DataFrame({
        "replicate": np.full(len(cols["day"]), r.replicate, dtype=np.int16),
        "date": pd.to_datetime(np.array(r.dates, dtype="datetime64[D]")[
            cols["day"].astype(np.int64)]).date if len(cols["day"]) else [],
        "actor": pd.Categorical(actors[cols["actor"].astype(np.int64)],
                                categories=r.actor_ids),
        "place": pd.Categorical(places[cols["place"].astype(np.int64)],
                                categories=r.place_names),
        "event": pd.Categorical(names[cols["event"].astype(np.int64)]),
        "reason": pd.Categorical(reason),
        "destination": pd.Categorical(places[cols["destination"].astype(np.int64)],
                                      categories=r.place_names),
        "count": cols["count"].astype(np.int64),
    })
    return df.sort_values(["date", "event", "actor", "place", "reason", "destination"],
                          kind="stable", ignore_index=True)


def _reference_stocks(r: Recorder) -> pd.DataFrame:
    """The stocks table built as it was before: one frame of labels per stock,
    concatenated, made categorical and sorted by pandas."""
    dates = np.array(r.dates, dtype="datetime64[D]")[np.array(r.snapshot_days,
                                                              dtype=np.int64)]
    parts = []
    for s in r.stocks:
        if not s.values:
            continue
        arr = np.stack(s.values)
        idx = np.nonzero(np.ones(arr.shape, dtype=bool))
        vals = arr[idx]
        keep = vals != 0
        part = {"date": dates[idx[0][keep]], "stock": s.name, "value": vals[keep]}
        for d, dim in enumerate(s.dims):
            part[dim] = np.asarray(s.labels[d], dtype=object)[idx[d + 1][keep]]
        parts.append(pd.DataFrame(part))
    df = pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(
        {"date": [], "stock": [], "value": []})
    for c in ("actor", "place", "category"):
        if c not in df:
            df[c] = None
    df.insert(0, "replicate", np.int16(r.replicate))
    df["date"] = pd.to_datetime(df["date"]).dt.date
    for c in ("stock", "actor", "place", "category"):
        df[c] = pd.Categorical(df[c])
    df = df[["replicate", "date", "stock", "actor", "place", "category", "value"]]
    return df.sort_values(["date", "stock", "actor", "place", "category"], kind="stable",
                          ignore_index=True)


def _same_tables(r: Recorder, tmp_path) -> None:
    """Both tables equal the reference ones, column types (and category types) included,
    and their Parquet files are the same bytes."""
    from ranks.io.writers import write_parquet

    for got, ref in ((r.events_frame(), _reference_events(r)),
                     (r.stocks_frame(), _reference_stocks(r))):
        pd.testing.assert_frame_equal(got, ref)
        for c in got.columns:
            assert got[c].dtype == ref[c].dtype, c
            if isinstance(got[c].dtype, pd.CategoricalDtype):
                assert got[c].cat.categories.dtype == ref[c].cat.categories.dtype, c
        write_parquet(got, tmp_path / "got.parquet")
        write_parquet(ref, tmp_path / "ref.parquet")
        assert (tmp_path / "got.parquet").read_bytes() == (tmp_path / "ref.parquet").read_bytes()


@settings(max_examples=40, deadline=None)
@given(days=st.lists(rows, min_size=1, max_size=5), zero_from=st.integers(0, 3),
       no_reasons=st.booleans())
def test_tables_equal_those_built_per_row(tmp_path_factory, days: list, zero_from: int,
                                          no_reasons: bool) -> None:
    """Random events (missing actors and destinations, no reason, several days) and
    stocks (some all zero, some without a dim, a scalar one) give the tables pandas builds
    from one label per row, to the byte in Parquet."""
    tmp_path = tmp_path_factory.mktemp("tables")
    dates = [dt.date(2015, 1, 1) + dt.timedelta(days=i) for i in range(len(days))]
    r = Recorder(PLACES, ACTORS, dates, replicate=2)
    level = np.zeros((len(PLACES), len(ACTORS)))
    r.add_stock("control", ("place", "actor"), (PLACES, ACTORS), lambda d: level)
    r.add_stock("none_yet", ("actor",), (ACTORS,),
                lambda d: np.full(len(ACTORS), float(d >= zero_from)))
    r.add_stock("people", ("place", "category"), (PLACES, ["civilian", "dead"]),
                lambda d: np.arange(8.0).reshape(4, 2) * d)
    r.add_stock("total", (), (), lambda d: np.array(float(d)))
    for day, data in enumerate(days):
        arr = np.array(data, dtype=np.int64).reshape(-1, 5)
        place, actor, reason, dest, w = arr.T
        if no_reasons:
            r.events("died", place, actor=actor, destination=dest, count=w)
        else:
            r.events("joined", place, actor=actor, reason=reason, reasons=REASONS,
                     destination=dest, count=w)
            r.events("fled", place, destination=dest)
        level[day % len(PLACES), day % len(ACTORS)] = 1.0
        r.end_day(day, last=day == len(days) - 1)
    _same_tables(r, tmp_path)


def test_tables_of_a_recorder_without_events_or_stocks(tmp_path) -> None:
    r = _rec()
    r.end_day(0, last=True)
    _same_tables(r, tmp_path)


def test_tables_of_a_real_run_with_all_zero_stocks(tmp_path) -> None:
    """A short run of the demo (no minors yet: an all-zero stock) gives the same tables."""
    from ranks.engine import Simulation
    from ranks.runner import load
    from tests.conftest import DEMO

    sim = Simulation(load(DEMO), scale=0.05, until=dt.date(2014, 6, 20))
    sim.run()
    _same_tables(sim.record, tmp_path)


def test_drop_unused_categories_is_pandas_remove_unused_categories() -> None:
    from ranks.record import drop_unused_categories

    rng = np.random.default_rng(3)
    for n_cat in (1, 5, 40):
        cats = [f"c{i}" for i in range(n_cat)]
        codes = rng.integers(-1, n_cat, 200)
        codes[codes == n_cat // 2] = 0  # one category unused
        c = pd.Categorical.from_codes(codes, categories=cats)
        got, ref = drop_unused_categories(c), c.remove_unused_categories()
        assert got.dtype == ref.dtype
        assert got.codes.dtype == ref.codes.dtype
        np.testing.assert_array_equal(got.codes, ref.codes)
