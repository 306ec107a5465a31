"""dpkg: Debian and its derivatives (/var/lib/dpkg/status, status.d/, info/*.list).

The status file holds one stanza per package; ``Source:`` names the source package when it
differs from the binary package ("openssl" for libssl3), with the source version in parentheses
when that differs too. File lists live in ``info/PACKAGE.list`` or, for Multi-Arch packages,
``info/PACKAGE:ARCH.list``; images slimmed by their vendor often drop them, and then the status
file alone still gives names and versions. Distroless-style images keep one file per package in
``status.d/`` instead of a status file.
"""

from __future__ import annotations

from ...context import ScanContext
from ...model import Component
from ...rootfs import RootFS
from . import (
    STAGE,
    Package,
    files_present,
    first_line,
    is_installed,
    parse_stanzas,
    read_database,
    report_junk,
    split_debian_version,
    to_components,
)

DPKG_DIR = "/var/lib/dpkg"


class DpkgIdentifier:
    name = "dpkg"

    def identify(self, root: RootFS, ctx: ScanContext) -> list[Component]:
        databases = [f"{DPKG_DIR}/status"]
        databases += [p for p in root.listdir(f"{DPKG_DIR}/status.d") if not p.endswith(".md5sums")]
        packages: list[Package] = []
        for path in databases:
            packages.extend(self._read(root, path, ctx))
        return to_components(packages, "deb", root)

    def _read(self, root: RootFS, path: str, ctx: ScanContext) -> list[Package]:
        text = read_database(root, path, ctx, self.name)
        if text is None:
            return []
        stanzas = parse_stanzas(text)
        packages: list[Package] = []
        unnamed = 0
        for record in stanzas.records:
            name = first_line(record.get("package"))
            version = first_line(record.get("version"))
            if not name or not version:
                unnamed += 1
                continue
            if not is_installed(record.get("status")):
                continue
            split = split_debian_version(version)
            arch = first_line(record.get("architecture"))
            source = first_line(record.get("source"))
            packages.append(
                Package(
                    manager=self.name,
                    database=path,
                    name=name,
                    version=version,
                    upstream=split.upstream,
                    revision=split.revision,
                    # Policy 5.6.1: no Source field means the source is named like the package.
                    source=source.split("(", 1)[0].strip() if source else name,
                    arch=arch,
                    maintainer=first_line(record.get("maintainer")),
                    section=first_line(record.get("section")),
                    files=self._files(root, name, arch, ctx),
                )
            )
        report_junk(ctx, path, self.name, stanzas.junk_lines, unnamed)
        if not stanzas.records and text.strip():
            ctx.skip(path, "dpkg database holds no package stanza", STAGE)
        return packages

    @staticmethod
    def _files(root: RootFS, name: str, arch: str | None, ctx: ScanContext) -> list[str]:
        for candidate in (f"{name}:{arch}", name) if arch else (name,):
            path = f"{DPKG_DIR}/info/{candidate}.list"
            text = read_database(root, path, ctx, "dpkg", separator="\n")
            if text is not None:
                return files_present(root, text.splitlines())
        return []


IDENTIFIER = DpkgIdentifier()
