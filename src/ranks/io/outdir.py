"""Output paths that lose nothing: one implementation for every command that writes.

Rules (README "Outputs"), for run, sweep and Flee directories and for report files:

- ``--out`` is checked before any work starts: a name the filesystem takes, not under a
  file, not the current directory or one of its parents, and writable (a temporary
  directory is created beside it at once and kept for the result).
- An existing output is refused unless ``--force``; ``--force`` replaces only an output
  Ranks wrote of the same kind (a run directory has Ranks' ``manifest.json``, a sweep
  directory its ``sweep.json``, a Flee directory its ``summary.json``; a report file its
  generator tag) and refuses anything else, naming it. Nothing is deleted before the new
  output is complete.
- One writer at a time: a lock file beside the output (``.NAME.lock``, ``flock``) is held
  from the check to the final rename, so two runs to one ``--out`` cannot both succeed.
- The new output is written into ``.NAME.tmp-XXXX`` and moved into place in one step: a
  plain rename, or with ``--force`` an atomic exchange (Linux ``renameat2``), then the old
  one is removed. Where the exchange is not available two renames are used, and a kill
  between them leaves ``.NAME.old-XXXX`` and ``.NAME.tmp-XXXX``.
- The next writer to the same output repairs what a killed one left (it holds the lock, so
  nobody else is writing): the newest complete output becomes ``NAME``, unfinished
  temporary directories and replaced outputs are removed, and each step is reported.
- When writing fails late (a full disk), the result is written to a rescue directory in
  the system's temporary folder instead, and the error names it; ``NAME`` is unchanged.
- Output directories get the permissions of ``mkdir`` under the user's umask.
"""

from __future__ import annotations

import contextlib
import ctypes
import errno
import hashlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from ranks.errors import OutputExistsError, RanksInputError
from ranks.io.inputs import abspath

try:  # POSIX advisory locks; elsewhere outputs are not locked
    import fcntl

    HAVE_FLOCK = True
except ImportError:  # pragma: no cover - not on Linux/macOS
    HAVE_FLOCK = False

#: What marks an output that Ranks wrote, by kind: (file inside, keys it must hold).
MARKERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "run": ("manifest.json", ("ranks_version", "scenario", "seed")),
    "sweep": ("sweep.json", ("ranks_version", "key")),
    "flee": ("summary.json", ("averaged_relative_difference", "agent_steps")),
    "flee-suite": ("manifest.json", ("ranks_version", "suite", "seed")),
}
#: What each kind is called in messages.
WHAT = {"run": "run directory", "sweep": "sweep directory", "flee": "Flee output directory",
        "flee-suite": "Flee suite directory"}
#: Generator tag written into every HTML page Ranks makes (see report/htmlkit.py).
HTML_TAG = '<meta name="generator" content="ranks">'
#: Longest file name most filesystems take, in bytes (used when pathconf cannot tell).
NAME_MAX = 255
#: Marker files larger than this are not Ranks' (a guard against reading a huge file).
MARKER_MAX_BYTES = 64 * 2**20


class OutputError(RanksInputError):
    """The output could not be written (exit code 2): a bad ``--out``, another writer, or
    a failure while writing (the message says what was kept)."""


Notify = Callable[[str], None]


def _stderr_note(msg: str) -> None:
    sys.stderr.write(f"note: {msg}\n")
    sys.stderr.flush()


