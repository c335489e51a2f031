"""Output paths lose nothing (issue 17, B1, B3, B8): src/ranks/io/outdir.py."""

from __future__ import annotations

import errno
import json
import os
from pathlib import Path

import pytest

from ranks.errors import OutputExistsError, RanksInputError
from ranks.io.outdir import (
    OutputDir,
    OutputError,
    OutputLock,
    check_out_path,
    preflight,
    ranks_output_kind,
    umask,
    write_file_atomic,
)


def fake_run(d: Path, seed: int = 1) -> Path:
    """A directory with a manifest Ranks would write (enough to be recognised)."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "manifest.json").write_text(json.dumps({"ranks_version": "0", "scenario": {},
                                                 "seed": seed}))
    (d / "events.parquet").write_bytes(b"x")
    return d


def write(seed: int):
    return lambda d: fake_run(d, seed)


def seed_of(d: Path) -> int:
    return json.loads((d / "manifest.json").read_text())["seed"]


def test_new_output_appears_complete_with_umask_permissions(tmp_path: Path) -> None:
    out = tmp_path / "a" / "b" / "run"
    with OutputDir(out, kind="run") as od:
        assert od.tmp is not None and od.tmp.parent == out.parent
        assert not out.exists()  # nothing at out until complete
        od.write(write(1))
    assert seed_of(out) == 1
    assert out.stat().st_mode & 0o777 == 0o777 & ~umask()
    assert sorted(p.name for p in out.parent.iterdir()) == ["run"]  # no lock, no temp left


def test_an_exception_leaves_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    fake_run(out, 7)
    with pytest.raises(RuntimeError), OutputDir(out, force=True, kind="run") as od:
        od.write(write(8))
        raise RuntimeError("simulation failed")
    assert seed_of(out) == 7
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_existing_output_refused_without_force(tmp_path: Path) -> None:
    out = fake_run(tmp_path / "run", 1)
    with pytest.raises(OutputExistsError, match="pass --force"):
        OutputDir(out, kind="run").open()
    assert seed_of(out) == 1


def test_force_replaces_a_run_directory(tmp_path: Path) -> None:
    out = fake_run(tmp_path / "run", 1)
    with OutputDir(out, force=True, kind="run") as od:
        od.write(write(2))
    assert seed_of(out) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


@pytest.mark.parametrize("what", ["folder", "file", "other-kind", "symlink"])
def test_force_refuses_what_ranks_did_not_write(tmp_path: Path, what: str) -> None:
    out = tmp_path / "target"
    if what == "folder":
        out.mkdir()
        (out / "notes.txt").write_text("precious")
    elif what == "file":
        out.write_text("precious")
    elif what == "other-kind":  # a sweep directory is not a run directory
        out.mkdir()
        (out / "sweep.json").write_text(json.dumps({"ranks_version": "0", "key": {}}))
    else:
        fake_run(tmp_path / "real")
        out.symlink_to(tmp_path / "real")
    before = sorted(str(p) for p in tmp_path.rglob("*"))
    with pytest.raises(OutputError, match="replaces only a run directory written by ranks"):
        OutputDir(out, force=True, kind="run").open()
    assert sorted(str(p) for p in tmp_path.rglob("*")) == before  # nothing touched


def test_force_replaces_an_empty_directory(tmp_path: Path) -> None:
    (tmp_path / "e").mkdir()
    with OutputDir(tmp_path / "e", force=True, kind="flee") as od:
        (od.tmp / "summary.json").write_text(json.dumps(  # type: ignore[operator]
            {"averaged_relative_difference": None, "agent_steps": 1}))
    assert ranks_output_kind(tmp_path / "e", "flee")


@pytest.mark.parametrize(("out", "words"), [
    (".", "current directory"),
    ("..", "current directory"),
    ("afile/x", "which is a file"),
    ("afile/deeper/x", "which is a file"),
    ("x" * 300, "bytes long"),
    ("/proc/ranks-test-x", "cannot"),
])
def test_bad_out_paths_refused_before_work(tmp_path: Path, monkeypatch, out: str,
                                           words: str) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "afile").write_text("x")
    before = sorted(p.name for p in tmp_path.iterdir())
    with pytest.raises(RanksInputError, match=words):
        OutputDir(out, kind="run").open()
    assert sorted(p.name for p in tmp_path.iterdir()) == before


def test_preflight_is_read_only_and_matches_open(tmp_path: Path) -> None:
    preflight(tmp_path / "new" / "run", force=False)
    assert not (tmp_path / "new" / "run").exists()
    fake_run(tmp_path / "r")
    with pytest.raises(OutputExistsError):
        preflight(tmp_path / "r", force=False)
    preflight(tmp_path / "r", force=True)


def test_two_writers_to_one_output_cannot_both_succeed(tmp_path: Path) -> None:
    out = tmp_path / "same"
    first = OutputDir(out, kind="run")
    first.open()
    with pytest.raises(OutputError, match=f"pid {os.getpid()}"):
        OutputDir(out, kind="run").open()
    first.write(write(1))
    first.commit()
    first.close()
    with pytest.raises(OutputExistsError):  # the second comes after: refused, out kept
        OutputDir(out, kind="run").open()
    assert seed_of(out) == 1


def test_lock_is_released_and_its_file_removed(tmp_path: Path) -> None:
    lock = OutputLock(tmp_path / "x")
    lock.acquire()
    assert lock.path.exists()
    lock.release()
    assert not lock.path.exists()
    lock.acquire()  # again: fine
    lock.release()


def test_killed_writer_leftovers_are_removed_and_reported(tmp_path: Path) -> None:
    out = fake_run(tmp_path / "run", 1)
    partial = tmp_path / ".run.tmp-dead1"
    partial.mkdir()
    (partial / "events.parquet").write_bytes(b"half")  # no manifest: unfinished
    notes: list[str] = []
    with OutputDir(out, force=True, kind="run", notify=notes.append) as od:
        od.write(write(2))
    assert not partial.exists() and seed_of(out) == 2
    assert any("removed .run.tmp-dead1" in n for n in notes)


def test_kill_between_the_two_renames_is_repaired(tmp_path: Path) -> None:
    """The state two renames leave when killed between them: no out, old and new aside."""
    fake_run(tmp_path / ".run.old-abc", 1)
    new = fake_run(tmp_path / ".run.tmp-abc", 2)
    os.utime(new / "manifest.json", ns=(2 * 10**18, 2 * 10**18))  # newer
    notes: list[str] = []
    with pytest.raises(OutputExistsError):  # repaired first, then refused: it exists now
        OutputDir(tmp_path / "run", kind="run", notify=notes.append).open()
    assert seed_of(tmp_path / "run") == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]
    assert any("restored" in n for n in notes)


def test_finished_but_unplaced_newer_output_is_put_in_place(tmp_path: Path) -> None:
    fake_run(tmp_path / "run", 1)
    new = fake_run(tmp_path / ".run.tmp-xyz", 2)
    os.utime(new / "manifest.json", ns=(2 * 10**18, 2 * 10**18))
    with OutputDir(tmp_path / "run", force=True, kind="run") as od:
        od.write(write(3))
    assert seed_of(tmp_path / "run") == 3
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_two_rename_fallback_without_exchange(tmp_path: Path, monkeypatch) -> None:
    import ranks.io.outdir as od_mod

    monkeypatch.setattr(od_mod, "exchange", lambda a, b: False)
    out = fake_run(tmp_path / "run", 1)
    with OutputDir(out, force=True, kind="run") as od:
        od.write(write(2))
    assert seed_of(out) == 2 and sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_late_write_failure_rescues_the_result(tmp_path: Path, monkeypatch) -> None:
    rescue_root = tmp_path / "systmp"
    rescue_root.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(rescue_root))
    out = fake_run(tmp_path / "run", 1)
    calls = {"n": 0}

    def flaky(d: Path) -> None:
        calls["n"] += 1
        if calls["n"] == 1:  # the disk is full where --out is
            raise OSError(errno.ENOSPC, "No space left on device")
        fake_run(d, 2)

    with pytest.raises(OutputError, match="saved to .*ranks-rescued-run-") as ei, \
            OutputDir(out, force=True, kind="run") as od:
        od.write(flaky)
    assert seed_of(out) == 1  # the old run is intact
    rescued = Path(str(ei.value.message).split("saved to ")[1].split(" instead")[0])
    assert seed_of(rescued) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "systmp"]


def test_report_files_replace_only_ranks_pages(tmp_path: Path) -> None:
    mine = tmp_path / "r.html"
    write_file_atomic(mine, "<!DOCTYPE html>" + '<meta name="generator" content="ranks">')
    write_file_atomic(mine, "<!DOCTYPE html>" + '<meta name="generator" content="ranks">2')
    assert mine.read_text().endswith("2")
    theirs = tmp_path / "notes.html"
    theirs.write_text("my notes")
    with pytest.raises(OutputError, match="not written by ranks"):
        write_file_atomic(theirs, "<!DOCTYPE html>")
    assert theirs.read_text() == "my notes"
    with pytest.raises(OutputError, match="expected a file name"):
        write_file_atomic(tmp_path, "x")
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputError, match="which is a file"):
        write_file_atomic(tmp_path / "f" / "r.html", "x")


def test_check_out_path_makes_parents_and_keeps_links(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    got = check_out_path(Path("a/b/../c/run"))
    assert got == tmp_path / "a" / "c" / "run" and (tmp_path / "a" / "c").is_dir()


def test_a_finished_leftover_beside_a_foreign_out_is_kept(tmp_path: Path) -> None:
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "mine.txt").write_text("not a run")
    fake_run(tmp_path / ".run.tmp-q1", 4)
    notes: list[str] = []
    with pytest.raises(OutputExistsError):
        OutputDir(tmp_path / "run", kind="run", notify=notes.append).open()
    assert seed_of(tmp_path / "run.recovered-q1") == 4
    assert (tmp_path / "run" / "mine.txt").read_text() == "not a run"
    assert any("kept as run.recovered-q1" in n for n in notes)
