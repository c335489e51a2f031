"""User-facing errors: bad input is reported with file, line and field, exit code 2."""

from __future__ import annotations

from pathlib import Path


class RanksInputError(Exception):
    """Bad input from a user file.

    Attributes:
        file: the file at fault.
        line: 1-based line number, or None when unknown.
        field: dotted field path (e.g. ``places[3].population``), or None.
        message: what was expected.
    """

    exit_code = 2

    def __init__(
        self,
        message: str,
        file: str | Path | None = None,
        line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.message = message
        self.file = str(file) if file is not None else None
        self.line = line
        self.field = field
        super().__init__(self.format())

    def format(self) -> str:
        """One line: ``file:line: field: message`` (``field: message`` for a command-line
        option). Line breaks in the parts are shown as spaces: the message stays one line."""
        parts = []
        if self.file:
            parts.append(self.file + (f":{self.line}" if self.line is not None else ""))
        if self.field:
            parts.append(self.field)
        parts.append(self.message)
        return " ".join(": ".join(parts).split("\n")).replace("\r", " ")


class ScenarioError(RanksInputError):
    """A scenario (YAML or a CSV it names) is malformed."""


class OutputExistsError(RanksInputError):
    """The output directory exists and --force was not given."""


class ConservationError(RuntimeError):
    """Someone was lost or counted twice: a bug, never bad input (exit code 1)."""