def umask() -> int:
    """The process umask (read without changing it for long)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def hidden_stem(name: str) -> str:
    """Base of the hidden names beside an output (``.STEM.tmp-*``, ``.STEM.lock``); long
    names are shortened with a hash so the hidden names stay within NAME_MAX."""
    if len(name.encode()) <= 200:
        return name
    short = name.encode()[:150].decode(errors="ignore")
    return f"{short}-{hashlib.sha1(name.encode()).hexdigest()[:12]}"


def ranks_output_kind(path: Path, kind: str) -> bool:
    """True when ``path`` is a directory (not a link) that Ranks wrote as ``kind``."""
    fname, keys = MARKERS[kind]
    try:
        if path.is_symlink() or not path.is_dir():
            return False
        m = path / fname
        if not m.is_file() or m.stat().st_size > MARKER_MAX_BYTES:
            return False
        doc = json.loads(m.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return isinstance(doc, dict) and all(k in doc for k in keys)


def _marker_mtime(path: Path, kind: str) -> int | None:
    if not ranks_output_kind(path, kind):
        return None
    return (path / MARKERS[kind][0]).stat().st_mtime_ns


def describe_contents(path: Path) -> str:
    """``'a file'`` or ``'a directory holding 12 entries, e.g. demo.yaml'``."""
    try:
        if path.is_symlink():
            return "a symbolic link"
        if not path.is_dir():
            return "a file" if path.is_file() else "not a regular file or directory"
        names = sorted(p.name for p in path.iterdir())
    except OSError as e:
        return f"unreadable ({e.strerror})"
    if not names:
        return "an empty directory"
    return f"a directory holding {len(names)} entr{'y' if len(names) == 1 else 'ies'}, " \
           f"e.g. {names[0]}"


def _err(msg: str, out: Path, field: str = "--out") -> OutputError:
    return OutputError(msg, file=out, field=field)


def check_out_path(out: Path, *, field: str = "--out", is_file: bool = False) -> Path:
    """Check that ``out`` can be created: a valid name, not under a file, not the current
    directory or one of its parents; create missing parent directories. Returns the
    absolute path (symbolic links in the parents kept).

    Raises:
        OutputError: naming ``out`` and what is wrong.
    """
    raw = str(out)
    if not raw or "\x00" in raw:
        raise _err("not a valid path", out, field)
    absolute = abspath(out)
    for part in absolute.parts:
        if len(part.encode(errors="surrogateescape")) > NAME_MAX:
            what = "the name" if part == absolute.name else f"the folder name {part[:20]}..."
            raise _err(f"{what} is {len(part.encode(errors='surrogateescape'))} bytes long; "
                       f"filesystems take at most {NAME_MAX}", out, field)
    try:
        return _check_out_path(out, absolute, field, is_file)
    except OSError as e:  # anything else the filesystem refuses while we look
        raise _err(f"cannot use this path: {e.strerror or e}", out, field) from None


def _check_out_path(out: Path, absolute: Path, field: str, is_file: bool) -> Path:
    name = absolute.name
    if not name:
        raise _err("is the root directory; give a new directory", out, field)
    cwd = Path.cwd().resolve()
    try:
        real = absolute.resolve()
    except (OSError, RuntimeError) as e:  # a symbolic link loop
        raise _err(f"cannot resolve the path: {getattr(e, 'strerror', None) or e}", out,
                   field) from None
    if not is_file and (real == cwd or real in cwd.parents):
        raise _err("is the current directory or contains it; give a new directory", out,
                   field)
    parent = absolute.parent
    anc = parent
    while not anc.exists() and anc != anc.parent:
        if anc.is_symlink():
            raise _err(f"{anc} is a broken symbolic link", out, field)
        anc = anc.parent
    if anc.exists() and not anc.is_dir():
        raise _err(f"is under {anc}, which is a file, not a directory", out, field)
    try:
        limit = os.pathconf(anc, "PC_NAME_MAX")
    except (OSError, ValueError):
        limit = NAME_MAX
    if len(name.encode()) > limit:
        raise _err(f"the name is {len(name.encode())} bytes long; the filesystem takes at "
                   f"most {limit}", out, field)
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise _err(f"cannot create the folder {parent}: {e.strerror}", out, field) from None
    if not parent.is_dir():
        raise _err(f"is under {parent}, which is not a directory", out, field)
    return absolute


class OutputLock:
    """An exclusive lock on an output path, held by an open file beside it."""

    def __init__(self, out: Path, field: str = "--out") -> None:
        self.out = out
        self.field = field
        self.path = out.parent / f".{hidden_stem(out.name)}.lock"
        self.fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise OutputError when another process holds it."""
        if not HAVE_FLOCK:  # pragma: no cover
            return
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            except OSError as e:
                raise _err(f"cannot write beside it ({e.strerror})", self.out,
                           self.field) from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = ""
                with contextlib.suppress(OSError, ValueError):
                    holder = os.read(fd, 64).decode().strip()
                os.close(fd)
                who = f" (pid {holder})" if holder.isdigit() else ""
                raise _err(f"another ranks process{who} is writing this output now; wait for "
                           "it to finish or choose another --out", self.out,
                           self.field) from None
            except OSError:  # this filesystem has no locks (some network mounts): go on
                os.close(fd)
                with contextlib.suppress(OSError):
                    self.path.unlink()
                return
            try:  # the file may have been removed by the holder we waited for: retry
                same = os.path.samestat(os.fstat(fd), self.path.stat())
            except FileNotFoundError:
                same = False
            if same:
                os.ftruncate(fd, 0)
                os.write(fd, str(os.getpid()).encode())
                self.fd = fd
                return
            os.close(fd)

    def release(self) -> None:
        """Remove the lock file and release the lock."""
        if self.fd is None:
            return
        with contextlib.suppress(OSError):
            self.path.unlink()
        os.close(self.fd)
        self.fd = None


