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
from typing import Any

import numpy as np
from numpy.random.bit_generator import ISeedSequence

from ranks import kernels

_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_GOLD = np.uint64(0x9E3779B97F4A7C15)


@lru_cache(maxsize=4096)
def stream_key(name: str) -> int:
    """64-bit key of a stream name (blake2b)."""
    return int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "little")


def stream(seed: int, name: str, day: int) -> np.random.Generator:
    """A fresh generator for stream ``name`` on ``day`` (day index from the period start):
    ``numpy.random.default_rng([seed, stream_key(name), day + 1_000_000])``. With Numba the
    seed sequence's hash is computed in one compiled call (:func:`ranks.kernels.seed_words`,
    the same state words, so the same draws) instead of by ``SeedSequence``."""
    d = int(day) + 1_000_000
    if kernels.ENABLED and seed >= 0 and 0 <= d < 2**32:
        words = kernels.seed_words(_entropy_prefix(int(seed), name), d)
        # numpy takes any ISeedSequence here (its stubs name only SeedSequence)
        seq: Any = _StateWords(words)
        return np.random.Generator(np.random.PCG64(seq))
    return np.random.default_rng([int(seed), stream_key(name), d])


def _int_words(n: int) -> list[int]:
    """The uint32 words numpy's SeedSequence makes of a non-negative integer (low first;
    [0] for 0)."""
    out = [n & 0xFFFFFFFF]
    n >>= 32
    while n > 0:
        out.append(n & 0xFFFFFFFF)
        n >>= 32
    return out


@lru_cache(maxsize=4096)
def _entropy_prefix(seed: int, name: str) -> np.ndarray:
    """The uint32 entropy words of ``[seed, stream_key(name)]`` as SeedSequence reads them."""
    return np.array(_int_words(seed) + _int_words(stream_key(name)), dtype=np.uint32)


class _StateWords(ISeedSequence):
    """A seed sequence whose state words are already known: PCG64 asks for 4 uint64 words
    and gets them (what ``SeedSequence.generate_state(4, np.uint64)`` returns)."""

    def __init__(self, words: np.ndarray) -> None:
        self.words = words

    def generate_state(self, n_words: int, dtype: Any = np.uint32) -> np.ndarray:
        if n_words != 4 or np.dtype(dtype) != np.dtype(np.uint64):
            raise ValueError("only the 4 uint64 words PCG64 asks for are known")
        return self.words


_MASK = 2**64 - 1
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)


_GOLD_I, _M1_I, _M2_I = int(_GOLD), int(_M1), int(_M2)


def _splitmix_int(x: int) -> int:
    """splitmix64 of one 64-bit value, in Python integers."""
    z = (x + _GOLD_I) & _MASK
    z = ((z ^ (z >> 30)) * _M1_I) & _MASK
    z = ((z ^ (z >> 27)) * _M2_I) & _MASK
    return z ^ (z >> 31)


def _splitmix(z: np.ndarray) -> np.ndarray:
    """splitmix64 of each value of a uint64 array, in place (integer arrays wrap around)."""
    z += _GOLD
    z ^= z >> _S30
    z *= _M1
    z ^= z >> _S27
    z *= _M2
    z ^= z >> _S31
    return z


@lru_cache(maxsize=4096)
def _name_base(seed: int, name: str) -> int:
    """The hash of (seed, stream name), the part of :func:`_base` that is the same every
    day."""
    return _splitmix_int(stream_key(name) ^ (int(seed) * 0x632BE59BD9B4E019 % 2**64))


@lru_cache(maxsize=8192)
def _base(seed: int, name: str, day: int) -> np.uint64:
    """The hash of (seed, stream name, day) that ``person_uniform`` mixes with each id."""
    return np.uint64(_splitmix_int(_name_base(seed, name) ^ (int(day) & 0xFFFFFFFF)))


def person_uniform(seed: int, name: str, day: int, ids: np.ndarray) -> np.ndarray:
    """Uniform [0, 1) numbers for people ``ids`` on ``day``, float64, one per id.

    Each person's number depends only on (seed, stream name, day, person id).
    """
    if kernels.ENABLED:  # the same numbers, in one compiled loop (ranks.kernels)
        return kernels.uniforms(np.ascontiguousarray(ids, dtype=np.int64),
                                _base(int(seed), name, int(day)), _GOLD, _M1, _M2)
    z = np.asarray(ids).astype(np.uint64)  # a copy, mixed in place
    z *= _GOLD
    z ^= _base(int(seed), name, int(day))
    _splitmix(z)
    z >>= _S11
    out = z.astype(np.float64)
    out *= 1.0 / 9007199254740992.0
    return out
