"""Random streams keyed by (seed, stream name, day), and per-person hashed uniforms.

A stream's generator for a day depends only on the seed, the stream's name and the day, so
adding a module (a new stream name) leaves every other stream's draws unchanged, and the
number of draws made one day does not move the next day's.

``person_uniform`` gives each person their own number for a (stream, day) in O(k) for k
people, independent of who else is drawn: person-level common random numbers. Count draws
(binomial, thinning) keep common random numbers only per group.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=4096)
def stream_key(name: str) -> int:
    """64-bit key of a stream name (blake2b)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def stream(seed: int, name: str, day: int) -> np.random.Generator:
    """A fresh generator for stream ``name`` on ``day`` (day index from the period start)."""
    return np.random.default_rng([int(seed), stream_key(name), int(day) + 1_000_000])


def _splitmix(x: np.ndarray) -> np.ndarray:
    with np.errstate(over="ignore"):
        z = x + _GOLD
        z = (z ^ (z >> np.uint64(30))) * _M1
        z = (z ^ (z >> np.uint64(27))) * _M2
        return z ^ (z >> np.uint64(31))


def person_uniform(seed: int, name: str, day: int, ids: np.ndarray) -> np.ndarray:
    """Uniform [0, 1) numbers for people ``ids`` on ``day``, float64, one per id.

    Each person's number depends only on (seed, stream name, day, person id).
    """
    base = _splitmix(np.array([stream_key(name) ^ (int(seed) * 0x632BE59BD9B4E019 % 2**64)],
                              dtype=np.uint64))
    base = _splitmix(base ^ np.uint64(int(day) & 0xFFFFFFFF))
    with np.errstate(over="ignore"):
        z = _splitmix(np.asarray(ids, dtype=np.uint64) * _GOLD ^ base)
    return (z >> np.uint64(11)).astype(np.float64) * (1.0 / 9007199254740992.0)
