"""Agent attributes (age, gender, ethnicity) and the Flee rules that use them.

Flee 3.1 gives each new agent one value per ``demographics_<attribute>.csv`` file in the input
directory (``spawning.draw_samples``): a row drawn with the weights of the column named after
the agent's location, or of the ``Default`` column.  Agents read from ``agents.csv``
(``read_from_agents_csv_file``) carry the attributes of their row instead.

The attributes matter only to these route-choice rules (``moving.getEndPointScore``):

* ``ChildrenAvoidHazards``: agents younger than 19 square a destination's score (safety
  counts more);
* ``BoysTakeRisk`` (only together with ``ChildrenAvoidHazards``, as in Flee): male agents
  older than 14 (men included: Flee sets no upper age) give every destination the score 1;
* ``MatchCampEthnicity`` / ``MatchConflictEthnicity`` / ``MatchTownEthnicity``: in Flee 3.1
  the attribute ratio is a stub returning 1, so camps / conflict zones / other locations get
  10 x their score for every agent; Flee 3.2 uses the destination's count of the agent's
  ethnicity (a ``locations.csv`` column named after it) over its population, x 10.

Agents are therefore sorted into a few *route classes* (same weights within a class): age
class 0 (others), 1 (children), 2 (risk-taking boys), times the ethnicity under Flee 3.2's
rule.  Only the class of each agent is kept (an int16 array), not its attributes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ranks.errors import RanksInputError
from ranks.flee.csvio import csv_rows, parse_float
from ranks.flee.settings import FleeSettings

AGE_CLASSES = 3  # 0: others, 1: children (< 19), 2: boys ignoring safety (male, > 14)
CHILD_MAX_AGE = 19  # Flee: age < 19
BOY_MIN_AGE = 14  # Flee: age > 14


@dataclass
class Attribute:
    """One ``demographics_<name>.csv``: values and weights (Default and per location)."""

    name: str
    path: Path
    values: list[str]
    default: np.ndarray  # (V,) probabilities
    by_location: dict[str, np.ndarray]  # location name -> (V,) probabilities

    def probabilities(self, location: str) -> np.ndarray:
        """Draw weights for an agent appearing at ``location`` (its column, else Default)."""
        return self.by_location.get(location, self.default)


def read_attribute(path: Path) -> Attribute:
    """Read one ``demographics_<name>.csv`` (``<name>,Default,<loc>...`` then value rows).

    Raises:
        RanksInputError: no ``Default`` column, a bad weight, or a column whose weights are all
            zero (Flee's pandas ``sample`` stops there too).
    """
    name = path.stem.split("_", 1)[1] if "_" in path.stem else path.stem
    rows = list(csv_rows(path))
    if not rows:
        raise RanksInputError("empty file", file=path)
    header = rows[0][1]
    if "Default" not in header:
        raise RanksInputError("expected a 'Default' column of weights", file=path, line=1)
    values: list[str] = []
    weights: list[list[float]] = []
    for line, f in rows[1:]:
        values.append(f[0])
        weights.append([parse_float(f[i] if i < len(f) else "", path, line, header[i],
                                    allow_empty=0.0) for i in range(1, len(header))])
    if not values:
        raise RanksInputError("no value rows", file=path)
    w = np.array(weights, dtype=np.float64)
    if (w < 0).any():
        bad = np.argwhere(w < 0)[0]
        raise RanksInputError("expected a weight >= 0", file=path, line=rows[1 + bad[0]][0],
                              field=header[1 + bad[1]])
    cols: dict[str, np.ndarray] = {}
    for j, col in enumerate(header[1:]):
        tot = w[:, j].sum()
        if tot <= 0:
            raise RanksInputError("all weights of this column are 0", file=path, line=1,
                                  field=col)
        cols[col] = w[:, j] / tot
    default = cols.pop("Default")
    return Attribute(name=name, path=path, values=values, default=default, by_location=cols)


def read_demographics(input_dir: Path) -> dict[str, Attribute]:
    """All ``demographics_*.csv`` files of an input directory, by attribute name."""
    out: dict[str, Attribute] = {}
    for path in sorted(input_dir.glob("demographics_*.csv")):
        attr = read_attribute(path)
        out[attr.name] = attr
    return out


@dataclass
class RouteClasses:
    """How agent attributes map to route classes, and how classes weigh destinations.

    ``ethnicities`` is empty unless Flee 3.2's ethnicity rule is on; then class
    ``a + AGE_CLASSES * e`` is age class ``a`` with ethnicity ``ethnicities[e]``.
    """

    children: bool  # ChildrenAvoidHazards
    boys: bool  # BoysTakeRisk (with ChildrenAvoidHazards)
    ethnicities: list[str]

    @property
    def count(self) -> int:
        """Number of route classes (1: every agent weighs routes alike)."""
        age = AGE_CLASSES if self.children else 1
        return age * max(len(self.ethnicities), 1)

    def age_class(self, age: np.ndarray, male: np.ndarray) -> np.ndarray:
        """Age class of agents with ``age`` (years) and ``male`` (bool)."""
        cls = np.zeros(len(age), dtype=np.int16)
        if self.children:
            cls[age < CHILD_MAX_AGE] = 1
            if self.boys:
                cls[male & (age > BOY_MIN_AGE)] = 2
        return cls

    def classes(self, age: np.ndarray | None, male: np.ndarray | None,
                eth: np.ndarray | None) -> np.ndarray:
        """Route class per agent (``eth``: index into :attr:`ethnicities`)."""
        n = len(age) if age is not None else len(eth) if eth is not None else 0
        cls = (self.age_class(age, male) if self.children and age is not None and male is not None
               else np.zeros(n, dtype=np.int16))
        if self.ethnicities and eth is not None:
            cls = cls + (AGE_CLASSES if self.children else 1) * eth.astype(np.int16)
        return cls

    def split(self, cls: int) -> tuple[int, int]:
        """(age class, ethnicity index) of a route class."""
        age_n = AGE_CLASSES if self.children else 1
        return cls % age_n, cls // age_n


class AttributeDraws:
    """Draws new agents' attributes (only those the rules use) and returns route classes."""

    def __init__(self, classes: RouteClasses, attrs: dict[str, Attribute],
                 location_names: list[str]) -> None:
        self.rc = classes
        self.names = location_names
        self.age = attrs.get("age") if classes.children else None
        self.gender = attrs.get("gender") if classes.children and classes.boys else None
        self.eth = attrs.get("ethnicity") if classes.ethnicities else None
        self._age_vals = (np.array([_number(v, self.age.path, "age") for v in self.age.values])
                          if self.age is not None else None)
        self._male = (np.array([v == "male" for v in self.gender.values])
                      if self.gender is not None else None)
        self._eth_idx = (np.array([classes.ethnicities.index(v) for v in self.eth.values])
                         if self.eth is not None else None)
        self._p_cache: dict[tuple[str, int], np.ndarray] = {}

    def _cum(self, attr: Attribute, loc: int) -> np.ndarray:
        key = (attr.name, loc)
        hit = self._p_cache.get(key)
        if hit is None:
            hit = self._p_cache[key] = np.cumsum(attr.probabilities(self.names[loc]))
        return hit

    def _draw(self, attr: Attribute, where: np.ndarray, rng: np.random.Generator
              ) -> np.ndarray:
        """Value index per agent, drawn with the weights of its location."""
        out = np.empty(len(where), dtype=np.intp)
        locs, inv = np.unique(where, return_inverse=True)
        u = rng.random(len(where))
        for k, loc in enumerate(locs):
            sel = inv == k
            cum = self._cum(attr, int(loc))
            out[sel] = np.minimum(np.searchsorted(cum, u[sel] * cum[-1], "right"),
                                  len(cum) - 1)
        return out

    def classes_at(self, where: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """Route classes of new agents appearing at locations ``where``."""
        age = male = eth = None
        n = len(where)
        if self.age is not None and self._age_vals is not None:
            age = self._age_vals[self._draw(self.age, where, rng)]
            male = (self._male[self._draw(self.gender, where, rng)]
                    if self.gender is not None and self._male is not None
                    else np.zeros(n, dtype=bool))
        if self.eth is not None and self._eth_idx is not None:
            eth = self._eth_idx[self._draw(self.eth, where, rng)]
        return self.rc.classes(age, male, eth)


def _number(text: str, path: Path, field: str) -> float:
    try:
        return float(text)
    except ValueError:
        raise RanksInputError(f"expected a number, got {text!r}", file=path,
                              field=field) from None


def route_classes(settings: FleeSettings, attrs: dict[str, Attribute], input_dir: Path,
                  ethnic_columns: list[str]) -> RouteClasses:
    """The route classes a scenario needs; checks the attribute files the rules use.

    Args:
        settings: the scenario's :class:`ranks.flee.settings.FleeSettings`.
        attrs: the input directory's demographics files (see :func:`read_demographics`).
        input_dir: for error messages.
        ethnic_columns: ``locations.csv``'s extra columns (Flee 3.2's ethnicity counts).

    Raises:
        RanksInputError: a rule needs an attribute file that is missing (Flee would stop
            with a KeyError when the rule is first used).
    """
    s = settings
    children = s.children_avoid_hazards
    boys = children and s.boys_take_risk
    eths: list[str] = []
    if children and "age" not in attrs:
        raise RanksInputError("ChildrenAvoidHazards needs agents' ages: no "
                              "demographics_age.csv (Flee stops with a KeyError)",
                              file=input_dir / "demographics_age.csv")
    if boys and "gender" not in attrs:
        raise RanksInputError("BoysTakeRisk needs agents' genders: no demographics_gender.csv "
                              "(Flee stops with a KeyError)",
                              file=input_dir / "demographics_gender.csv")
    if s.match_ethnicity and s.compat.v32:
        if "ethnicity" not in attrs:
            raise RanksInputError("Flee 3.2's Match*Ethnicity rules need agents' ethnicities: "
                                  "no demographics_ethnicity.csv",
                                  file=input_dir / "demographics_ethnicity.csv")
        eths = list(dict.fromkeys(attrs["ethnicity"].values))
        missing = [e for e in eths if e not in ethnic_columns]
        if missing:
            raise RanksInputError(f"Flee 3.2's Match*Ethnicity rules need a column {missing[0]!r}"
                                  " (people of that ethnicity) in locations.csv",
                                  file=input_dir / "locations.csv", line=1, field=missing[0])
    return RouteClasses(children=children, boys=boys, ethnicities=eths)
