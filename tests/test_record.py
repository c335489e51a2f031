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
