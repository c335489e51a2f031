"""FabFlee's conflict layout: ``CONFIG_DIR/{input_csv, source_data, simsetting.yml}``.

FabFlee (djgroen/FabFlee, ``config_files/``) keeps one conflict per directory: the Flee input
files in ``input_csv/`` (some older ones use ``input_files/``), the validation data
(``data_layout.csv`` and the camp series) in ``source_data/`` and the settings in
``simsetting.yml``.  Sweep variants (``<config>/SWEEP/<variant>/``) have no settings file of
their own: FabFlee copies the configuration's ``simsetting.yml`` into each run, so the nearest
``simsetting.yml`` above a sweep variant is used.

:func:`resolve_layout` maps a directory to (input, validation, settings); :func:`find_conflicts`
lists every conflict under a directory (for ``ranks flee-suite``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

INPUT_DIRS = ("input_csv", "input_files")
VALIDATION_DIR = "source_data"
SETTINGS_FILE = "simsetting.yml"


@dataclass(frozen=True)
class Layout:
    """Where a conflict's files are (``validation``/``settings`` None when absent)."""

    root: Path
    input_dir: Path
    validation_dir: Path | None
    settings: Path | None
    fabflee: bool

    @property
    def name(self) -> str:
        """The conflict's name: the directory name (``<config>/SWEEP/<v>`` for sweeps)."""
        parts = self.root.parts
        if len(parts) >= 3 and parts[-2] == "SWEEP":
            return f"{parts[-3]}/{parts[-1]}"
        return self.root.name


def fabflee_input_dir(path: Path) -> Path | None:
    """The Flee input directory of a FabFlee conflict directory, or None if it is not one."""
    for sub in INPUT_DIRS:
        cand = path / sub
        if (cand / "locations.csv").is_file():
            return cand
    return None


def sweep_settings(root: Path) -> Path | None:
    """``simsetting.yml`` of ``root`` or, for a sweep variant, of its configuration."""
    own = root / SETTINGS_FILE
    if own.is_file():
        return own
    if root.parent.name == "SWEEP":
        up = root.parent.parent / SETTINGS_FILE
        if up.is_file():
            return up
    return None


def resolve_layout(path: str | Path) -> Layout:
    """Map a directory to its Flee input, validation and settings files.

    A FabFlee conflict directory (with ``input_csv/locations.csv``) gives its
    ``source_data/`` (if present) and its (or its sweep's) ``simsetting.yml``; any other
    directory is taken as a Flee input directory with ``simsetting.yml`` beside its files.
    """
    root = Path(path)
    inp = fabflee_input_dir(root)
    if inp is None:
        own = root / SETTINGS_FILE
        return Layout(root, root, None, own if own.is_file() else None, fabflee=False)
    val = root / VALIDATION_DIR
    return Layout(root, inp, val if (val / "data_layout.csv").is_file() else None,
                  sweep_settings(root), fabflee=True)


def find_conflicts(root: str | Path) -> list[Layout]:
    """Every FabFlee conflict directory at or under ``root``, sorted by path.

    A directory counts when it holds ``input_csv/locations.csv`` (or ``input_files/``);
    the search does not descend into a conflict it found, nor into hidden directories.
    """
    root = Path(root)
    found: list[Layout] = []
    seen: set[tuple[int, int]] = set()  # (device, inode): symbolic-link loops end here

    def walk(d: Path) -> None:
        try:
            st = d.stat()
        except OSError:
            return
        if (st.st_dev, st.st_ino) in seen:
            return
        seen.add((st.st_dev, st.st_ino))
        if fabflee_input_dir(d) is not None:
            found.append(resolve_layout(d))
            sweep = d / "SWEEP"
            if sweep.is_dir():
                walk(sweep)
            return
        try:
            subs = sorted(p for p in d.iterdir() if p.is_dir() and not p.name.startswith("."))
        except OSError:
            return
        for s in subs:
            walk(s)

    walk(root)
    return sorted(found, key=lambda lay: str(lay.root))
