"""Reading input files within bounds: regular files only, a size limit, bounded YAML.

Every input file Ranks reads (scenario YAML, the CSV and YAML files it names, sweep
files, targets, run directories) goes through :func:`read_input_bytes`, so a FIFO, a
device, a directory, a symbolic link loop or a huge file gives one clear line instead of a
hang or a traceback. YAML text is checked by :func:`check_yaml_bounds` before it is built
into Python objects: nesting depth and the number of values after alias expansion are
bounded (no "billion laughs").
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

import yaml

from ranks.errors import RanksInputError

#: Largest input file read, in bytes. The shipped scenarios' files are under 100 kB.
MAX_INPUT_BYTES = 256 * 2**20
#: Deepest nesting of mappings and lists accepted in a YAML file.
MAX_YAML_DEPTH = 64
#: Most values a YAML document may hold once its aliases are expanded.
MAX_YAML_VALUES = 2_000_000

_KINDS = ((stat.S_ISFIFO, "a FIFO (named pipe)"), (stat.S_ISCHR, "a character device"),
          (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
          (stat.S_ISDIR, "a directory"))


def _kind(mode: int) -> str:
    for test, name in _KINDS:
        if test(mode):
            return name
    return "not a regular file"


def _open_regular(path: Path, what: str, field: str | None, max_bytes: int,
                  error: type[RanksInputError]) -> int:
    """Open ``path`` without blocking; return the fd of a regular file within the size."""
    try:
        # O_NONBLOCK: opening a FIFO must not wait for a writer; checked with fstat below
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError:
        if Path(path).is_symlink():
            raise error(f"{what} is a broken symbolic link", file=path, field=field) from None
        raise error(f"{what} not found", file=path, field=field) from None
    except IsADirectoryError:
        raise error(f"{what} is a directory, expected a file", file=path,
                    field=field) from None
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise error(f"{what} is a symbolic link loop", file=path, field=field) from None
        raise error(f"cannot read the {what}: {e.strerror}", file=path, field=field) from None
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            kind = _kind(st.st_mode)
            hint = ", expected a file" if kind == "a directory" else ", not a regular file"
            raise error(f"{what} is {kind}{hint}", file=path, field=field)
        if st.st_size > max_bytes:
            raise error(f"{what} is {st.st_size / 2**20:,.0f} MB; inputs larger than "
                        f"{max_bytes / 2**20:,.0f} MB are refused", file=path, field=field)
    except BaseException:
        os.close(fd)
        raise
    return fd


def check_input_file(path: Path, what: str, field: str | None = None,
                     max_bytes: int = MAX_INPUT_BYTES,
                     error: type[RanksInputError] = RanksInputError) -> None:
    """Check that ``path`` is a regular file of at most ``max_bytes`` (for readers that
    open it themselves, such as Parquet). Never blocks."""
    os.close(_open_regular(path, what, field, max_bytes, error))


def read_input_bytes(path: Path, what: str, field: str | None = None,
                     max_bytes: int = MAX_INPUT_BYTES, error: type[RanksInputError]
                     = RanksInputError) -> bytes:
    """The bytes of regular file ``path``, never blocking.

    Raises:
        ``error`` (a RanksInputError): missing, a symbolic link loop, not a regular file
            (directory, FIFO, device, socket), unreadable, or larger than ``max_bytes``.
    """
    fd = _open_regular(path, what, field, max_bytes, error)
    try:
        os.set_blocking(fd, True)
        chunks = []
        total = 0
        while True:
            b = os.read(fd, 1 << 20)
            if not b:
                break
            total += len(b)
            if total > max_bytes:  # grew while reading
                raise error(f"{what} is larger than {max_bytes / 2**20:,.0f} MB", file=path,
                            field=field)
            chunks.append(b)
        return b"".join(chunks)
    except OSError as e:
        raise error(f"cannot read the {what}: {e.strerror}", file=path, field=field) from None
    finally:
        os.close(fd)


def read_input_text(path: Path, what: str, field: str | None = None,
                    max_bytes: int = MAX_INPUT_BYTES,
                    error: type[RanksInputError] = RanksInputError) -> str:
    """UTF-8 text of ``path`` (a BOM is dropped); empty, binary or undecodable files are
    errors naming the file (and the line of the first bad byte)."""
    data = read_input_bytes(path, what, field, max_bytes, error)
    if not data.strip():
        raise error(f"{what} is empty", file=path, field=field)
    if b"\x00" in data[:8192]:
        raise error(f"{what} is a binary file, expected text", file=path, field=field)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data[: e.start].count(b"\n") + 1
        raise error("not valid UTF-8 text (binary file?)", file=path, line=line,
                    field=field) from None


#: libyaml's parser when PyYAML has it (tens of times faster; the same events and nodes,
#: resolved by the same Python resolver), else the pure-Python one.
FAST_YAML_LOADER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def check_yaml_bounds(text: str, path: Path | str, error: type[RanksInputError]
                      = RanksInputError, max_depth: int = MAX_YAML_DEPTH,
                      max_values: int = MAX_YAML_VALUES) -> None:
    """Refuse YAML nested deeper than ``max_depth`` or holding more than ``max_values``
    values once aliases are expanded, naming the line; syntax errors are left to the
    caller's parser (this pass stops at the first one).

    The events come from libyaml's parser (not recursive; it refuses nesting deeper than
    1,000 itself, as a syntax error). Where it stops at a syntax error the pure-Python
    parser (not recursive, no depth limit of its own) reads the text again, so that
    whatever it accepts before its own first error is bounded too.
    """
    try:
        _check_events(text, FAST_YAML_LOADER, path, error, max_depth, max_values)
    except yaml.YAMLError:
        if FAST_YAML_LOADER is yaml.SafeLoader:
            return
        try:
            _check_events(text, yaml.SafeLoader, path, error, max_depth, max_values)
        except yaml.YAMLError:
            return


def _check_events(text: str, loader: type, path: Path | str, error: type[RanksInputError],
                  max_depth: int, max_values: int) -> None:
    """The bounds of :func:`check_yaml_bounds` on the events of ``loader``'s parser;
    raises ``error``, or yaml.YAMLError at the parser's first syntax error."""
    depth = 0
    sizes: list[int] = []  # expanded size of each open collection
    anchors: list[str | None] = []
    size_of: dict[str, int] = {}
    total = 0
    for ev in yaml.parse(text, Loader=loader):
        line = ev.start_mark.line + 1 if ev.start_mark is not None else None
        if isinstance(ev, yaml.CollectionStartEvent):
            depth += 1
            if depth > max_depth:
                raise error(f"YAML nested more than {max_depth} levels deep", file=path,
                            line=line)
            sizes.append(1)
            anchors.append(ev.anchor)
            continue
        if isinstance(ev, yaml.CollectionEndEvent):
            depth -= 1
            n = sizes.pop()
            a = anchors.pop()
            if a is not None:
                size_of[a] = n
        elif isinstance(ev, yaml.ScalarEvent):
            n = 1
            if ev.anchor is not None:
                size_of[ev.anchor] = 1
        elif isinstance(ev, yaml.AliasEvent):
            n = size_of.get(ev.anchor or "", 1)
        else:
            continue
        if sizes:
            sizes[-1] += n
        else:
            total += n
        if total + sum(sizes) > max_values:
            raise error(f"YAML holds more than {max_values:,} values once its aliases "
                        "(*name) are expanded", file=path, line=line)


def abspath(path: str | Path) -> Path:
    """``path`` made absolute against the current directory and normalised (``..``
    removed), symbolic links kept (unlike ``Path.resolve``)."""
    return Path(os.path.normpath(Path(path).absolute()))
