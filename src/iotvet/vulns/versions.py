"""Version ordering for embedded software and for package ecosystems.

Firmware versions do not follow one scheme: OpenSSL appends letters (``1.1.1w`` is a *later*
release than ``1.1.1``), OpenSSH appends a portable patch level (``9.0p1``), Dropbear uses
``YEAR.N`` (``2022.83``), snapshots carry dates (``2022-01-16``, ``20151223``), release
candidates carry words (``2.90rc1``). Package ecosystems (deb, rpm, apk, pypi, npm …) each have a
well-defined order, for which :mod:`univers` is used.

The *embedded* order used for upstream versions (NVD, CVE 5 ``custom``/``semver`` ranges, generic
purls) is defined by a sort key, which makes it total and transitive by construction:

1. Lower-case; strip surrounding blanks, a leading ``v``/``version`` before a digit and a leading
   ``N:`` epoch (upstream versions carry none; a distribution epoch is compared by univers).
2. Split into tokens: runs of digits (numbers) and runs of letters (words). Every other character
   (``.``, ``-``, ``_``, ``+``, ``~`` …) only separates tokens.
3. Trailing zero numbers of a run of numbers are dropped, so ``1.0`` = ``1.0.0`` = ``1`` and
   ``5.10`` = ``5.10.0``; ``0`` is the smallest version.
4. Tokens compare position by position; at one position
   pre-release word < end of version < other word < number. Pre-release words are
   ``dev < snapshot < alpha < beta < pre < preview < rc``; so ``1.0rc1 < 1.0 < 1.0a < 1.0.1``.
   Any other word is a post-release marker: ``1.1.1 < 1.1.1a < 1.1.1w < 1.1.1za``,
   ``9.0 < 9.0p1 < 9.1``. Words compare alphabetically, numbers numerically (``2.9 < 2.90``).

Known limits (documented, not hidden): single-letter pre-releases such as ``1.0a1`` (Python style)
read as post-releases, and a version that mixes a number and a word at the same position orders
the word first (``1.1.1w < 1.1.1.1``).
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import cast

from univers.version_range import RANGE_CLASS_BY_SCHEMES
from univers.versions import InvalidVersion, Version

#: Words that mark a pre-release, in increasing order.
PRE_RELEASE_WORDS: tuple[str, ...] = ("dev", "snapshot", "alpha", "beta", "pre", "preview", "rc")
_PRE_RANK = {word: rank for rank, word in enumerate(PRE_RELEASE_WORDS)}

_TOKEN = re.compile(r"\d+|[a-z]+")
_PREFIX = re.compile(r"^(?:version|v)(?=\d)")
_EPOCH = re.compile(r"^\d+:(?=\d)")
_GIT_HASH = re.compile(r"^[0-9a-f]{7,40}$")

# One key item per token: (kind, value). Kinds: 0 pre-release word, 1 end, 2 word, 3 number.
KeyItem = tuple[int, int | str]
_END: KeyItem = (1, 0)

#: Version schemes handled by univers (purl types and OSV ecosystem names in lower case).
_UNIVERS_SCHEMES: dict[str, type[Version]] = {
    scheme: cast(type[Version], cls.version_class)
    for scheme, cls in RANGE_CLASS_BY_SCHEMES.items()
    if cls.version_class is not None
}
_UNIVERS_SCHEMES.update(
    {
        "debian": _UNIVERS_SCHEMES["deb"],
        "ubuntu": _UNIVERS_SCHEMES["deb"],
        "alpine": _UNIVERS_SCHEMES["apk"],
        "redhat": _UNIVERS_SCHEMES["rpm"],
        "almalinux": _UNIVERS_SCHEMES["rpm"],
        "rocky linux": _UNIVERS_SCHEMES["rpm"],
        "opensuse": _UNIVERS_SCHEMES["rpm"],
        "suse": _UNIVERS_SCHEMES["rpm"],
    }
)
# Schemes whose univers class does not suit upstream embedded versions: use the embedded key.
for _scheme in ("generic", "semver", "none", "all"):
    _UNIVERS_SCHEMES.pop(_scheme, None)


def _clean(version: str) -> str:
    text = version.strip().lower()
    text = _PREFIX.sub("", text)
    return _EPOCH.sub("", text)


@lru_cache(maxsize=65536)
def version_key(version: str) -> tuple[KeyItem, ...]:
    """Sort key of ``version`` in the embedded order described in the module docstring."""
    raw: list[KeyItem] = []
    for token in _TOKEN.findall(_clean(version)):
        if token.isdigit():
            raw.append((3, int(token)))
        elif token in _PRE_RANK:
            raw.append((0, _PRE_RANK[token]))
        else:
            raw.append((2, token))
    items: list[KeyItem] = []
    for index, item in enumerate(raw):
        if item == (3, 0):
            # drop a zero when only zeros follow up to the end of this run of numbers
            rest = raw[index + 1 :]
            run_end = next((i for i, it in enumerate(rest) if it[0] != 3), len(rest))
            if all(it == (3, 0) for it in rest[:run_end]):
                continue
        items.append(item)
    items.append(_END)
    return tuple(items)


def canonical(version: str) -> str:
    """A string that is equal for two versions exactly when they compare equal (for indexing)."""
    parts = []
    for kind, value in version_key(version)[:-1]:
        if kind == 0:
            parts.append("~" + PRE_RELEASE_WORDS[int(value)])
        else:
            parts.append(str(value))
    return ".".join(parts) or "0"


def is_git_hash(version: str) -> bool:
    """True for an abbreviated or full git commit id (CVE 5 ``git`` ranges, OSV ``GIT`` events)."""
    return bool(_GIT_HASH.match(version)) and not version.isdigit()


def univers_class(scheme: str | None) -> type[Version] | None:
    """The univers version class for a purl type / OSV ecosystem, or None for the embedded order."""
    if not scheme:
        return None
    return _UNIVERS_SCHEMES.get(scheme.lower().split(":", 1)[0])


def compare(a: str, b: str, scheme: str | None = None) -> int:
    """-1, 0 or 1 as ``a`` is lower than, equal to or higher than ``b`` under ``scheme``.

    ``scheme`` is a purl type or OSV ecosystem (``deb``, ``Debian:12``, ``rpm``, ``pypi`` …); it
    selects the univers ordering. Without a scheme, or when univers rejects one of the strings,
    the embedded order is used.
    """
    cls = univers_class(scheme)
    if cls is not None:
        try:
            va, vb = cls(a), cls(b)
        except (InvalidVersion, ValueError, TypeError):
            pass
        else:
            return (va > vb) - (va < vb)
    ka, kb = version_key(a), version_key(b)
    return (ka > kb) - (ka < kb)


def next_series(prefix: str) -> str:
    """The first version after the series ``prefix.*`` (``4.19`` → ``4.20``, ``2`` → ``3``)."""
    numbers = re.findall(r"\d+", prefix)
    if not numbers:
        return prefix
    head = [*numbers[:-1], str(int(numbers[-1]) + 1)]
    return ".".join(head)


def upper_bound(bound: str) -> str | None:
    """Resolve a CVE 5 upper bound: ``*`` is no bound (None), ``4.19.*`` means below ``4.20``.

    Returns the exclusive bound for series bounds and ``bound`` unchanged otherwise.
    """
    text = bound.strip()
    if text in ("*", ""):
        return None
    if text.endswith("*"):
        return next_series(text.rstrip("*").rstrip("."))
    return text


def tag_to_version(tag: str, names: tuple[str, ...] = ()) -> str | None:
    """Turn a release tag from a git repository into a version, or None when it is not one.

    Generic rule for the tags OSV lists in ``versions``: drop a leading project name (any of
    ``names``, case-insensitive, followed by ``-``/``_``/``.``), a leading ``v``/``release``, then
    read ``_`` as ``.`` (``curl-7_88_1`` → ``7.88.1``, ``OpenSSL_1_1_1w`` → ``1.1.1w``,
    ``v2.90`` → ``2.90``). A tag that does not then start with a digit is not a release tag.
    """
    text = tag.strip()
    lowered = text.lower()
    for name in sorted(names, key=len, reverse=True):
        for sep in ("-", "_", "."):
            if lowered.startswith(name.lower() + sep):
                text = text[len(name) + 1 :]
                lowered = text.lower()
                break
    text = re.sub(r"^(?:release|rel|version|ver|v)[-_.]?(?=\d)", "", text, flags=re.IGNORECASE)
    if not text[:1].isdigit():
        return None
    return text.replace("_", ".")
