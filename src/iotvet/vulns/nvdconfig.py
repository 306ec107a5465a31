"""NVD configuration semantics: one CPE criterion against a version, and whole AND/OR trees.

A criterion matches a component when vendor and product are equal and the version satisfies
``versionStart/End Including/Excluding`` (compared in the embedded order of
:mod:`iotvet.vulns.versions`), or, without bounds, the criteria version: ANY (``*``) matches every
version, NA (``-``) none (a component with a version is not "not applicable"), an exact version
matches an equal version (``update`` is appended: ``7.4`` + ``p1`` = ``7.4p1``; ``2.6.20`` +
``rc1`` is a pre-release), a pattern matches by wildcard. ``target_sw`` must be ANY/NA or a
software environment an embedded Linux component runs on (``data/matching.yaml``).

Configurations are evaluated in three-valued logic (true / false / unknown; Kleene AND/OR,
``negate`` flips true and false). A criterion about *another* product — the platform half of a
"running on" configuration, an AND of the vulnerable application with a non-vulnerable OS or
device — is true or false when the inventory holds that product (its version decides; NA in a
platform criterion is read as "any version", as NVD uses ``-`` there), false when it is an
operating system and the inventory names a different one, and **unknown** otherwise.

Decision (documented in the report reason): a configuration that evaluates to *unknown* still
matches — a missing inventory fact must not hide a vulnerability — and the vulnerability says
which platform condition could not be verified. Only a configuration that is *false* excludes it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from ..datafiles import read_yaml
from . import cpe as cpemod
from .records import CpeMatch, Node
from .versions import canonical, version_key

MATCHING_FILE = Path(__file__).resolve().parent / "data" / "matching.yaml"
Tri = bool | None


@cache
def compatible_target_sw() -> frozenset[str]:
    """``target_sw`` values under which an embedded Linux component can run."""
    doc = read_yaml(MATCHING_FILE) or {}
    return frozenset(str(v).lower() for v in doc.get("compatible_target_sw") or ())


def bounds_hold(
    version: str,
    start_including: str | None,
    start_excluding: str | None,
    end_including: str | None,
    end_excluding: str | None,
) -> bool:
    key = version_key(version)
    if start_including and key < version_key(start_including):
        return False
    if start_excluding and key <= version_key(start_excluding):
        return False
    if end_including and key > version_key(end_including):
        return False
    return not (end_excluding and key >= version_key(end_excluding))


def version_matches(
    version: str,
    criteria_version: str,
    criteria_update: str,
    bounds: tuple[str | None, str | None, str | None, str | None],
    *,
    platform: bool = False,
) -> bool:
    """Does ``version`` satisfy one criterion's version part (see module docstring)?"""
    if any(bounds):
        return bounds_hold(version, *bounds)
    if criteria_version == cpemod.ANY:
        return True
    if criteria_version == cpemod.NA:
        return platform
    full = criteria_version if criteria_update in ("*", "-") else criteria_version + criteria_update
    if cpemod.has_wildcard(criteria_version) or cpemod.has_wildcard(criteria_update):
        return cpemod.value_matches(full, version.lower())
    return canonical(version) == canonical(cpemod.literal(full))


@dataclass(slots=True)
class Criterion:
    """A stored vulnerable criterion with its bounds pre-parsed, for fast repeated checks."""

    adv: int
    config: int
    vuln_id: str
    source: str
    version: str
    update: str
    bounds: tuple[str | None, str | None, str | None, str | None]
    keys: tuple[Any, Any, Any, Any]
    target_ok: bool
    description: str

    @classmethod
    def from_row(cls, row: Any, description: str) -> Criterion:
        bounds = (row["vsi"], row["vse"], row["vei"], row["vee"])
        return cls(
            adv=row["adv"],
            config=row["config"],
            vuln_id=row["vuln_id"],
            source=row["source"],
            version=row["version"],
            update=row["update_"],
            bounds=bounds,
            keys=tuple(version_key(b) if b else None for b in bounds),  # type: ignore[arg-type]
            target_ok=target_sw_ok(row["target_sw"]),
            description=description,
        )

    def matches(self, version: str, key: tuple[Any, ...]) -> bool:
        if not self.target_ok:
            return False
        si, se, ei, ee = self.keys
        if si is not None or se is not None or ei is not None or ee is not None:
            return (
                (si is None or key >= si)
                and (se is None or key > se)
                and (ei is None or key <= ei)
                and (ee is None or key < ee)
            )
        return version_matches(version, self.version, self.update, self.bounds)


def target_sw_ok(target_sw: str | None) -> bool:
    return not target_sw or target_sw in ("*", "-") or target_sw in compatible_target_sw()


def criterion_matches(
    match: CpeMatch, pairs: Iterable[tuple[str, str]], version: str, *, platform: bool = False
) -> bool:
    parsed = cpemod.parse(match.criteria)
    if parsed is None or (parsed.vendor, parsed.product) not in set(pairs):
        return False
    if not target_sw_ok(parsed.target_sw):
        return False
    bounds = (
        match.start_including,
        match.start_excluding,
        match.end_including,
        match.end_excluding,
    )
    return version_matches(version, parsed.version, parsed.update, bounds, platform=platform)


@dataclass
class Inventory:
    """What the whole scan knows, for the platform half of configurations."""

    versions: dict[tuple[str, str], list[str]] = field(default_factory=dict)
    os_known: bool = False

    def add(self, pairs: Iterable[tuple[str, str, str]], version: str | None) -> None:
        for part, vendor, product in pairs:
            if part == "o":
                self.os_known = True
            if version:
                self.versions.setdefault((vendor, product), []).append(version)


@dataclass
class Evaluation:
    result: Tri
    unknown: list[str] = field(default_factory=list)  # platform criteria that could not be checked


def evaluate(
    node: Node, pairs: list[tuple[str, str]], version: str, inventory: Inventory
) -> Evaluation:
    """Evaluate a configuration tree for the component (``pairs`` at ``version``)."""
    unknown: list[str] = []
    result = _node(node, set(pairs), version, inventory, unknown)
    return Evaluation(result, unknown)


def _node(
    node: Node, pairs: set[tuple[str, str]], version: str, inventory: Inventory, unknown: list[str]
) -> Tri:
    values: list[Tri] = [_leaf(m, pairs, version, inventory, unknown) for m in node.matches]
    values += [_node(c, pairs, version, inventory, unknown) for c in node.children]
    if node.operator == "AND":
        result: Tri = False if False in values else (None if None in values else True)
    else:
        result = True if True in values else (None if None in values else False)
    if node.negate and result is not None:
        result = not result
    return result


def _leaf(
    match: CpeMatch,
    pairs: set[tuple[str, str]],
    version: str,
    inventory: Inventory,
    unknown: list[str],
) -> Tri:
    parsed = cpemod.parse(match.criteria)
    if parsed is None:
        return False
    pair = (parsed.vendor, parsed.product)
    if pair in pairs:
        return criterion_matches(match, pairs, version, platform=not match.vulnerable)
    others = inventory.versions.get(pair)
    if others:
        return any(
            criterion_matches(match, [pair], other, platform=not match.vulnerable)
            for other in others
        )
    if match.vulnerable:
        return False  # another vulnerable product that the inventory does not hold
    if parsed.part == "o" and inventory.os_known:
        return False
    unknown.append(match.criteria)
    return None
