"""Attribution: which signature hits are components, and which are only mentions.

The scanner finds version strings; a version string is not yet a component. OpenSSL's banner
sits in libcrypto (the component), but also in programs compiled against OpenSSL's headers, and
a statically linked program carries a real second copy. Reporting every hit is how other tools
end up listing OpenSSL once per program that links to it. The rules here, driven by the
signature data, are:

1. A hit in one of the component's **own** files (by file name, path, SONAME or defined
   symbol-version node) counts: banners first, then mentions, then bare version literals
   (a bare literal counts only when all bare hits in that file agree and, if the signature
   lists code markers, one of them is present).
2. A **banner** in any other binary counts only if that binary does not link to the component:
   when it NEEDs (directly or through its libraries) one of the component's own libraries, the
   banner is a "compiled against" mention and is dropped. Otherwise it is a static copy
   (evidence method ``static``) — for a library with code markers, only if a marker is there too.
   Components without a library form (busybox, dropbear, …) are programs: their banner in any
   binary is the program itself.
3. Mentions and bare literals never count outside own files.
4. Versions from upstream file naming (``libuClibc-1.0.42.so``) and from the ELF package note
   (``.note.package``) come in as further evidence of the file's own component.
5. An own library with no version string of its own (libssl.so.3 next to libcrypto.so.3) joins
   its component by SONAME or symbol-version node — only when the tree holds one version of it.

One component per (name, version) collects every file that proves it, with evidence saying how.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..context import ScanContext
from ..model import Component, Evidence
from ..rootfs import RootFS
from . import identity
from .elf import ElfInfo, elf_info, is_elf
from .signatures import FileScan, Hit, Signature, SignatureDB, default_database

STAGE = "inventory"
BFLT_MAGIC = b"bFLT"
#: Transitive NEEDED resolution stops after this many libraries (a hostile tree cannot loop us).
_MAX_CLOSURE = 256
#: Directories the dynamic linker searches by default (plus RPATH/RUNPATH of the requester).
_LIBRARY_DIRS = ("/lib", "/usr/lib", "/lib64", "/usr/lib64", "/lib32", "/usr/lib32")
#: Distribution revision and repack suffixes dropped from package-note versions.
_REPACK = re.compile(r"(?:[+.~](?:dfsg|ds|repack)[0-9.]*)+$")
#: "0.0.0.0" and friends are addresses or placeholders, never a release.
_ALL_ZERO = re.compile(r"[0.]+")


@dataclass
class ScannedFile:
    """One regular file (all its hard-linked inner paths) with what the scan found in it."""

    paths: list[str]
    host_path: Path
    scan: FileScan
    elf: ElfInfo | None = None
    own: frozenset[str] = frozenset()  # signatures this file is an own file of

    @property
    def kind(self) -> str:
        head = self.scan.head
        if is_elf(head):
            return "elf"
        if head[:4] == BFLT_MAGIC:
            return "bflt"
        return "other"

    @property
    def path(self) -> str:
        return self.paths[0]


@dataclass
class Claim:
    """A file proving (signature, version)."""

    signature: Signature
    version: str
    method: str
    detail: str
    revision: str | None = None


@dataclass
class _Assembly:
    signature: Signature
    version: str
    revision: str | None = None
    files: dict[str, None] = field(default_factory=dict)
    evidence: dict[tuple[str, str, str], Evidence] = field(default_factory=dict)

    def add(self, paths: Iterable[str], evidence: Iterable[Evidence]) -> None:
        for path in paths:
            self.files.setdefault(path, None)
        for item in evidence:
            self.evidence.setdefault((item.path, item.method, item.detail or ""), item)


class LibraryResolver:
    """Resolves NEEDED names inside one root file system, the way the loader would, roughly."""

    def __init__(self, root: RootFS) -> None:
        self.root = root
        self._by_name: dict[str, list[str]] | None = None
        self._found: dict[tuple[str, str, int, tuple[str, ...]], ElfInfo | None] = {}

    def _index(self) -> dict[str, list[str]]:
        if self._by_name is None:
            index: dict[str, list[str]] = {}
            for inner in self.root.entries:
                index.setdefault(inner.rsplit("/", 1)[-1], []).append(inner)
            for candidates in index.values():
                candidates.sort(key=_library_dir_rank)
            self._by_name = index
        return self._by_name

    def find(self, name: str, requester: ElfInfo) -> ElfInfo | None:
        """The ELF a NEEDED entry resolves to (same machine and class as the requester)."""
        key = (name, requester.machine, requester.bits, requester.rpath + requester.runpath)
        if key not in self._found:
            self._found[key] = self._find(name, requester)
        return self._found[key]

    def _find(self, name: str, requester: ElfInfo) -> ElfInfo | None:
        search = [*requester.rpath, *requester.runpath]
        candidates = [f"{d.rstrip('/')}/{name}" for d in search if d.startswith("/")]
        candidates += self._index().get(name, [])
        for candidate in candidates:
            real = self.root.resolve(candidate)
            entry = self.root.entries.get(real) if real else None
            if entry is None or not entry.is_file:
                continue
            info = elf_info(self.root.host_path(entry.path))
            if info and info.machine == requester.machine and info.bits == requester.bits:
                return info
        return None

    def closure(self, elf: ElfInfo) -> frozenset[str]:
        """Every library name reachable through NEEDED from ``elf`` (itself excluded)."""
        found: set[str] = set()
        queue: list[tuple[str, ElfInfo]] = [(n, elf) for n in elf.needed]
        while queue and len(found) < _MAX_CLOSURE:
            name, requester = queue.pop()
            if name in found:
                continue
            found.add(name)
            library = self.find(name, requester)
            if library is not None:
                queue.extend((n, library) for n in library.needed if n not in found)
        return frozenset(found)


def links_to(signature: Signature, elf: ElfInfo | None, resolver: LibraryResolver) -> bool:
    """True when the binary NEEDs (transitively) one of the signature's own libraries."""
    if elf is None or not elf.needed or not signature.has_library:
        return False
    if any(signature.own.is_library(name) for name in elf.needed):
        return True
    return any(signature.own.is_library(name) for name in resolver.closure(elf))


