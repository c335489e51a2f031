"""Flee ``simsetting.yml`` reader, with Flee 3.1's defaults and Ranks' compatibility switches.

Distances are in km, speeds in km/day, chances are daily probabilities.  A key missing from a
given YAML file takes Flee 3.1's code default (as ``SimulationSettings.ReadFromYML`` does); with
no YAML file at all the values of Flee's shipped ``simsetting.yml`` apply (they differ only in
``conflict_weight``: 0.25 there, 1/sqrt(10) in code).

Ranks-only switches live in a ``ranks_compat`` block; each one fixes a Flee 3.1 defect and is
off by default (see docs/flee-compatibility.md).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ranks.errors import RanksInputError

LINK_CLOSURE_MODES = ("flee", "reverse_only", "both")
FLEE_VERSIONS = ("3.1", "3.2")


@dataclass(frozen=True)
class CompatSettings:
    """Fixes for Flee 3.1 defects; defaults reproduce Flee 3.1.

    Attributes:
        link_closure: ``flee`` (closures of type ``link`` do nothing, as in Flee 3.1, whose
            name test uses identity), ``reverse_only`` (what Flee's code would do with a value
            test: close only name2->name1) or ``both`` (close both directions).
        fix_forced_redirection_duplicates: Flee 3.1 creates a route with
            ``forced_redirection == 1`` twice (doubling its weight); True creates it once.
        fix_conflict_removal: Flee 3.1 ends a conflict only when the previous day's
            intensity was exactly 1; True ends it whenever intensity falls to 0.
        fix_leftover_speed: Flee 3.1 lets an agent that reaches a location with distance to
            spare enter the next route with a full day's speed; True limits the whole day's
            travel to the speed.
        fix_awareness_zero: with ``awareness_level: 0`` Flee 3.1 never moves anyone; True
            picks a neighbour uniformly.
        fix_pop_loc_weight: Flee 3.1 multiplies by min(1, pop)**p under
            ``use_pop_for_loc_weight``; True uses max(1, pop)**p.
        fix_reopened_link_bounce: in Flee 3.1 an agent on a route that was closed and reopened
            before it arrived is still sent back; True lets it arrive if the route is open.
        flee_version: ``"3.1"`` (default) or ``"3.2"``: the rules Flee 3.2 changed, see
            :attr:`v32`.
    """

    link_closure: str = "flee"
    fix_forced_redirection_duplicates: bool = False
    fix_conflict_removal: bool = False
    fix_leftover_speed: bool = False
    fix_awareness_zero: bool = False
    fix_pop_loc_weight: bool = False
    fix_reopened_link_bounce: bool = False
    flee_version: str = "3.1"

    @property
    def v32(self) -> bool:
        """Flee 3.2's versions of the rules it changed: ``capacity_scaling`` is applied,
        ethnicity matching uses the location's share of the agent's ethnicity, registration
        corrections dated before the start are ignored, the Earth radius of the home-distance
        rule is 6371 km (3.1: 6373 km)."""
        return self.flee_version == "3.2"


@dataclass(frozen=True)
class FleeSettings:
    """Flee's move and spawn rules (units: km, km/day, per-day probabilities)."""

    take_from_population: bool = False
    insert_day0: bool = True
    conflict_zone_spawning_only: bool = True
    conflict_driven_spawning: bool = False
    conflict_spawn_mode: str = "constant"
    displaced_per_conflict_day: float = 500.0
    conflict_spawn_decay: tuple[float, ...] | None = None
    max_move_speed: float = 360.0
    max_walk_speed: float = 35.0
    foreign_weight: float = 1.0
    camp_weight: float = 1.0
    conflict_weight: float = 0.25
    conflict_movechance: float = 1.0
    camp_movechance: float = 0.001
    idpcamp_movechance: float = 0.1
    default_movechance: float = 0.3
    awareness_level: int = 1
    capacity_buffer: float = 0.9
    capacity_scaling: float = 1.0
    avoid_short_stints: bool = False
    start_on_foot: bool = False
    distance_softening: float = 10.0
    weight_softening: float = 0.0
    weight_power: float = 1.0
    distance_power: float = 1.0
    use_pop_for_loc_weight: bool = False
    pop_power_for_loc_weight: float = 0.1
    movechance_pop_base: float = 10000.0
    movechance_pop_scale_factor: float = 0.0
    hasten: int = 1
    stay_close_to_home: bool = False
    home_distance_power: float = 0.5
    children_avoid_hazards: bool = False
    boys_take_risk: bool = False
    match_camp_ethnicity: bool = False
    match_town_ethnicity: bool = False
    match_conflict_ethnicity: bool = False
    use_v1_rules: bool = False
    read_from_agents_csv_file: bool = False
    compat: CompatSettings = field(default_factory=CompatSettings)
    source: str | None = None
    warnings: tuple[str, ...] = ()

    @property
    def match_ethnicity(self) -> bool:
        """Any of the three ethnicity-matching rules is on."""
        return (self.match_camp_ethnicity or self.match_town_ethnicity
                or self.match_conflict_ethnicity)

    def replace(self, **changes: Any) -> FleeSettings:
        """Copy with some fields changed."""
        return dataclasses.replace(self, **changes)


