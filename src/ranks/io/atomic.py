"""Atomic output directories (kept for callers of the first version; the rules and the
implementation are in :mod:`ranks.io.outdir`)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ranks.io.outdir import OutputDir, preflight


def check_out_dir(out: Path, force: bool, kind: str = "run") -> None:
    """Check ``out`` before a long job: a usable path, and an existing output refused unless
    ``force`` and it is a Ranks output of ``kind`` (see :mod:`ranks.io.outdir`).

    Raises:
        OutputExistsError: ``out`` exists and ``force`` is False.
        OutputError: any other reason ``out`` cannot be written or replaced.
    """
    preflight(out, force, kind)


@contextmanager
def atomic_dir(out: str | Path, force: bool = False, kind: str = "run") -> Iterator[Path]:
    """Yield a temporary directory beside ``out``; move it to ``out`` when the block ends
    without an exception (nothing at ``out`` changes otherwise). ``force`` replaces only a
    Ranks output of ``kind``."""
    with OutputDir(out, force=force, kind=kind) as od:
        assert od.tmp is not None
        yield od.tmp
