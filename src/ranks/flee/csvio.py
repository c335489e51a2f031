"""CSV helpers for Flee inputs: stripped rows with line numbers, typed fields with errors."""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

from ranks.errors import RanksInputError


def csv_rows(path: Path) -> Iterator[tuple[int, list[str]]]:
    """Yield (1-based line, fields) for each non-empty CSV record, fields stripped.

    Raises:
        RanksInputError: the file is missing, unreadable or not UTF-8 CSV.
    """
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            reader = csv.reader(fh, skipinitialspace=True)
            try:
                for row in reader:
                    fields = [f.strip() for f in row]
                    if not any(fields):
                        continue
                    yield reader.line_num, fields
            except csv.Error as exc:
                raise RanksInputError(f"malformed CSV: {exc}", file=path,
                                      line=reader.line_num) from None
            except UnicodeDecodeError:
                raise RanksInputError("not UTF-8 text", file=path) from None
    except FileNotFoundError:
        raise RanksInputError("file not found", file=path) from None
    except OSError as exc:
        raise RanksInputError(f"cannot read: {exc.strerror}", file=path) from None

def plain_csv_lines(path: Path) -> list[str] | None:
    """The lines of a CSV file that needs no csv module to split (readable UTF-8 without a
    quote character; read with universal newlines, so lines end where the csv module's
    records do), or None."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeError):
        return None
    return None if '"' in text else text.split("\n")


def parse_int(text: str, path: Path, line: int, column: str, *, allow_empty: int | None = None
              ) -> int:
    """Parse an integer field (``12``, ``12.0``); empty gives ``allow_empty`` when set."""
    if text == "" and allow_empty is not None:
        return allow_empty
    try:
        val = float(text)
    except ValueError:
        raise RanksInputError(f"expected an integer, got {text!r}", file=path, line=line,
                              field=column) from None
    if not math.isfinite(val) or val != int(val):
        raise RanksInputError(f"expected an integer, got {text!r}", file=path, line=line,
                              field=column)
    return int(val)

def parse_float(text: str, path: Path, line: int, column: str, *,
                allow_empty: float | None = None) -> float:
    """Parse a finite float field; empty gives ``allow_empty`` when set."""
    if text == "" and allow_empty is not None:
        return allow_empty
    try:
        val = float(text)
    except ValueError:
        raise RanksInputError(f"expected a number, got {text!r}", file=path, line=line,
                              field=column) from None
    if not math.isfinite(val):
        raise RanksInputError(f"expected a finite number, got {text!r}", file=path, line=line,
                              field=column)
    return val

def parse_date(text: str, path: Path, line: int, column: str) -> dt.date:
    """Parse ``YYYY-MM-DD``."""
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise RanksInputError(f"expected a date YYYY-MM-DD, got {text!r}", file=path,
                              line=line, field=column) from None