# (section, yaml key, attribute, kind, Flee 3.1 code default)
_KEYS: list[tuple[str, str, str, str, Any]] = [
    ("spawn_rules", "take_from_population", "take_from_population", "bool", False),
    ("spawn_rules", "insert_day0", "insert_day0", "bool", True),
    ("spawn_rules", "conflict_zone_spawning_only", "conflict_zone_spawning_only", "bool", True),
    ("move_rules", "max_move_speed", "max_move_speed", "pos", 360.0),
    ("move_rules", "max_walk_speed", "max_walk_speed", "pos", 35.0),
    ("move_rules", "foreign_weight", "foreign_weight", "nonneg", 1.0),
    ("move_rules", "camp_weight", "camp_weight", "nonneg", 1.0),
    ("move_rules", "conflict_weight", "conflict_weight", "nonneg", 1.0 / math.sqrt(10.0)),
    ("move_rules", "conflict_movechance", "conflict_movechance", "prob", 1.0),
    ("move_rules", "camp_movechance", "camp_movechance", "prob", 0.001),
    ("move_rules", "idpcamp_movechance", "idpcamp_movechance", "prob", 0.1),
    ("move_rules", "default_movechance", "default_movechance", "prob", 0.3),
    ("move_rules", "awareness_level", "awareness_level", "int", 1),
    ("move_rules", "capacity_buffer", "capacity_buffer", "prob", 0.9),
    ("move_rules", "capacity_scaling", "capacity_scaling", "pos", 1.0),
    ("move_rules", "avoid_short_stints", "avoid_short_stints", "bool", False),
    ("move_rules", "start_on_foot", "start_on_foot", "bool", False),
    ("move_rules", "softening", "distance_softening", "nonneg", 10.0),
    ("move_rules", "weight_softening", "weight_softening", "nonneg", 0.0),
    ("move_rules", "weight_power", "weight_power", "nonneg", 1.0),
    ("move_rules", "distance_power", "distance_power", "nonneg", 1.0),
    ("move_rules", "use_pop_for_loc_weight", "use_pop_for_loc_weight", "bool", False),
    ("move_rules", "pop_power_for_loc_weight", "pop_power_for_loc_weight", "float", 0.1),
    ("move_rules", "movechance_pop_base", "movechance_pop_base", "pos", 10000.0),
    ("move_rules", "movechance_pop_scale_factor", "movechance_pop_scale_factor", "float", 0.0),
    ("optimisations", "hasten", "hasten", "posint", 1),
    ("move_rules", "stay_close_to_home", "stay_close_to_home", "bool", False),
    ("move_rules", "home_distance_power", "home_distance_power", "float", 0.5),
    ("move_rules", "ChildrenAvoidHazards", "children_avoid_hazards", "bool", False),
    ("move_rules", "BoysTakeRisk", "boys_take_risk", "bool", False),
    ("move_rules", "MatchCampEthnicity", "match_camp_ethnicity", "bool", False),
    ("move_rules", "MatchTownEthnicity", "match_town_ethnicity", "bool", False),
    ("move_rules", "MatchConflictEthnicity", "match_conflict_ethnicity", "bool", False),
    ("move_rules", "use_v1_rules", "use_v1_rules", "bool", False),
    ("spawn_rules", "read_from_agents_csv_file", "read_from_agents_csv_file", "bool", False),
]

# Flee 3.1's use_v1_rules overrides these after reading the file (SimulationSettings).
V1_RULES = {"max_move_speed": 200.0, "start_on_foot": False, "avoid_short_stints": False,
            "camp_weight": 2.0, "conflict_weight": 0.25}

