"""apk: Alpine Linux, postmarketOS and OpenWrt 24+ (/lib/apk/db/installed).

The installed database is a list of blocks separated by empty lines, one "X:value" line per
fact (apk-tools' "installed database" format): P: package, V: version, A: architecture,
o: origin (the APKBUILD that built it, i.e. the source package), m: maintainer, L: license,
F: a directory and the R: files under it. Versions are UPSTREAM-rN, N being the package release.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ...context import ScanContext
from ...model import Component
from ...rootfs import RootFS
from . import (
    Package,
    SplitVersion,
    clean_upstream,
    files_present,
    read_database,
    report_junk,
    to_components,
)

DATABASES = ("/lib/apk/db/installed", "/usr/lib/apk/db/installed")
_LINE = re.compile(r"([A-Za-z]):(.*)")
_RELEASE = re.compile(r"-(r[0-9]+)$")


def split_apk_version(version: str) -> SplitVersion:
    """ "1.36.1-r5" -> upstream 1.36.1, revision r5."""
    match = _RELEASE.search(version.strip())
    if match is None:
        return SplitVersion(clean_upstream(version.strip()))
    return SplitVersion(clean_upstream(version.strip()[: match.start()]), match.group(1))


@dataclass
class ApkBlock:
    fields: dict[str, str] = field(default_factory=dict)  # first value of each letter
    files: list[str] = field(default_factory=list)


def parse_installed(text: str) -> tuple[list[ApkBlock], int]:
    """Blocks of the installed database and the number of unreadable lines."""
    blocks: list[ApkBlock] = []
    junk = 0
    current = ApkBlock()
    directory = ""
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            if current.fields or current.files:
                blocks.append(current)
            current, directory = ApkBlock(), ""
            continue
        match = _LINE.fullmatch(line.rstrip())
        if match is None or "\x00" in line:
            junk += 1
            continue
        key, value = match.group(1), match.group(2).strip()
        if key == "F":
            directory = value.strip("/")
        elif key == "R":
            current.files.append(f"/{directory}/{value}" if directory else f"/{value}")
        else:
            current.fields.setdefault(key, value)
    if current.fields or current.files:
        blocks.append(current)
    return blocks, junk


class ApkIdentifier:
    name = "apk"

    def identify(self, root: RootFS, ctx: ScanContext) -> list[Component]:
        packages: list[Package] = []
        seen: set[str | None] = set()
        for path in DATABASES:
            real = root.resolve(path)
            if real in seen:
                continue  # /lib -> /usr/lib: the same file
            seen.add(real)
            packages.extend(self._read(root, path, ctx))
        return to_components(packages, "apk", root)

    def _read(self, root: RootFS, path: str, ctx: ScanContext) -> list[Package]:
        text = read_database(root, path, ctx, self.name)
        if text is None:
            return []
        blocks, junk = parse_installed(text)
        packages = []
        unnamed = 0
        for block in blocks:
            fields = block.fields
            name, version = fields.get("P", ""), fields.get("V", "")
            if not name or not version:
                unnamed += 1
                continue
            split = split_apk_version(version)
            packages.append(
                Package(
                    manager=self.name,
                    database=path,
                    name=name,
                    version=version,
                    upstream=split.upstream,
                    revision=split.revision,
                    source=fields.get("o") or None,
                    arch=fields.get("A") or None,
                    maintainer=fields.get("m") or None,
                    license=fields.get("L") or None,
                    files=files_present(root, block.files),
                )
            )
        report_junk(ctx, path, self.name, junk, unnamed)
        return packages


IDENTIFIER = ApkIdentifier()
