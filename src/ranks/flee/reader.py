"""Reader for Flee's input directory (locations, routes, closures, conflicts, period).

Both dialects are accepted: quoted or bare CSV fields, ``sim_period.csv`` or the older
``conflict_period.csv``, headers commented with ``#`` or not.  Every malformed value raises
:class:`ranks.errors.RanksInputError` with the file, the 1-based line and the column name.
Flee 3.1 tolerates some inconsistencies (a name in conflicts.csv or closures.csv that is not a
location, fewer conflict rows than days); Ranks does the same and records a warning.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import difflib
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import yaml

from ranks.errors import RanksInputError
from ranks.flee.csvio import csv_rows, parse_date, parse_float, parse_int, plain_csv_lines
from ranks.flee.demographics import Attribute, RouteClasses, read_demographics, route_classes
from ranks.flee.fabflee import resolve_layout
from ranks.flee.settings import _FAST_LOADER, _KEYS, CompatSettings, FleeSettings, load_settings
from ranks.flee.validation import ValidationData, read_validation
from ranks.resources import MEMORY_SHARE, available_bytes, fmt_bytes

LOCATION_COLUMNS = ("name", "region", "country", "latitude", "longitude", "location_type",
                    "conflict_date", "population")
ROUTE_COLUMNS = ("name1", "name2", "distance", "forced_redirection")
CLOSURE_TYPES = ("country", "location", "link", "camp", "idpcamp", "remove_forced_redirection")

# Flee 3.1 location kinds (see flee.Location.__init__).
KIND_CONFLICT, KIND_TOWN, KIND_CAMP, KIND_IDPCAMP, KIND_FORWARD, KIND_MARKER = range(6)


@dataclass
class Location:
    """One row of locations.csv; ``pop`` and ``capacity`` are people / hasten."""

    name: str
    country: str
    kind: int
    conflict_date: int | None
    pop: int
    capacity: int
    lat: float
    lon: float
    attributes: dict[str, str]
    line: int


@dataclass
class Route:
    """One row of routes.csv (``distance`` in km)."""

    a: int
    b: int
    distance: float
    forced: int
    attributes: dict[str, str]
    line: int


@dataclass
class Closure:
    """One row of closures.csv (days since the start date)."""

    kind: str
    name1: str
    name2: str
    start: int
    end: int
    line: int


@dataclass
class InitialAgents:
    """Agents of ``agents.csv`` (Flee's ``read_from_agents_csv_file``): one per row."""

    path: Path
    loc: np.ndarray  # (A,) location index
    attributes: dict[str, list[str]]  # column -> value per agent
    lines: list[int]  # file line of each agent

    def numbers(self, column: str) -> np.ndarray:
        """A column as numbers (e.g. ``age``).

        Raises:
            RanksInputError: the column is missing or a value is not a number.
        """
        if column not in self.attributes:
            raise RanksInputError(f"a rule needs the agents' {column!r}: no such column",
                                  file=self.path, line=1, field=column)
        out = np.empty(len(self.loc))
        for i, text in enumerate(self.attributes[column]):
            out[i] = parse_float(text, self.path, self.lines[i], column)
        return out

    def column(self, column: str) -> list[str]:
        """A column as text; raises like :meth:`numbers` when it is missing."""
        if column not in self.attributes:
            raise RanksInputError(f"a rule needs the agents' {column!r}: no such column",
                                  file=self.path, line=1, field=column)
        return self.attributes[column]


@dataclass
class Scenario:
    """Everything a run needs: geography, timeline, settings and (optional) validation data."""

    input_dir: Path
    settings: FleeSettings
    start_date: dt.date
    days: int
    locations: list[Location]
    routes: list[Route]
    closures: list[Closure]
    conflict_names: list[str]
    conflicts: np.ndarray  # (days, len(conflict_names)) intensity, float64
    validation: ValidationData | None
    warnings: list[str] = field(default_factory=list)
    demographics: dict[str, Attribute] = field(default_factory=dict)
    route_classes: RouteClasses | None = None
    initial_agents: InitialAgents | None = None
    location_columns: list[str] = field(default_factory=list)  # locations.csv extra columns

    @property
    def names(self) -> list[str]:
        """Location names in file order."""
        return [loc.name for loc in self.locations]

    @property
    def camp_indices(self) -> list[int]:
        """Locations that are camps on day 0 (Flee's output columns), in file order."""
        return [i for i, loc in enumerate(self.locations) if loc.kind in (KIND_CAMP, KIND_IDPCAMP)
                or _auto_camp(loc, self.settings)]

    @property
    def camp_names(self) -> list[str]:
        """Names of :attr:`camp_indices`."""
        return [self.locations[i].name for i in self.camp_indices]


def _auto_camp(loc: Location, s: FleeSettings) -> bool:
    """Flee turns any location with a daily move chance below 0.005 into a camp."""
    mc = {KIND_CONFLICT: s.conflict_movechance, KIND_TOWN: s.default_movechance,
          KIND_FORWARD: 1.0, KIND_MARKER: 1.0}.get(loc.kind)
    return mc is not None and mc < 0.005




def _is_header(fields: list[str], first: str | None = None) -> bool:
    """A ``#`` comment/header row, or an uncommented header starting with ``first``."""
    return fields[0].startswith("#") or (first is not None and fields[0].lower() == first)






def _kind(text: str, path: Path, line: int) -> int:
    t = text.lower()
    if "camp" in t:
        return KIND_IDPCAMP if "idp" in t else KIND_CAMP
    if "conflict" in t:
        return KIND_CONFLICT
    if "forward" in t:
        return KIND_FORWARD
    if "marker" in t:
        return KIND_MARKER
    if "default" in t or "town" in t:
        return KIND_TOWN
    raise RanksInputError(
        f"unknown location type {text!r} (expected conflict_zone, town, camp, idpcamp, "
        "forwarding_hub or marker)", file=path, line=line, field="location_type")


def read_locations(path: Path, hasten: int) -> list[Location]:
    """Read locations.csv; populations and capacities are divided by ``hasten`` (floor)."""
    extra: list[str] = []
    locs: list[Location] = []
    seen: dict[str, int] = {}
    for line, f in csv_rows(path):
        if _is_header(f, "name"):
            extra = f[len(LOCATION_COLUMNS):]
            continue
        if len(f) < len(LOCATION_COLUMNS):
            raise RanksInputError(
                f"expected {len(LOCATION_COLUMNS)} columns ({', '.join(LOCATION_COLUMNS)}), "
                f"got {len(f)}", file=path, line=line)
        name = f[0]
        if name in seen:
            raise RanksInputError(f"duplicate location name {name!r} (first on line "
                                  f"{seen[name]}); Flee 3.1 would keep both, attaching "
                                  "routes to the last", file=path, line=line, field="name")
        seen[name] = line
        kind = _kind(f[5], path, line)
        cdate = None
        if kind == KIND_CONFLICT:
            cdate = parse_int(f[6], path, line, "conflict_date")
            if cdate > 0:  # Flee: a conflict zone that starts later begins as a town.
                kind = KIND_TOWN
        population = parse_int(f[7], path, line, "population", allow_empty=0)
        if population < 0:
            raise RanksInputError("expected a population >= 0", file=path, line=line,
                                  field="population")
        scaled = population // hasten
        attrs = {extra[i]: f[len(LOCATION_COLUMNS) + i]
                 for i in range(min(len(extra), len(f) - len(LOCATION_COLUMNS)))}
        is_camp = kind in (KIND_CAMP, KIND_IDPCAMP)
        locs.append(Location(
            name=name, country=f[2] or "unknown", kind=kind, conflict_date=cdate,
            pop=0 if is_camp else scaled, capacity=scaled if is_camp else -1,
            lat=parse_float(f[3], path, line, "latitude", allow_empty=0.0),
            lon=parse_float(f[4], path, line, "longitude", allow_empty=0.0),
            attributes=attrs, line=line))
    if not locs:
        raise RanksInputError("no locations", file=path)
    return locs


def read_routes(path: Path, index: dict[str, int]) -> list[Route]:
    """Read routes.csv; both names must be locations, distance > 0 km."""
    extra: list[str] = []
    routes: list[Route] = []
    for line, f in csv_rows(path):
        if _is_header(f, "name1"):
            extra = f[len(ROUTE_COLUMNS):]
            continue
        if len(f) < 3:
            raise RanksInputError("expected name1,name2,distance[,forced_redirection]",
                                  file=path, line=line)
        for col, name in (("name1", f[0]), ("name2", f[1])):
            if name not in index:
                raise RanksInputError(f"unknown location {name!r}", file=path, line=line,
                                      field=col)
        dist = parse_float(f[2], path, line, "distance")
        if dist <= 0:
            raise RanksInputError("expected a distance > 0 km", file=path, line=line,
                                  field="distance")
        forced = parse_int(f[3], path, line, "forced_redirection",
                           allow_empty=0) if len(f) > 3 else 0
        if forced not in (0, 1, 2):
            raise RanksInputError("expected 0, 1 or 2", file=path, line=line,
                                  field="forced_redirection")
        attrs = {extra[i]: f[4 + i] for i in range(min(len(extra), len(f) - 4))}
        for key in ("max_move_speed", "walk_probability"):
            if key in attrs and attrs[key] != "":
                parse_float(attrs[key], path, line, key)
        routes.append(Route(index[f[0]], index[f[1]], dist, forced, attrs, line))
    return routes


def read_closures(path: Path, locs: list[Location], warnings: list[str]) -> list[Closure]:
    """Read closures.csv (optional file); unknown names are kept and warned about."""
    if not path.exists():
        return []
    names = {loc.name for loc in locs}
    countries = {loc.country for loc in locs}
    out: list[Closure] = []
    for line, f in csv_rows(path):
        if _is_header(f, "closure_type"):
            continue
        if len(f) < 5:
            raise RanksInputError("expected closure_type,name1,name2,closure_start,closure_end",
                                  file=path, line=line)
        kind = f[0]
        if kind not in CLOSURE_TYPES:
            raise RanksInputError(f"unknown closure type {kind!r} (expected "
                                  f"{', '.join(CLOSURE_TYPES)})", file=path, line=line,
                                  field="closure_type")
        c = Closure(kind, f[1], f[2], parse_int(f[3], path, line, "closure_start"),
                    parse_int(f[4], path, line, "closure_end"), line)
        if c.end < c.start and kind != "remove_forced_redirection":
            warnings.append(f"{path}:{line}: closure_end {c.end} is before closure_start "
                            f"{c.start}: as in Flee, the closure starts on day {c.start} and "
                            "is never lifted")
        known = countries if kind == "country" else names
        used = (c.name1, c.name2) if kind in ("country", "link", "remove_forced_redirection") \
            else (c.name1,)
        for n in used:
            if n not in known:
                warnings.append(f"{path}:{line}: {kind} closure names unknown {n!r}; "
                                "it has no effect (as in Flee)")
        out.append(c)
    return out


def read_agents_csv(path: Path, index: dict[str, int], warnings: list[str]) -> InitialAgents:
    """Read ``agents.csv``: a header ``location,<attribute>...``, then one agent per row.

    Rows naming an unknown location are skipped with a warning, as Flee does.
    """
    header: list[str] | None = None
    locs: list[int] = []
    lines: list[int] = []
    cols: dict[str, list[str]] = {}
    for line, f in csv_rows(path):
        if f[0].startswith("#"):
            continue
        if header is None:
            header = f[1:]
            cols = {h: [] for h in header}
            continue
        if f[0] not in index:
            warnings.append(f"{path}:{line}: unknown location {f[0]!r}; agent skipped (as "
                            "in Flee)")
            continue
        locs.append(index[f[0]])
        lines.append(line)
        for j, h in enumerate(header):
            cols[h].append(f[1 + j] if 1 + j < len(f) else "")
    return InitialAgents(path=path, loc=np.array(locs, dtype=np.intp), attributes=cols,
                         lines=lines)


def read_period(input_dir: Path) -> tuple[dt.date, int, Path]:
    """Start date and length (days) from sim_period.csv or conflict_period.csv."""
    path = input_dir / "sim_period.csv"
    if not path.exists():
        path = input_dir / "conflict_period.csv"
    if not path.exists():
        raise RanksInputError("neither sim_period.csv nor conflict_period.csv found",
                              file=input_dir / "sim_period.csv")
    start: dt.date | None = None
    length: int | None = None
    for line, f in csv_rows(path):
        key = f[0].lower().lstrip("#")
        if key == "startdate":
            start = parse_date(f[1] if len(f) > 1 else "", path, line, "StartDate")
        elif key == "length":
            length = parse_int(f[1] if len(f) > 1 else "", path, line, "Length")
            if length < 1:
                raise RanksInputError("expected a length >= 1 day", file=path, line=line,
                                      field="Length")
    if start is None or length is None:
        raise RanksInputError("expected StartDate,YYYY-MM-DD and Length,<days> rows", file=path)
    return start, length, path




def read_conflicts(path: Path, locs: list[Location], days: int, warnings: list[str]
                   ) -> tuple[list[str], np.ndarray]:
    """Read conflicts.csv into (names, intensity[day, name]); rows are days in file order.

    Without the file, conflicts follow ``conflict_date`` in locations.csv (intensity 1 from
    that day on).  Rows missing at the end repeat the last row (Flee 3.1 would stop with an
    IndexError); names that are not locations are dropped, as Flee does.
    """
    names_known = {loc.name for loc in locs}
    if not path.exists():
        cz = [loc for loc in locs if loc.conflict_date is not None]
        arr = np.zeros((days, len(cz)))
        for j, loc in enumerate(cz):
            arr[min(loc.conflict_date or 0, days):, j] = 1.0
        warnings.append(f"{path}: not found; conflicts follow conflict_date in locations.csv")
        return [loc.name for loc in cz], arr
    plain = _plain_conflicts(path)
    if plain is not None:
        cols, arr = plain
        rows_n = len(arr)
    else:
        cols, arr = _read_conflict_rows(path)
        rows_n = len(arr)
    if rows_n < days:
        warnings.append(f"{path}: {rows_n} day rows for a {days}-day run; the last row is "
                        "repeated (Flee 3.1 would fail)")
        arr = np.vstack([arr, np.repeat(arr[-1:], days - rows_n, axis=0)])
    arr = arr[:days]
    keep = [j for j, n in enumerate(cols) if n in names_known]
    for n in cols:
        if n not in names_known:
            warnings.append(f"{path}: column {n!r} is not a location; ignored (as in Flee)")
    return [cols[j] for j in keep], arr[:, keep]


def _plain_conflicts(path: Path) -> tuple[list[str], np.ndarray] | None:
    """conflicts.csv's named columns and day rows in one NumPy conversion when the file is
    plain: every day row as long, at most as long as the header, every named field a finite
    number from 0 to 1 (a cell left empty, a wider row or a bad value: None, and
    :func:`_read_conflict_rows` reads it row by row, with the line of any error)."""
    quick = _numeric_conflicts(path)
    if quick is not None:
        return quick
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            records = [r for r in csv.reader(fh, skipinitialspace=True) if any(r)]
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if len(records) < 2:
        return None
    header = [h.strip() for h in records[0]]
    named = [i for i in range(1, len(header)) if header[i]]
    width = len(records[1])
    if not named or any(len(r) != width for r in records[1:]) or not (
            named[-1] < width <= len(header)):
        return None
    rows = records[1:]
    try:
        flat = map(float, [r[i] for r in rows for i in named])
        arr = np.fromiter(flat, dtype=np.float64, count=len(rows) * len(named))
    except ValueError:  # an empty cell or not a number
        return None
    arr = arr.reshape(len(rows), len(named))
    if not (np.isfinite(arr).all() and (arr >= 0.0).all() and (arr <= 1.0).all()):
        return None
    return [header[i] for i in named], arr


def _numeric_conflicts(path: Path) -> tuple[list[str], np.ndarray] | None:
    """:func:`_plain_conflicts` for the common file, parsed by NumPy's C reader: a header
    line, then rows of numbers only (the day too), all as wide, none wider than the
    header.  Anything else (a quote, an empty cell, a date, a ragged row): None, and the
    csv module reads it.  The same values as ``float`` of each cell."""
    try:
        with open(path, encoding="utf-8-sig") as fh:
            first = fh.readline()
            arr = np.loadtxt(fh, delimiter=",", ndmin=2, comments=None, dtype=np.float64)
    except (OSError, UnicodeDecodeError, ValueError):
        return None
    if not first.strip() or arr.shape[0] == 0:
        return None
    header = [h.strip() for h in next(csv.reader([first], skipinitialspace=True))]
    named = [i for i in range(1, len(header)) if header[i]]
    width = arr.shape[1]
    if not named or not (named[-1] < width <= len(header)):
        return None
    arr = np.ascontiguousarray(arr[:, named])
    if not (np.isfinite(arr).all() and (arr >= 0.0).all() and (arr <= 1.0).all()):
        return None
    return [header[i] for i in named], arr


def _read_conflict_rows(path: Path) -> tuple[list[str], np.ndarray]:
    """conflicts.csv row by row: named columns and day rows (an empty cell is 0), with the
    file, line and column of any error."""
    header: list[str] | None = None
    rows: list[list[float]] = []
    lines: list[int] = []
    fast: list[int] | None = None  # columns with a name
    for line, f in csv_rows(path):
        if header is not None:
            lines.append(line)
        if header is None:
            header = f
            continue
        if len(f) > len(header) and any(f[len(header):]):
            raise RanksInputError(f"expected at most {len(header)} columns, got {len(f)}",
                                  file=path, line=line)
        if fast is None:
            fast = [i for i in range(1, len(header)) if header[i]]
        if not fast or len(f) > fast[-1]:  # fast path; any bad field is parsed again below
            try:
                vals = [float(f[i]) if f[i] else 0.0 for i in fast]
                if all(map(math.isfinite, vals)):
                    rows.append(vals)
                    continue
            except ValueError:
                pass
        vals = []
        for i in range(1, len(header)):
            if not header[i]:
                continue
            text = f[i] if i < len(f) else ""
            vals.append(parse_float(text, path, line, header[i], allow_empty=0.0))
        rows.append(vals)
    if header is None:
        raise RanksInputError("empty file", file=path)
    cols = [h for h in header[1:] if h]
    if not rows:
        raise RanksInputError("no day rows", file=path)
    arr = np.array(rows, dtype=np.float64).reshape(len(rows), len(cols))
    bad = np.argwhere((arr < 0.0) | (arr > 1.0))
    if len(bad):  # an intensity is a share of the location in conflict, 0..1
        r, c = (int(x) for x in bad[0])
        raise RanksInputError(f"expected a conflict intensity from 0 to 1, got {arr[r, c]:g}",
                              file=path, line=lines[r], field=cols[c])
    return cols, arr


#: Bytes per (day, location) of the day-by-day arrays (conflicts, camp series, counts).
BYTES_PER_DAY_LOCATION = 8 * 6


def _check_memory(days: int, n_locations: int, period: Path) -> None:
    """Refuse a period whose day-by-day arrays would not fit in memory, with the estimate."""
    need = days * max(n_locations, 1) * BYTES_PER_DAY_LOCATION
    have = available_bytes()
    if need > have * MEMORY_SHARE:
        raise RanksInputError(f"a {days:,}-day run of {n_locations:,} locations needs about "
                              f"{fmt_bytes(need)} for its day-by-day arrays; "
                              f"{fmt_bytes(have)} is available", file=period, field="Length")


def _no_minus_counts(path: Path) -> bool:
    """Whether a plain series file (no quotes) has no minus sign in any second field."""
    lines = plain_csv_lines(path)
    return lines is not None and not any(
        "-" in parts[1] for parts in (ln.split(",", 2) for ln in lines) if len(parts) > 1)


def _check_observed(val_dir: Path) -> None:
    """Observed counts are people: refuse a negative one, naming its file and line."""
    layout = val_dir / "data_layout.csv"
    if not layout.is_file():
        return  # read_validation says what is missing
    for _line, f in csv_rows(layout):
        if len(f) < 2 or f[0].startswith("#") or not f[0]:
            continue
        for name in f[1:]:
            path = val_dir / name
            if not name or not path.is_file():
                continue
            if _no_minus_counts(path):
                continue  # (no count field holds a minus sign: none is negative)
            for line, row in csv_rows(path):
                if len(row) < 2:
                    continue
                try:
                    v = float(row[1])
                except ValueError:
                    continue
                if v < 0:
                    raise RanksInputError(f"expected a count of people >= 0, got {row[1]}",
                                          file=path, line=line, field="count")


def _unknown_setting_keys(path: Path) -> list[str]:
    """Warnings for settings keys that look like a misspelling of a key Ranks reads (Flee's
    files hold many keys Ranks does not use, so unknown keys are not errors)."""
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_FAST_LOADER)  # noqa: S506
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return []
    if not isinstance(data, dict):
        return []
    known: dict[str, set[str]] = {}
    for sec, key, *_ in _KEYS:
        known.setdefault(sec, set()).add(key)
    known.setdefault("spawn_rules", set()).update({"conflict_driven_spawning",
                                                   "conflict_spawn_decay"})
    known["ranks_compat"] = {f.name for f in dataclasses.fields(CompatSettings)}
    out = []
    for sec, keys in known.items():
        given = data.get(sec)
        if not isinstance(given, dict):
            continue
        for k in given:
            if str(k) in keys:
                continue
            hint = difflib.get_close_matches(str(k), sorted(keys), n=1, cutoff=0.8)
            if hint:
                out.append(f"{path}: {sec}.{k} is not a setting Ranks reads (ignored); did "
                           f"you mean {sec}.{hint[0]}?")
    return out


