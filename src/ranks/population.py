"""People and households as a struct of NumPy arrays, and their synthesis (M1, M2 inputs).

People are rows: ``people.age_years(day)``, ``people.state``, ``people.place`` ... never
Python objects. Stocks (people by place and state, strength by actor and assignment,
members by birth month) are count arrays kept up to date by :meth:`People.set`, the one
place where states change, so no daily recount of everyone is needed.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from ranks import kernels
from ranks.arrays import unique
from ranks.rng import stream
from ranks.scenario.model import PopulationSpec


def _codes(cls: type) -> dict[str, int]:
    """The upper-case int class attributes of ``cls`` (its codes), by name."""
    return {k: v for k, v in vars(cls).items()
            if k.isupper() and isinstance(v, int) and not isinstance(v, bool)}


class _CodesMeta(type):
    """``len(Codes)`` and ``iter(Codes)`` give the number of codes and the codes."""

    def __len__(cls) -> int:
        return len(_codes(cls))

    def __iter__(cls) -> Iterator[int]:
        return iter(_codes(cls).values())


class Codes(metaclass=_CodesMeta):
    """Named integer codes of a person column (``State.DEAD``, ``Flag.WANTED``).

    The codes are plain ``int`` class attributes, not ``IntEnum`` members: NumPy takes a
    plain int in an array expression as a scalar of the array's own type, while an IntEnum
    member is converted as an object and the array upcast to int64 (``state == State.DEAD``
    on a million people took 4.5 ms instead of 0.3 ms, and each small comparison some tens
    of microseconds).
    """

    @classmethod
    def name_of(cls, code: int) -> str:
        """The lower-case name of ``code`` (as written in the outputs)."""
        for k, v in _codes(cls).items():
            if v == int(code):
                return k.lower()
        raise ValueError(f"{code} is not a {cls.__name__} code")

    @classmethod
    def names(cls) -> list[str]:
        """Lower-case names in code order."""
        return [k.lower() for k, _ in sorted(_codes(cls).items(), key=lambda kv: kv[1])]


class State(Codes):
    """Where in the system a person is. Exactly one per person."""

    CIVILIAN = 0
    HIDING = 1
    DETAINED = 2
    TRAINING = 3
    SERVING = 4
    DESERTED = 5
    TRANSIT = 6
    CAMP = 7
    ABROAD = 8
    DEAD = 9


class Assignment(Codes):
    """What a member of an armed actor does (M14, M15). NONE for non-members."""

    NONE = 0
    TRAINING = 1
    GUARD = 2
    FRONT = 3
    DISTANT = 4
    DANGEROUS = 5


class Role(Codes):
    """Place in the household."""

    HEAD = 0
    WIFE = 1
    CHILD = 2
    PARENT = 3


class Flag(Codes):
    """Bits of ``people.flags``."""

    EMPLOYED = 1
    WANTED = 2
    SUSPECTED = 4
    FOREIGN = 8
    EVADER = 16
    WAS_MEMBER = 32


#: Mechanisms of the core (not of a module): the synthesis of people in households (M1).
MIDS: tuple[str, ...] = ("M1",)

N_STATES = len(State)
N_ASSIGN = len(Assignment)
STATE_NAMES = State.names()
ASSIGN_NAMES = Assignment.names()
#: Width of the birth-date buckets used to count members by age, in days.
BIRTH_BUCKET_DAYS = 30
#: Oldest birth bucket kept, in days before the period start (about 110 years).
BIRTH_SPAN_DAYS = 40_200
ADULT_DAYS = 6575  # 18 years


@dataclass
class Households:
    """Household arrays. Money in USD; income per month."""

    place: np.ndarray  # uint16 home place
    head: np.ndarray  # int32 person id of the head
    tribe: np.ndarray  # int16 tribe index (-1 none)
    size: np.ndarray  # uint16 members
    n_wives: np.ndarray  # uint8
    n_children: np.ndarray  # uint8 children under 18
    n_parents: np.ndarray  # uint8 dependent parents (60+)
    savings: np.ndarray  # float32 USD
    income: np.ndarray  # float32 USD a month from work and pay

    def __len__(self) -> int:
        return len(self.place)

    @property
    def nbytes(self) -> int:
        """Bytes of all household columns."""
        return sum(int(a.nbytes) for a in (
            self.place, self.head, self.tribe, self.size, self.n_wives, self.n_children,
            self.n_parents, self.savings, self.income))


class People:
    """Struct of arrays for everyone, plus stock counters updated by :meth:`set`.

    The base columns are declared below (one NumPy array each, ``n`` long). A module keeps
    the columns it owns itself: :meth:`add_column` makes one, counts it in
    :meth:`describe`, and returns the array to the module (``people`` gets no attribute).
    """

    #: Day index of birth (negative before the start), int32.
    birth: np.ndarray
    #: 1 = male, uint8.
    sex: np.ndarray
    #: Household index, int32.
    household: np.ndarray
    #: Home place index, uint16.
    home: np.ndarray
    #: Current place index, uint16.
    place: np.ndarray
    #: :class:`State`, uint8.
    state: np.ndarray
    #: Actor index of a member, -1 none, int8.
    actor: np.ndarray
    #: :class:`Assignment`, uint8.
    assignment: np.ndarray
    #: :class:`Role` in the household, uint8.
    role: np.ndarray
    #: Day the current state began, int16.
    since: np.ndarray
    #: :class:`Flag` bits, uint8.
    flags: np.ndarray

    BASE_COLUMNS: dict[str, type] = {
        "birth": np.int32, "sex": np.uint8, "household": np.int32, "home": np.uint16,
        "place": np.uint16, "state": np.uint8, "actor": np.int8, "assignment": np.uint8,
        "role": np.uint8, "since": np.int16, "flags": np.uint8,
    }

    def __init__(self, n: int, n_places: int, n_actors: int, n_days: int) -> None:
        self.n = int(n)
        self.n_places = n_places
        self.n_actors = n_actors
        self._columns: dict[str, np.ndarray] = {}
        for name, dtype in self.BASE_COLUMNS.items():
            arr: np.ndarray = np.zeros(self.n, dtype=dtype)
            setattr(self, name, arr)  # declared above
            self._columns[name] = arr
        self.actor.fill(-1)
        self.by_place_state = np.zeros((n_places, N_STATES), dtype=np.int64)
        self.strength = np.zeros((max(n_actors, 1), N_ASSIGN), dtype=np.int64)
        self._n_buckets = (BIRTH_SPAN_DAYS + n_days) // BIRTH_BUCKET_DAYS + 2
        self.members_by_birth = np.zeros((max(n_actors, 1), self._n_buckets), dtype=np.int64)
        # members (actor >= 0), kept sorted: people whose actor may have changed since the
        # last call of members() are looked at again then (see members())
        self._members = np.zeros(0, dtype=np.int64)
        self._touched: list[np.ndarray] = []
        self._mark = np.zeros(self.n, dtype=bool)
        self._seen = np.zeros(self.n, dtype=bool)  # scratch of the compiled set()

    # -- columns -------------------------------------------------------------------------
    @property
    def columns(self) -> list[str]:
        """Names of all columns: the base ones, then those modules added."""
        return list(self._columns)

    def add_column(self, name: str, dtype: type | np.dtype, fill: float | int = 0) -> np.ndarray:
        """A new column of ``n`` values owned by a module (it keeps the returned array)."""
        if name in self._columns:
            raise ValueError(f"column '{name}' exists")
        arr = np.full(self.n, fill, dtype=dtype)
        self._columns[name] = arr
        return arr

    def describe(self) -> dict[str, int]:
        """Bytes used by each column."""
        return {c: int(a.nbytes) for c, a in self._columns.items()}

    @property
    def nbytes(self) -> int:
        """Bytes of all person columns."""
        return sum(self.describe().values())

    # -- derived -------------------------------------------------------------------------
    def age_years(self, day: int, ids: np.ndarray | None = None) -> np.ndarray:
        """Age in whole years on ``day`` of ``ids`` (all when None), int32."""
        b = self.birth if ids is None else self.birth[ids]
        return ((day - b.astype(np.int64)) * 4 // 1461).astype(np.int32)

    def birth_bucket(self, ids: np.ndarray) -> np.ndarray:
        """Index of the birth-date bucket of ``ids``."""
        return ((self.birth[ids].astype(np.int64) + BIRTH_SPAN_DAYS) // BIRTH_BUCKET_DAYS).clip(
            0, self._n_buckets - 1
        )

    def minors(self, day: int) -> np.ndarray:
        """Members under 18 by actor on ``day`` (birth-month precision)."""
        first_minor = (day - ADULT_DAYS + BIRTH_SPAN_DAYS) // BIRTH_BUCKET_DAYS + 1
        return self.members_by_birth[:, max(first_minor, 0):].sum(axis=1)

    def members(self) -> np.ndarray:
        """Ids of everyone with an actor (``actor >= 0``), sorted: the same array as
        ``np.flatnonzero(people.actor >= 0)``, kept up to date from the people whose actor
        changed instead of scanning everyone. Do not modify it."""
        if self._touched:
            t = unique(np.concatenate(self._touched))
            self._touched.clear()
            mark = self._mark
            mark[t] = True
            keep = self._members[~mark[self._members]]
            mark[t] = False
            add = t[self.actor[t] >= 0]
            self._members = np.insert(keep, np.searchsorted(keep, add), add)
        return self._members

    @property
    def alive(self) -> int:
        return int(self.n - self.by_place_state[:, State.DEAD].sum())

    # -- the one place where states change ------------------------------------------------
    def set(
        self, ids: np.ndarray, day: int, *, state: int | np.ndarray | None = None,
        place: int | np.ndarray | None = None, actor: int | np.ndarray | None = None,
        assignment: int | np.ndarray | None = None,
    ) -> None:
        """Move people ``ids`` (int64 indices; repeats are moved once, with the values given
        at their first occurrence) to a new state, place, actor or assignment.

        Keeps ``by_place_state``, ``strength`` and ``members_by_birth`` in step, and sets
        ``since`` to ``day`` when the state changes.
        """
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size == 0:
            return
        if kernels.ENABLED:  # the same, in one compiled loop (ranks.kernels)
            if kernels.set_people(
                    ids, day, _values(state), _values(place), _values(actor),
                    _values(assignment), state is not None, place is not None,
                    actor is not None, assignment is not None, State.DEAD, self._seen,
                    self.state, self.place, self.actor, self.assignment, self.since,
                    self.birth, self.by_place_state.reshape(-1), N_STATES,
                    self.strength.reshape(-1), N_ASSIGN, self.members_by_birth.reshape(-1),
                    self._n_buckets, BIRTH_SPAN_DAYS, BIRTH_BUCKET_DAYS):
                self._touched.append(ids.copy())
            return
        if ids.size > 1 and not (ids[1:] > ids[:-1]).all():  # not already sorted and unique
            ids, first = np.unique(ids, return_index=True)  # a person moves once
            for name, v in (("state", state), ("place", place), ("actor", actor),
                            ("assignment", assignment)):
                if v is not None and np.ndim(v) > 0:
                    v = np.asarray(v)[first]
                    if name == "state":
                        state = v
                    elif name == "place":
                        place = v
                    elif name == "actor":
                        actor = v
                    else:
                        assignment = v
        # strength changes with actor or assignment, or when members die: a state change
        # alone (to another state than DEAD) leaves it as it is
        do_strength = actor is not None or assignment is not None or (
            state is not None and bool(np.any(np.asarray(state) == State.DEAD)))
        if do_strength:
            self._touched.append(ids.copy())
        S = N_STATES
        if state is not None or place is not None:
            old = self.place[ids].astype(np.int64) * S + self.state[ids]
            if place is not None:
                self.place[ids] = place
            if state is not None:
                self.state[ids] = state
                self.since[ids] = day
            new = self.place[ids].astype(np.int64) * S + self.state[ids]
            _add_counts(self.by_place_state.reshape(-1), old, -1)
            _add_counts(self.by_place_state.reshape(-1), new, +1)
        if do_strength:
            old_actor = self.actor[ids].astype(np.int64)
            is_member = old_actor >= 0
            if is_member.any():
                m = ids[is_member]
                self._strength_add(old_actor[is_member], self.assignment[m], m, -1)
            if actor is not None:
                self.actor[ids] = actor
            if assignment is not None:
                self.assignment[ids] = assignment
            # the dead are no longer members
            dead = self.state[ids] == State.DEAD
            if dead.any():
                self.actor[ids[dead]] = -1
                self.assignment[ids[dead]] = Assignment.NONE
            new_actor = self.actor[ids].astype(np.int64)
            is_member = new_actor >= 0
            if is_member.any():
                m = ids[is_member]
                self._strength_add(new_actor[is_member], self.assignment[m], m, +1)

    def _strength_add(self, actor: np.ndarray, assign: np.ndarray, ids: np.ndarray,
                      sign: int) -> None:
        K, B = N_ASSIGN, self._n_buckets
        _add_counts(self.strength.reshape(-1), actor * K + assign.astype(np.int64), sign)
        _add_counts(self.members_by_birth.reshape(-1), actor * B + self.birth_bucket(ids), sign)

    # -- checks --------------------------------------------------------------------------
    def recount(self) -> dict[str, np.ndarray]:
        """Stocks recounted from every person (slow: for ``--check`` and tests)."""
        P, S = self.n_places, N_STATES
        bps = np.bincount(self.place.astype(np.int64) * S + self.state, minlength=P * S)
        members = np.flatnonzero(self.actor >= 0)
        A, K = self.strength.shape
        st = np.bincount(self.actor[members].astype(np.int64) * K + self.assignment[members],
                         minlength=A * K)
        return {"by_place_state": bps.reshape(P, S), "strength": st.reshape(A, K)}


_NONE = np.zeros(0, dtype=np.int64)


def _values(v: int | np.ndarray | None) -> np.ndarray:
    """A column's new values as int64: one per person, one for all, or none (empty).
    Not to be written to (a value for all comes from a cache of one-element arrays; not
    flagged read-only, which would give the compiled loop a second signature)."""
    if v is None:
        return _NONE
    if type(v) is np.ndarray and v.ndim == 1 and v.dtype == np.int64 and v.flags.c_contiguous:
        return v
    if isinstance(v, int | np.integer) or np.ndim(v) == 0:  # (the common case first)
        k = int(v)
        one = _ONE.get(k)
        if one is None:
            one = _ONE[k] = np.full(1, k, dtype=np.int64)
        return one
    return np.ascontiguousarray(v, dtype=np.int64).reshape(-1)


#: one-element value arrays by value (``_values``)
_ONE: dict[int, np.ndarray] = {}


#: Below this many people, counters are updated with ``np.add.at`` instead of a full-length
#: ``bincount`` (same result; cheaper for the few people most transitions move).
SMALL_UPDATE = 256


def _add_counts(flat: np.ndarray, idx: np.ndarray, sign: int) -> None:
    """``flat[idx] += sign`` for every entry of ``idx`` (repeats counted), in place."""
    if idx.size < SMALL_UPDATE:
        np.add.at(flat, idx, sign)
    else:
        flat += sign * np.bincount(idx, minlength=flat.size)


def _lexsort2(minor: np.ndarray, major: np.ndarray) -> np.ndarray:
    """``np.lexsort((minor, major))``, by two stable argsorts (the same permutation: lexsort
    is a stable sort by each key in turn). Small non-negative integer keys (places, ages)
    are sorted as uint16, by radix: several times faster on a million people."""
    order = np.argsort(_small(minor), kind="stable")
    return order[np.argsort(_small(major[order]), kind="stable")]


def _small(key: np.ndarray) -> np.ndarray:
    """``key`` as uint16 when it is an integer array within [0, 65535] (same order)."""
    if key.dtype.kind in "iu" and key.size and key.min() >= 0 and key.max() < 2**16:
        return key.astype(np.uint16)
    return key


def _top_k_by_group(group: np.ndarray, key: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Positions of the ``k[g]`` largest ``key`` within each ``group`` value g."""
    order = _lexsort2(-key, group)
    g = group[order]
    starts = np.searchsorted(g, np.arange(len(k)), side="left")
    rank = np.arange(len(order)) - starts[g]
    return order[rank < k[g]]