# -- renames --------------------------------------------------------------------------------
_AT_FDCWD = -100
_RENAME_NOREPLACE = 1
_RENAME_EXCHANGE = 2


def _renameat2(src: Path, dst: Path, flags: int) -> bool:
    """``renameat2`` through libc; False when the system or filesystem lacks it."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(src), _AT_FDCWD, os.fsencode(dst), flags) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), str(src), None, str(dst))


def exchange(a: Path, b: Path) -> bool:
    """Swap two existing paths atomically; False when that is not available here."""
    return _renameat2(a, b, _RENAME_EXCHANGE)


def rename_noreplace(src: Path, dst: Path) -> None:
    """Rename ``src`` to ``dst``, failing with FileExistsError when ``dst`` exists."""
    if _renameat2(src, dst, _RENAME_NOREPLACE):
        return
    if dst.exists() or dst.is_symlink():  # fallback: the caller holds the output lock
        raise FileExistsError(errno.EEXIST, "exists", str(dst))
    src.rename(dst)


def _replace_dir(new: Path, out: Path) -> Path:
    """Put directory ``new`` at ``out`` (which exists); return where the old one now is.

    An atomic exchange where the system has it; else two renames, and a kill between them
    leaves ``.NAME.old-X`` and ``.NAME.tmp-X`` for :meth:`OutputDir._recover` to repair.
    """
    head, sep, suffix = new.name.rpartition(".tmp-")
    old = new.with_name(f"{head}.old-{suffix}" if sep else f"{new.name}.old")
    if exchange(new, out):
        try:  # the old one is now at ``new``'s name: give it its own name, then remove it
            new.rename(old)
        except OSError:
            return new
        return old
    out.rename(old)
    new.rename(out)
    return old


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


# -- the output directory -------------------------------------------------------------------
class OutputDir:
    """A new output directory ``out`` of ``kind``, written atomically.

    Use as a context manager around the whole job (the check, the work and the writing)::

        with OutputDir(out, force=force, kind="run") as od:   # checked, locked, reserved
            results = simulate()
            od.write(lambda d: write_files(d, results))        # into the temporary dir
        # moved into place here; on an exception nothing at ``out`` changes

    Raises OutputError (exit 2) on entry when ``out`` is not usable, and from
    :meth:`write` or on exit when writing fails (saying what was kept).
    """

    def __init__(self, out: str | Path, *, force: bool = False, kind: str = "run",
                 field: str = "--out", notify: Notify | None = None) -> None:
        if kind not in MARKERS:
            raise ValueError(f"unknown output kind {kind!r}")
        self.given = Path(out)
        self.force = force
        self.kind = kind
        self.field = field
        self.notify = notify or _stderr_note
        self.out = self.given
        self.tmp: Path | None = None
        self.lock: OutputLock | None = None
        self.written = False
        self.rescued: Path | None = None

    # -- opening -----------------------------------------------------------------------
    def open(self) -> Path:
        """Check, lock, repair leftovers, refuse an existing output unless it may be
        replaced, and create the temporary directory. Returns the temporary directory."""
        self.out = check_out_path(self.given, field=self.field)
        self.lock = OutputLock(self.out, self.field)
        self.lock.acquire()
        try:
            self._recover()
            check_replaceable(self.out, self.force, self.kind, self.field, given=self.given)
            stem = hidden_stem(self.out.name)
            try:
                tmp = Path(tempfile.mkdtemp(prefix=f".{stem}.tmp-", dir=self.out.parent))
            except OSError as e:
                raise _err(f"cannot write here: {e.strerror}", self.given, self.field) from None
            tmp.chmod(0o777 & ~umask())
            self.tmp = tmp
        except BaseException:
            self.lock.release()
            raise
        return tmp

    def _leftovers(self) -> list[Path]:
        stem = hidden_stem(self.out.name)
        parent = self.out.parent
        found: list[Path] = []
        for pat in (f".{stem}.tmp-*", f".{stem}.old-*"):
            with contextlib.suppress(OSError):
                found += sorted(parent.glob(glob_escape(pat)))
        return found

    def _recover(self) -> None:
        """Repair what a killed writer left (we hold the lock: nobody else writes here)."""
        left = self._leftovers()
        if not left:
            return
        complete = [(t, p) for p in left if (t := _marker_mtime(p, self.kind)) is not None]
        current = _marker_mtime(self.out, self.kind)
        exists = self.out.exists() or self.out.is_symlink()
        if complete:
            t_best, best = max(complete)
            if not exists:
                best.rename(self.out)
                self.notify(f"{self.given}: restored the {WHAT[self.kind]} that a killed "
                            f"ranks process left in {best.name}")
            elif current is not None and t_best > current:
                _remove(_replace_dir(best, self.out))
                self.notify(f"{self.given}: put in place the newer {WHAT[self.kind]} that a "
                            f"killed ranks process left in {best.name}")
            elif current is None:  # out is not ours: keep the finished output, visibly
                kept = self.out.with_name(f"{self.out.name}.recovered-"
                                          f"{best.name.rsplit('-', 1)[-1]}")
                if not kept.exists():
                    best.rename(kept)
                    self.notify(f"{self.given}: a killed ranks process left a finished "
                                f"{WHAT[self.kind]}; it is kept as {kept.name}")
        for p in left:  # unfinished outputs, and complete ones older than out
            if p.exists() or p.is_symlink():
                _remove(p)
                self.notify(f"{self.given}: removed {p.name}, left by a killed ranks process")

    # -- writing ------------------------------------------------------------------------
    def write(self, fn: Callable[[Path], Any]) -> Any:
        """Call ``fn(tmp)`` to write the output's files. On a write error (full disk,
        removed folder) the partial output is removed, ``fn`` is tried once more in a
        rescue directory under the system's temporary folder, and OutputError says where
        the result is. ``out`` is not touched."""
        assert self.tmp is not None, "open() first"
        try:
            res = fn(self.tmp)
        except OSError as e:
            _remove(self.tmp)
            self.tmp = None
            rescue = None
            with contextlib.suppress(OSError):
                rescue = Path(tempfile.mkdtemp(prefix=f"ranks-rescued-{self.kind}-"))
                rescue.chmod(0o777 & ~umask())
                fn(rescue)
            if rescue is not None and not ranks_output_kind(rescue, self.kind):
                _remove(rescue)
                rescue = None
            self.rescued = rescue
            kept = (f"the result was saved to {rescue} instead" if rescue is not None
                    else "the result could not be saved anywhere")
            raise _err(f"could not write the {WHAT[self.kind]} ({e.strerror or e}); {kept}; "
                       f"{self.given} is unchanged", self.given, self.field) from None
        self.written = True
        return res

    def commit(self) -> Path:
        """Move the finished temporary directory into place."""
        assert self.tmp is not None, "open() first"
        tmp, out = self.tmp, self.out
        try:
            if out.exists() or out.is_symlink():
                check_replaceable(out, self.force, self.kind, self.field, given=self.given)
                _remove(_replace_dir(tmp, out))
            else:
                rename_noreplace(tmp, out)
        except OSError as e:
            raise _err(f"could not move the finished {WHAT[self.kind]} into place "
                       f"({e.strerror or e}); it is complete in {tmp}", self.given,
                       self.field) from None
        finally:
            self.tmp = None
        return out

    def discard(self) -> None:
        """Remove the temporary directory (after a failure)."""
        if self.tmp is not None:
            _remove(self.tmp)
            self.tmp = None

    def close(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    def __enter__(self) -> OutputDir:
        self.open()
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        try:
            if exc_type is None and self.tmp is not None:
                self.commit()
            else:
                self.discard()
        finally:
            self.close()


def glob_escape(pattern: str) -> str:
    """Escape glob metacharacters in the name part before ``*`` (names may hold ``[``)."""
    head, star, tail = pattern.rpartition("*")
    import glob as _glob

    return _glob.escape(head) + star + tail if star else _glob.escape(pattern)


def _empty_dir(path: Path) -> bool:
    try:
        return path.is_dir() and not path.is_symlink() and not any(path.iterdir())
    except OSError:
        return False


def check_replaceable(out: Path, force: bool, kind: str, field: str = "--out",
                      given: Path | None = None) -> None:
    """Refuse an existing ``out`` unless ``force`` and it is a Ranks output of ``kind`` (or
    an empty directory).

    Raises:
        OutputExistsError: ``out`` exists and ``force`` is False.
        OutputError: ``force`` is set but ``out`` is not a Ranks output of ``kind``.
    """
    shown = given if given is not None else out
    if not (out.exists() or out.is_symlink()):
        return
    if not force:
        raise OutputExistsError(
            f"output exists; pass --force to replace it (only a {WHAT[kind]} written by ranks "
            "is replaced)", file=shown, field=field)
    if not ranks_output_kind(out, kind) and not _empty_dir(out):
        marker = MARKERS[kind][0]
        raise _err(f"--force replaces only a {WHAT[kind]} written by ranks (with its {marker}); "
                   f"this is {describe_contents(out)}; nothing was changed", shown, field)


@contextlib.contextmanager
def output_dir(out: str | Path, force: bool = False, kind: str = "run",
               field: str = "--out") -> Iterator[Path]:
    """Yield the temporary directory of a new output ``out``; move it into place when the
    block ends without an exception (see :class:`OutputDir`)."""
    od = OutputDir(out, force=force, kind=kind, field=field)
    with od:
        assert od.tmp is not None
        yield od.tmp


def preflight(out: str | Path, force: bool, kind: str = "run", field: str = "--out") -> None:
    """Check ``out`` before a long job without keeping anything: the path rules and the
    replace rule (the job then opens an :class:`OutputDir`, which checks again)."""
    absolute = check_out_path(Path(out), field=field)
    check_replaceable(absolute, force, kind, field, given=Path(out))
    lock = OutputLock(absolute, field)
    lock.acquire()
    lock.release()


# -- output files (reports) -----------------------------------------------------------------
def is_ranks_html(path: Path) -> bool:
    """True when ``path`` is an HTML page Ranks wrote (its generator tag, or the start of
    the pages of earlier versions)."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
    except OSError:
        return False
    return HTML_TAG.encode() in head or head.startswith(
        b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">')


def preflight_file(out: Path, *, replace: Callable[[Path], bool] | None = None,
                   field: str = "--out") -> Path:
    """Check a file output before the work that makes it: the path rules, and an existing
    file only when ``replace(out)`` allows it (default: an HTML page Ranks wrote). Returns
    the absolute path.

    Raises:
        OutputError: naming ``out`` and why it cannot be written.
    """
    given = out
    out = check_out_path(out, field=field, is_file=True)
    may = replace or is_ranks_html
    if out.exists() or out.is_symlink():
        if out.is_dir() or not out.is_file():
            raise _err(f"is {describe_contents(out)}; expected a file name", given, field)
        if not may(out):
            raise _err("exists and was not written by ranks; choose another name (nothing "
                       "was changed)", given, field)
    return out


def write_file_atomic(out: Path, data: bytes | str, *, replace: Callable[[Path], bool] | None
                      = None, field: str = "--out") -> Path:
    """Write a file through a temporary sibling and a rename. An existing ``out`` is
    replaced only when ``replace(out)`` says it may be (default: any regular file Ranks can
    recognise as its own HTML page); a directory or another file is refused, naming it.

    Raises:
        OutputError: a bad path, an existing file that is not Ranks' output, or a write
            failure (nothing at ``out`` changes).
    """
    given = out
    out = preflight_file(out, replace=replace, field=field)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{hidden_stem(out.name)}.tmp-", dir=out.parent)
    except OSError as e:
        raise _err(f"cannot write here: {e.strerror}", given, field) from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
        Path(tmp).chmod(0o666 & ~umask())
        Path(tmp).replace(out)
    except OSError as e:
        Path(tmp).unlink(missing_ok=True)
        raise _err(f"could not write the file ({e.strerror or e}); nothing was changed",
                   given, field) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return out