def read_scenario(input_dir: str | Path, validation_dir: str | Path | None = None,
                  settings: str | Path | FleeSettings | None = None, *,
                  days: int | None = None) -> Scenario:
    """Read a Flee scenario directory (and optional validation directory).

    Args:
        input_dir: directory with locations.csv, routes.csv, conflicts.csv, ..., or a
            FabFlee conflict directory (``input_csv/``, ``source_data/``,
            ``simsetting.yml``; see :mod:`ranks.flee.fabflee`).
        validation_dir: directory with data_layout.csv and the per-camp series, or None
            (for a FabFlee directory: its ``source_data/``).
        settings: a settings YAML path, a :class:`FleeSettings`, or None (then
            ``input_dir/simsetting.yml`` or the FabFlee one when present, else Flee's
            defaults).
        days: run only the first ``days`` days (default: the period file's length).
    """
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise RanksInputError("not a directory", file=input_dir)
    layout = resolve_layout(input_dir)
    input_dir = layout.input_dir
    if validation_dir is None and layout.fabflee:
        validation_dir = layout.validation_dir
    if isinstance(settings, FleeSettings):
        s = settings
    elif settings is not None:
        s = load_settings(settings)
    else:
        s = load_settings(layout.settings)
    warnings: list[str] = list(s.warnings)
    start, length, _period = read_period(input_dir)
    if days is not None:
        length = max(1, min(length, int(days)))
    locs = read_locations(input_dir / "locations.csv", s.hasten)
    _check_memory(length, len(locs), _period)
    index = {loc.name: i for i, loc in enumerate(locs)}
    routes = read_routes(input_dir / "routes.csv", index)
    closures = read_closures(input_dir / "closures.csv", locs, warnings)
    cnames, carr = read_conflicts(input_dir / "conflicts.csv", locs, length, warnings)
    needs_attrs = s.children_avoid_hazards or (s.match_ethnicity and s.compat.v32)
    demographics = read_demographics(input_dir) if needs_attrs else {}
    location_columns = _location_columns(input_dir / "locations.csv")
    classes = route_classes(s, demographics, input_dir, location_columns)
    initial = None
    if s.read_from_agents_csv_file:
        initial = read_agents_csv(input_dir / "agents.csv", index, warnings)
    validation = None
    if validation_dir is not None:
        _check_observed(Path(validation_dir))
        validation = read_validation(Path(validation_dir), start, length, s.hasten,
                                     input_dir / "registration_corrections.csv",
                                     flee32=s.compat.v32)
    settings_path = (Path(settings) if isinstance(settings, str | Path) else
                     layout.settings if settings is None else None)
    if settings_path is not None and Path(settings_path).is_file():
        warnings += _unknown_setting_keys(Path(settings_path))
    scen = Scenario(input_dir=input_dir, settings=s, start_date=start, days=length,
                    locations=locs, routes=routes, closures=closures, conflict_names=cnames,
                    conflicts=carr, validation=validation, warnings=warnings,
                    demographics=demographics, route_classes=classes, initial_agents=initial,
                    location_columns=location_columns)
    _check_ethnicity_counts(scen)
    if validation is not None:
        validation.check_defined(scen.camp_names)
        missing = [n for n in scen.camp_names if n not in validation.series]
        for n in missing:
            warnings.append(f"{validation.layout_path}: no series for camp {n!r}; it is left "
                            "out of the error (Flee 3.1 would stop)")
    return scen


