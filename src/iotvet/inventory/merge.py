"""Fold candidate components from every identifier into one component per (name, version).

Package databases, binary signatures and OS files often see the same software: Debian's libssl3
and openssl packages are both "openssl 3.0.x", and the signature scanner finds the same version in
/usr/lib/libssl.so.3. A user wants one line per piece of software with every file that proves it,
so candidates with the same canonical name and upstream version are merged, keeping all evidence.
"""

from __future__ import annotations

from ..model import Component, Evidence

# Evidence from a package database is authoritative for names, suppliers and purls.
_METHOD_RANK = {"package-db": 0, "os-release": 1}


def _rank(component: Component) -> int:
    methods = [e.method for e in component.evidence] or ["?"]
    return min(_METHOD_RANK.get(m, 2) for m in methods)


def merge_components(candidates: list[Component]) -> list[Component]:
    """One Component per (name, version, layer); the best-ranked candidate gives the identity."""
    groups: dict[tuple[str, str | None, str | None], list[Component]] = {}
    for candidate in candidates:
        key = (candidate.name, candidate.version, candidate.layer)
        groups.setdefault(key, []).append(candidate)
    merged = [_merge_group(sorted(group, key=_rank)) for group in groups.values()]
    merged.sort(key=lambda c: (c.name, c.version or "", c.layer or ""))
    return merged


def _merge_group(group: list[Component]) -> Component:
    first = group[0].model_copy(deep=True)
    files = dict.fromkeys(first.files)
    evidence = {(e.path, e.method): e for e in first.evidence}
    packages = [first.package] if first.package else []
    for other in group[1:]:
        files.update(dict.fromkeys(other.files))
        for item in other.evidence:
            evidence.setdefault((item.path, item.method), item)
        first.hashes = {**other.hashes, **first.hashes}
        first.licenses = list(dict.fromkeys([*first.licenses, *other.licenses]))
        for attr in ("revision", "purl", "cpe", "supplier"):
            if getattr(first, attr) is None:
                setattr(first, attr, getattr(other, attr))
        if other.package and other.package not in packages:
            packages.append(other.package)
    first.files = list(files)
    first.evidence = list(evidence.values())
    if len(packages) > 1:
        first.package = ", ".join(packages)
    return first


def evidence_paths(component: Component) -> list[str]:
    """Inner paths that prove a component (files first, then other evidence locations)."""
    seen = dict.fromkeys(component.files)
    seen.update(dict.fromkeys(e.path for e in component.evidence))
    return list(seen)


__all__ = ["Evidence", "evidence_paths", "merge_components"]