def _gumbel_key(rng: np.random.Generator, weight: np.ndarray) -> np.ndarray:
    """Keys whose top-k per group is a weighted sample without replacement."""
    u = rng.random(len(weight))
    return np.log(np.maximum(weight, 1e-12)) - np.log(-np.log(np.maximum(u, 1e-300)))


def _step_weight(age: np.ndarray, edges: list[int], weights: list[float]) -> np.ndarray:
    return np.asarray(weights, dtype=np.float64)[np.searchsorted(edges, age, side="right")]


# Marriage weights by age (assumption: shape only; totals are set by household counts).
HEAD_EDGES, HEAD_W = [20, 25, 30, 65], [0.0, 0.35, 0.75, 1.0, 0.8]
#: Shape of the Gamma weights that spread children and elders over households (assumption:
#: gives household sizes a spread like the survey's, mean fixed by household_size_mean).
HH_WEIGHT_SHAPE = 2.5
WIFE_EDGES, WIFE_W = [16, 20, 25, 50, 65], [0.0, 0.3, 0.65, 0.92, 0.8, 0.5]


def synthesize(
    place_population: np.ndarray, place_tribe: np.ndarray, spec: PopulationSpec,
    scale: float, seed: int, n_actors: int, n_days: int,
) -> tuple[People, Households]:
    """Synthesize people in households at their home places.

    Args:
        place_population: people per place at full scale.
        place_tribe: tribe index per place (-1 none).
        spec: the scenario's population section.
        scale: fraction of the population to make (1.0 = full).
        seed: scenario seed; synthesis uses streams "population.*" on day 0.

    Ages follow ``spec.age_shares`` per person; heads, wives, children and dependent
    parents are then matched by age within each place (vectorized, no loop over people).
    """
    n_place = np.rint(place_population * scale).astype(np.int64)
    P = len(n_place)
    N = int(n_place.sum())
    rng = stream(seed, "population.people", 0)
    home = np.repeat(np.arange(P, dtype=np.int64), n_place)
    shares = np.asarray(spec.age_shares.value, dtype=np.float64)
    band = rng.choice(len(shares), size=N, p=shares / shares.sum())
    width = np.where(band == len(shares) - 1, 10, 5)
    age_days = (band * 5 * 365 + (rng.random(N) * width * 365).astype(np.int64)).astype(np.int64)
    age = age_days * 4 // 1461  # whole years, as People.age_years
    male = rng.random(N) < spec.male_share.value

    rng = stream(seed, "population.households", 0)
    H_target = np.where(n_place > 0,
                        np.maximum(1, np.rint(n_place / spec.household_size_mean.value)), 0)
    cand = np.flatnonzero(male & (age >= 20))
    w = _step_weight(age[cand], HEAD_EDGES, HEAD_W)
    heads = cand[_top_k_by_group(home[cand], _gumbel_key(rng, w), H_target.astype(np.int64))]
    # Every place with people has at least one household: a place with no man of 20 or
    # more (small places at small scales, a population abroad) takes its oldest person as
    # the head. Tested per place, not by counting (another place may have extra heads).
    missing = np.setdiff1d(np.flatnonzero(n_place > 0), home[heads])
    if missing.size:
        cand = np.flatnonzero(np.isin(home, missing))
        order = cand[np.lexsort((-age[cand], home[cand]))]  # oldest first, then lowest id
        first = np.unique(home[order], return_index=True)[1]
        heads = np.concatenate([heads, order[first]])
    heads = heads[_lexsort2(age[heads], home[heads])]  # households sorted by place, head age
    H = len(heads)
    hh_place = home[heads]
    H_p = np.bincount(hh_place, minlength=P)
    hh_start = np.concatenate([[0], np.cumsum(H_p)[:-1]])
    household = np.full(N, -1, dtype=np.int64)
    role = np.full(N, Role.CHILD, dtype=np.uint8)
    household[heads] = np.arange(H)
    role[heads] = Role.HEAD

    is_head = np.zeros(N, dtype=bool)
    is_head[heads] = True
    cand = np.flatnonzero(~male & (age >= 16) & ~is_head)
    w = _step_weight(age[cand], WIFE_EDGES, WIFE_W)
    W_target = np.rint(H_p * (1.0 + spec.polygamy_share.value)).astype(np.int64)
    wives = cand[_top_k_by_group(home[cand], _gumbel_key(rng, w), W_target)]
    wives = wives[_lexsort2(age[wives], home[wives])]
    W_p = np.bincount(home[wives], minlength=P)
    w_start = np.concatenate([[0], np.cumsum(W_p)[:-1]])
    j = np.arange(len(wives)) - w_start[home[wives]]
    hp = home[wives]
    household[wives] = hh_start[hp] + (j * H_p[hp]) // np.maximum(W_p[hp], 1)
    role[wives] = Role.WIFE

    # Children, unmarried adults and dependent elders: each joins a household whose head
    # is about a generation older (younger for elders). Within a place they are ranked by
    # the head age they look for, households by head age, and matched by quantile of a
    # random household weight (Gamma, shape HH_WEIGHT_SHAPE): age-correlated, sizes vary.
    rest = np.flatnonzero(household < 0)
    r_age = age[rest].astype(np.float64)
    elder = r_age >= 60
    gap = 20.0 + rng.random(len(rest)) * 20.0
    target = np.where(elder, np.maximum(r_age - gap, 20.0), r_age + gap)
    r_home = home[rest]
    order = _lexsort2(target, r_home)
    R_p = np.bincount(r_home, minlength=P)
    r_start = np.concatenate([[0], np.cumsum(R_p)[:-1]])
    ranked = rest[order]
    q = (np.arange(len(ranked)) - r_start[r_home[order]] + 0.5) / np.maximum(
        R_p[r_home[order]], 1)
    w = rng.gamma(HH_WEIGHT_SHAPE, 1.0, H)
    cw = np.cumsum(w)
    place_total = np.bincount(hh_place, weights=w, minlength=P)
    before = np.concatenate([[0.0], np.cumsum(place_total)[:-1]])
    hh_q = (cw - before[hh_place]) / np.maximum(place_total[hh_place], 1e-12)  # in (0, 1]
    pos = np.searchsorted(hh_place + np.minimum(hh_q, 1.0 - 1e-12) + (hh_q >= 1.0) * 1e-12,
                          r_home[order] + q)
    pos = np.clip(pos, hh_start[r_home[order]],
                  hh_start[r_home[order]] + np.maximum(H_p[r_home[order]], 1) - 1)
    household[ranked] = pos
    role[rest] = np.where(elder, Role.PARENT, Role.CHILD)

    # people numbered household by household (households are in place order, so people stay
    # in place order): a household's members are neighbours in every column, which the
    # day's walks over parties read together
    order = np.argsort(household, kind="stable")
    new_id = np.empty(N, dtype=np.int64)
    new_id[order] = np.arange(N)
    age_days, age, male = age_days[order], age[order], male[order]
    household, home, role = household[order], home[order], role[order]
    heads = new_id[heads]

    people = People(N, P, n_actors, n_days)
    people.birth[:] = -age_days
    people.sex[:] = male
    people.household[:] = household
    people.home[:] = home
    people.place[:] = home
    people.role[:] = role
    people.by_place_state[:, State.CIVILIAN] = n_place

    rng = stream(seed, "population.work", 0)
    working_age = (age >= 15) & (age < 65)
    p_emp = np.where(male, np.where(age < 25, 1 - spec.unemployment_youth.value,
                                    1 - spec.unemployment_men.value),
                     spec.women_employed.value)
    employed = working_age & (rng.random(N) < p_emp)
    people.flags[employed] = Flag.EMPLOYED

    hh_size = np.bincount(household, minlength=H)
    child = (role == Role.CHILD) & (age < 18)
    savings = spec.savings_usd_median.value * np.exp(
        spec.savings_log_sigma.value * rng.standard_normal(H))
    hh = Households(
        place=hh_place.astype(np.uint16),
        head=heads.astype(np.int32),
        tribe=np.asarray(place_tribe, dtype=np.int16)[hh_place] if P else np.zeros(0, np.int16),
        size=np.minimum(hh_size, 65535).astype(np.uint16),
        n_wives=np.minimum(np.bincount(household[role == Role.WIFE], minlength=H), 255).astype(
            np.uint8),
        n_children=np.minimum(np.bincount(household[child], minlength=H), 255).astype(np.uint8),
        n_parents=np.minimum(np.bincount(household[role == Role.PARENT], minlength=H),
                             255).astype(np.uint8),
        savings=savings.astype(np.float32),
        income=(np.bincount(household[employed], minlength=H) * spec.wage_usd_month.value).astype(
            np.float32),
    )
    return people, hh