def _location_columns(path: Path) -> list[str]:
    """Names of locations.csv's columns after the eight standard ones (from its header)."""
    for _line, f in csv_rows(path):
        if _is_header(f, "name"):
            return f[len(LOCATION_COLUMNS):]
        return []
    return []


def _check_ethnicity_counts(scen: Scenario) -> None:
    """Flee 3.2's ethnicity rule divides a location's count of an ethnicity by its population:
    refuse counts that are not numbers and populations of 0 where a rule applies."""
    rc, s = scen.route_classes, scen.settings
    if rc is None or not rc.ethnicities:
        return
    path = scen.input_dir / "locations.csv"
    for loc in scen.locations:
        is_camp = loc.kind in (KIND_CAMP, KIND_IDPCAMP)
        rule = (s.match_camp_ethnicity if is_camp else s.match_conflict_ethnicity
                if loc.kind == KIND_CONFLICT else s.match_town_ethnicity)
        for e in rc.ethnicities:
            parse_float(loc.attributes.get(e, ""), path, loc.line, e)
        if rule and loc.pop <= 0:
            raise RanksInputError(
                f"Flee 3.2's ethnicity rule divides by the population of {loc.name!r}, which "
                "is 0 (camps' population column is their capacity)", file=path,
                line=loc.line, field="population")
