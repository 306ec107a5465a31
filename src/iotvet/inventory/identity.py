"""Who a component is: canonical names, aliases, CPEs and purls from one sourced data file.

Package databases, binary signatures and vulnerability feeds all name the same software
differently (Debian's libssl3, OpenWrt's libopenssl3, NVD's openssl:openssl, OSV's OSS-Fuzz
"openssl"). ``data/components.yaml`` holds that knowledge, with sources, so an expert can review
it without reading Python; this module only applies it. The vulnerability matcher loads the same
file through :func:`load`.
"""

from __future__ import annotations

import fnmatch
import posixpath
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from cpe import CPE
from cpe.cpe2_3_wfn import CPE2_3_WFN
from packageurl import PackageURL

from ..datafiles import read_yaml
from ..model import Component
from ..rootfs import RootFS

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "components.yaml"
SCHEMA = "iotvet/components/1"
_CPE_PARTS = frozenset("aoh")
_GLOB_CHARS = re.compile(r"[*?\[]")


@dataclass(frozen=True)
class OsvPackage:
    ecosystem: str
    name: str


@dataclass(frozen=True)
class Identity:
    """Everything the data file says about one upstream project."""

    name: str
    aliases: tuple[str, ...] = ()
    alias_patterns: tuple[re.Pattern[str], ...] = ()
    sources: tuple[str, ...] = ()
    cpe: tuple[tuple[str, str, str], ...] = ()  # (part, vendor, product)
    osv: tuple[OsvPackage, ...] = ()
    purl_type: str = "generic"
    purl_namespace: str | None = None
    purl_name: str | None = None
    version_strip: re.Pattern[str] | None = None
    loaders: tuple[str, ...] = ()
    type: str | None = None


@dataclass(frozen=True)
class Distribution:
    default: str
    vendors: tuple[str, ...]


class IdentityData:
    """The parsed data file with its lookup indexes (build with :func:`load`)."""

    def __init__(self, doc: Mapping[str, Any], origin: str) -> None:
        if doc.get("schema") != SCHEMA:
            raise ValueError(f"{origin}: schema is {doc.get('schema')!r}, expected {SCHEMA!r}")
        self.origin = origin
        self.sources: dict[str, str] = dict(doc.get("sources") or {})
        self.distributions = {
            kind: Distribution(str(spec["default"]), tuple(spec.get("vendors") or ()))
            for kind, spec in (doc.get("distributions") or {}).items()
        }
        self.c_library_packages = frozenset(doc.get("c_library_packages") or ())
        self.components: dict[str, Identity] = {}
        self._alias: dict[str, str] = {}
        self._patterns: list[tuple[re.Pattern[str], str]] = []
        self._source: dict[str, list[str]] = {}
        for name, entry in (doc.get("components") or {}).items():
            identity = self._parse_entry(str(name), entry or {})
            self.components[identity.name] = identity
        for identity in self.components.values():
            self._index(identity)

    def _parse_entry(self, name: str, entry: Mapping[str, Any]) -> Identity:
        where = f"{self.origin}: component {name!r}"
        if name != name.lower().strip():
            raise ValueError(f"{where}: canonical names are lowercase")
        triples = []
        for text in entry.get("cpe") or ():
            parts = str(text).split(":")
            if len(parts) != 3 or parts[0] not in _CPE_PARTS or not all(parts):
                raise ValueError(f"{where}: cpe {text!r} is not part:vendor:product")
            triples.append((parts[0], parts[1], parts[2]))
        for triple, source in (entry.get("cpe_external") or {}).items():
            if source not in self.sources:
                raise ValueError(
                    f"{where}: cpe_external {triple!r} cites unknown source {source!r}"
                )
        loaders = tuple(entry.get("loaders") or ())
        for pattern in loaders:
            if _GLOB_CHARS.search(posixpath.dirname(pattern)):
                raise ValueError(f"{where}: loader {pattern!r} has a wildcard in its directory")
        purl = entry.get("purl") or {}
        strip = entry.get("version_strip")
        return Identity(
            name=name,
            aliases=tuple(str(a).lower() for a in entry.get("aliases") or ()),
            alias_patterns=tuple(re.compile(p) for p in entry.get("alias_patterns") or ()),
            sources=tuple(str(s).lower() for s in entry.get("sources") or ()),
            cpe=tuple(triples),
            osv=tuple(OsvPackage(o["ecosystem"], o["name"]) for o in entry.get("osv") or ()),
            purl_type=str(purl.get("type", "generic")),
            purl_namespace=purl.get("namespace"),
            purl_name=purl.get("name"),
            version_strip=re.compile(strip) if strip else None,
            loaders=loaders,
            type=entry.get("type"),
        )

    def _index(self, identity: Identity) -> None:
        for alias in identity.aliases:
            owner = self._alias.get(alias)
            if alias in self.components and alias != identity.name:
                owner = alias
            if owner is not None and owner != identity.name:
                raise ValueError(
                    f"{self.origin}: alias {alias!r} of {identity.name!r} is {owner!r}"
                )
            self._alias[alias] = identity.name
        self._alias.setdefault(identity.name, identity.name)
        self._patterns.extend((p, identity.name) for p in identity.alias_patterns)
        for source in identity.sources:
            self._source.setdefault(source, []).append(identity.name)

    def lookup(self, name: str | None) -> Identity | None:
        """The entry for a canonical name or alias (exact, then the alias patterns), or None."""
        if not name:
            return None
        key = name.strip().lower()
        canonical = self._alias.get(key)
        if canonical is None:
            canonical = next((n for p, n in self._patterns if p.fullmatch(key)), None)
        return self.components.get(canonical) if canonical else None

    def names_for_source(self, source: str) -> list[str]:
        """Canonical names a source package may stand for (several for multi-project sources)."""
        key = source.strip().lower()
        names = list(self._source.get(key, ()))
        identity = self.lookup(key)
        if identity is not None and identity.name not in names:
            names.insert(0, identity.name)
        return names


