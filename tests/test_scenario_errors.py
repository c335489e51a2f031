"""Every kind of bad input gives one clear line with file, line and field, exit 2."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ranks.cli import app
from tests.conftest import TINY

PLACES_CSV = (
    "name,lat,lon,type,population,tribe,source\n"
    "A,35.0,40.0,town,2000,T1,census-2004\n"
    "B,35.2,40.2,town,1000,T2,assumption: test\n"
    "C,35.9,40.1,camp,0,,assumption: test\n"
)
CSV_SCENARIO = TINY.replace(
    TINY[TINY.index("places:"):TINY.index("routes:")], "places: places.csv\n")


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, old
    return text.replace(old, new, 1)


def _line_of(text: str, needle: str) -> int:
    return text[: text.index(needle)].count("\n") + 1


# (id, scenario text, extra files, expected file name, expected line or None, field/words)
CASES: list[tuple[str, str, dict, str, int | None, list[str]]] = []


def case(cid: str, text: str, files: dict | None = None, file: str = "s.yaml",
         line: int | None = None, words: list[str] | None = None) -> None:
    CASES.append((cid, text, files or {}, file, line, words or []))


t = _replace(TINY, "period: {start: 2014-01-01, end: 2014-03-01}",
             "period: {start: 2014-01-01, end: 2014-03-01")
case("yaml-syntax", t, line=None, words=["YAML syntax error"])
t = _replace(TINY, "population: 2000", "population: many")
case("wrong-type", t, line=_line_of(t, "population: many"), words=["places[0].population"])
t = _replace(TINY, "lat: 35.2, ", "")
case("missing-field", t, line=_line_of(t, "{name: B"), words=["missing", "lat"])
t = _replace(TINY, "seed: 3", "seed: 3\nperiode: 1")
case("unknown-field", t, line=_line_of(t, "periode"), words=["unknown field 'periode'"])
t = _replace(TINY, "population: 1000", "popuation: 1000")
case("typo-key", t, line=_line_of(t, "popuation"), words=["did you mean 'population'"])
t = _replace(TINY, "{from: A, to: B,", "{from: A, to: Bee,")
case("unknown-place-route", t, line=_line_of(t, "to: Bee"), words=["routes[0].to",
                                                                   "unknown place 'Bee'"])
t = _replace(TINY, "place: B, actor: Y", "place: B, actor: Z")
case("unknown-actor", t, line=_line_of(t, "actor: Z"), words=["control[2].actor", "'Z'"])
t = _replace(TINY, "end: 2014-03-01", "end: 2013-03-01")
case("period-order", t, line=_line_of(t, "period:"), words=["dates out of order"])
t = _replace(TINY, "date: 2014-02-01, place: B", "date: 2013-12-01, place: B")
case("control-order", t, line=_line_of(t, "2013-12-01"), words=["dates out of order",
                                                                  "control[2].date"])
t = _replace(TINY, "intensity: 0.7", "intensity: 1.7")
case("probability", t, line=_line_of(t, "1.7"), words=["fronts[0].intensity", "1.7"])
t = _replace(TINY, "population: 1000", "population: -5")
case("negative-population", t, line=_line_of(t, "-5"), words=["places[1].population"])
case("missing-csv", CSV_SCENARIO, file="places.csv", words=["not found"])
case("empty-csv", CSV_SCENARIO, files={"places.csv": ""}, file="places.csv", words=["empty"])
case("binary-csv", CSV_SCENARIO, files={"places.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00"},
     file="places.csv", words=["binary"])
case("csv-bad-value", CSV_SCENARIO,
     files={"places.csv": PLACES_CSV.replace("35.2,", "abc,")}, file="places.csv", line=3,
     words=["places[1].lat"])
case("csv-typo-column", CSV_SCENARIO,
     files={"places.csv": PLACES_CSV.replace("population", "popultion")}, file="places.csv",
     line=1, words=["did you mean 'population'"])
case("csv-cells", CSV_SCENARIO,
     files={"places.csv": PLACES_CSV.replace("B,35.2", "B,35.2,99")}, file="places.csv", line=3,
     words=["expected 7 cells"])
case("csv-unknown-source", CSV_SCENARIO,
     files={"places.csv": PLACES_CSV.replace("census-2004", "census-2044")}, file="places.csv",
     line=2, words=["unknown source id 'census-2044'", "did you mean 'census-2004'"])
t = _replace(TINY, "tribe: T1, assumption: test", "tribe: T1")
case("no-evidence", t, line=_line_of(t, "{name: A"), words=["no evidence", "places[0]"])
t = _replace(TINY, "mortality: {}", "mortality:\n    background_per_year: {value: 0.01}")
case("param-no-evidence", t, line=_line_of(t, "background_per_year: {"),
     words=["modules.mortality.background_per_year", "no evidence"])
t = _replace(TINY, "mortality: {}", "mortality:\n    background_per_year: {value: 1.5, assumption: x}")
case("param-probability", t, line=_line_of(t, "background_per_year: {"),
     words=["background_per_year.value", "1.5"])
t = _replace(TINY, "mortality: {}", "mortalty: {}")
case("unknown-module", t, line=_line_of(t, "mortalty"), words=["did you mean 'mortality'"])
t = _replace(TINY, "type: set_param", "type: set_parm")
case("unknown-event-type", t, line=_line_of(t, "set_parm"), words=["timeline[0].type"])
t = _replace(TINY, "seed: 3", "seed: 3\nseed: 4")
case("duplicate-key", t, line=_line_of(t, "seed: 4"), words=["duplicate key"])
t = _replace(TINY, "{name: B,", "{name: A,")
case("duplicate-place", t, line=_line_of(t, "{name: A, lat: 35.2"), words=["duplicate place"])
t = _replace(TINY, "date: 2014-02-10", "date: 2014-02-31")
case("bad-date", t, line=_line_of(t, "2014-02-31"), words=["timeline[0].date"])
t = _replace(TINY, "date: 2014-02-10", "date: 2015-02-10")
case("timeline-outside", t, line=_line_of(t, "2015-02-10"), words=["outside the period"])
t = _replace(TINY, "path: mortality.background_per_year}", "path: mortality.enabled}")
case("set-param-not-settable", t, line=_line_of(t, "mortality.enabled"),
     words=["timeline[0].args.path", "settable: mortality.background_per_year"])
t = _replace(TINY, "type: set_param,", "type: set_param, tribe: T9,")
case("unknown-tribe", t, line=_line_of(t, "T9"), words=["unknown tribe 'T9'"])
t = _replace(TINY, "tribe: T1, assumption: test}", "tribe: T1, source: no-such-source}")
case("unknown-source", t, line=_line_of(t, "no-such-source"), words=["unknown source id"])
t = _replace(TINY, "type: town, population: 2000", "type: village, population: 2000")
case("bad-literal", t, line=_line_of(t, "village"), words=["places[0].type"])
case("top-level-list", "- a\n- b\n", line=1, words=["mapping"])


@pytest.mark.parametrize(("cid", "text", "files", "file", "line", "words"), CASES,
                         ids=[c[0] for c in CASES])
def test_bad_input_is_one_clear_line(runner, write_scenario, cid, text, files, file, line,
                                     words) -> None:
    path = write_scenario(text, files=files)
    result = runner.invoke(app, ["validate", str(path)])
    out = result.output
    assert result.exit_code == 2, out
    assert "Traceback" not in out
    assert file in out, out
    if line is not None:
        assert re.search(rf"{re.escape(file)}:{line}\b", out), out
    for w in words:
        assert w in out, out
    assert len(out.strip().splitlines()) <= 2, out


def test_each_bad_input_breaks_a_scenario_that_validates(runner, tmp_path: Path) -> None:
    """The cases above are single changes to TINY (or its CSV form): both validate, so each
    case's error comes from its own change."""
    for text, files in ((TINY, {}), (CSV_SCENARIO, {"places.csv": PLACES_CSV})):
        for name, content in files.items():
            (tmp_path / name).write_text(content, encoding="utf-8")
        path = tmp_path / "ok.yaml"
        path.write_text(text, encoding="utf-8")
        r = runner.invoke(app, ["validate", str(path)])
        assert r.exit_code == 0, r.output