def upstream_version(package_version: str) -> str:
    """Upstream part of a distribution version: no epoch, no revision, no repack suffix."""
    version = package_version.split(":", 1)[1] if ":" in package_version else package_version
    if "-" in version:
        version = version.rsplit("-", 1)[0]
    version = version.split("+really", 1)[-1]
    return _REPACK.sub("", version)


def _revision(package_version: str) -> str | None:
    version = package_version.split(":", 1)[-1]
    return version.rsplit("-", 1)[1] if "-" in version else None


def _applies(signature: Signature, scanned: ScannedFile) -> bool:
    return signature.scope == "any" or scanned.kind in ("elf", "bflt")


def claims_for(
    scanned: ScannedFile, database: SignatureDB, resolver: LibraryResolver
) -> list[Claim]:
    """Every (signature, version) this file proves, per the rules of the module docstring."""
    claims: list[Claim] = []
    grouped = scanned.scan.by_signature()
    programs = _announced_programs(database, grouped)
    for name, hits in grouped.items():
        signature = database.signatures[name]
        if not _applies(signature, scanned):
            continue
        if programs - {name}:
            # The file announces itself as another program (a busybox hard-linked as "mke2fs"):
            # its name does not make it this component's own file.
            hits = [h for h in hits if h.pattern.kind == "banner"]
        claims.extend(_content_claims(signature, hits, scanned, resolver))
    if scanned.kind == "elf":
        claimed = {c.signature.name for c in claims}
        claims.extend(_filename_claims(database, scanned, claimed))
        claims.extend(_note_claims(database, scanned, claimed))
    return claims


def _announced_programs(database: SignatureDB, grouped: dict[str, list[Hit]]) -> set[str]:
    """Programs (components without a library form) whose banner is in the file."""
    return {
        name
        for name, hits in grouped.items()
        if not database.signatures[name].has_library
        and any(h.pattern.kind == "banner" for h in hits)
    }