# libyaml's parser when PyYAML has it (same SafeConstructor, so the same values)
_FAST_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _key_lines(text: str) -> dict[str, int]:
    """Map dotted YAML key paths to 1-based line numbers (best effort)."""
    lines: dict[str, int] = {}
    try:
        node = yaml.compose(text, Loader=_FAST_LOADER)
    except yaml.YAMLError:
        return lines

    def walk(n: Any, prefix: str) -> None:
        if isinstance(n, yaml.MappingNode):
            for k, v in n.value:
                key = f"{prefix}{k.value}"
                lines[key] = k.start_mark.line + 1
                walk(v, key + ".")

    walk(node, "")
    return lines


def _convert(value: Any, kind: str, err: Any) -> Any:
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in ("true", "false", "yes", "no"):
            return value.strip().lower() in ("true", "yes")
        raise err(f"expected true or false, got {value!r}")
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise err(f"expected a number, got {value!r}")
    try:
        num = float(value)
    except ValueError:
        raise err(f"expected a number, got {value!r}") from None
    if not math.isfinite(num):
        raise err(f"expected a finite number, got {value!r}")
    if kind in ("int", "posint"):
        if num != int(num):
            raise err(f"expected an integer, got {value!r}")
        if kind == "posint" and num < 1:
            raise err(f"expected an integer >= 1, got {value!r}")
        return int(num)
    if kind == "pos" and num <= 0:
        raise err(f"expected a number > 0, got {value!r}")
    if kind == "nonneg" and num < 0:
        raise err(f"expected a number >= 0, got {value!r}")
    if kind == "prob" and not 0.0 <= num <= 1.0:
        raise err(f"expected a probability in [0, 1], got {value!r}")
    return num


def default_settings() -> FleeSettings:
    """Flee's shipped ``simsetting.yml`` values (used when no settings file is given)."""
    return FleeSettings()


