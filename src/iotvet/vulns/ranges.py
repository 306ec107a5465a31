"""Status of a version under a product/package entry with ordered ranges (CVE 5, OSV, CSAF).

Implements the CVE JSON 5 algorithm (cve-schema ``docs/versions.md``): the first version object
that contains the version decides (with its ``changes`` applied in increasing order), otherwise
``defaultStatus``. ``"version": "0"`` is no lower bound, ``*`` no upper bound and ``2.*`` as an
upper bound means "through the whole 2.x series".

What cannot be evaluated is reported as ``unknown`` instead of being guessed: ``git`` ranges
(commit ids need the repository's history), bounds without any digit (``"unspecified"``), and —
when such ranges are present — the default status of the entry, since the unevaluated ranges
may have been meant to cover the version. An explicit ``versions`` list (OSV) is checked first;
for OSV GIT-range records it holds release tags, which :func:`versions.tag_to_version` turns
into versions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache

from .records import Affected, Range, Status
from .versions import canonical, compare, tag_to_version, upper_bound


@dataclass
class RangeVerdict:
    status: Status
    fixed: list[str] = field(default_factory=list)
    detail: str = ""


@lru_cache(maxsize=8192)
def _evaluable(bound: str | None) -> bool:
    return bound is None or bound in ("*", "0") or any(ch.isdigit() for ch in bound)


def _contains(rng: Range, version: str, scheme: str | None) -> bool | None:
    """True/False when ``rng`` does/does not contain ``version``; None if it cannot be told."""
    if rng.version_type == "git" or not all(
        _evaluable(b) for b in (rng.version, rng.less_than, rng.less_than_or_equal)
    ):
        return None
    if rng.less_than is None and rng.less_than_or_equal is None:
        if rng.version in ("*", "0", ""):
            return None
        return compare(version, rng.version, scheme) == 0
    if rng.version not in ("0", "", "*") and compare(version, rng.version, scheme) < 0:
        return False
    if rng.less_than is not None:
        bound = upper_bound(rng.less_than)
        return bound is None or compare(version, bound, scheme) < 0
    assert rng.less_than_or_equal is not None
    bound = upper_bound(rng.less_than_or_equal)
    if bound is None:
        return True
    if rng.less_than_or_equal.rstrip().endswith("*"):
        return compare(version, bound, scheme) < 0
    return compare(version, bound, scheme) <= 0


def _describe(rng: Range) -> str:
    if rng.less_than is not None:
        return f"{rng.version} ≤ v < {rng.less_than}: {rng.status}"
    if rng.less_than_or_equal is not None:
        return f"{rng.version} ≤ v ≤ {rng.less_than_or_equal}: {rng.status}"
    return f"v = {rng.version}: {rng.status}"


def evaluate(
    entry: Affected,
    version: str,
    scheme: str | None = None,
    names: tuple[str, ...] = (),
    tidy: Callable[[str], str] | None = None,
) -> RangeVerdict:
    """Status of ``version`` under ``entry``.

    ``names`` (project names) and ``tidy`` (the identity data's release-tag clean-up, e.g.
    wolfSSL's ``-stable``) help read OSV release tags.
    """
    if entry.versions:
        listed = _in_versions(entry, version, scheme, names, tidy)
        if listed:
            return RangeVerdict(
                "affected",
                _fixed_after(entry, version, scheme),
                f"version listed as affected ({entry.package or entry.product})",
            )
    unevaluated = entry.git_only
    for rng in entry.ranges:
        hit = _contains(rng, version, scheme)
        if hit is None:
            unevaluated = True
            continue
        if not hit:
            continue
        status = rng.status
        for at, change in sorted(rng.changes, key=lambda c: _SortKey(c[0], scheme)):
            if compare(at, version, scheme) <= 0:
                status = change
        fixed = _fixed_after(entry, version, scheme, rng)
        return RangeVerdict(status, fixed if status == "affected" else [], _describe(rng))
    if entry.versions and entry.version_tags:
        if _tags_readable(entry, names):
            return RangeVerdict("unaffected", [], "version not among the affected releases")
        return RangeVerdict("unknown", [], "affected releases given as unreadable tags")
    if unevaluated:
        return RangeVerdict("unknown", [], "only git or unparseable ranges")
    fixed = _fixed_after(entry, version, scheme) if entry.default_status == "affected" else []
    return RangeVerdict(entry.default_status, fixed, f"default status {entry.default_status}")


class _SortKey:
    """Sort helper ordering version strings with :func:`versions.compare`."""

    def __init__(self, version: str, scheme: str | None) -> None:
        self.version = version
        self.scheme = scheme

    def __lt__(self, other: _SortKey) -> bool:
        return compare(self.version, other.version, self.scheme) < 0


def _in_versions(
    entry: Affected,
    version: str,
    scheme: str | None,
    names: tuple[str, ...],
    tidy: Callable[[str], str] | None,
) -> bool:
    if entry.version_tags:
        wanted = canonical(version)
        tag_names = tuple(filter(None, (entry.package, *names)))
        for tag in entry.versions:
            read = tag_to_version(tag, tag_names)
            if read is not None and tidy is not None:
                read = tidy(read)
            if read is not None and canonical(read) == wanted:
                return True
        return False
    return any(compare(version, listed, scheme) == 0 for listed in entry.versions)


def _tags_readable(entry: Affected, names: tuple[str, ...]) -> bool:
    tag_names = tuple(filter(None, (entry.package, *names)))
    return any(tag_to_version(tag, tag_names) is not None for tag in entry.versions)


def _fixed_after(
    entry: Affected, version: str, scheme: str | None, matched: Range | None = None
) -> list[str]:
    """Fixed versions relevant to ``version``: the end of its range, else the next fix."""
    if matched is not None and matched.less_than not in (None, "*"):
        assert matched.less_than is not None
        if not matched.less_than.endswith("*"):
            return [matched.less_than]
    candidates = [
        rng.version
        for rng in entry.ranges
        if rng.status == "unaffected"
        and rng.version not in ("0", "*", "")
        and rng.version_type != "git"
        and _evaluable(rng.version)
        and compare(rng.version, version, scheme) > 0
    ]
    if matched is not None:
        candidates += [
            at
            for at, st in matched.changes
            if st == "unaffected" and compare(at, version, scheme) > 0
        ]
    candidates += [f for f in entry.fixed if compare(f, version, scheme) > 0]
    if not candidates:
        return []
    lowest = candidates[0]
    for candidate in candidates[1:]:
        if compare(candidate, lowest, scheme) < 0:
            lowest = candidate
    return [lowest]
