"""Small array helpers the day calls often.

:func:`unique` is ``np.unique(a)`` (sorted distinct values, same dtype) for integer and
boolean arrays by a sort and a mask. NumPy 2.3+ answers ``np.unique`` without ``return_*``
flags from a hash table, which on this project's int64 id arrays is several times slower
than sorting (benchmarks/unique_ratio.py); the result is the same array.
"""

from __future__ import annotations

import numpy as np


def unique(a: np.ndarray) -> np.ndarray:
    """Sorted distinct values of ``a`` (flattened), as ``np.unique(a)`` gives them.

    Integer and boolean arrays are sorted and masked; other dtypes (floats: NaN rules) go to
    ``np.unique``.
    """
    a = np.asarray(a)
    if a.dtype.kind not in "iub":
        return np.unique(a)
    s = np.sort(a, axis=None)  # a sorted copy, flattened
    if s.size < 2:
        return s
    keep = np.empty(s.size, dtype=bool)
    keep[0] = True
    np.not_equal(s[1:], s[:-1], out=keep[1:])
    return s[keep]


def unique_first_inverse(a: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(a, return_index=True, return_inverse=True)`` for an integer array: the
    sorted distinct values, the index of each one's first occurrence in ``a`` and, for each
    element of ``a``, the index of its value among them. One stable sort, as NumPy does,
    without its per-call overhead."""
    a = np.asarray(a).reshape(-1)
    order = np.argsort(a, kind="stable")
    s = a[order]
    flag = np.empty(s.size, dtype=bool)
    if s.size:
        flag[0] = True
        np.not_equal(s[1:], s[:-1], out=flag[1:])
    inv = np.empty(a.size, dtype=np.intp)
    inv[order] = np.cumsum(flag) - 1
    return s[flag], order[flag], inv
