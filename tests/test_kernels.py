"""The compiled loops (ranks.kernels) give the same numbers as their NumPy twins, and a run
without them writes the same bytes."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from ranks import kernels, rng
from ranks.arrays import unique, unique_first_inverse
from ranks.population import People, State

from .conftest import DEMO, ROOT

needs_numba = pytest.mark.skipif(not kernels.ENABLED, reason="runs with Numba compiled loops "
                                 "only (RANKS_NUMBA=0 or Numba missing): nothing to compare")


def _people(n: int = 5000) -> People:
    p = People(n, 7, 3, 400)
    g = np.random.default_rng(3)
    p.place[:] = g.integers(0, 7, n)
    p.birth[:] = -g.integers(0, 30_000, n)
    p.by_place_state[:, State.CIVILIAN] = np.bincount(p.place, minlength=7)
    return p


def _random_moves(p: People, seed: int) -> None:
    g = np.random.default_rng(seed)
    for day in range(60):
        ids = g.integers(0, p.n, int(g.integers(1, 400)))  # repeats: moved once
        kind = int(g.integers(0, 4))
        n = ids.size
        if kind == 0:
            p.set(ids, day, state=g.integers(0, State.DEAD, n), place=int(g.integers(0, 7)))
        elif kind == 1:
            p.set(ids, day, actor=g.integers(-1, 3, n), assignment=g.integers(0, 6, n),
                  state=State.SERVING)
        elif kind == 2:
            alive = ids[p.state[ids] != State.DEAD]
            p.set(alive[: n // 3], day, state=State.DEAD)
        else:
            p.set(ids, day, place=g.integers(0, 7, n))


@needs_numba
def test_compiled_people_set_equals_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    fast = _people()
    _random_moves(fast, 11)
    monkeypatch.setattr(kernels, "ENABLED", False)
    slow = _people()
    _random_moves(slow, 11)
    for c in fast.columns:
        assert np.array_equal(getattr(fast, c), getattr(slow, c)), c
    for c in ("by_place_state", "strength", "members_by_birth"):
        assert np.array_equal(getattr(fast, c), getattr(slow, c)), c
    rc = fast.recount()
    assert np.array_equal(rc["by_place_state"], fast.by_place_state)
    assert np.array_equal(rc["strength"], fast.strength)
    for p in (fast, slow):
        assert np.array_equal(p.members(), np.flatnonzero(p.actor >= 0))


@needs_numba
def test_compiled_uniforms_equal_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    ids = np.random.default_rng(2).integers(0, 3_000_000, 5000)
    cases = [(1, "a", 0), (20140101, "flight.move.0", 1309), (5, "x", -1)]
    fast = [rng.person_uniform(s, n, d, ids) for s, n, d in cases]
    monkeypatch.setattr(kernels, "ENABLED", False)
    slow = [rng.person_uniform(s, n, d, ids) for s, n, d in cases]
    for a, b in zip(fast, slow, strict=True):
        assert np.array_equal(a, b)


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.slow
def test_same_bytes_with_and_without_compiled_loops(tmp_path: Path) -> None:
    outs = []
    for flag in ("1", "0"):
        out = tmp_path / f"numba{flag}"
        env = {**os.environ, "RANKS_NUMBA": flag}
        r = subprocess.run([sys.executable, "-m", "ranks.cli", "run", str(DEMO), "--out",
                            str(out), "--scale", "0.1", "--until", "2015-01-01", "-q"],
                           env=env, cwd=ROOT, capture_output=True, text=True)
        assert r.returncode == 0, r.stderr
        outs.append(out)
    for f in ("events.parquet", "stocks.parquet"):
        assert _digest(outs[0] / f) == _digest(outs[1] / f), f


def test_members_index_follows_every_move() -> None:
    p = _people()
    g = np.random.default_rng(5)
    for day in range(80):
        ids = g.integers(0, p.n, int(g.integers(1, 300)))
        p.set(ids, day, actor=g.integers(-1, 3, ids.size), assignment=2)
        if day % 3 == 0:
            dead = ids[: ids.size // 4]
            p.set(dead[p.state[dead] != State.DEAD], day, state=State.DEAD)
        if g.random() < 0.5:
            assert np.array_equal(p.members(), np.flatnonzero(p.actor >= 0)), day
    assert np.array_equal(p.members(), np.flatnonzero(p.actor >= 0))


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.uint8, np.int8, np.bool_, np.float64])
def test_unique_by_sort_equals_numpy(dtype: type) -> None:
    """ranks.arrays.unique gives np.unique's array (values, order, dtype), any size."""
    g = np.random.default_rng(4)
    for n in (0, 1, 2, 7, 300, 20_000):
        for hi in (2, 50, 10**6):
            a = g.integers(-hi if dtype in (np.int64, np.int32) else 0, hi, n)
            a = np.asarray(a % 100 if dtype in (np.uint8, np.int8) else a).astype(dtype)
            got, want = unique(a), np.unique(a)
            assert got.dtype == want.dtype and np.array_equal(got, want), (n, hi)
    two_d = np.arange(12).reshape(3, 4) % 5
    assert np.array_equal(unique(two_d), np.unique(two_d))


def test_unique_first_inverse_equals_numpy() -> None:
    """ranks.arrays.unique_first_inverse gives np.unique's values, first indices and
    inverse, with repeats and any size."""
    g = np.random.default_rng(5)
    for n in (0, 1, 2, 9, 500, 30_000):
        for hi in (3, 60, 10**9):
            a = g.integers(-hi, hi, n)
            got = unique_first_inverse(a)
            want = np.unique(a, return_index=True, return_inverse=True)
            for x, y in zip(got, want, strict=True):
                assert np.array_equal(x, y.reshape(-1)), (n, hi)
    x = np.array([3, 1, 3, 2])
    u = unique(x)
    u[0] = 99  # a copy, never a view of the input
    assert x.tolist() == [3, 1, 3, 2]


