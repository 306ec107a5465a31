"""Package databases (dpkg, opkg, apk): what the image's own package manager says is installed.

A package database is the most exact inventory an image can carry: names, full versions, the
source package, the maintainer and the file list. The three formats differ in layout but share
the work done here: reading a database file under the scan limits, parsing deb822-style
stanzas that may be malformed, telling the upstream version from the distribution's epoch and
revision, and turning one package into one ``Component`` (merging packages of one project into
one component happens later, in ``inventory.merge``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from packageurl import PackageURL
from univers.debian import Version as DebianVersion

from ...context import ScanContext
from ...model import Component, Evidence
from ...rootfs import RootFS
from .. import identity
from ..osrelease import os_release_fields

STAGE = "inventory"

_FIELD = re.compile(r"([A-Za-z0-9][A-Za-z0-9_.-]*)[ \t]*:[ \t]*(.*)")
# Debian repack markers (Developer's Reference 6.7.8.2 and common practice): +dfsg, .dfsg, +ds,
# +repack, optionally numbered (+dfsg1, +ds2), possibly chained.
_REPACK = re.compile(r"(?:[+.~](?:dfsg|ds|repack)[0-9]*)+$", re.IGNORECASE)
_REALLY = re.compile(r".*\+really", re.IGNORECASE)
_INSTALLED_STATES = frozenset(
    {
        "installed",
        "half-configured",
        "unpacked",
        "half-installed",
        "triggers-awaited",
        "triggers-pending",
    }
)


@dataclass
class Stanzas:
    """Stanzas of a deb822-style file and how much of it could not be read."""

    records: list[dict[str, str]] = field(default_factory=list)
    junk_lines: int = 0


def parse_stanzas(text: str) -> Stanzas:
    """Parse "Field: value" stanzas separated by blank lines (dpkg status, opkg status/control).

    Keys are lowercased. Continuation lines (leading space or tab, even with nothing after it:
    OpenWrt writes such lines inside descriptions) extend the previous field; only an empty
    line ends a stanza. Lines that are neither are counted as junk and ignored, so binary
    garbage or a truncated file yields the stanzas that are intact.
    """
    result = Stanzas()
    current: dict[str, str] = {}
    last: str | None = None
    for raw in text.replace("\r\n", "\n").replace("\r", "\n").split("\n"):
        if not raw:
            if current:
                result.records.append(current)
            current, last = {}, None
            continue
        if raw[0] in " \t":
            if last is not None:
                current[last] += "\n" + raw.strip()
            else:
                result.junk_lines += 1
            continue
        match = _FIELD.fullmatch(raw.rstrip())
        if match is None or "\x00" in raw:
            result.junk_lines += 1
            last = None
            continue
        last = match.group(1).lower()
        current[last] = match.group(2).strip()
    if current:
        result.records.append(current)
    return result


def read_database(
    root: RootFS, path: str, ctx: ScanContext, manager: str, separator: str = "\n\n"
) -> str | None:
    """Text of a database file, capped by ``Limits.max_file_read``; a capped file is cut at the
    last complete record (``separator`` ends one) and reported in ``skipped``."""
    entry = root.entry(path)
    if entry is None or not entry.is_file:
        return None
    cap = ctx.limits.max_file_read
    data = root.read_bytes(path, cap)
    if data is None:
        ctx.skip(path, f"{manager} database could not be read", STAGE)
        return None
    text = data.decode("utf-8", errors="replace")
    if entry.size > cap:
        cut = max(text.rfind(separator), 0)
        text = text[:cut]
        ctx.skip(
            path,
            f"{manager} database is {entry.size} bytes, read only the first {cap} "
            "(Limits.max_file_read); packages after that point are not listed",
            STAGE,
        )
    return text


def is_installed(status: str | None) -> bool:
    """dpkg/opkg "Status: want flag state": only packages whose files are on disk count."""
    if status is None:
        return True
    words = status.split()
    return bool(words) and words[-1].lower() in _INSTALLED_STATES


def clean_upstream(upstream: str) -> str:
    """Upstream version without a ``+really`` prefix or repack suffixes (1.2.13.dfsg -> 1.2.13)."""
    cleaned = _REALLY.sub("", upstream) if "+really" in upstream.lower() else upstream
    cleaned = _REPACK.sub("", cleaned)
    return cleaned or upstream


@dataclass(frozen=True)
class SplitVersion:
    upstream: str
    revision: str | None = None  # the distribution's part, "EPOCH:" prefixed when there is one


def split_debian_version(version: str) -> SplitVersion:
    """[epoch:]upstream[-revision] per Debian Policy 5.6.12, via univers' Debian version parser."""
    try:
        parsed = DebianVersion.from_string(version)
    except ValueError:
        return SplitVersion(clean_upstream(version.strip()))
    revision = parsed.revision if "-" in version else None
    epoch = f"{parsed.epoch}:" if parsed.epoch else ""
    if epoch or revision:
        return SplitVersion(clean_upstream(parsed.upstream), f"{epoch}{revision or ''}")
    return SplitVersion(clean_upstream(parsed.upstream))