@cache
def load(path: Path = DATA_FILE) -> IdentityData:
    """The component identity data (parsed once per process)."""
    return IdentityData(read_yaml(path) or {}, str(path))


def lookup(name: str | None) -> Identity | None:
    return load().lookup(name)


def canonical_name(name_or_alias: str) -> str:
    """The upstream name for any known spelling; unknown names come back trimmed and lowercased."""
    identity = lookup(name_or_alias)
    return identity.name if identity else name_or_alias.strip().lower()


def upstream_name(package: str, source: str | None = None) -> str:
    """Upstream project name of a distribution package, from its source and binary names.

    The source package names the project for most packages (libssl3 -> openssl). A source that
    builds several projects (Debian's "wpa": hostapd and wpa_supplicant) is told apart by the
    binary name. A source the data does not know is still a better name than a binary package
    name with an ABI number in it, unless the binary name itself is known.
    """
    data = load()
    known_binary = data.lookup(package)
    if source:
        candidates = data.names_for_source(source)
        if known_binary is not None and known_binary.name in candidates:
            return known_binary.name
        if candidates:
            return candidates[0]
        if known_binary is not None:
            return known_binary.name
        return source.strip().lower()
    return known_binary.name if known_binary else package.strip().lower()


def normalise_version(name: str, version: str | None) -> str | None:
    """Remove release-tag decorations the data file lists for this project (wolfSSL "-stable")."""
    identity = lookup(name)
    if version and identity and identity.version_strip:
        stripped = identity.version_strip.sub("", version)
        return stripped or version
    return version


def _wfn_value(value: str) -> str:
    """Quote a value for a CPE 2.3 well-formed name (every character but [A-Za-z0-9_])."""
    return re.sub(r"([^a-z0-9_])", r"\\\1", re.sub(r"\s+", "_", value.strip().lower()))


