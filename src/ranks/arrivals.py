"""People from outside the governorate who arrive during a run (scenario inputs, issue 13).

The synthetic population is the governorate's 2011 residents. Arrivals from outside (for
example Iraqi and third-country families brought from the last ISIS pocket to al-Hol camp
in 2018-2019) are given by timeline events of type ``arrivals``:

    {date: D, until: U, type: arrivals, place: <destination>, value: <people, full scale>,
     args: {origin: <an abroad or outside place>, children_share: 0.67, men_share: 0.05,
            household_size: 3.5}, source: ...}

People cannot be added to the struct of arrays mid-run (modules keep their own columns of
``n`` rows), so each event's people are synthesized with everyone else, as a *reserve*:
households at the ``origin`` place in state ABROAD, where no module acts on them (mortality,
coercion, joining and flight leave people abroad alone). From ``date`` to ``until`` the
module that handles ``arrivals`` (flight) moves an equal share of the reserve's households
each day to the destination. Counts: the run's people are the governorate's plus the
reserve; ``docs/outputs.md`` says so.

Profile (assumptions unless a source is given in the event): a household is an adult woman
(its head, 18-50), in a share ``men_share`` of households an adult man (18-50), and children
under 18 or other adult women; sizes are 1 + Poisson with mean ``household_size``, and each
other member is a child with the chance that makes the share of children among the people
about ``children_share``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ranks.population import Households, People, Role, State
from ranks.rng import stream
from ranks.scenario.model import Scenario

#: Event type handled by the flight module with the reserve made here.
ARRIVALS = "arrivals"
#: Ages (years) of the adults of an arriving household.
ADULT_AGES = (18, 50)


@dataclass
class ReserveGroup:
    """The people of one ``arrivals`` event: households ``hh`` (indices into the whole
    population's households, in the order they arrive) and people ``people[0]:people[1]``
    (indices into the whole population). Days from ``start_day`` to ``end_day``
    (exclusive) are the arrival window."""

    event_index: int
    origin: int
    destination: int
    start_day: int
    end_day: int
    hh: np.ndarray
    people: tuple[int, int]


def _profile(args: dict, key: str, default: float) -> float:
    v = float(args.get(key, default))
    if not np.isfinite(v) or v < 0:
        raise ValueError(f"arrivals: args.{key} must be a non-negative number")
    return v


def arrival_events(sc: Scenario) -> list[int]:
    """Indices of the scenario's ``arrivals`` timeline events."""
    return [i for i, ev in enumerate(sc.timeline) if ev.type == ARRIVALS]


def synthesize_reserve(sc: Scenario, place_index: dict[str, int], scale: float, seed: int,
                       n_actors: int, n_days: int, first_person: int, first_hh: int
                       ) -> tuple[People | None, Households | None, list[ReserveGroup]]:
    """People and households of every ``arrivals`` event, numbered after the residents
    (``first_person``, ``first_hh``), sorted by origin place (then event). Returns
    ``(None, None, [])`` when the scenario has no arrivals. Streams ``arrivals.<i>`` on day 0.
    """
    events = arrival_events(sc)
    if not events:
        return None, None, []
    P = len(place_index)
    order = sorted(events, key=lambda i: (place_index[str(sc.timeline[i].args["origin"])], i))
    ages: list[np.ndarray] = []
    male: list[np.ndarray] = []
    role: list[np.ndarray] = []
    hh_of: list[np.ndarray] = []
    hh_size: list[np.ndarray] = []
    hh_origin: list[np.ndarray] = []
    groups: list[ReserveGroup] = []
    n_p, n_h = 0, 0
    for i in order:
        ev = sc.timeline[i]
        args = ev.args
        total = int(round(float(ev.value or 0.0) * scale))
        size = max(_profile(args, "household_size", 3.5), 1.0)
        kids_share = min(_profile(args, "children_share", 0.67), 1.0)
        men_share = min(_profile(args, "men_share", 0.05), 1.0)
        rng = stream(seed, f"arrivals.{i}", 0)
        n_hh = max(int(round(total / size)), 1 if total else 0)
        # 1 + Poisson(size - 1) members: the woman (head), a man with chance men_share,
        # the others children (or adult women) so that children are children_share of all
        extra = rng.poisson(max(size - 1.0, 0.0), n_hh)
        has_man = (rng.random(n_hh) < men_share) & (extra > 0)
        p_kid = min(kids_share * size / max(size - 1.0 - men_share, 1e-9), 1.0)
        sizes = 1 + extra
        m = int(sizes.sum())
        hh = np.repeat(np.arange(n_hh), sizes)
        pos = np.arange(m) - np.repeat(np.cumsum(sizes) - sizes, sizes)  # 0 = the woman
        man = (pos == 1) & has_man[hh]
        kid = (pos > 0) & ~man & (rng.random(m) < p_kid)
        r = np.full(m, Role.CHILD, dtype=np.uint8)  # children and other adults
        r[pos == 0] = Role.HEAD
        lo, hi = ADULT_AGES
        age = np.where(kid, rng.integers(0, 18, m), rng.integers(lo, hi + 1, m))
        ages.append(age)
        male.append(man | (kid & (rng.random(m) < 0.5)))
        role.append(r)
        hh_of.append(hh + n_h)
        hh_size.append(sizes)
        o = place_index[str(args["origin"])]
        hh_origin.append(np.full(n_hh, o, dtype=np.int64))
        dest = place_index[ev.places[0]] if ev.places else -1
        start = (ev.date - sc.period.start).days
        end = ((ev.until or ev.date) - sc.period.start).days
        groups.append(ReserveGroup(i, o, dest, start, max(end, start + 1),
                                   np.arange(first_hh + n_h, first_hh + n_h + n_hh),
                                   (first_person + n_p, first_person + n_p + m)))
        n_p += m
        n_h += n_hh
    age_y = np.concatenate(ages)
    people = People(n_p, P, n_actors, n_days)
    rng = stream(seed, "arrivals.birth", 0)
    people.birth[:] = -(age_y * 365 + rng.integers(0, 365, n_p))
    people.sex[:] = np.concatenate(male)
    people.household[:] = np.concatenate(hh_of) + first_hh
    origin_h = np.concatenate(hh_origin)
    home = origin_h[np.concatenate(hh_of)]
    people.home[:] = home
    people.place[:] = home
    people.role[:] = np.concatenate(role)
    people.state[:] = State.ABROAD
    people.by_place_state[:, State.ABROAD] = np.bincount(home, minlength=P)
    sizes_all = np.concatenate(hh_size)
    heads = (np.cumsum(sizes_all) - sizes_all + first_person).astype(np.int32)
    kids = np.bincount(np.concatenate(hh_of), weights=(age_y < 18), minlength=n_h)
    households = Households(
        place=origin_h.astype(np.uint16), head=heads,
        tribe=np.full(n_h, -1, dtype=np.int16),
        size=np.minimum(sizes_all, 65535).astype(np.uint16),
        n_wives=np.zeros(n_h, dtype=np.uint8),
        n_children=np.minimum(kids, 255).astype(np.uint8),
        n_parents=np.zeros(n_h, dtype=np.uint8),
        savings=np.zeros(n_h, dtype=np.float32), income=np.zeros(n_h, dtype=np.float32))
    return people, households, groups


def append_people(a: People, b: People, n_days: int) -> People:
    """People ``a`` followed by ``b`` (base columns and counters; before any module adds
    columns). ``n_days`` as given to both."""
    out = People(a.n + b.n, a.n_places, a.n_actors, n_days)
    for name in People.BASE_COLUMNS:
        getattr(out, name)[:] = np.concatenate([getattr(a, name), getattr(b, name)])
    out.by_place_state[:] = a.by_place_state + b.by_place_state
    out.strength[:] = a.strength + b.strength
    out.members_by_birth[:] = a.members_by_birth + b.members_by_birth
    return out


def append_households(a: Households, b: Households, people: People,
                      groups: list[ReserveGroup]) -> Households:
    """Households ``a`` then ``b`` (``b``'s person and household indices already offset),
    re-sorted by home place (stable: residents keep their order within a place, as flight's
    per-place household ranges need); ``people.household`` and the groups' household
    indices are renumbered in place to match."""
    both = Households(**{f: np.concatenate([getattr(a, f), getattr(b, f)])
                         for f in a.__dataclass_fields__})
    order = np.argsort(both.place.astype(np.int64), kind="stable")
    if (order == np.arange(order.size)).all():
        return both
    new_of_old = np.empty_like(order)
    new_of_old[order] = np.arange(order.size)
    people.household[:] = new_of_old[people.household.astype(np.int64)]
    for g in groups:
        g.hh = new_of_old[g.hh]
    return Households(**{f: getattr(both, f)[order] for f in a.__dataclass_fields__})