def files_present(root: RootFS, listed: Iterable[str]) -> list[str]:
    """Listed paths that exist in the tree as non-directories (links resolved inside the tree).

    Package lists name directories too, and files a vendor removed after installation; neither
    proves the package is there.
    """
    present: dict[str, None] = {}
    for raw in listed:
        path = "/" + raw.strip().lstrip("/")
        if path == "/":
            continue
        entry = root.entries.get(path)
        if entry is None:
            resolved = root.resolve(path)
            entry = root.entries.get(resolved) if resolved else None
            if entry is not None:
                path = entry.path
        if entry is not None and not entry.is_dir:
            present[path] = None
    return list(present)


@dataclass
class Package:
    """One installed package as a database describes it, before naming and version rules."""

    manager: str  # "dpkg", "opkg" or "apk"
    database: str  # inner path of the database file it came from
    name: str
    version: str
    upstream: str
    revision: str | None = None
    source: str | None = None
    arch: str | None = None
    maintainer: str | None = None
    license: str | None = None
    section: str | None = None
    declared_cpe: str | None = None
    files: list[str] = field(default_factory=list)


def to_component(package: Package, purl_type: str, namespace: str, root: RootFS) -> Component:
    """The component for one package: upstream name and version, purl with the native version."""
    name = identity.upstream_name(package.name, package.source)
    if identity.is_c_library_package(package.name):
        name = identity.c_library(root) or name
    version = identity.normalise_version(name, package.upstream)
    cpes = identity.cpes_for(name, version)
    cpe = cpes[0] if cpes else None
    if cpe is None and package.declared_cpe:
        cpe = identity.cpe_from_declared(package.declared_cpe, version)
    qualifiers = {"arch": package.arch} if package.arch else None
    purl = PackageURL(
        type=purl_type,
        namespace=namespace,
        name=package.name.lower(),
        version=package.version,
        qualifiers=qualifiers,
    ).to_string()
    section_is_lib = (package.section or "").lower().split("/")[-1] in ("libs", "oldlibs")
    kind = identity.component_type(name, [package.name])
    # Not yet fields of model.Component (requested); the model keeps extra fields.
    extras: dict[str, Any] = {"package_version": package.version, "source_package": package.source}
    if section_is_lib and kind == "application":
        kind = "library"
    return Component(
        name=name,
        version=version,
        revision=package.revision,
        purl=purl,
        cpe=cpe,
        supplier=package.maintainer or None,
        type=kind,
        licenses=[package.license] if package.license else [],
        files=package.files,
        evidence=[
            Evidence(
                path=package.database,
                method="package-db",
                detail=f"{package.manager} package {package.name} {package.version}",
            )
        ],
        layer=root.label,
        package=package.name,
        **extras,
    )


def to_components(packages: list[Package], purl_type: str, root: RootFS) -> list[Component]:
    """The components of one database format's packages; their purls take the distribution the
    image's release files name as namespace (read only when there are packages)."""
    if not packages:
        return []
    namespace = identity.purl_namespace(purl_type, os_release_fields(root))
    return [to_component(p, purl_type, namespace, root) for p in packages]


def report_junk(ctx: ScanContext, path: str, manager: str, junk_lines: int, unnamed: int) -> None:
    """One ``skipped`` entry per database for lines and records that could not be used."""
    problems = []
    if junk_lines:
        problems.append(f"{junk_lines} unreadable lines")
    if unnamed:
        problems.append(f"{unnamed} records without a package name or version")
    if problems:
        ctx.skip(path, f"{manager} database: passed over {' and '.join(problems)}", STAGE)


def first_line(value: str | None) -> str | None:
    """First line of a possibly multi-line field value, None when empty."""
    if not value:
        return None
    return value.split("\n", 1)[0].strip() or None