def _content_claims(
    signature: Signature, hits: list[Hit], scanned: ScannedFile, resolver: LibraryResolver
) -> list[Claim]:
    own = signature.name in scanned.own
    by_kind: dict[str, list[Hit]] = {}
    for hit in hits:
        by_kind.setdefault(hit.pattern.kind, []).append(hit)
    marked = not signature.markers or signature.name in scanned.scan.markers
    banners = by_kind.get("banner", [])
    if own:
        if banners:
            return _distinct(signature, banners, "binary-signature")
        if by_kind.get("mention"):
            return _distinct(signature, by_kind["mention"], "binary-signature")
        bare = [h for h in by_kind.get("bare", []) if not _ALL_ZERO.fullmatch(h.version)]
        if bare and marked and len({h.version for h in bare}) == 1:
            return _distinct(signature, bare[:1], "binary-signature")
        return []
    if not banners or signature.own_only:
        return []
    if not signature.has_library:
        return _distinct(signature, banners, "binary-signature")
    if scanned.kind == "elf" and links_to(signature, scanned.elf, resolver):
        return []  # a program built against the library quotes its version: not a copy
    if not marked:
        return []
    return _distinct(signature, banners, "static")


def _distinct(signature: Signature, hits: list[Hit], method: str) -> list[Claim]:
    chosen: dict[str, Hit] = {}
    for hit in hits:
        best = chosen.get(hit.version)
        if best is None or (best.revision is None and hit.revision is not None):
            chosen[hit.version] = hit
    return [
        Claim(signature, version, method, hit.text, hit.revision) for version, hit in chosen.items()
    ]


def _filename_claims(
    database: SignatureDB, scanned: ScannedFile, claimed: set[str]
) -> Iterator[Claim]:
    done = set(claimed)
    for path in scanned.paths:
        basename = path.rsplit("/", 1)[-1]
        for signature, version in database.filename_versions(basename):
            if signature.name not in done:
                done.add(signature.name)
                yield Claim(signature, version, "file-name", basename)


def _note_claims(database: SignatureDB, scanned: ScannedFile, claimed: set[str]) -> Iterator[Claim]:
    note = scanned.elf.package_note if scanned.elf else None
    if not note or not note.get("name") or not note.get("version"):
        return
    signature = _by_alias(database, note["name"])
    if signature is None or signature.name in claimed:
        return
    version = upstream_version(note["version"])
    if version:
        detail = f"{note.get('type', '?')} package {note['name']} {note['version']}"
        yield Claim(signature, version, "elf-package-note", detail, _revision(note["version"]))


def _by_alias(database: SignatureDB, name: str) -> Signature | None:
    """The signature a package name stands for (the shared identity data knows distro names)."""
    wanted = {name.lower(), identity.canonical_name(name.lower())}
    for signature in database.signatures.values():
        if signature.name in wanted or wanted & set(signature.aliases):
            return signature
    return None


def attach_unversioned_libraries(
    pairs: list[tuple[ScannedFile, list[Claim]]], database: SignatureDB
) -> list[tuple[ScannedFile, list[Claim]]]:
    """Own libraries without a version string join their component when it has one version.

    libssl.so.3 names no version, but its SONAME and symbol-version nodes make it OpenSSL's;
    when the tree holds exactly one OpenSSL version, that is the one it belongs to. With two
    versions present the file stays out rather than being guessed into one of them.
    """
    versions: dict[str, set[str]] = {}
    for _, claims in pairs:
        for claim in claims:
            versions.setdefault(claim.signature.name, set()).add(claim.version)
    single = {name: next(iter(v)) for name, v in versions.items() if len(v) == 1}
    result = []
    for scanned, claims in pairs:
        elf = scanned.elf
        extra: list[Claim] = []
        if elf is not None:
            claimed = {c.signature.name for c in claims}
            for name, version in single.items():
                if name in claimed:
                    continue
                signature = database.signatures[name]
                if elf.soname and signature.own.is_library(elf.soname):
                    extra.append(Claim(signature, version, "elf-soname", elf.soname))
                elif signature.own.matching_verdefs(elf):
                    detail = ", ".join(signature.own.matching_verdefs(elf)[-8:])
                    extra.append(Claim(signature, version, "elf-symbol-version", detail))
        result.append((scanned, claims + extra))
    return result


