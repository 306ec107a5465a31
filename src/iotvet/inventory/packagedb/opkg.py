"""opkg/ipkg: OpenWrt, Yocto/OpenEmbedded, Entware (status, info/*.control, info/*.list).

The status file lists what is installed; OpenWrt keeps the full control data in it, while
devices that installed packages later (and older ipkg systems) keep a short status stanza and
the rest in ``info/PACKAGE.control``, so both are read and merged, the status file winning.
Without a status file the control files alone say what is installed.

Naming: OpenWrt's ``Source:`` is the build recipe path ("package/network/services/dnsmasq"),
whose last part names the project; Yocto writes the recipe name to ``OE:`` and the recipe file
to ``Source:`` ("busybox_1.35.0.bb") (source: yocto-package-ipk). OpenWrt packages also declare
their NVD CPE in ``CPE-ID:``, used when the identity data has none (source: openwrt-cpe-id).

Versions are [epoch:]version[-release] (Yocto PE:PV-PR, OpenWrt PKG_VERSION-PKG_RELEASE); the
OpenWrt kernel package appends the 32-hex vermagic hash, and kernel-module packages are
LINUX_VERSION[+PKG_VERSION]-RELEASE (source: openwrt-kernel-mk).
"""

from __future__ import annotations

import posixpath
import re

from ...context import ScanContext
from ...model import Component
from ...rootfs import RootFS
from . import (
    STAGE,
    Package,
    SplitVersion,
    clean_upstream,
    files_present,
    first_line,
    is_installed,
    parse_stanzas,
    read_database,
    report_junk,
    to_components,
)

DATABASE_DIRS = ("/usr/lib/opkg", "/var/lib/opkg", "/usr/lib/ipkg", "/var/lib/ipkg")
_VERMAGIC = re.compile(r"-([0-9a-f]{32})$")
_RELEASE = re.compile(r"r?[0-9]+(?:\.[0-9]+)*")
_RECIPE_FILE = re.compile(r"(?:_[^_]*)?\.bb(?:append)?$")


def split_opkg_version(version: str, package: str = "") -> SplitVersion:
    """Upstream version and "[epoch:]release" of an opkg version string."""
    rest = version.strip()
    epoch = ""
    head, sep, tail = rest.partition(":")
    if sep and head.isdigit():
        epoch, rest = f"{head}:", tail
    release_parts = []
    vermagic = _VERMAGIC.search(rest)
    if vermagic:
        rest = rest[: vermagic.start()]
        release_parts.append(vermagic.group(1))
    upstream, dash, release = rest.rpartition("-")
    if dash and upstream and _RELEASE.fullmatch(release):
        release_parts.insert(0, release)
    else:
        upstream = rest
    if package.startswith("kmod-") and "+" in upstream:
        upstream = upstream.split("+", 1)[1]  # kmod: LINUX_VERSION+PKG_VERSION
    revision = epoch + "-".join(release_parts) if (epoch or release_parts) else None
    return SplitVersion(clean_upstream(upstream), revision)


def source_name(record: dict[str, str]) -> str | None:
    """The project a package was built from: Yocto's OE field or the recipe in Source."""
    oe = first_line(record.get("oe"))
    if oe:
        return oe
    source = first_line(record.get("source"))
    if not source:
        return None
    base = posixpath.basename(source.split()[0].rstrip("/"))
    return _RECIPE_FILE.sub("", base) or None


class OpkgIdentifier:
    name = "opkg"

    def identify(self, root: RootFS, ctx: ScanContext) -> list[Component]:
        packages: list[Package] = []
        for directory in DATABASE_DIRS:
            packages.extend(self._read_directory(root, directory, ctx))
        return to_components(packages, "opkg", root)

    def _read_directory(self, root: RootFS, directory: str, ctx: ScanContext) -> list[Package]:
        controls = {
            posixpath.basename(path)[: -len(".control")]: path
            for path in root.listdir(f"{directory}/info")
            if path.endswith(".control")
        }
        status_path = f"{directory}/status"
        status_text = read_database(root, status_path, ctx, self.name)
        records: list[tuple[str, dict[str, str]]] = []
        if status_text is not None:
            records = self._records(status_path, status_text, ctx)
        elif controls:
            for path in controls.values():
                text = read_database(root, path, ctx, self.name)
                records.extend(self._records(path, text, ctx) if text else [])
        packages = []
        for database, record in records:
            name = first_line(record.get("package")) or ""
            control_path = controls.get(name)
            if status_text is not None and control_path is not None:
                control_text = read_database(root, control_path, ctx, self.name)
                for extra in parse_stanzas(control_text or "").records[:1]:
                    record = {**extra, **record}
            if not is_installed(record.get("status")):
                continue
            packages.append(self._package(root, directory, database, name, record, ctx))
        return packages

    def _records(self, path: str, text: str, ctx: ScanContext) -> list[tuple[str, dict[str, str]]]:
        stanzas = parse_stanzas(text)
        named = [
            (path, r)
            for r in stanzas.records
            if first_line(r.get("package")) and first_line(r.get("version"))
        ]
        report_junk(ctx, path, self.name, stanzas.junk_lines, len(stanzas.records) - len(named))
        if not stanzas.records and text.strip():
            ctx.skip(path, "opkg database holds no package stanza", STAGE)
        return named

    def _package(
        self,
        root: RootFS,
        directory: str,
        database: str,
        name: str,
        record: dict[str, str],
        ctx: ScanContext,
    ) -> Package:
        version = first_line(record.get("version")) or ""
        split = split_opkg_version(version, name)
        list_text = read_database(root, f"{directory}/info/{name}.list", ctx, self.name, "\n")
        listed = [line.split("\t", 1)[0] for line in (list_text or "").splitlines()]
        return Package(
            manager=self.name,
            database=database,
            name=name,
            version=version,
            upstream=split.upstream,
            revision=split.revision,
            source=source_name(record),
            arch=first_line(record.get("architecture")),
            maintainer=first_line(record.get("maintainer")),
            license=first_line(record.get("license")),
            section=first_line(record.get("section")),
            declared_cpe=first_line(record.get("cpe-id")),
            files=files_present(root, listed),
        )


IDENTIFIER = OpkgIdentifier()
