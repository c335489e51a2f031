"""Population synthesis matches the scenario's populations and age structure (M1)."""

from __future__ import annotations

import numpy as np
import pytest

from ranks.engine import Simulation
from ranks.population import People, Role, State, synthesize
from ranks.runner import load
from tests.conftest import ROOT

SKELETON = ROOT / "scenarios" / "deir-ezzor" / "skeleton.yaml"


@pytest.fixture(scope="module")
def synth():
    loaded = load(SKELETON)
    sc = loaded.scenario
    sim = Simulation(loaded, seed=11, scale=0.1)
    return sc, sim.world, sim.people, sim.households


def test_people_per_place_match_scenario(synth) -> None:
    sc, world, people, _ = synth
    expected = np.rint(world.population * 0.1).astype(np.int64)
    got = np.bincount(people.home, minlength=world.n_places)
    np.testing.assert_array_equal(got, expected)
    assert people.by_place_state[:, State.CIVILIAN].sum() == people.n


def test_age_structure_within_sampling_error(synth) -> None:
    sc, _, people, _ = synth
    shares = np.asarray(sc.population.age_shares.value)
    age = people.age_years(0)
    band = np.minimum(age // 5, 16)
    obs = np.bincount(band, minlength=17) / people.n
    se = np.sqrt(shares * (1 - shares) / people.n)
    assert np.all(np.abs(obs - shares) < 4.5 * se + 1e-9), (obs, shares)
    male = people.sex.mean()
    assert abs(male - sc.population.male_share.value) < 4.5 * np.sqrt(0.25 / people.n)


def test_households_are_coherent(synth) -> None:
    sc, world, people, hh = synth
    assert (people.household >= 0).all() and (people.household < len(hh)).all()
    # mean household size as the scenario says (up to rounding per place)
    assert abs(people.n / len(hh) - sc.population.household_size_mean.value) < 0.1
    heads = hh.head
    assert (people.role[heads] == Role.HEAD).all()
    assert (people.sex[heads] == 1).all() and (people.age_years(0, heads) >= 20).all()
    assert (people.household[heads] == np.arange(len(hh))).all()
    wives = people.role == Role.WIFE
    assert (people.sex[wives] == 0).all()
    assert (people.home == hh.place[people.household]).all()  # everyone lives at home
    np.testing.assert_array_equal(np.bincount(people.household, minlength=len(hh)), hh.size)
    kids = (people.role == Role.CHILD) & (people.age_years(0) < 18)
    np.testing.assert_array_equal(np.bincount(people.household[kids], minlength=len(hh)),
                                  hh.n_children)
    # children are younger than the head of their household on average by a generation
    gap = people.age_years(0, heads[people.household[kids]]) - people.age_years(0)[kids]
    assert 15 < np.median(gap) < 45
    # polygamy: a few households have two wives
    share2 = (hh.n_wives >= 2).mean()
    assert 0.01 < share2 < 0.15
    assert (hh.savings > 0).all()


def test_tribe_follows_place(synth) -> None:
    _, world, _, hh = synth
    np.testing.assert_array_equal(hh.tribe, world.tribe[hh.place])


def test_employment_by_age_and_sex(synth) -> None:
    sc, _, people, _ = synth
    age = people.age_years(0)
    emp = (people.flags & 1).astype(bool)
    men = (people.sex == 1) & (age >= 25) & (age < 65)
    rate = emp[men].mean()
    assert abs(rate - (1 - sc.population.unemployment_men.value)) < 0.02
    assert not emp[age < 15].any()


def test_under_100_bytes_a_person(synth) -> None:
    _, _, people, hh = synth
    assert (people.nbytes + hh.nbytes) / people.n < 100


def test_scale_and_seed(synth) -> None:
    sc, world, _, _ = synth
    a, _ = synthesize(world.population, world.tribe, sc.population, 0.01, 1, 3, 10)
    b, _ = synthesize(world.population, world.tribe, sc.population, 0.01, 1, 3, 10)
    c, _ = synthesize(world.population, world.tribe, sc.population, 0.01, 2, 3, 10)
    assert isinstance(a, People)
    np.testing.assert_array_equal(a.birth, b.birth)
    assert not np.array_equal(a.birth, c.birth)
    assert abs(a.n - world.population.sum() * 0.01) <= world.n_places


def test_set_with_repeated_ids_moves_each_person_once(synth) -> None:
    """A module that passes a person twice must not unbalance the books (found in a
    full-period flagship run with --check: a member listed twice after rejoining)."""
    _, world, people, _ = synth
    before = people.by_place_state.copy()
    ids = np.array([5, 7, 5, 9, 7], dtype=np.int64)
    people.set(ids, 3, state=State.HIDING, place=np.array([1, 2, 3, 4, 5]), actor=0)
    rc = people.recount()
    np.testing.assert_array_equal(rc["by_place_state"], people.by_place_state)
    np.testing.assert_array_equal(rc["strength"], people.strength)
    assert people.by_place_state.sum() == before.sum()
    assert list(people.place[[5, 7, 9]]) == [1, 2, 4]  # first occurrence wins
    people.set(np.array([5, 7, 9]), 4, state=State.CIVILIAN, actor=-1,
               place=people.home[[5, 7, 9]])  # undo for the other tests


def test_lexsort2_is_numpy_lexsort() -> None:
    """The two-argsort sort gives np.lexsort's permutation: ties, negative and large
    integers (not sent to radix), floats with ties and NaN."""
    from ranks.population import _lexsort2

    rng = np.random.default_rng(5)
    for n in (0, 1, 50, 20_000):
        majors = [rng.integers(0, 54, n), rng.integers(-3, 3, n), rng.integers(0, 2**40, n),
                  np.sort(rng.integers(0, 5, n))]
        minors = [rng.integers(0, 90, n), np.round(rng.random(n), 2), -rng.random(n),
                  np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
                  rng.integers(70_000, 70_010, n)]
        for major in majors:
            for minor in minors:
                np.testing.assert_array_equal(_lexsort2(minor, major),
                                              np.lexsort((minor, major)))


def test_people_numbered_household_by_household(synth) -> None:
    """Synthesis numbers people household by household: each household's members have
    consecutive ids, households follow each other in id order, and homes never go back
    (households are in place order); each head is a member of their own household."""
    _, _, people, hh = synth
    h = people.household.astype(np.int64)
    assert (np.diff(h) >= 0).all() and (np.diff(h) <= 1).all() and h[0] == 0
    assert (np.diff(people.home.astype(np.int64)) >= 0).all()
    assert np.array_equal(h[hh.head.astype(np.int64)], np.arange(len(hh)))
    assert (people.role[hh.head.astype(np.int64)] == Role.HEAD).all()
