"""What every ``ranks`` sub-command shares: consoles, the error handler, progress bars,
option parsers and argument types. Sub-command modules (``ranks.report.cli``,
``ranks.ensemble.cli``) import from here; ``ranks.cli`` registers their commands."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import typer
import yaml
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.text import Text

from ranks.errors import ConservationError, RanksInputError

#: Consoles never read console markup or emoji codes in what they print: user values
#: (names, paths, notes) are shown as they are; styles are given with rich.text.Text.
err_console = Console(stderr=True, markup=False, emoji=False, highlight=False)
console = Console(markup=False, emoji=False, highlight=False)

F = TypeVar("F", bound=Callable[..., Any])


def styled(label: str, style: str, rest: str = "") -> Text:
    """``label`` in ``style``, then ``rest`` as plain text (never read as markup)."""
    return Text.assemble((label, style), " " if rest else "", rest)


def print_error(label: str, message: str) -> None:
    """Print ``label message`` on stderr as one line of plain text. Cannot fail on odd
    characters: bytes that are not text (file names in another encoding) are shown as
    escapes, and if the console still fails the line is written directly."""
    message = message.encode("utf-8", "backslashreplace").decode("utf-8")
    try:
        err_console.print(styled(label, "bold red", message), soft_wrap=True)
    except Exception:  # noqa: BLE001 - the error path must not itself crash
        with contextlib.suppress(Exception):
            err_console._buffer.clear()  # drop what the failed print left half-rendered
        sys.stderr.write(f"{label} {message}\n".encode("ascii", "backslashreplace").decode())
        sys.stderr.flush()


def handle_errors(fn: F) -> F:
    """Turn input errors into one line on stderr and exit code 2 (a conservation failure:
    exit code 1; running out of memory: one line, exit code 2)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RanksInputError as e:
            print_error("error:", e.format())
            raise typer.Exit(2) from None
        except ConservationError as e:
            print_error("conservation check failed:", str(e))
            raise typer.Exit(1) from None
        except MemoryError:
            print_error("error:", "out of memory; try a smaller --scale (the run was stopped; "
                        "nothing was written)")
            raise typer.Exit(2) from None

    return cast(F, wrapper)


def show_progress(quiet: bool) -> bool:
    """A progress bar only on a terminal and without --quiet."""
    return not quiet and sys.stderr.isatty()


def make_progress() -> Progress:
    """The Rich progress bar used by long commands."""
    return Progress(TextColumn("{task.description}", markup=False, style="bold"), BarColumn(),
                    MofNCompleteColumn(), TimeRemainingColumn(), console=err_console,
                    transient=False)


def parse_date(value: str | None, field: str) -> dt.date | None:
    """Parse YYYY-MM-DD or raise an input error naming the option."""
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise RanksInputError(f"expected a date YYYY-MM-DD, got {value!r}", field=field) from None


def parse_sets(items: list[str]) -> dict[str, Any]:
    """``["a.b=1", "c=[1, 2]"]`` -> ``{"a.b": 1, "c": [1, 2]}`` (values read as YAML)."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise RanksInputError(f"expected PATH=VALUE, got {item!r}", field="--set")
        try:
            out[key.strip()] = yaml.safe_load(raw)
        except yaml.YAMLError:
            raise RanksInputError(f"cannot read the value of {item!r}", field="--set") from None
    return out


ScenarioArg = Annotated[Path, typer.Argument(help="Scenario YAML file.")]
RunArg = Annotated[Path, typer.Argument(help="Run directory written by 'ranks run'.")]
