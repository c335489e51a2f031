"""Atomic output directories: write to a temporary sibling, rename when complete."""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ranks.errors import OutputExistsError


def check_out_dir(out: Path, force: bool) -> None:
    """Refuse an existing, non-empty output directory unless ``force`` is set.

    Raises:
        OutputExistsError: ``out`` exists and ``force`` is False.
    """
    if out.exists() and not force:
        raise OutputExistsError(
            "output directory exists; pass --force to replace it", file=out, field="--out"
        )


@contextlib.contextmanager
def atomic_dir(out: str | Path, force: bool = False) -> Iterator[Path]:
    """Yield a temporary directory beside ``out``; rename it to ``out`` on success.

    On an exception the temporary directory is removed and ``out`` is left as it was.
    With ``force`` an existing ``out`` is replaced only after the new one is complete.
    """
    out = Path(out)
    check_out_dir(out, force)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    if out.exists():
        old = out.with_name(f".{out.name}.old-{tmp.name.rsplit('-', 1)[-1]}")
        out.rename(old)
        tmp.rename(out)
        shutil.rmtree(old, ignore_errors=True)
    else:
        tmp.rename(out)
