"""What every ``ranks`` sub-command shares: consoles, the error handler, progress bars,
option parsers and argument types. Sub-command modules (``ranks.report.cli``,
``ranks.ensemble.cli``) import from here; ``ranks.cli`` registers their commands."""

from __future__ import annotations

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

from ranks.errors import ConservationError, RanksInputError

err_console = Console(stderr=True)
console = Console()

F = TypeVar("F", bound=Callable[..., Any])


def handle_errors(fn: F) -> F:
    """Turn input errors into one line on stderr and exit code 2 (a conservation failure:
    exit code 1)."""

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except RanksInputError as e:
            err_console.print(f"[bold red]error:[/] {e.format()}", highlight=False, soft_wrap=True)
            raise typer.Exit(2) from None
        except ConservationError as e:
            err_console.print(f"[bold red]conservation check failed:[/] {e}", highlight=False)
            raise typer.Exit(1) from None

    return cast(F, wrapper)


def show_progress(quiet: bool) -> bool:
    """A progress bar only on a terminal and without --quiet."""
    return not quiet and sys.stderr.isatty()


def make_progress() -> Progress:
    """The Rich progress bar used by long commands."""
    return Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeRemainingColumn(), console=err_console, transient=False)


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
