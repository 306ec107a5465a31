"""A component prepared for matching: its CPE vendor:product pairs, names, OSV packages, distro.

Names and CPE pairs come from the component identity data shared with the inventory
(``data/components.yaml`` through :mod:`iotvet.inventory.identity`), plus the component's own CPE
and purl; nothing here keeps a second name table. A distribution package (purl ``pkg:deb/…``,
``pkg:apk/…``, ``pkg:rpm/…``) also gets the OSV ecosystem and release of its distribution
(``data/distributions.yaml``) so the distribution's own fixed versions can judge it.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from packageurl import PackageURL

from ..datafiles import read_yaml
from ..inventory import identity as identity_mod
from ..model import Component
from . import cpe as cpemod
from .db import product_key

DISTRIBUTIONS_FILE = Path(__file__).resolve().parent / "data" / "distributions.yaml"
KERNEL_PAIR = ("linux", "linux_kernel")
BUSYBOX_PAIR = ("busybox", "busybox")


@dataclass
class Distro:
    """The distribution a package comes from, as OSV names it."""

    ecosystem: str  # "Debian"
    release: str | None  # "12"
    version: str  # full package version with epoch and revision
    names: tuple[str, ...]  # package names OSV may use (source first when known)
    scheme: str  # version scheme for univers ("deb", "apk", "rpm")

    @property
    def label(self) -> str:
        return f"{self.ecosystem}:{self.release}" if self.release else self.ecosystem


@dataclass
class Target:
    index: int
    component: Component
    version: str
    triples: list[tuple[str, str, str]]  # (part, vendor, product)
    names: set[str]  # product keys for free-text CVE 5 products
    vendors: set[str]
    osv: list[tuple[str, str]]  # (ecosystem, package name)
    distro: Distro | None = None
    applets: list[str] | None = None
    tag_names: tuple[str, ...] = field(default_factory=tuple)

    def tidy(self, version: str) -> str:
        """Clean a release-tag version as the identity data says (wolfSSL's ``-stable``)."""
        return identity_mod.normalise_version(self.component.name, version) or version

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return [(v, p) for _, v, p in self.triples]

    @property
    def is_kernel(self) -> bool:
        return KERNEL_PAIR in self.pairs

    @property
    def is_busybox(self) -> bool:
        return BUSYBOX_PAIR in self.pairs


@cache
def _distributions() -> dict[str, dict[str, Any]]:
    doc = read_yaml(DISTRIBUTIONS_FILE) or {}
    return dict(doc.get("distributions") or {})


@cache
def _purl_ecosystems() -> dict[str, str]:
    doc = read_yaml(DISTRIBUTIONS_FILE) or {}
    return {str(k): str(v) for k, v in (doc.get("purl_ecosystems") or {}).items()}


def _osv_package_name(purl: PackageURL) -> str:
    """OSV's package name for a purl: Maven ``group:artifact``, npm/Go/Packagist with path."""
    if not purl.namespace:
        return str(purl.name)
    if purl.type == "maven":
        return f"{purl.namespace}:{purl.name}"
    if purl.type in ("npm", "golang", "composer"):
        return f"{purl.namespace}/{purl.name}"
    return str(purl.name)


def _purl(component: Component) -> PackageURL | None:
    if not component.purl:
        return None
    try:
        return PackageURL.from_string(component.purl)
    except ValueError:
        return None


def build(index: int, component: Component) -> Target | None:
    """The matching view of ``component``; None when it has no version to match."""
    version = (component.version or "").strip()
    if not version:
        return None
    ident = identity_mod.lookup(component.name)
    triples: list[tuple[str, str, str]] = []
    names = {product_key(component.name)}
    osv: list[tuple[str, str]] = []
    if ident is not None:
        triples.extend(ident.cpe)
        names.update(product_key(a) for a in ident.aliases)
        names.add(product_key(ident.name))
        osv.extend((o.ecosystem, o.name) for o in ident.osv)
    if component.cpe:
        parsed = cpemod.parse(component.cpe)
        if parsed is not None and parsed.vendor not in ("*", "-"):
            triple = (parsed.part, parsed.vendor, parsed.product)
            if triple not in triples:
                triples.append(triple)
    names.update(product_key(p) for _, _, p in triples)
    vendors = {product_key(v) for _, v, _ in triples}
    purl = _purl(component)
    if purl is not None and purl.name:
        if purl.type == "generic":
            names.add(product_key(purl.name))
        if purl.type not in ("deb", "rpm", "apk", "opkg"):  # distributions: see attach_distros
            ecosystem = _purl_ecosystems().get(purl.type, purl.type)
            osv.append((ecosystem, _osv_package_name(purl)))
    tag_names = tuple(sorted({component.name, *(ident.aliases if ident else ())}))
    return Target(
        index=index,
        component=component,
        version=version,
        triples=triples,
        names=names,
        vendors=vendors,
        osv=osv,
        applets=_applets(component),
        tag_names=tag_names,
    )


def _applets(component: Component) -> list[str] | None:
    """Applet list an earlier stage attached to the component (extra field ``applets``)."""
    extra = component.model_extra or {}
    value = extra.get("applets")
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return list(value)
    return None


def attach_distros(targets: Iterable[Target]) -> list[str]:
    """Give every distribution package its OSV ecosystem and release; returns notes.

    The release comes from the purl ``distro`` qualifier, else from a version convention of the
    distribution (Debian's ``+debNuM``), else from another package of the same distribution in
    the same inventory (one root file system comes from one release).
    """
    notes: list[str] = []
    pending: list[tuple[Target, PackageURL, dict[str, Any]]] = []
    releases: dict[str, str] = {}
    for target in targets:
        purl = _purl(target.component)
        if purl is None or purl.type not in ("deb", "apk", "rpm"):
            continue
        spec = _distributions().get(f"{purl.type}/{(purl.namespace or '').lower()}")
        if spec is None:
            continue
        release = _release(purl, spec)
        if release:
            releases.setdefault(str(spec["ecosystem"]), release)
        pending.append((target, purl, spec))
    for target, purl, spec in pending:
        ecosystem = str(spec["ecosystem"])
        release = _release(purl, spec) or releases.get(ecosystem)
        full = purl.version or _join(target.component)
        names = _distro_names(target, purl)
        target.distro = Distro(ecosystem, release, full, names, purl.type)
    unknown = sorted(
        {t.distro.ecosystem for t, _, _ in pending if t.distro and not t.distro.release}
    )
    if unknown:
        notes.append(f"release of {', '.join(unknown)} unknown: distribution data not applied")
    return notes


def _release(purl: PackageURL, spec: dict[str, Any]) -> str | None:
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    distro = str(qualifiers.get("distro") or "").lower()
    mapping = {str(k).lower(): str(v) for k, v in (spec.get("releases") or {}).items()}
    if distro:
        return mapping.get(distro, distro)
    pattern = spec.get("release_from_version")
    if pattern and purl.version:
        found = re.search(pattern, purl.version)
        if found:
            return found.group(1)
    return None


def _join(component: Component) -> str:
    version = component.version or ""
    return f"{version}-{component.revision}" if component.revision else version


def _distro_names(target: Target, purl: PackageURL) -> tuple[str, ...]:
    qualifiers = purl.qualifiers if isinstance(purl.qualifiers, dict) else {}
    names: list[str] = []
    for key in ("upstream", "source", "srcname"):
        value = str(qualifiers.get(key) or "")
        if value:
            names.append(re.split(r"[@\s(]", value, maxsplit=1)[0])
    names += [purl.name, target.component.package or "", target.component.name]
    ident = identity_mod.lookup(target.component.name)
    if ident is not None:
        names += list(ident.aliases)
    seen: list[str] = []
    for name in names:
        if name and name.lower() not in seen:
            seen.append(name.lower())
    return tuple(seen)