@needs_numba
def test_compiled_displaced_members_equal_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The displaced members of parties (flight's book) and the returns module's candidates
    (whether each may go, whether its party has a man of service age): the same arrays
    compiled and in NumPy, on a run with people displaced (in camps, in towns, abroad)."""
    from ranks.engine import Simulation
    from ranks.modules.returns import Returns
    from ranks.runner import load

    sim = Simulation(load(ROOT / "scenarios" / "deir-ezzor-2017-2020.yaml"), scale=0.02)
    for day in range(240):
        sim.step(day)
        sim.next_day = day + 1
    ret = sim.get(Returns)
    assert ret is not None
    day = sim.next_day
    w = sim.world
    keys = unique(ret.flight.displaced_parties(sim, day))
    assert keys.size > 100  # people are displaced: the comparison has something to compare
    ctrl = w.control[day].astype(np.int64)
    for home_ok in (ctrl >= 0, np.ones(w.n_places, dtype=bool)):
        fast = ret._candidates(sim, day, keys, home_ok, ctrl)
        monkeypatch.setattr(kernels, "ENABLED", False)
        slow = ret._candidates(sim, day, keys, home_ok, ctrl)
        monkeypatch.setattr(kernels, "ENABLED", True)
        for a, b in zip(fast, slow, strict=True):
            assert a.dtype.kind == b.dtype.kind and np.array_equal(a, b)
        assert fast[2].any() and (~fast[2]).any() and fast[3].any()  # both ways, men too
    # the displaced members of parties (any order, repeats), by state or displaced at all
    book = ret.flight.displaced_book
    mixed = np.concatenate([keys[::-1], keys[:50]])
    for state in (None, State.CAMP, State.ABROAD, State.CIVILIAN):
        fast = book.members(mixed, state)
        monkeypatch.setattr(kernels, "ENABLED", False)
        slow = book.members(mixed, state)
        monkeypatch.setattr(kernels, "ENABLED", True)
        assert fast[0].size and all(np.array_equal(a, b) for a, b in zip(fast, slow,
                                                                          strict=True))
    # a compaction of the pools (duplicates, parties gone home) and the recount
    import copy

    from ranks.modules.flight.camps import COMPACT_DAYS

    book.pool.add(mixed)
    book.camp_pool.add(mixed[::3])
    got = []
    for enabled in (True, False):
        monkeypatch.setattr(kernels, "ENABLED", enabled)
        b = copy.deepcopy(book)
        b._compacted = day - COMPACT_DAYS
        b.parties_today(sim, day)
        got.append((b.pool.view().copy(), b.camp_pool.view().copy(), b.counts.copy()))
    monkeypatch.setattr(kernels, "ENABLED", True)
    (fp, fc, fn), (sp, sc, sn) = got
    assert fp.size < book.pool.view().size and fn.sum() > 0  # it dropped and counted
    assert np.array_equal(fp, sp) and np.array_equal(fc, sc) and np.array_equal(fn, sn)
    # both compiled ways (a scan of everyone, a walk of the pool's members) give the pools
    # and counts of NumPy, whatever the pool's size
    for scan in (True, False):
        b = copy.deepcopy(book)
        b.counts[:] = 0
        pool = b._kept(b.pool.view(), -1, True, scan=scan)
        camp = b._kept(b.camp_pool.view(), int(State.CAMP), False, scan=scan)
        assert np.array_equal(pool, sp) and np.array_equal(camp, sc)
        assert np.array_equal(b.counts, sn)


# ----------------------------------------------------------------------------- Flee day


def test_pcg_uniform_follows_numpy_generator() -> None:
    """The compiled day's own PCG64 draws continue a numpy Generator's stream exactly."""
    from ranks.flee import daymoves

    for seed in (0, 1, 2**32 - 1, 12345678901234):
        gen = np.random.default_rng([seed, 3])
        gen.random(seed % 7)  # anywhere in the stream
        st = daymoves.pcg_state(gen)
        got = np.array([daymoves.pcg_uniform(st) for _ in range(500)])
        assert np.array_equal(got, gen.random(500))


def _random_flee(root: Path, g: np.random.Generator, days: int) -> Path:
    """A random Flee network (conflict zones, towns, camps with small capacities, short
    and long routes, an isolated town, closures that cut links under travellers) with
    random rule switches; returns the input directory (conflict-driven spawning)."""
    from .test_flee_engine import write_scenario

    n = int(g.integers(5, 11))
    kinds = ["conflict_zone", "conflict_zone"] + [
        str(g.choice(["town", "camp", "camp", "town"])) for _ in range(n - 3)] + ["town"]
    names = [f"L{i}" for i in range(n)]
    locs = []
    for i, k in enumerate(kinds):
        cap = str(int(g.integers(20, 400))) if k == "camp" and g.random() < 0.8 else ""
        pop = "10000" if k != "camp" else (cap or "0")
        locs.append([names[i], "R", "Home" if k != "camp" else f"C{i % 2}", "0", "0", k,
                     "0", pop])
    routes = []
    for i in range(1, n - 1):  # a tree over all but the last (isolated) location, then more
        j = int(g.integers(0, i))
        routes.append([names[j], names[i], f"{float(g.choice([5, 20, 60, 150, 700])):g}", "0"])
    for _ in range(int(g.integers(0, n))):
        a, b = (int(x) for x in g.choice(n - 1, 2, replace=False))
        routes.append([names[a], names[b], f"{float(g.integers(3, 400)):g}", "0"])
    closures = []
    if g.random() < 0.7:
        a = int(g.integers(2, n - 1))
        closures.append(["location", names[a], "", str(int(g.integers(3, 12))),
                         str(int(g.integers(12, days)))])
    if g.random() < 0.5:
        closures.append(["country", "Home", "C0", "5", str(days - 5)])
    yml = ("spawn_rules:\n  conflict_driven_spawning:\n    spawn_mode: constant\n"
           f"    displaced_per_conflict_day: {int(g.integers(5, 60))}\n"
           "move_rules:\n"
           f"  max_move_speed: {float(g.choice([30, 200, 400])):g}\n"
           f"  avoid_short_stints: {bool(g.random() < 0.5)}\n"
           f"  capacity_buffer: {float(g.choice([0.5, 0.9, 1.0])):g}\n"
           f"  camp_movechance: {float(g.choice([0.001, 0.02, 0.3])):g}\n"
           f"  default_movechance: {float(g.choice([0.3, 1.0])):g}\n"
           f"  conflict_weight: {float(g.choice([0.0, 0.25])):g}\n"
           "ranks_compat:\n"
           f"  fix_reopened_link_bounce: {bool(g.random() < 0.3)}\n")
    inp, _ = write_scenario(root, days=days, locations=locs, routes=routes, closures=closures,
                            settings=yml, conflicts={names[0]: [1.0] * days,
                                                     names[1]: [0.0] * 4 + [0.5] * (days - 4)})
    return inp


def _day_states(eng: Any, days: int) -> list[tuple[np.ndarray, ...]]:
    out = []
    for t in range(days):
        eng.step(t)
        ag, n = eng.ag, eng.ag.n
        out.append((ag.loc[:n].copy(), ag.link[:n].copy(), ag.d_link[:n].copy(),
                    ag.epoch[:n].copy(), ag.recent[:n].copy(), eng.count.copy(),
                    eng.trav.copy(), eng.awake.copy()))
    return out


@needs_numba
@pytest.mark.parametrize("case", range(12))
def test_compiled_flee_day_equals_numpy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                        case: int) -> None:
    """``ranks.flee.daymoves.day_moves`` (a day's moves in one compiled call) leaves every
    agent in the same state as the NumPy code, day by day, on random networks: capacities
    filling up, closures sending travellers back, multi-hop days, an isolated location,
    all-zero route weights, dormant camps, short-stint rules."""
    from ranks.flee.engine import FleeEngine
    from ranks.flee.reader import read_scenario

    days = 40
    scen = read_scenario(_random_flee(tmp_path, np.random.default_rng(case), days), None)
    eng = FleeEngine(scen, case)
    assert eng._compiled_day()
    fast = _day_states(eng, days)
    monkeypatch.setattr(kernels, "ENABLED", False)
    slow_eng = FleeEngine(scen, case)
    assert not slow_eng._compiled_day()
    slow = _day_states(slow_eng, days)
    moved = 0
    for t, (a, b) in enumerate(zip(fast, slow, strict=True)):
        for x, y in zip(a, b, strict=True):
            assert x.dtype.kind == y.dtype.kind and np.array_equal(x, y), t
        moved += int((a[1] >= 0).sum())
    assert moved > 0 and fast[-1][0].size > 50  # agents were made and travelled


@needs_numba
def test_seeded_day_state_and_multinomial_follow_numpy() -> None:
    """``daymoves.seed_day`` sets the same PCG64 state as ``default_rng([seed, t])`` and
    ``daymoves.multinomial`` draws numpy's multinomial from it (the compiled day runs)."""
    from ranks.flee import daymoves
    from ranks.flee.engine import day_seed_words

    gen = np.random.default_rng(99)
    view = daymoves.state_view(gen)
    assert view is not None
    words = day_seed_words(2024, 50)
    g = np.random.default_rng(1)
    for t in (0, 1, 17, 49):
        daymoves.seed_day(words[t], view[0], view[1])
        ref = np.random.default_rng([2024, t])
        k = int(g.integers(2, 40))
        p = g.random(k) ** 3
        p[g.random(k) < 0.3] = 0.0
        p[0] += 1e-9
        p /= p.sum()
        n = np.int64(g.integers(0, 50_000))
        assert np.array_equal(daymoves.multinomial(gen, n, p), ref.multinomial(n, p))
        assert np.array_equal(daymoves.geometric_gaps(gen, 0.02, 300),
                              ref.geometric(0.02, size=int(0.02 * 300 + 6 * 6 ** 0.5 + 16)))
        assert gen.random() == ref.random()


def _random_flee_data(root: Path, g: np.random.Generator, days: int) -> Path:
    """A random network whose agents come from refugee totals with flat stretches (days
    with no new agents) and rises, conflicts that start and end, closures and, at random,
    a conflict decay list (the spawn shares and scores change every 30 days)."""
    from .test_flee_engine import write_scenario

    n = int(g.integers(5, 10))
    kinds = ["conflict_zone", "conflict_zone", "camp", "camp"] + [
        str(g.choice(["town", "camp", "town"])) for _ in range(n - 4)]
    names = ["A", "B", "C1", "C2"] + [f"L{i}" for i in range(4, n)]
    locs = []
    for i, k in enumerate(kinds):
        cap = str(int(g.integers(30, 600))) if k == "camp" and g.random() < 0.7 else ""
        locs.append([names[i], "R", "Home" if k != "camp" else f"X{i % 2}", "0", "0", k, "0",
                     "10000" if k != "camp" else (cap or "0")])
    routes = [[names[int(g.integers(0, i))], names[i],
               f"{float(g.choice([5, 20, 60, 150, 700])):g}", "0"] for i in range(1, n)]
    for _ in range(int(g.integers(0, n))):
        a, b = (int(x) for x in g.choice(n, 2, replace=False))
        routes.append([names[a], names[b], f"{float(g.integers(3, 400)):g}", "0"])
    closures = []
    if g.random() < 0.5:
        closures.append(["location", names[int(g.integers(4, n))] if n > 4 else "C2", "",
                         str(int(g.integers(10, 30))), str(int(g.integers(30, days)))])
    decay = "  conflict_spawn_decay: [1.0, 0.7, 0.4]\n" if g.random() < 0.5 else ""
    yml = ("spawn_rules:\n" + (decay or "  take_from_population: False\n") +
           "move_rules:\n"
           f"  max_move_speed: {float(g.choice([30, 200, 400])):g}\n"
           f"  avoid_short_stints: {bool(g.random() < 0.5)}\n"
           f"  capacity_buffer: {float(g.choice([0.5, 0.9, 1.0])):g}\n"
           f"  camp_movechance: {float(g.choice([0.001, 0.02, 0.3])):g}\n"
           f"  conflict_weight: {float(g.choice([0.0, 0.25])):g}\n")
    end_b = int(g.integers(days // 2, days))
    conflicts = {"A": [1.0] * days,
                 "B": [0.0] * 8 + [0.5] * (end_b - 8) + [0.0] * (days - end_b)}
    # refugee totals: rises and flat stretches (interpolated between the dates)
    dates = np.sort(g.choice(np.arange(1, days - 1), 6, replace=False))
    level, totals = 0, [("2020-01-01", 0)]
    for d in dates:
        level += int(g.choice([0, 0, 150, 900, 4000]))
        day = np.datetime64("2020-01-01") + int(d)
        totals.append((str(day), level))
    inp, _ = write_scenario(root, days=days, locations=locs, routes=routes, closures=closures,
                            settings=yml, conflicts=conflicts, totals=totals)
    return inp


@needs_numba
@pytest.mark.parametrize("case", range(10))
def test_quiet_runs_equal_day_by_day(tmp_path: Path, case: int) -> None:
    """Runs of quiet days in one compiled call (``FleeEngine._run_quiet``, spawning from
    the refugee totals included) give the day-by-day engine's series and agents bit for
    bit, on random networks with closures, conflicts that start and end, decay lists and
    camps that fill up."""
    from ranks.flee.engine import FleeEngine
    from ranks.flee.reader import read_scenario

    days = 140
    inp = _random_flee_data(tmp_path, np.random.default_rng(case), days)
    scen = read_scenario(inp, tmp_path / "validation")
    out = []
    for quiet in (True, False):
        eng = FleeEngine(scen, case)
        eng.quiet_runs = quiet
        calls = []
        if quiet:
            real = eng._run_quiet

            def spy(t: int, t_end: int, rec: Any, ready: int | None = None, real: Any = real,
                    calls: list[int] = calls) -> Any:
                got = real(t, t_end, rec, ready)
                calls.append(got[0] - t)
                return got

            eng._run_quiet = spy  # type: ignore[method-assign]
        out.append((eng.run(), eng, sum(calls)))
    (a, ea, quiet_days), (b, eb, _) = out
    n = eb.ag.n
    assert quiet_days > days // 3  # most days ran in the compiled runs
    for f in ("camp_sim", "agents", "on_links", "new_agents", "debt"):
        assert np.array_equal(getattr(a, f), getattr(b, f)), f
    assert a.agent_steps == b.agent_steps and a.warnings == b.warnings
    assert ea.ag.n == eb.ag.n == n and n > 100 and b.new_agents.max() > 0
    for col in ("loc", "link", "d_link", "epoch", "recent"):
        assert np.array_equal(getattr(ea.ag, col)[:n], getattr(eb.ag, col)[:n]), col
    assert np.array_equal(ea.count, eb.count)
    assert np.array_equal(ea.awake, eb.awake)
    assert np.array_equal(ea.trav, eb.trav)


@needs_numba
def test_day_rng_seeded_through_the_state_view_matches_default_rng() -> None:
    """With the generator's state words known, ``DayRng`` seeds each day in compiled code;
    the draws stay ``default_rng([seed, day])``'s."""
    from ranks.flee import daymoves
    from ranks.flee.engine import DayRng

    day_rng = DayRng(4321, 300)
    day_rng.view = daymoves.state_view(day_rng.gen)
    assert day_rng.view is not None
    for t in (0, 1, 77, 299, 5, 300):
        ref = np.random.default_rng([4321, t])
        got = day_rng(t)
        assert np.array_equal(got.random(9), ref.random(9))
        assert np.array_equal(got.multinomial(1000, [0.2, 0.3, 0.5]),
                              ref.multinomial(1000, [0.2, 0.3, 0.5]))


# ----------------------------------------------------------------------------- flight day




def _small_flight() -> tuple[Any, Any]:
    """The 2014-2017 flagship at scale 0.01, set up, and its flight module (its routes,
    path tree and the world's control and fronts are what the route-choice tests read)."""
    from ranks.engine import Simulation
    from ranks.modules.flight.module import Flight
    from ranks.runner import load

    sim = Simulation(load(ROOT / "scenarios" / "deir-ezzor-2014-2017.yaml"), scale=0.01)
    fl = sim.get(Flight)
    assert fl is not None
    return sim, fl


@needs_numba
def test_compiled_route_choice_equals_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Flee's pick over paths (Routes.choose): the same links compiled and in NumPy, for
    travellers in many groups (place, feared actor, camp-averse, smuggled, previous place),
    with closed places (no weight: -1), uniforms near 0 and 1, and repeats."""
    from ranks.modules.flight.routes import BACK_FACTOR

    sim, fl = _small_flight()
    routes, A, P = fl.routes, fl.A, fl.P
    g = np.random.default_rng(8)
    for trial in range(6):
        n = int(g.integers(1, 4000))
        at = g.integers(0, P, n)
        prev = np.where(g.random(n) < 0.3, -1, routes.l_from[g.integers(0, routes.l_from.size,
                                                                         n)])
        feared = g.integers(-1, A, n)
        nocamp, smuggled = g.random(n) < 0.3, g.random(n) < 0.4
        u = g.random(n)
        u[: n // 10] = np.where(g.random(n // 10) < 0.5, 0.0, 1.0 - 1e-16)
        closed = g.random(P) < 0.15 * trial  # up to 3 in 4 places closed
        score = routes.scores(sim.world.control[trial * 200], sim.world.front[trial * 200],
                              g.integers(0, 500, P).astype(np.int64), A, closed)
        fast = routes.choose(at, prev, feared, nocamp, smuggled, score, u, A)
        monkeypatch.setattr(kernels, "ENABLED", False)
        slow = routes.choose(at, prev, feared, nocamp, smuggled, score, u, A)
        monkeypatch.setattr(kernels, "ENABLED", True)
        assert fast.dtype == slow.dtype and np.array_equal(fast, slow), trial
        assert (fast >= 0).any() and (trial == 0 or (fast < 0).any())
        assert not routes._seen.any()  # the scratch mask is left all False
        # without tables (a large network) the keys are sorted: the same picks
        f = np.where(feared >= 0, feared, A)
        sorted_ = kernels.choose_links(
            at, prev, f, nocamp, smuggled, u, score, routes.path_of, routes.path_end,
            routes.path_dist_w, routes.path_next, routes.path_link, routes.path_desert,
            routes.is_camp, float(routes.p.desert_preference.value), BACK_FACTOR, P,
            np.zeros(0, dtype=bool), np.zeros(0, dtype=np.int64))
        assert np.array_equal(sorted_, slow), trial


@needs_numba
def test_compiled_link_hazards_equal_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hazards of links crossed (hazard_chances): the same chances and actors compiled
    and in NumPy, with and without checkpoint campaigns and patrols, exit bans, minefields,
    smuggled parties, places held by nobody."""
    from ranks.modules.flight.hazards import HazardRates, Window, hazard_chances

    g = np.random.default_rng(9)
    P, A, L = 40, 5, 90
    for trial in range(8):
        n = int(g.integers(1, 3000))
        link = g.integers(0, L, n)
        frm, to = g.integers(0, P, n), g.integers(0, P, n)
        kind = g.integers(0, 4, n)
        control = g.integers(-1, A, P).astype(np.int8)
        feared, wanted = g.integers(-1, A, n), g.integers(-1, A, n)
        smuggled = g.random(n) < 0.3
        ban = np.where(g.random(A + 1) < 0.4, g.random(A + 1) * 3, 0.0)
        ban[A] = 0.0
        rates = HazardRates(
            checkpoint_by_kind=g.random(4) * 0.5, smuggled_factor=float(g.random()),
            campaign=g.random(P) * 2 if trial % 2 else None, campaign_scale=1.7,
            patrol_desert=float(g.random() * 0.3),
            patrols=g.random(P) if trial % 3 else None, mine_by_kind=g.random(4) * 0.01,
            ban=ban, minefields=[Window(0, 9, 0.3, int(g.integers(-1, A)),
                                        g.integers(0, L, 20)) for _ in range(trial % 3)])
        fast = hazard_chances(rates, link, frm, to, kind, control, feared, wanted, smuggled)
        monkeypatch.setattr(kernels, "ENABLED", False)
        slow = hazard_chances(rates, link, frm, to, kind, control, feared, wanted, smuggled)
        monkeypatch.setattr(kernels, "ENABLED", True)
        for f in ("p_checkpoint", "checkpoint_actor", "p_patrol", "patrol_actor", "p_mine",
                  "mine_actor", "p_stop"):
            a, b = getattr(fast, f), getattr(slow, f)
            assert a.dtype == b.dtype and np.array_equal(a, b), (trial, f)
        assert (fast.p_checkpoint > 0).any() and (fast.p_checkpoint == 0).any()


@needs_numba
def test_compiled_punishment_flight_equals_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Wanted men who flee today (decide.punishment: who can leave, planned or not,
    deserter or evader, family ties): the same men and reasons compiled and in NumPy, at
    the scenario's chances and at high ones (so that every branch is taken)."""
    from types import SimpleNamespace

    from ranks.engine import Simulation
    from ranks.modules.flight import decide
    from ranks.modules.flight.module import Flight
    from ranks.modules.wanted import WantedBook
    from ranks.runner import load

    sim = Simulation(load(ROOT / "scenarios" / "deir-ezzor-2017-2020.yaml"), scale=0.02)
    for day in range(200):
        sim.step(day)
        sim.next_day = day + 1
    sim.day = sim.next_day
    fl, book = sim.get(Flight), sim.get(WantedBook)
    assert fl is not None and book is not None
    assert book.wanted(sim).size > 50  # wanted men: the comparison has something to compare
    book.plan_flight(book.wanted(sim)[::3])  # some chose flight under an order

    def v(x: float) -> SimpleNamespace:
        return SimpleNamespace(value=x)

    high = SimpleNamespace(planned_flight_per_day=v(0.6), deserter_flight_per_day=v(0.5),
                           evader_flight_per_day=v(0.4), family_ties=v(0.5))
    for p in (fl.params, high):
        sim._drawn.clear()
        (fast,) = decide.punishment(sim, p, fl.parties)  # type: ignore[arg-type]
        sim._drawn.clear()
        monkeypatch.setattr(kernels, "ENABLED", False)
        (slow,) = decide.punishment(sim, p, fl.parties)  # type: ignore[arg-type]
        monkeypatch.setattr(kernels, "ENABLED", True)
        assert np.array_equal(fast.units, slow.units)
        assert fast.reason.dtype == slow.reason.dtype
        assert np.array_equal(fast.reason, slow.reason)
    assert (fast.reason == 1).any() and (fast.reason == 2).any()


@needs_numba
def test_compiled_interceptions_equal_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """What happens to intercepted parties (flight's interceptions: kind, deserter,
    outcome from the practice table): the same compiled and in NumPy, for men and women
    of all ages, wanted or not, deserters, uniforms at the table's steps."""
    from ranks.modules.flight.module import interceptions
    from ranks.modules.practices import OUTCOMES
    from ranks.population import Flag

    p = _people(6000)
    g = np.random.default_rng(12)
    p.sex[:] = g.integers(0, 2, p.n)
    p.flags[:] = g.choice([0, Flag.WANTED, Flag.WAS_MEMBER | Flag.WANTED, Flag.EVADER
                           | Flag.WANTED | Flag.WAS_MEMBER, Flag.WAS_MEMBER], p.n)
    A = 4
    wanted_by = g.integers(-1, A, p.n).astype(np.int8)
    shares = g.random((A, 2, len(OUTCOMES)))
    table = np.cumsum(shares / shares.sum(axis=2, keepdims=True), axis=2)
    table[..., -1] = 1.0
    for trial in range(5):
        n = int(g.integers(1, 3000))
        ids = g.choice(p.n, n, replace=False).astype(np.int64)
        actor = g.integers(0, A, n)
        u = g.random(n)
        u[: n // 5] = table[actor[: n // 5], 0, g.integers(0, len(OUTCOMES), n // 5)]
        day = int(g.integers(0, 2000))
        fast = interceptions(p, wanted_by, day, ids, actor, u, table)
        monkeypatch.setattr(kernels, "ENABLED", False)
        slow = interceptions(p, wanted_by, day, ids, actor, u, table)
        monkeypatch.setattr(kernels, "ENABLED", True)
        for a, b in zip(fast, slow, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b), trial
        assert len(set(fast[0].tolist())) >= 4 and fast[2].any() and (fast[1] == 0).any()


@needs_numba
def test_compiled_travel_wave_equals_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A wave of travel (Flight._set_out, then _advance): the same links, travel times
    left, budgets and arrivals compiled and in NumPy, for travellers of a run (at places
    and on links, lone men and households, smuggled and camp-averse) with random budgets."""
    from ranks.engine import Simulation
    from ranks.modules.flight.module import Flight
    from ranks.population import State as St
    from ranks.runner import load

    sim = Simulation(load(ROOT / "scenarios" / "deir-ezzor-2017-2020.yaml"), scale=0.02)
    fl = sim.get(Flight)
    assert fl is not None
    g = np.random.default_rng(13)
    for day in range(120):
        sim.step(day)
        sim.next_day = day + 1
    sim.day = day = sim.next_day
    # travellers: everyone displaced by flight, some at a place, some on a link
    ids = np.flatnonzero((fl.bits & 1) != 0)
    assert ids.size > 200
    n = ids.size
    fl.t_ids = ids.astype(np.int64)
    fl.t_link = np.where(g.random(n) < 0.4, g.integers(0, 2 * fl.routes.R, n), -1)
    fl.t_left = np.where(fl.t_link >= 0, g.random(n) * 2, 0.0)
    fl.t_prev = np.where(g.random(n) < 0.5, -1, g.integers(0, fl.P, n))
    fl.bits[ids] |= np.where(g.random(n) < 0.3, 8, 0).astype(np.uint8)
    sim.people.set(ids, day, state=St.TRANSIT)
    control, front = sim.world.control[day], sim.world.front[day]
    score = fl.routes.scores(control, front, sim.people.by_place_state[:, St.CAMP], fl.A)
    start = (fl.t_link.copy(), fl.t_left.copy(), np.where(g.random(n) < 0.2, 0.0,
                                                          g.random(n) + 0.01))
    got = []
    for enabled in (True, False):
        monkeypatch.setattr(kernels, "ENABLED", enabled)
        sim._drawn.clear()
        fl.t_link, fl.t_left, budget = (a.copy() for a in start)
        out = []
        for wave in range(3):
            fl._set_out(sim, wave, budget, score, control, front)
            moving, arrive = fl._advance(budget)
            out += [moving, arrive, fl.t_link.copy(), fl.t_left.copy(), budget.copy()]
        got.append(out)
    for a, b in zip(*got, strict=True):
        assert np.asarray(a).dtype == np.asarray(b).dtype and np.array_equal(a, b)
    assert got[0][1].size and (got[0][2] != start[0]).any()


@needs_numba
def test_compiled_leaving_draws_equal_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The members' daily draw of the leaving module (hazard terms, deterrence, safe exit,
    leave or become suspected): the same masks compiled and in NumPy, with today's tables
    and with every term switched on (random tables, foreign members)."""
    from ranks.engine import Simulation
    from ranks.modules.leaving import Leaving
    from ranks.population import Flag
    from ranks.runner import load

    sim = Simulation(load(ROOT / "scenarios" / "deir-ezzor-2017-2020.yaml"), scale=0.02)
    for day in range(150):
        sim.step(day)
        sim.next_day = day + 1
    sim.day = day = sim.next_day
    lv = sim.get(Leaving)
    assert lv is not None
    m = lv._members(sim)
    assert m.size > 200
    lv._tables(sim, day)
    g = np.random.default_rng(14)

    def compare() -> tuple[np.ndarray, ...]:
        sim._drawn.clear()
        fast = lv._draws(sim, day, m)
        sim._drawn.clear()
        monkeypatch.setattr(kernels, "ENABLED", False)
        slow = lv._draws(sim, day, m)
        monkeypatch.setattr(kernels, "ENABLED", True)
        for a, b in zip(fast, slow, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b)
        return fast

    compare()
    sim.people.flags[m[::4]] |= np.uint8(Flag.FOREIGN)
    sim.people.flags[m[1::5]] |= np.uint8(Flag.SUSPECTED)
    for name in ("_t_losing", "_t_dis", "_t_pay", "_t_mas", "_t_det", "_t_safe"):
        t = getattr(lv, name)
        setattr(lv, name, (g.random(t.shape) * 0.05).astype(t.dtype))
    for flag in ("_any_losing", "_any_dis", "_any_pay", "_any_mas", "_any_det", "_any_safe"):
        setattr(lv, flag, True)
    leave, sus, new_sus = compare()
    assert leave.any() and sus.any() and new_sus.any()


@needs_numba
def test_compiled_event_counts_equal_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Recorder.events grouped in one compiled loop: the same day's counts (keys in the
    same order, the same numbers) and the same event table as in NumPy, for calls with one
    key or many, scalars and arrays of actors, reasons and destinations, weights."""
    import datetime as dt

    from ranks.record import Recorder

    P = 9
    names, actors = [f"p{i}" for i in range(P)], ["a", "b", "c"]
    dates = [dt.date(2014, 1, 1) + dt.timedelta(days=i) for i in range(5)]
    got = []
    for enabled in (True, False):
        monkeypatch.setattr(kernels, "ENABLED", enabled)
        g = np.random.default_rng(15)
        rec = Recorder(names, actors, dates)
        days = []
        for day in range(5):
            for _ in range(40):
                n = int(g.integers(1, 300))
                pl = g.integers(0, P, n)
                kw: dict[str, Any] = {}
                if g.random() < 0.5:
                    kw["actor"] = g.integers(-1, 3, n) if g.random() < 0.5 else 1
                if g.random() < 0.5:
                    kw["destination"] = g.integers(-1, P, n) if g.random() < 0.5 else 4
                if g.random() < 0.5:
                    kw["reason"], kw["reasons"] = g.integers(0, 3, n), ("x", "y", "z")
                elif g.random() < 0.5:
                    kw["reason"] = "w"
                if g.random() < 0.2:
                    kw["count"] = g.integers(0, 5, n)
                rec.events(f"e{int(g.integers(0, 4))}", pl, **kw)
            for k in range(70 * (day % 2)):  # more keys in a day than the first buffer
                rec.events(f"s{k}", int(g.integers(0, P)), count=int(g.integers(1, 4)))
            days.append(rec.today())
            rec.end_day(day)
        got.append((days, rec.events_frame()))
    (d1, f1), (d2, f2) = got
    for a, b in zip(d1, d2, strict=True):
        assert [k for k, _ in a] == [k for k, _ in b]
        assert all(np.array_equal(x, y) and x.dtype == y.dtype for (_, x), (_, y)
                   in zip(a, b, strict=True))
    assert f1.equals(f2) and len(f1) > 100
    with pytest.raises(ValueError, match="out of range"):
        rec2 = Recorder(names, actors, dates)
        monkeypatch.setattr(kernels, "ENABLED", True)
        rec2.events("e", np.array([0, P]), actor=np.array([0, 1]))


@needs_numba
def test_compiled_index_sets_and_pair_counts_equal_numpy(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The wanted book's index sets read in one compiled loop (who is still wanted, still
    detained; the others unmarked) and the displaced counts by place x home: the same as
    in NumPy."""
    from types import SimpleNamespace

    from ranks.modules.flight.camps import Displaced
    from ranks.modules.wanted import IN_DETAINED, IN_WANTED, WantedBook
    from ranks.population import Flag

    got = []
    for enabled in (True, False):
        monkeypatch.setattr(kernels, "ENABLED", enabled)
        p = _people(8000)
        g = np.random.default_rng(16)
        p.state[:] = g.integers(0, State.DEAD + 1, p.n)
        p.flags[:] = np.where(g.random(p.n) < 0.5, Flag.WANTED, 0)
        sim = SimpleNamespace(people=p, scenario=SimpleNamespace(population=SimpleNamespace(
            wage_usd_month=SimpleNamespace(value=100.0))))
        book = WantedBook(sim)  # type: ignore[arg-type]
        ids = g.permutation(p.n)[:5000].astype(np.int64)
        book._wanted = [ids[:2000], ids[2000:3000]]
        book._detained = [ids[3000:]]
        book.bits[ids[:3000]] |= np.uint8(IN_WANTED)
        book.bits[ids[3000:]] |= np.uint8(IN_DETAINED)
        w, d = book.wanted(sim), book.detained(sim)  # type: ignore[arg-type]
        home = g.integers(0, 7, p.n).astype(p.place.dtype)
        p.home = home
        disp = Displaced.__new__(Displaced)
        disp.people, disp.P, disp.counts = p, 7, np.zeros((7, 7), dtype=np.int64)
        disp.count(g.integers(0, p.n, 3000), +1)
        disp.count(g.integers(0, p.n, 500), -1)
        got.append((w, d, book.bits.copy(), disp.counts.copy()))
    for a, b in zip(*got, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    w, d = got[0][:2]
    assert 0 < w.size < 3000 and 0 < d.size < 2000


@needs_numba
def test_compiled_traveller_subset_equals_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Dropping travellers (Flight._subset, _subset_budget): compacted in place by the
    compiled loop, the same arrays as NumPy's selection."""
    from ranks.modules.flight.module import Flight

    g = np.random.default_rng(17)
    n = 5000
    start = (g.integers(0, 10**6, n), g.integers(-1, 80, n), g.random(n),
             g.integers(0, 9, n), g.integers(-1, 50, n), g.random(n))
    keeps = [g.random(n) < 0.8 for _ in range(3)]
    got = []
    for enabled in (True, False):
        monkeypatch.setattr(kernels, "ENABLED", enabled)
        fl = Flight.__new__(Flight)
        fl.t_ids, fl.t_link, fl.t_left, fl.t_wait, fl.t_prev, budget = (
            a.copy() for a in start)
        fl._subset(keeps[0])
        budget = budget[keeps[0]]
        out = []
        for keep in keeps[1:]:
            keep = keep[: fl.t_ids.size]
            budget = fl._subset_budget(keep, budget)
            out += [a.copy() for a in (fl.t_ids, fl.t_link, fl.t_left, fl.t_wait, fl.t_prev,
                                       budget)]
        got.append(out)
    for a, b in zip(*got, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert 1000 < got[0][0].size < 4000


def test_distinct_party_keys_equal_unique() -> None:
    """The displaced book's distinct keys of a large pool (a mask instead of a sort) are
    np.unique's array, for pools large and small, with repeats."""
    from types import SimpleNamespace

    from ranks.modules.flight.camps import Displaced

    disp = Displaced.__new__(Displaced)
    disp.parties, disp.people = SimpleNamespace(H=3000), SimpleNamespace(n=9000)  # type: ignore[assignment]
    g = np.random.default_rng(18)
    for n in (0, 1, 50, 700, 5000, 40_000):
        keys = g.integers(0, 12_000, n).astype(np.int64)
        got, want = disp._distinct(keys), np.unique(keys)
        assert got.dtype == want.dtype and np.array_equal(got, want), n


@needs_numba
def test_compiled_seed_words_equal_seed_sequence(monkeypatch: pytest.MonkeyPatch) -> None:
    """A stream's generator seeded through the compiled seed-sequence hash draws what
    ``default_rng([seed, key, day + 1e6])`` draws: entropy of 1 to 6 words, zero words,
    seeds above 2**32 (two words), negative days; and the same with the loops off."""
    g = np.random.default_rng(23)
    for t in range(2000):
        pre = g.integers(0, 2**32, int(g.integers(0, 6))).astype(np.uint32)
        if t % 7 == 0:
            pre[:] = 0
        last = int(g.integers(0, 2**32))
        want = np.random.SeedSequence(np.append(pre, np.uint32(last))).generate_state(
            4, np.uint64)
        assert np.array_equal(kernels.seed_words(pre, last), want)
    for enabled in (True, False):
        monkeypatch.setattr(kernels, "ENABLED", enabled)
        for seed in (0, 7, 2**32 + 5):
            for name in ("returns.candidates", "flight.move.0"):
                for day in (-3, 0, 1309):
                    got = rng.stream(seed, name, day).random(4)
                    want = np.random.default_rng(
                        [seed, rng.stream_key(name), day + 1_000_000]).random(4)
                    assert np.array_equal(got, want)


@needs_numba
def test_compiled_wanted_split_equals_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """The coercion module's split of the wanted (in the open and in reach, with place,
    wanting actor and informer multiplier; the hidden): the same arrays compiled and in
    NumPy, on a run with men wanted in the open and in hiding."""
    from ranks.engine import Simulation
    from ranks.modules.coercion import Coercion
    from ranks.runner import load

    sim = Simulation(load(ROOT / "scenarios" / "deir-ezzor-2017-2020.yaml"), scale=0.02)
    for day in range(120):
        sim.step(day)
        sim.next_day = day + 1
    co = sim.get(Coercion)
    assert co is not None
    W = co.book.wanted(sim)
    ctrl = sim.world.control[sim.next_day]
    # more in the open, some informed on (planned flight, suspected): both branches
    from ranks.modules.wanted import FLEE_BIT
    from ranks.population import Flag

    p = sim.people
    out = W[np.isin(p.state[W], [State.HIDING, State.DESERTED])][::2]
    p.state[out] = State.CIVILIAN
    co.book.bits[W[::3]] |= np.uint8(FLEE_BIT)
    p.flags[W[1::3]] |= np.uint8(Flag.SUSPECTED)
    got = []
    for enabled in (True, False):
        monkeypatch.setattr(kernels, "ENABLED", enabled)
        got.append(co._split(sim, W, ctrl))
    for a, b in zip(*got, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    op, _, _, mult, hidden = got[0]
    assert op.size and hidden.size and (mult > 1).any() and (mult == 1).any()


def _frequent_hazards() -> tuple[Any, Any, int]:
    """A 2017-2020 run at scale 0.02 after 60 days, with checkpoints, patrols, mines and
    minefields made frequent and everyone displaced by flight set out again: (simulation,
    its Flight, today)."""
    from ranks.engine import Simulation
    from ranks.modules.flight.hazards import Window
    from ranks.modules.flight.module import Flight
    from ranks.runner import load

    sim = Simulation(load(ROOT / "scenarios" / "deir-ezzor-2017-2020.yaml"), scale=0.02)
    fl = sim.get(Flight)
    assert fl is not None
    for day in range(60):
        sim.step(day)
        sim.next_day = day + 1
    sim.day = day = sim.next_day
    sim.step(day)  # today's settings (rates, minefields), then hazards made frequent
    fl.rates.checkpoint_by_kind = np.full(fl.rates.checkpoint_by_kind.size, 0.2)
    fl.rates.patrol_desert = 0.5
    fl.rates.mine_by_kind = np.full(fl.rates.mine_by_kind.size, 0.03)
    fl.rates.minefields = [Window(0, 9999, 0.2, 1, np.arange(0, 2 * fl.routes.R, 3)),
                           Window(0, 9999, 0.1, -1, np.arange(0, 2 * fl.routes.R, 7))]
    fl._mines = fl._minefields_today()
    # travellers: everyone displaced by flight and not at home sets out again
    ids = np.flatnonzero(((fl.bits & 1) != 0)
                         & (sim.people.state != State.DEAD)).astype(np.int64)
    assert ids.size > 200
    sim.people.set(ids, day, state=State.TRANSIT)
    fl.t_ids = np.concatenate([fl.t_ids, ids[~np.isin(ids, fl.t_ids)]])
    n = fl.t_ids.size
    fl.t_link, fl.t_left = np.full(n, -1, dtype=np.int64), np.zeros(n)
    fl.t_wait, fl.t_prev = np.zeros(n, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    return sim, fl, day


@needs_numba
def test_compiled_link_ends_equal_numpy(monkeypatch: pytest.MonkeyPatch) -> None:
    """A day of travel with frequent hazards (Flight._travel: hazards and interceptions at
    a link's end, mines, going on, camps, settling, hosting): the same people, travellers,
    events, displaced counts, pending deaths and savings compiled and in NumPy, from the
    same state of a run; both branches of each compiled step ran."""
    import copy

    from ranks.modules.flight.module import Flight

    sim, fl, day = _frequent_hazards()
    got = []
    for enabled in (True, False):
        monkeypatch.setattr(kernels, "ENABLED", enabled)
        s = copy.deepcopy(sim)
        f = s.get(Flight)
        assert f is not None
        s._drawn.clear()
        f._travel(s, day)
        today = s.record.today()  # (not end_day: its stocks read the original run)
        got.append([s.people.state, s.people.place, s.people.since, s.people.actor,
                    f.t_ids, f.t_link, f.t_left, f.t_wait, f.t_prev, f.bits, f.fled_from,
                    f.displaced_book.counts, f.displaced_book.pool.view(),
                    s.households.savings, *[d[0] for d in s._deaths],
                    np.array([k for k, _ in today]), np.array([c for _, c in today])])
        names = {s.record._names[k[0]] for k, _ in today}
    monkeypatch.setattr(kernels, "ENABLED", True)
    assert len(got[0]) == len(got[1])
    for a, b in zip(*got, strict=True):
        assert a.dtype == b.dtype and np.array_equal(a, b)
    assert {"interdicted", "mine_death", "arrived", "turned_back"} <= names
    assert (got[0][7] > 0).any()  # some hosted by relatives


@pytest.mark.parametrize("enabled", [True, False])
def test_stopped_party_does_not_also_hit_a_mine(monkeypatch: pytest.MonkeyPatch,
                                                enabled: bool) -> None:
    """One uniform per party draws a stop (below the stop chance) or else a mine (the rest
    of the interval): a party stopped at a checkpoint or by a patrol is never also counted
    as hitting a mine."""
    monkeypatch.setattr(kernels, "ENABLED", enabled and kernels.ENABLED)
    sim, fl, day = _frequent_hazards()
    i = np.arange(fl.t_ids.size)
    fl.t_link[:] = np.arange(i.size) % (2 * fl.routes.R)
    sim._drawn.clear()  # (the day's streams drawn by the setup's step)
    ids, frm, to, keys, stop, actor, u_rel, mine, mine_actor = fl._hazards(sim, day, 0, i)
    assert (stop != 0).sum() > 50 and mine.sum() > 5  # both hazards happened
    assert not (mine & (stop != 0)).any()


@pytest.mark.parametrize("enabled", [True, False])
def test_travellers_appended_in_spare_room(monkeypatch: pytest.MonkeyPatch,
                                           enabled: bool) -> None:
    """Travellers added (Flight._add_travellers, into spare room of buffers) and dropped
    (_subset, _subset_budget, compacted in place or selected anew): the same arrays as
    appending by concatenation, with and without compiled loops."""
    from ranks.modules.flight.module import Flight

    monkeypatch.setattr(kernels, "ENABLED", enabled and kernels.ENABLED)
    g = np.random.default_rng(19)
    fl = Flight.__new__(Flight)
    e = np.zeros(0, dtype=np.int64)
    fl.t_ids, fl.t_link, fl.t_left, fl.t_wait, fl.t_prev = e, e, np.zeros(0), e, e
    fl._t_bufs = ()
    ref = [e, e, np.zeros(0), e, e]
    for step in range(40):
        ids = g.integers(0, 10**6, int(g.integers(0, 900)))
        fl._add_travellers(ids)
        k = ids.size
        ref = [np.concatenate([r, x]) for r, x in zip(ref, (
            ids, np.full(k, -1), np.zeros(k), np.zeros(k, dtype=np.int64), np.full(k, -1)),
            strict=True)]
        # travellers move on and wait: changed in place, as the day does
        fl.t_link[:] = ref[1][:] = g.integers(-1, 50, ref[1].size)
        fl.t_wait[:] = ref[3][:] = g.integers(0, 4, ref[3].size)
        keep = g.random(ref[0].size) < 0.8
        if step % 2:
            fl._subset(keep)
        else:
            fl._subset_budget(keep, g.random(keep.size))
        ref = [r[keep] for r in ref]
        got = (fl.t_ids, fl.t_link, fl.t_left, fl.t_wait, fl.t_prev)
        for a, b in zip(got, ref, strict=True):
            assert a.dtype == b.dtype and np.array_equal(a, b), step
    n = fl.t_ids.size
    fl._add_travellers(np.arange(3))
    assert fl.t_ids.base is fl._t_bufs[0] and n > 500 and np.array_equal(fl.t_ids[n:], [0, 1, 2])


@needs_numba
def test_compiled_route_choice_searches_each_group(monkeypatch: pytest.MonkeyPatch) -> None:
    """The compiled route choice looks for a traveller's pick in its group's run of the
    cumulative weights only when no weight is below 0 (then it is the same position as
    in the whole array); with a negative weight it searches the whole array as NumPy does.
    Both give NumPy's links, for weights of all sizes, zeros, and a negative score."""
    sim, fl = _small_flight()
    routes, A, P = fl.routes, fl.A, fl.P
    g = np.random.default_rng(21)
    for trial in range(6):
        n = 3000
        at = g.integers(0, P, n)
        prev = np.where(g.random(n) < 0.3, -1, g.integers(0, P, n))
        feared = g.integers(-1, A, n)
        nocamp, smuggled = g.random(n) < 0.3, g.random(n) < 0.4
        u = g.random(n)
        score = g.random((A + 1, P)) * 10.0 ** g.integers(-3, 3, (A + 1, P))
        score[g.random((A + 1, P)) < 0.2] = 0.0
        if trial % 2:  # negative weights: the cumulative array is not ascending
            score[g.random((A + 1, P)) < 0.05] = -1e4
        fast = routes.choose(at, prev, feared, nocamp, smuggled, score, u, A)
        monkeypatch.setattr(kernels, "ENABLED", False)
        slow = routes.choose(at, prev, feared, nocamp, smuggled, score, u, A)
        monkeypatch.setattr(kernels, "ENABLED", True)
        assert fast.dtype == slow.dtype and np.array_equal(fast, slow), trial
        assert (fast >= 0).sum() > n // 4
