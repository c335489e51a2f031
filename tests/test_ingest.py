"""`ranks ingest`: conflict events (ACLED / UCDP GED columns) -> fronts table."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ranks.errors import OutputExistsError, RanksInputError
from ranks.ingest import FrontMapping, events_to_fronts, ingest, read_events
from ranks.scenario.loader import load_scenario

from .conftest import DEMO, SOURCES

DATA = Path(__file__).parent / "data" / "ingest"
ACLED = DATA / "acled_sample.csv"
UCDP = DATA / "ucdp_sample.csv"


def _demo_places():
    sc = load_scenario(DEMO).scenario
    places = [p for p in sc.places if p.type != "abroad"]
    return sc, [p.name for p in places], np.array([p.lat for p in places]), \
        np.array([p.lon for p in places])


def _level(fronts: pd.DataFrame, place: str, date: str) -> float:
    """The intensity in force at ``place`` on ``date`` (last change point on or before)."""
    rows = fronts[(fronts.place == place) & (fronts.date <= dt.date.fromisoformat(date))]
    return float(rows.sort_values("date").intensity.iloc[-1])


def test_formats_are_detected_and_normalised():
    acled, fa = read_events(ACLED)
    ucdp, fu = read_events(UCDP)
    assert (fa, fu) == ("acled", "ucdp")
    assert len(acled) == 7
    kinds = dict(zip(acled.line, acled.kind, strict=True))
    assert kinds[2] == "battle" and kinds[4] == "airstrike" and kinds[5] == "other"
    # '3 July 2014' is read as a date
    assert acled.loc[acled.line == 4, "date"].iloc[0] == pd.Timestamp("2014-07-03")
    # a five-day UCDP event is spread over its days, fatalities split evenly
    spread = ucdp[ucdp.line == 3]
    assert len(spread) == 5
    assert spread.weight.sum() == pytest.approx(1.0)
    assert spread.fatalities.sum() == pytest.approx(10.0)
    assert set(ucdp.kind) == {"battle", "violence_against_civilians"}


def test_fighting_raises_intensity_at_the_nearest_place_and_decays():
    sc, names, lat, lon = _demo_places()
    ev, _ = read_events(ACLED)
    fronts, s = events_to_fronts(ev, names, lat, lon, sc.period.start, sc.period.end,
                                 FrontMapping(half_life_days=5), source="test-src")
    assert _level(fronts, "Eastbank", "2014-06-30") == 0.0
    hot = _level(fronts, "Eastbank", "2014-07-03")
    assert hot > 0.3
    assert _level(fronts, "Ferrypoint", "2014-07-03") > 0.3  # the air strike
    # decays once the fighting stops, to calm after several half-lives
    assert 0 < _level(fronts, "Eastbank", "2014-07-10") < hot
    assert _level(fronts, "Eastbank", "2014-09-01") == 0.0
    # places with no events stay calm all period
    assert set(fronts[fronts.place == "Rivertown"].intensity) == {0.0}
    assert (fronts.source == "test-src").all()
    assert fronts.intensity.between(0, 1).all()
    # the summary accounts for every event read
    assert s.read == 7 and s.kept == 3
    assert (s.outside_period, s.too_vague, s.not_fighting, s.too_far) == (1, 1, 1, 1)
    assert s.by_place == {"Eastbank": 2, "Ferrypoint": 1}


def test_more_fatalities_mean_higher_intensity():
    sc, names, lat, lon = _demo_places()
    ev, _ = read_events(ACLED)
    ev = ev[ev.line == 2].copy()
    low, _ = events_to_fronts(ev, names, lat, lon, sc.period.start, sc.period.end)
    ev["fatalities"] = 200.0
    high, _ = events_to_fronts(ev, names, lat, lon, sc.period.start, sc.period.end)
    assert _level(high, "Eastbank", "2014-07-02") > _level(low, "Eastbank", "2014-07-02")


def test_mapping_settings_change_the_result():
    sc, names, lat, lon = _demo_places()
    ev, _ = read_events(ACLED)
    base, _ = events_to_fronts(ev, names, lat, lon, sc.period.start, sc.period.end)
    # a zero weight for air strikes removes the Ferrypoint front
    w = dict(FrontMapping().kind_weights, airstrike=0.0)
    no_air, s = events_to_fronts(ev, names, lat, lon, sc.period.start, sc.period.end,
                                 FrontMapping(kind_weights=w))
    assert _level(base, "Ferrypoint", "2014-07-03") > 0
    assert _level(no_air, "Ferrypoint", "2014-07-03") == 0
    assert s.not_fighting == 2
    # letting vague locations in assigns the province-level battle too
    _, s3 = events_to_fronts(ev, names, lat, lon, sc.period.start, sc.period.end,
                             FrontMapping(max_precision=3))
    assert s3.kept == 4


def test_ucdp_multi_day_event_gives_a_front_over_its_days():
    sc, names, lat, lon = _demo_places()
    ev, _ = read_events(UCDP)
    fronts, s = events_to_fronts(ev, names, lat, lon, sc.period.start, sc.period.end)
    assert _level(fronts, "Palmgrove", "2014-07-05") == 0.0
    assert _level(fronts, "Palmgrove", "2014-07-08") > 0.0
    assert s.too_vague == 1  # the country-level event


def test_ingest_writes_a_fronts_csv_the_scenario_loader_accepts(tmp_path: Path):
    sc = load_scenario(DEMO).scenario
    out = tmp_path / "fronts.csv"
    s = ingest(ACLED, sc, out, source="assumption-free-test")
    df = pd.read_csv(out)
    assert list(df.columns) == ["date", "place", "intensity", "kind", "source", "note"]
    assert len(df) == s.rows > 0
    # the kind is the dominant fighting of the last week: battles and air strikes here
    assert {"battle", "airstrike"} <= set(df.kind) and set(df.kind) <= {
        "battle", "airstrike", "shelling", "explosion", "violence_against_civilians", "other",
        "calm"}
    assert (df[df.note.str.contains("events in the last") == False].kind == "calm").all()  # noqa: E712
    # the loader reads it back as the scenario's fronts section (with a source id that
    # exists in evidence/sources.yaml)
    df["source"] = "seed-000"
    df.to_csv(out, index=False)
    data = yaml.safe_load(DEMO.read_text())
    data["fronts"] = str(out)
    data["evidence"] = str(SOURCES)
    data["population"] = str(DEMO.parent / data["population"])
    scen = tmp_path / "demo-ingested.yaml"
    scen.write_text(yaml.safe_dump(data, sort_keys=False))
    loaded = load_scenario(scen)
    assert len(loaded.scenario.fronts) == len(df)
    assert [f.kind for f in loaded.scenario.fronts] == list(df.kind)


def test_existing_output_is_refused_without_force(tmp_path: Path):
    sc = load_scenario(DEMO).scenario
    out = tmp_path / "fronts.csv"
    out.write_text("keep me")
    with pytest.raises(OutputExistsError):
        ingest(ACLED, sc, out, source="x")
    assert out.read_text() == "keep me"
    with pytest.raises(RanksInputError, match="replaces only a fronts table"):
        ingest(ACLED, sc, out, source="x", force=True)  # not a fronts table: kept (B1)
    assert out.read_text() == "keep me"
    out.write_text("date,place,intensity,source\n2014-07-01,Eastbank,0.5,old-run\n")
    ingest(ACLED, sc, out, source="x", force=True)
    assert out.read_text().startswith("date,place,intensity")
    assert "old-run" not in out.read_text()


@pytest.mark.parametrize(("text", "line", "field"), [
    ("a,b\n1,2\n", 1, "header"),
    (ACLED.read_text().replace("2014-07-02,2014", "2014-13-45,2014", 1), 2, "event_date"),
    (ACLED.read_text().replace(",35.06,40.49,", ",95.0,40.49,", 1), 2, "latitude"),
    (ACLED.read_text().replace("clash at Eastbank,4,", "clash at Eastbank,nan,", 1), 2,
     "fatalities"),
    (UCDP.read_text().replace("2014-07-06 00:00:00.000,2014-07-10", "2014-07-16 00:00:00.000,2014-07-10", 1),
     3, "date_end"),
])
def test_bad_input_names_file_line_and_field(tmp_path: Path, text: str, line: int,
                                             field: str):
    bad = tmp_path / "bad.csv"
    bad.write_text(text)
    with pytest.raises(RanksInputError) as e:
        read_events(bad)
    assert (e.value.file, e.value.line, e.value.field) == (str(bad), line, field)


def test_cli_writes_fronts_and_refuses_bad_options(tmp_path: Path):
    from typer.testing import CliRunner

    from ranks.cli import app

    out = tmp_path / "fronts.csv"
    args = ["ingest", str(UCDP), "--scenario", str(DEMO), "--out", str(out),
            "--source", "seed-000"]
    r = CliRunner().invoke(app, args)
    assert r.exit_code == 0, r.output
    assert "4 events read" in r.output and pd.read_csv(out).intensity.max() > 0
    r = CliRunner().invoke(app, args)  # exists, no --force
    assert r.exit_code == 2
    r = CliRunner().invoke(app, [*args, "--force", "--weight", "battle=x"])
    assert r.exit_code == 2 and "--weight" in r.output
    r = CliRunner().invoke(app, [*args, "--force", "--format", "gdelt"])
    assert r.exit_code == 2 and "--format" in r.output