def load_settings(path: str | Path | None) -> FleeSettings:
    """Read a Flee settings YAML file; ``None`` gives :func:`default_settings`.

    Raises:
        RanksInputError: unreadable YAML, a malformed value or an unsupported rule, with the
            file, line and dotted key.
    """
    if path is None:
        return default_settings()
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RanksInputError(f"cannot read settings: {exc.strerror}", file=path) from None
    try:
        try:
            data = yaml.load(text, Loader=_FAST_LOADER)  # noqa: S506 - a safe loader
        except yaml.YAMLError:
            data = yaml.safe_load(text)  # the pure-Python parser's message and line
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise RanksInputError(
            f"invalid YAML: {getattr(exc, 'problem', exc)}",
            file=path,
            line=mark.line + 1 if mark is not None else None,
        ) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise RanksInputError("expected a mapping of settings sections", file=path, line=1)
    lines = _key_lines(text)

    def section(name: str) -> dict:
        sec = data.get(name)
        if sec is None:
            return {}
        if not isinstance(sec, dict):
            raise RanksInputError("expected a mapping", file=path, line=lines.get(name),
                                  field=name)
        return sec

    values: dict[str, Any] = {"source": str(path)}
    for sec_name, key, attr, kind, default in _KEYS:
        sec = section(sec_name)
        dotted = f"{sec_name}.{key}"

        def err(msg: str, dotted: str = dotted) -> RanksInputError:
            return RanksInputError(msg, file=path, line=lines.get(dotted), field=dotted)

        values[attr] = _convert(sec[key], kind, err) if key in sec else default

    _refuse_flood(data, section, path, lines)

    spawn = section("spawn_rules")
    cds = spawn.get("conflict_driven_spawning")
    if cds is not None:
        dotted = "spawn_rules.conflict_driven_spawning"
        if not isinstance(cds, dict):
            cds = {}
        mode = str(cds.get("spawn_mode", "constant"))
        if mode.lower() not in ("constant", "pop_ratio", "poisson"):
            raise RanksInputError("expected constant, pop_ratio or Poisson", file=path,
                                  line=lines.get(dotted + ".spawn_mode"),
                                  field=dotted + ".spawn_mode")
        default_rate = 0.01 if mode == "pop_ratio" else 500
        rate_key = dotted + ".displaced_per_conflict_day"
        rate = _convert(
            cds.get("displaced_per_conflict_day", default_rate), "nonneg",
            lambda m: RanksInputError(m, file=path, line=lines.get(rate_key), field=rate_key),
        )
        values.update(conflict_driven_spawning=True, conflict_spawn_mode=mode.lower(),
                      displaced_per_conflict_day=rate)
    decay = spawn.get("conflict_spawn_decay")
    if decay:
        dotted = "spawn_rules.conflict_spawn_decay"
        seq = list(decay.values()) if isinstance(decay, dict) else decay
        if not isinstance(seq, list):
            raise RanksInputError("expected a list of multipliers", file=path,
                                  line=lines.get(dotted), field=dotted)
        values["conflict_spawn_decay"] = tuple(
            _convert(v, "nonneg", lambda m: RanksInputError(m, file=path,
                                                            line=lines.get(dotted),
                                                            field=dotted))
            for v in seq
        )

    compat = section("ranks_compat")
    cvals: dict[str, Any] = {}
    for f in dataclasses.fields(CompatSettings):
        if f.name not in compat:
            continue
        dotted = f"ranks_compat.{f.name}"
        if f.name in ("link_closure", "flee_version"):
            mode = str(compat[f.name])
            allowed = LINK_CLOSURE_MODES if f.name == "link_closure" else FLEE_VERSIONS
            if mode not in allowed:
                raise RanksInputError(f"expected one of {', '.join(allowed)}",
                                      file=path, line=lines.get(dotted), field=dotted)
            cvals[f.name] = mode
        else:
            cvals[f.name] = _convert(
                compat[f.name], "bool",
                lambda m, d=dotted: RanksInputError(m, file=path, line=lines.get(d), field=d),
            )
    unknown = set(compat) - {f.name for f in dataclasses.fields(CompatSettings)}
    if unknown:
        key = sorted(unknown)[0]
        raise RanksInputError("unknown compatibility switch", file=path,
                              line=lines.get(f"ranks_compat.{key}"), field=f"ranks_compat.{key}")
    values["compat"] = compat_s = CompatSettings(**cvals)
    notes: list[str] = []
    if values["use_v1_rules"]:  # Flee applies these after reading everything else
        values.update(V1_RULES)
    if values["capacity_scaling"] != 1.0 and not compat_s.v32:
        notes.append(f"{path}: move_rules.capacity_scaling {values['capacity_scaling']:g} is "
                     "not applied: Flee 3.1 does not read it (ranks_compat.flee_version: "
                     "'3.2' applies it)")
        values["capacity_scaling"] = 1.0
    if (values["match_camp_ethnicity"] or values["match_town_ethnicity"]
            or values["match_conflict_ethnicity"]):
        notes.append(f"{path}: Match*Ethnicity: Flee 3.1 and 3.2 stop on these rules (moving.py "
                     "calls spawning.getAttributeRatio without importing spawning); Ranks "
                     "applies them as written" + (" in Flee 3.2 (10 x the destination's "
                     "share of the agent's ethnicity)" if compat_s.v32 else " in Flee 3.1 "
                     "(the ratio is a stub returning 1: 10 x the score)"))
    values["warnings"] = tuple(notes)
    return FleeSettings(**values)


def _refuse_flood(data: dict, section: Any, path: Path, lines: dict[str, int]) -> None:
    """Flood rules: Flee 3.1 has none it can run, so neither does Ranks.

    Flee 3.1's ``ReadFromYML`` stops with a KeyError on a ``flood_rules`` section (it stores
    the flood weights in ``move_rules`` and prints them from ``spawn_rules``), and with
    ``flood_zone_spawning_only`` it never defines ``conflict_driven_spawning``, which its
    spawn-weight update then reads (KeyError).  The DFlee flood rules came with Flee 3.2.
    """
    dotted = None
    if section("spawn_rules").get("flood_zone_spawning_only"):
        dotted = "spawn_rules.flood_zone_spawning_only"
    elif data.get("flood_rules") is not None:
        dotted = "flood_rules"
    elif section("move_rules").get("flood_rules") is not None:
        dotted = "move_rules.flood_rules"
    if dotted is not None:
        raise RanksInputError(
            "flood rules (DFlee) are not supported: Flee 3.1 cannot run them either (its "
            "settings reader or spawn-weight update stops with a KeyError); they came with "
            "Flee 3.2", file=path, line=lines.get(dotted), field=dotted)