def _elf_evidence(signature: Signature, scanned: ScannedFile) -> list[Evidence]:
    """SONAME and symbol-version facts that back a claim on the component's own library."""
    elf = scanned.elf
    if elf is None:
        return []
    found = []
    if elf.soname and signature.own.is_library(elf.soname):
        found.append(Evidence(path=scanned.path, method="elf-soname", detail=elf.soname))
    verdefs = signature.own.matching_verdefs(elf)
    if verdefs:
        detail = ", ".join(verdefs[-8:])
        found.append(Evidence(path=scanned.path, method="elf-symbol-version", detail=detail))
    return found


def assemble(claims_by_file: Iterable[tuple[ScannedFile, list[Claim]]]) -> list[Component]:
    """One component per (name, version) with every file and piece of evidence behind it."""
    assemblies: dict[tuple[str, str], _Assembly] = {}
    for scanned, claims in claims_by_file:
        for claim in claims:
            key = (claim.signature.name, claim.version)
            assembly = assemblies.setdefault(key, _Assembly(claim.signature, claim.version))
            assembly.revision = assembly.revision or claim.revision
            evidence = [Evidence(path=scanned.path, method=claim.method, detail=claim.detail)]
            if claim.method != "static":
                evidence += _elf_evidence(claim.signature, scanned)
            assembly.add(scanned.paths, evidence)
    components = [
        Component(
            name=a.signature.name,
            version=a.version,
            revision=a.revision,
            type=a.signature.type,
            files=sorted(a.files),
            evidence=list(a.evidence.values()),
        )
        for a in assemblies.values()
    ]
    components.sort(key=lambda c: (c.name, c.version or ""))
    return components


def scan_root(root: RootFS, database: SignatureDB, ctx: ScanContext) -> Iterator[ScannedFile]:
    """Scan every regular file of ``root`` once (hard links once), reporting what was cut short."""
    limit = ctx.limits.max_file_read
    groups: dict[tuple[int, int], tuple[Path, list[str]]] = {}
    for entry in root.files():
        if entry.size == 0:
            continue
        host = root.host_path(entry.path)
        try:
            st = os.stat(host, follow_symlinks=False)
        except OSError as exc:
            ctx.skip(entry.path, f"cannot stat for signature scan: {exc.strerror}", STAGE)
            continue
        groups.setdefault((st.st_dev, st.st_ino), (host, []))[1].append(entry.path)
    for host, paths in groups.values():
        try:
            with open(host, "rb") as handle:
                head = handle.read(4)
            elf = elf_info(host) if is_elf(head) else None
            own = database.own_signatures(paths, elf)
            result = database.scan_file(host, limit, weak=own)
        except OSError as exc:
            ctx.skip(paths[0], f"cannot read for signature scan: {exc.strerror}", STAGE)
            continue
        except Exception as exc:  # a parser bug on one hostile file must not stop the stage
            ctx.skip(paths[0], f"signature scan failed: {exc!r}", STAGE)
            continue
        if result.truncated:
            ctx.skip(paths[0], f"signature scan read only the first {limit} bytes", STAGE)
        if is_elf(head) and elf is None:
            ctx.skip(paths[0], "malformed ELF: linking facts unavailable", STAGE)
        yield ScannedFile(paths=paths, host_path=host, scan=result, elf=elf, own=own)


class BinarySignatureIdentifier:
    """Components identified from the bytes of binaries, without any package database."""

    name = "binary-signature"

    def __init__(self, database: SignatureDB | None = None) -> None:
        self._database = database

    @property
    def database(self) -> SignatureDB:
        return self._database or default_database()

    def identify(self, root: RootFS, ctx: ScanContext) -> list[Component]:
        database = self.database
        resolver = LibraryResolver(root)
        pairs = [
            (scanned, claims_for(scanned, database, resolver))
            for scanned in scan_root(root, database, ctx)
        ]
        return assemble(attach_unversioned_libraries(pairs, database))


def _library_dir_rank(inner: str) -> tuple[int, str]:
    directory = inner.rsplit("/", 1)[0] or "/"
    standard = any(directory == d or directory.startswith(d + "/") for d in _LIBRARY_DIRS)
    return (0 if standard else 1, inner)


IDENTIFIER = BinarySignatureIdentifier()
