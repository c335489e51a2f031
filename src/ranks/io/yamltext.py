"""YAML text as PyYAML's pure-Python emitter writes it, by libyaml's emitter where the two
write the same bytes (tens of times faster).

The two emitters differ in how they fold long double-quoted strings, escape characters
outside the Basic Multilingual Plane, and write empty or long mapping keys. Neither
happens for documents whose strings hold only printable characters of the Basic
Multilingual Plane and line breaks ``\\n`` with no space beside them (written plain or
single-quoted by both), and whose keys are short (at most 64 characters), non-empty and on
one line. Such documents (the resolved scenarios, whose only multi-line string is the
description) go through libyaml; any other goes through the pure-Python emitter, so the
text never depends on which one wrote it (tests/test_yamltext.py compares them).
"""

from __future__ import annotations

import re
from typing import Any

import yaml

#: Printable characters of the Basic Multilingual Plane (PyYAML's test, without the
#: line breaks U+0085, U+2028 and U+2029 and the BOM U+FEFF) and the line break ``\n``.
_PLAIN = re.compile("[\n\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd]*")
#: Longest mapping key (in characters) sent to libyaml: both emitters write simple keys
#: below 128 characters, counted differently.
MAX_KEY = 64
_C_DUMPER: type | None = getattr(yaml, "CSafeDumper", None)


def _same_text(s: str, key: bool) -> bool:
    """Both emitters write string ``s`` (a mapping key with ``key``) the same way."""
    if _PLAIN.fullmatch(s) is None or " \n" in s or "\n " in s:
        return False
    return not key or (0 < len(s) <= MAX_KEY and "\n" not in s)


def libyaml_writes_same(obj: Any) -> bool:
    """``obj`` is written the same by both emitters: dicts with string keys, lists,
    strings (see the module's docstring), numbers, booleans and None."""
    seen: set[int] = set()
    stack = [obj]
    while stack:
        x = stack.pop()
        if isinstance(x, str):
            if not _same_text(x, False):
                return False
        elif isinstance(x, dict | list):
            if id(x) in seen:  # shared: written once, then as an alias
                continue
            seen.add(id(x))
            if isinstance(x, list):
                stack.extend(x)
                continue
            for k, v in x.items():
                if type(k) is not str or not _same_text(k, True):
                    return False
                stack.append(v)
        elif not (x is None or isinstance(x, bool | int | float)):
            return False
    return True


def safe_dump(obj: Any, **kw: Any) -> str:
    """``yaml.safe_dump(obj, **kw)``: the same text, by libyaml's emitter when
    :func:`libyaml_writes_same`."""
    if _C_DUMPER is not None and libyaml_writes_same(obj):
        return str(yaml.dump(obj, Dumper=_C_DUMPER, **kw))
    return str(yaml.safe_dump(obj, **kw))