@lru_cache(maxsize=8192)
def format_cpe(part: str, vendor: str, product: str, version: str | None) -> str | None:
    """CPE 2.3 formatted string; None when a value cannot be bound (non-ASCII, empty)."""
    fields = [
        f'part="{part}"',
        f'vendor="{_wfn_value(vendor)}"',
        f'product="{_wfn_value(product)}"',
    ]
    if version:
        fields.append(f'version="{_wfn_value(version)}"')
    try:
        return str(CPE2_3_WFN("wfn:[" + ", ".join(fields) + "]").as_fs())
    except (ValueError, NotImplementedError):
        return None


def cpes_for(name: str, version: str | None) -> list[str]:
    """CPE 2.3 names of a component for every NVD vendor:product pair the data lists.

    An unknown version is bound as ANY ("*"); the matcher must not read that as "every version
    is affected" — it means the version is unknown.
    """
    identity = lookup(name)
    if identity is None:
        return []
    found = (format_cpe(part, vendor, product, version) for part, vendor, product in identity.cpe)
    return [cpe for cpe in found if cpe]


def cpe_from_declared(declared: str, version: str | None) -> str | None:
    """Bind a vendor-declared CPE (2.2 URI or 2.3 string, e.g. OpenWrt's CPE-ID) to a version."""
    try:
        parsed = CPE(declared.strip())
        part = parsed.get_part()[0]
        vendor = parsed.get_vendor()[0]
        product = parsed.get_product()[0]
    except (ValueError, NotImplementedError, IndexError, TypeError):
        return None
    if part not in _CPE_PARTS or vendor in ("", "*", "-") or product in ("", "*", "-"):
        return None
    return format_cpe(part, vendor.replace("\\", ""), product.replace("\\", ""), version)


def purl_for(component: Component) -> str:
    """The component's purl: its own (from a package database) or the data file's generic one."""
    if component.purl:
        return component.purl
    identity = lookup(component.name)
    if identity is None:
        return PackageURL(
            type="generic", name=component.name, version=component.version
        ).to_string()
    return PackageURL(
        type=identity.purl_type,
        namespace=identity.purl_namespace,
        name=identity.purl_name or identity.name,
        version=component.version,
    ).to_string()


def enrich(component: Component) -> Component:
    """Fill purl and CPE where an identifier left them empty (in place; returns the component)."""
    if not component.purl:
        component.purl = purl_for(component)
    if not component.cpe:
        cpes = cpes_for(component.name, component.version)
        component.cpe = cpes[0] if cpes else None
    return component


def purl_namespace(purl_type: str, os_release: Mapping[str, str] | None) -> str:
    """Purl namespace (distribution) for a package type, from os-release ID / ID_LIKE."""
    distribution = load().distributions.get(purl_type)
    default = distribution.default if distribution else purl_type
    if not os_release or distribution is None:
        return default
    candidates = [os_release.get("ID", ""), *os_release.get("ID_LIKE", "").split()]
    for candidate in candidates:
        if candidate.strip().lower() in distribution.vendors:
            return candidate.strip().lower()
    return default


def c_library(root: RootFS) -> str | None:
    """Canonical name of the C library whose dynamic loader is in the tree (musl, glibc ...)."""
    listings: dict[str, list[str]] = {}
    for identity in load().components.values():
        for pattern in identity.loaders:
            directory, base = posixpath.split(pattern)
            if directory not in listings:
                listings[directory] = [posixpath.basename(p) for p in root.listdir(directory)]
            if any(fnmatch.fnmatchcase(n, base) for n in listings[directory]):
                return identity.name
    return None


def is_c_library_package(package: str) -> bool:
    return package.strip().lower() in load().c_library_packages


def component_type(name: str, packages: Iterable[str] = ()) -> str:
    """Component.type from the data file, else library/application by the "lib" prefix."""
    identity = lookup(name)
    if identity is not None and identity.type:
        return identity.type
    names = [name, *packages]
    return "library" if any(n.lower().startswith("lib") for n in names) else "application"
