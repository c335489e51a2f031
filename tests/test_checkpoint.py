"""``ranks run --checkpoint`` and ``--from``: a run continued from its checkpoint gives the
same bytes as the run made in one go; what-if branches may differ only after the
checkpoint."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from ranks.cli import app
from tests.conftest import DEMO, SOURCES

SCALE = "0.2"


def _bytes(run: Path) -> tuple[bytes, bytes]:
    return (run / "events.parquet").read_bytes(), (run / "stocks.parquet").read_bytes()


def test_continued_run_gives_the_same_bytes(runner, tmp_path: Path) -> None:
    whole, part, cont = tmp_path / "whole", tmp_path / "part", tmp_path / "cont"
    args = ["run", str(DEMO), "--scale", SCALE, "-q"]
    r = runner.invoke(app, [*args, "--out", str(whole)])
    assert r.exit_code == 0, r.output
    # stop on 2015-02-03, a day off the weekly stock schedule, and continue
    r = runner.invoke(app, [*args, "--out", str(part), "--until", "2015-02-03",
                            "--checkpoint"])
    assert r.exit_code == 0, r.output
    assert (part / "checkpoint-0.pkl").is_file()
    r = runner.invoke(app, ["run", str(DEMO), "-q", "--out", str(cont), "--from", str(part)])
    assert r.exit_code == 0, r.output
    assert _bytes(cont) == _bytes(whole)
    assert _bytes(part) != _bytes(whole)  # the part is shorter: the test can fail


def test_what_if_branch_from_the_checkpoint(runner, tmp_path: Path) -> None:
    """A scenario that adds an event after the checkpoint continues the saved run (same
    history before, a different future); one that changes an earlier row is refused."""
    part = tmp_path / "part"
    r = runner.invoke(app, ["run", str(DEMO), "--scale", SCALE, "-q", "--out", str(part),
                            "--until", "2015-03-01", "--checkpoint"])
    assert r.exit_code == 0, r.output
    data = yaml.safe_load(DEMO.read_text())
    data["evidence"] = str(SOURCES)
    data["population"] = str(DEMO.parent / data["population"])
    late = {"date": "2015-04-01", "type": "set_param", "value": 0.5,
            "args": {"path": "mortality.background_per_year"}, "assumption": "test"}
    data["timeline"] = sorted([*data["timeline"], late], key=lambda e: str(e["date"]))
    branch = tmp_path / "branch.yaml"
    branch.write_text(yaml.safe_dump(data, sort_keys=False))
    base, alt = tmp_path / "base", tmp_path / "alt"
    assert runner.invoke(app, ["run", str(DEMO), "-q", "--out", str(base), "--from",
                               str(part)]).exit_code == 0
    r = runner.invoke(app, ["run", str(branch), "-q", "--out", str(alt), "--from", str(part)])
    assert r.exit_code == 0, r.output
    eb, ea = (pd.read_parquet(p / "events.parquet").astype({"actor": str, "place": str,
                                                            "event": str, "reason": str,
                                                            "destination": str})
              for p in (base, alt))
    cut = pd.Timestamp("2015-04-01").date()
    pd.testing.assert_frame_equal(eb[eb.date < cut].reset_index(drop=True),
                                  ea[ea.date < cut].reset_index(drop=True))
    died = [int(e[(e.event == "died") & (e.date >= cut)]["count"].sum()) for e in (eb, ea)]
    assert died[1] > 3 * died[0]  # much higher mortality from April on in the branch
    early = dict(late, date="2014-09-01")
    data["timeline"] = sorted([*data["timeline"][:-1], early], key=lambda e: str(e["date"]))
    branch.write_text(yaml.safe_dump(data, sort_keys=False))
    r = runner.invoke(app, ["run", str(branch), "-q", "--out", str(tmp_path / "bad"),
                            "--from", str(part)])
    assert r.exit_code == 2 and "differs from the saved run before 2015-03-01" in " ".join(
        r.output.split())
    r = runner.invoke(app, ["run", str(DEMO), "-q", "--out", str(tmp_path / "x"), "--from",
                            str(base)])
    assert r.exit_code == 2 and "no checkpoint" in r.output
