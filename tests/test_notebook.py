"""The Python API (``ranks.load``, ``ranks.run``, results) and its worked example in
docs/notebook.md, executed block by block."""

from __future__ import annotations

import os
import re
from pathlib import Path

import matplotlib
import pandas as pd
import pytest

import ranks
from ranks.errors import RanksInputError
from tests.conftest import DEMO, ROOT

matplotlib.use("Agg")


def python_blocks(md: Path) -> list[str]:
    """The ```python blocks of a Markdown file, in order."""
    return re.findall(r"```python\n(.*?)```", md.read_text(encoding="utf-8"), flags=re.S)


def test_worked_example_in_docs_runs(tmp_path: Path) -> None:
    blocks = python_blocks(ROOT / "docs" / "notebook.md")
    assert len(blocks) >= 5
    ns: dict = {}
    cwd = Path.cwd()
    os.chdir(ROOT)
    try:
        for i, code in enumerate(blocks):
            exec(compile(code, f"docs/notebook.md block {i + 1}", "exec"), ns)  # noqa: S102
    finally:
        os.chdir(cwd)
        import matplotlib.pyplot as plt

        plt.close("all")
    assert ns["page"].exists() and ns["page"].name == "report.html"
    assert ns["diff"].loc["total fled", "diff"] < 0


def test_run_matches_the_cli_byte_for_byte(runner, tmp_path: Path) -> None:
    from ranks.cli import app

    res = ranks.run(DEMO, seed=3, scale=0.02, replicates=2, until="2014-08-01",
                    out=tmp_path / "api")
    r = runner.invoke(app, ["run", str(DEMO), "--out", str(tmp_path / "cli"), "--seed", "3",
                            "--scale", "0.02", "--replicates", "2", "--until", "2014-08-01",
                            "-q"])
    assert r.exit_code == 0, r.output
    for f in ("events.parquet", "stocks.parquet"):
        assert (tmp_path / "api" / f).read_bytes() == (tmp_path / "cli" / f).read_bytes()
    assert res.replicates == [0, 1] and res.scale == 0.02
    assert list(res.events.columns) == ["replicate", "date", "actor", "place", "event",
                                        "reason", "destination", "count"]
    assert pd.api.types.is_datetime64_any_dtype(res.stocks["date"])


def test_series_are_population_figures(tmp_path: Path) -> None:
    res = ranks.run(DEMO, seed=3, scale=0.02, replicates=2, until="2014-08-01",
                    out=tmp_path / "r")
    s = res.series("people", by="category")
    alive = s[s["category"] != "dead"].groupby("date")[["r0", "r1"]].sum()
    # everyone is somewhere: the living sum to the synthesized population / scale
    people = res.manifest["people"]
    dead = s[s["category"] == "dead"].set_index("date")[["r0", "r1"]].reindex(alive.index)
    total = alive + dead.fillna(0.0)
    assert (total.round(6) == round(people / 0.02, 6)).all().all()
    summ = res.series("people", by="category", summary=True)
    assert {"median", "low", "high"} <= set(summ.columns)
    assert (summ["low"] <= summ["median"]).all() and (summ["median"] <= summ["high"]).all()
    daily = res.series("died", per="day")
    assert len(daily) == (pd.Timestamp("2014-08-01") - pd.Timestamp("2014-06-01")).days
    assert daily[["r0", "r1"]].to_numpy().sum() == pytest.approx(
        res.events.loc[res.events.event == "died", "count"].sum() / 0.02)
    with pytest.raises(KeyError, match="no event or stock 'nope'"):
        res.series("nope")


def test_bad_input_through_the_api() -> None:
    with pytest.raises(RanksInputError, match="outside its range"):
        ranks.load(DEMO, set={"relatives_help": 2.0})
    with pytest.raises(RanksInputError, match="unknown lever"):
        ranks.load(DEMO, set={"relatives": 0.2})
    with pytest.raises(RanksInputError, match="scenario file not found"):
        ranks.load(ROOT / "scenarios" / "nope.yaml")


def test_open_run_and_repr(tmp_path: Path) -> None:
    res = ranks.run(DEMO, seed=1, scale=0.01, until="2014-07-01", out=tmp_path / "x")
    again = ranks.open_run(tmp_path / "x")
    assert again.events.equals(res.events)
    assert "scale 0.01" in repr(res) and "demo" in repr(ranks.load(DEMO))