def test_missing_empty_binary_scenario_file(runner, tmp_path: Path) -> None:
    r = runner.invoke(app, ["validate", str(tmp_path / "nope.yaml")])
    assert r.exit_code == 2 and "not found" in r.output
    (tmp_path / "e.yaml").write_text("  \n")
    r = runner.invoke(app, ["validate", str(tmp_path / "e.yaml")])
    assert r.exit_code == 2 and "empty" in r.output
    (tmp_path / "b.yaml").write_bytes(b"name: x\x00\x01\x02")
    r = runner.invoke(app, ["validate", str(tmp_path / "b.yaml")])
    assert r.exit_code == 2 and "binary" in r.output


def test_run_refuses_existing_out_dir(runner, write_scenario, tiny_text, tmp_path) -> None:
    path = write_scenario(tiny_text)
    out = tmp_path / "run"
    out.mkdir()
    (out / "keep.txt").write_text("precious")
    r = runner.invoke(app, ["run", str(path), "--out", str(out), "--quiet"])
    assert r.exit_code == 2 and "--force" in r.output
    assert (out / "keep.txt").read_text() == "precious"


def test_bad_until_and_scale(runner, write_scenario, tiny_text, tmp_path) -> None:
    path = write_scenario(tiny_text)
    r = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o"), "--until", "2020-01-01",
                            "-q"])
    assert r.exit_code == 2 and "--until" in r.output
    r = runner.invoke(app, ["run", str(path), "--out", str(tmp_path / "o"), "--until", "soon",
                            "-q"])
    assert r.exit_code == 2 and "YYYY-MM-DD" in r.output
    assert not (tmp_path / "o").exists()
