"""CPE 2.3 names: parsing the formatted-string binding and matching attribute values.

Implements the parts of NIST IR 7695/7696 that vulnerability matching needs: splitting a
``cpe:2.3:…`` string on unescaped colons, unescaping quoted characters for comparison, the
logical values ANY (``*``) and NA (``-``), embedded ``?``/``*`` wildcards in a criteria value, and
the older CPE 2.2 URI form (``cpe:/a:vendor:product:version``) that CVE 5 records may carry.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from fnmatch import fnmatchcase
from functools import lru_cache
from urllib.parse import unquote

ANY = "*"
NA = "-"
FIELDS = (
    "part",
    "vendor",
    "product",
    "version",
    "update",
    "edition",
    "language",
    "sw_edition",
    "target_sw",
    "target_hw",
    "other",
)
_SPLIT = re.compile(r"(?<!\\):")
_UNESCAPE = re.compile(r"\\(.)")


@dataclass(frozen=True, slots=True)
class Cpe:
    """One CPE name; attribute values are unescaped and lower-case, ``*``/``-`` kept as is."""

    part: str = ANY
    vendor: str = ANY
    product: str = ANY
    version: str = ANY
    update: str = ANY
    edition: str = ANY
    language: str = ANY
    sw_edition: str = ANY
    target_sw: str = ANY
    target_hw: str = ANY
    other: str = ANY


def _unescape(value: str) -> str:
    """Remove quoting backslashes but keep ``\\*``/``\\?`` quoted, so they stay literal."""
    return _UNESCAPE.sub(lambda m: "\\" + m.group(1) if m.group(1) in "*?" else m.group(1), value)


@lru_cache(maxsize=65536)
def parse(text: str) -> Cpe | None:
    """Parse a CPE 2.3 formatted string or a CPE 2.2 URI; None when ``text`` is neither."""
    text = text.strip()
    if text.lower().startswith("cpe:2.3:"):
        parts = _SPLIT.split(text[len("cpe:2.3:") :])
        if len(parts) < 3:
            return None
        parts = (parts + [ANY] * len(FIELDS))[: len(FIELDS)]
        values = [_unescape(p).lower() if p not in (ANY, NA) else p for p in parts]
        return Cpe(*values)
    if text.lower().startswith("cpe:/"):
        parts = text[len("cpe:/") :].split(":")
        values = [unquote(p).lower() or ANY for p in parts]
        values = (values + [ANY] * len(FIELDS))[: len(FIELDS)]
        if values[0] not in ("a", "o", "h"):
            return None
        return Cpe(*values)
    return None


def value_matches(criteria: str, target: str, *, na_is_any: bool = False) -> bool:
    """Does a criteria attribute value match a target value (both as parsed by :func:`parse`)?

    ANY matches everything; NA matches only NA (or everything when ``na_is_any``); a value with
    unquoted ``*``/``?`` is a pattern; otherwise values must be equal (case-insensitive).
    """
    if criteria == ANY:
        return True
    if criteria == NA:
        return na_is_any or target == NA
    if target in (ANY, NA):
        return False
    if _has_wildcard(criteria):
        return fnmatchcase(target, _pattern(criteria))
    return criteria.replace("\\", "") == target.replace("\\", "")


def _has_wildcard(value: str) -> bool:
    return bool(re.search(r"(?<!\\)[*?]", value))


def _pattern(value: str) -> str:
    """fnmatch pattern of a CPE value: unquoted ``*``/``?`` are wildcards, the rest literal."""
    out = []
    index = 0
    while index < len(value):
        char = value[index]
        if char == "\\" and index + 1 < len(value):
            out.append("[" + value[index + 1] + "]")
            index += 2
            continue
        out.append(char if char in "*?" else ("[" + char + "]" if char in "[]" else char))
        index += 1
    return "".join(out)


def has_wildcard(value: str) -> bool:
    """True when a criteria value is a pattern rather than a literal."""
    return value not in (ANY, NA) and _has_wildcard(value)


def literal(value: str) -> str:
    """The value without quoting backslashes (for display and version comparison)."""
    return value.replace("\\", "")
