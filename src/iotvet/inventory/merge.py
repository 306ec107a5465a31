"""Fold candidate components from every identifier into one component per (name, version).

Package databases, binary signatures and OS files often see the same software: Debian's libssl3
and openssl packages are both "openssl 3.0.x", and the signature scanner finds the same version in
/usr/lib/libssl.so.3. A user wants one line per piece of software with every file that proves it,
so candidates with the same canonical name and upstream version are merged, keeping all evidence.
"""

from __future__ import annotations

import hashlib
import re

from ..context import ScanContext
from ..model import Component
from ..rootfs import RootFS

# Evidence from a package database is authoritative for names, suppliers and purls.
_METHOD_RANK = {"package-db": 0, "os-release": 1}


_SYSTEM_TYPES = frozenset({"operating-system", "firmware"})

# A version control snapshot ("2022-01-16-cff80b4f", "20151223"), as OpenWrt and Yocto package
# upstream projects that tag releases rarely; vulnerability data speaks of the releases.
_SNAPSHOT = re.compile(r"(?:\d{4}-\d{2}-\d{2}|\d{8})(?:[-.+~]?(?:git)?[0-9a-f]{7,40})?")


def _rank(component: Component) -> int:
    methods = [e.method for e in component.evidence] or ["?"]
    return min(_METHOD_RANK.get(m, 2) for m in methods)


def merge_components(candidates: list[Component]) -> list[Component]:
    """One Component per (name, version, layer) — per (name, version) for kernels, boot loaders
    and operating systems; the best-ranked candidate gives the identity."""
    _adopt_release_versions(candidates)
    groups: dict[tuple[str, str | None, str | None], list[Component]] = {}
    for candidate in candidates:
        # A kernel or boot loader seen in its boot image and again in a root file system
        # (/lib/modules/<release>) is one piece of software, whatever layer it was seen in.
        layer = None if candidate.type in _SYSTEM_TYPES else candidate.layer
        groups.setdefault((candidate.name, candidate.version, layer), []).append(candidate)
    merged = [_merge_group(sorted(group, key=_rank)) for group in groups.values()]
    merged.sort(key=lambda c: (c.name, c.version or "", c.layer or ""))
    return merged


def _adopt_release_versions(candidates: list[Component]) -> None:
    """Give a package whose version is a VCS snapshot the release its own binary states.

    OpenWrt ships hostapd as "2022-01-16-cff80b4f" while /usr/sbin/wpad says "2.10": the same
    software, seen twice. When the binaries of that component in the same layer agree on exactly
    one release version, the package takes it as ``version`` (the snapshot stays in
    ``package_version`` and the purl), so it is reported once and matched against the releases
    vulnerability data names. Several disagreeing releases are left as separate components.
    """
    releases: dict[tuple[str, str | None], set[str]] = {}
    for candidate in candidates:
        if (
            candidate.version
            and _rank(candidate) > 0
            and not _SNAPSHOT.fullmatch(candidate.version)
        ):
            releases.setdefault((candidate.name, candidate.layer), set()).add(candidate.version)
    for candidate in candidates:
        seen = releases.get((candidate.name, candidate.layer), set())
        snapshot = candidate.version and _SNAPSHOT.fullmatch(candidate.version)
        if _rank(candidate) == 0 and snapshot and len(seen) == 1:
            candidate.package_version = candidate.package_version or candidate.version
            candidate.version = next(iter(seen))
            candidate.cpe = None  # rebuilt from the release version by identity.enrich


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


def hash_files(components: list[Component], roots: dict[str, RootFS], ctx: ScanContext) -> None:
    """Fill ``file_hashes`` (sha1 + sha256) for every regular file that proves a component.

    SBOM consumers check components by file hash (SPDX requires SHA-1 per file); each file is read
    once even when several components cite it, and files over the read limit are listed in
    ``skipped`` rather than hashed partially.
    """
    cache: dict[tuple[str, str], dict[str, str] | None] = {}
    for component in components:
        root = roots.get(component.layer or "")
        if root is None:
            continue
        for path in component.files:
            key = (root.label, path)
            if key not in cache:
                cache[key] = _file_digests(root, path, ctx)
            digests = cache[key]
            if digests:
                component.file_hashes[path] = digests


def _file_digests(root: RootFS, path: str, ctx: ScanContext) -> dict[str, str] | None:
    entry = root.entry(path)
    if entry is None or not entry.is_file:
        return None
    if entry.size > root.limits.max_file_read:
        ctx.skip(path, f"not hashed: {entry.size} bytes exceeds the read limit", "inventory")
        return None
    data = root.read_bytes(path)
    if data is None:
        return None
    return {"sha1": hashlib.sha1(data).hexdigest(), "sha256": hashlib.sha256(data).hexdigest()}
