"""The flight package's parts alone: the pure hazard function, interception outcomes, camp
admission, and the shared Flee routing (path tree, capacity multiplier)."""

from __future__ import annotations

import itertools

import numpy as np

from ranks.modules.flight import OUTCOME_NAMES, OUTCOMES, Outcome
from ranks.modules.flight.camps import camp_full
from ranks.modules.flight.hazards import (
    HazardRates,
    Window,
    hazard_chances,
    interception_outcome,
)
from ranks.modules.practices import OTHERS, WANTED, cumulative_shares
from ranks.routing import capacity_multiplier, path_tree
from ranks.scenario.model import ROUTE_KINDS

ROAD, DESERT = ROUTE_KINDS.index("road"), ROUTE_KINDS.index("desert")


def _rates(**kw: object) -> HazardRates:
    base: dict[str, object] = dict(
        checkpoint_by_kind=np.full(len(ROUTE_KINDS), 0.1), smuggled_factor=0.5, campaign=None,
        campaign_scale=10.0, patrol_desert=0.2, patrols=None,
        mine_by_kind=np.zeros(len(ROUTE_KINDS)), ban=np.zeros(3), minefields=[])
    base.update(kw)
    return HazardRates(**base)


def test_checkpoints_stop_only_those_the_holder_is_hostile_to() -> None:
    control = np.array([0, 1, 1])  # place 0 held by actor 0, places 1-2 by actor 1
    one = np.ones(4, dtype=np.int64)
    # link 0 -> 1 (held by 1): a party fleeing 1, one fleeing 0, one wanted by 1, a smuggled
    hz = hazard_chances(_rates(), np.zeros(4, np.int64), 0 * one, one, np.full(4, ROAD),
                        control, np.array([1, 0, 0, 1]), np.array([1, 0, 1, 1]),
                        np.array([False, False, False, True]))
    assert np.allclose(hz.p_checkpoint, [0.1, 0.0, 0.1, 0.05])
    assert (hz.checkpoint_actor == 1).all()
    assert (hz.p_patrol == 0).all()  # a road: no desert patrol
    # an exit ban of actor 1 makes everyone leaving its places a target, at 1 + factor
    hz = hazard_chances(_rates(ban=np.array([0.0, 3.0, 0.0])), np.zeros(4, np.int64), one,
                        2 * one, np.full(4, DESERT), control, np.full(4, 0), np.full(4, 0),
                        np.zeros(4, bool))
    assert np.allclose(hz.p_checkpoint, 0.4) and np.allclose(hz.p_patrol, 0.8)
    assert np.allclose(hz.p_stop, 0.4 + 0.8 * 0.6)


def test_minefields_threaten_everyone_on_their_links() -> None:
    control = np.array([0, 1])
    mines = [Window(0, 10, 0.3, actor=1, links=np.array([5]))]
    hz = hazard_chances(_rates(minefields=mines), np.array([5, 6]), np.array([0, 0]),
                        np.array([1, 1]), np.full(2, ROAD), control, np.full(2, -1),
                        np.full(2, -1), np.zeros(2, bool))
    assert np.allclose(hz.p_mine, [0.3, 0.0]) and list(hz.mine_actor) == [1, 0]
    assert (hz.p_checkpoint == 0).all()  # fleeing nobody, wanted by nobody, no ban


def test_interception_outcomes() -> None:
    """What happens to the caught is drawn from the intercepting actor's cumulative shares
    by kind of person (a man it wants, anyone else); women, children and elders among the
    others are sent back rather than held; a caught deserter is punished."""
    assert OUTCOME_NAMES[: len(OUTCOMES)] == OUTCOMES and OUTCOME_NAMES[-1] == "punished"
    cum = cumulative_shares(
        [[{"returned": 0.5, "conscripted": 0.3, "detained": 0.2}, {"returned": 1.0}],
         [{"detained": 1.0}, {"detained": 1.0}]], OUTCOMES)
    u = np.array([0.1, 0.6, 0.9, 0.9, 0.1, 0.6, 0.5])
    actor = np.array([0, 0, 0, 0, 1, 1, 1])
    kind = np.array([WANTED, WANTED, WANTED, WANTED, WANTED, WANTED, OTHERS])
    man = np.array([True, True, True, False, True, True, False])
    deserter = np.array([False, False, False, False, False, True, False])
    oc = interception_outcome(u, cum, actor, kind, man, deserter)
    assert list(oc) == [Outcome.RETURNED, Outcome.DETAINED, Outcome.CONSCRIPTED,
                        Outcome.CONSCRIPTED, Outcome.DETAINED, Outcome.PUNISHED,
                        Outcome.RETURNED]


def test_camps_admit_whole_parties_while_they_have_room() -> None:
    capacity = np.array([0.0, 3.0])
    at = np.array([1, 1, 1, 1, 0])
    keys = np.array([7, 7, 9, 9, 4])
    full = camp_full(capacity, np.array([0, 1]), at, keys)
    # room for 2 at camp 1: party 7 (2 people) fits, party 9 does not; place 0 has no limit
    assert list(full) == [False, False, True, True, False]


def _brute_paths(n: int, src: list[int], dst: list[int], hops: int) -> list[tuple[int, ...]]:
    out = []
    for o in range(n):
        for k in range(1, hops + 1):
            for links in itertools.product(range(len(src)), repeat=k):
                nodes = [o]
                ok = True
                for link in links:
                    if src[link] != nodes[-1] or dst[link] in nodes:
                        ok = False
                        break
                    nodes.append(dst[link])
                if ok:
                    out.append((o, *links))
    return out


def test_path_tree_enumerates_every_loop_free_path() -> None:
    src = [0, 1, 1, 2, 2, 3, 0, 3]
    dst = [1, 0, 2, 1, 3, 2, 3, 0]
    dist = np.arange(1.0, 9.0)
    t = path_tree(4, np.array(src), np.array(dst), dist, np.ones(8, bool), 3)
    brute = _brute_paths(4, src, dst, 3)
    assert len(t.end) == len(brute)
    got = {(int(o), int(f), int(e)) for o, f, e in zip(t.origin, t.first_link, t.end,
                                                        strict=True)}
    assert got == {(b[0], b[1], dst[b[-1]]) for b in brute}
    assert (t.padded() >= 0).sum() == len(brute)
    closed = np.ones(8, bool)
    closed[[0, 6]] = False  # place 0 cannot leave
    t2 = path_tree(4, np.array(src), np.array(dst), dist, closed, 3)
    assert t2.ptr[1] == 0


def test_capacity_multiplier_follows_flee() -> None:
    cap = np.array([0.0, 100.0, 100.0, 100.0, 100.0])
    n = np.array([50, 10, 90, 95, 120])
    m = capacity_multiplier(cap, n, 0.9)
    assert np.allclose(m, [1.0, 1.0, 1.0, 0.5, 0.0])
