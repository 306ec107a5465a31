"""Binary signatures: the versioned data file and the one-pass multi-pattern scanner over it.

Every content regex of ``data/signatures.yaml`` (and every code marker) is compiled into ONE
Hyperscan database, compiled once per process. A file is scanned in one pass over its bytes
(in overlapping blocks when it is large, never beyond ``Limits.max_file_read``); Hyperscan
reports each hit with its leftmost start (``HS_FLAG_SOM_LEFTMOST``), and only there does the
Python ``re`` form of the same regex run, to pull out the ``version`` group. This keeps the cost
proportional to the bytes, not to the number of signatures, and avoids the classic
"one regex at a time over strings output" scanner.

Deciding which hits become components (own file, static copy, or a mere mention by a program
that links to the library) is attribution's job (``attribution.py``); this module only finds
and extracts.
"""

from __future__ import annotations

import hashlib
import os
import platform
import re
from collections.abc import Collection, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache, cached_property
from importlib import metadata
from pathlib import Path
from typing import Any

import hyperscan

from ..datafiles import read_yaml
from ..paths import iotvet_home
from .elf import ElfInfo

DATA_FILE = Path(__file__).resolve().parent.parent / "data" / "signatures.yaml"

CONTENT_KINDS = ("banner", "mention", "bare")
KINDS = (*CONTENT_KINDS, "filename")
SCOPES = ("binary", "any")

#: Block size for large files; consecutive blocks overlap so no match can straddle a border.
BLOCK_SIZE = 16 * 1024 * 1024
BLOCK_OVERLAP = 4096
#: Text kept as evidence detail for one hit.
_DETAIL_MAX = 160

_NAMED_GROUP = re.compile(r"\(\?P<[A-Za-z_][A-Za-z0-9_]*>")
#: Version-script nodes many libraries define that name no project.
_GENERIC_VERSION_NODES = frozenset({"HIDDEN", "LOCAL", "PRIVATE"})


class SignatureError(ValueError):
    """The signature data file is malformed (reported with the signature's name)."""


@dataclass(frozen=True)
class Pattern:
    """One regex of a signature."""

    signature: str
    kind: str
    regex: str
    anchor: str | None = None  # prefix regex for the Hyperscan pass (see the data file)

    @cached_property
    def content(self) -> re.Pattern[bytes]:
        """The regex over file bytes (banner, mention, bare kinds)."""
        return re.compile(self.regex.encode("ascii"))

    @cached_property
    def filename(self) -> re.Pattern[str]:
        """The regex over a base name (filename kind)."""
        return re.compile(self.regex)

    @property
    def scan_regex(self) -> str:
        return self.anchor or self.regex

    def extract(self, match: re.Match[Any]) -> tuple[str | None, str | None]:
        """(version, revision) from a match of this pattern."""
        groups = match.groupdict()
        version = groups.get("version")
        if version is None and groups.get("major") is not None:
            parts = [groups.get(k) for k in ("major", "minor", "patch")]
            version = ".".join(str(int(p)) for p in parts if p is not None)
        if isinstance(version, bytes):
            version = version.decode("ascii", errors="replace")
        revision = groups.get("revision")
        if isinstance(revision, bytes):
            revision = revision.decode("ascii", errors="replace")
        return version, revision


@dataclass(frozen=True)
class Own:
    """Which files are the component's own (see the data file's header for the semantics).

    Each list of the data file is folded into one alternation, so checking a criterion costs one
    regex call whatever the number of spellings; ``SignatureDB.own_signatures`` applies them.
    """

    names: re.Pattern[str] | None = None
    paths: re.Pattern[str] | None = None
    sonames: re.Pattern[str] | None = None
    verdefs: re.Pattern[str] | None = None

    def is_library(self, name: str) -> bool:
        """True if a SONAME or NEEDED entry names one of the component's own libraries."""
        return self.sonames is not None and self.sonames.fullmatch(name) is not None

    def matching_verdefs(self, elf: ElfInfo) -> tuple[str, ...]:
        """The component's symbol-version nodes this file defines, when they are most of its
        nodes: libxcrypt and libgcc_s define a GLIBC_2.0 node for compatibility, and that does
        not make them glibc."""
        verdefs = self.verdefs
        if verdefs is None:
            return ()
        found = tuple(v for v in elf.version_definitions if verdefs.fullmatch(v))
        meaningful = [v for v in elf.version_definitions if v not in _GENERIC_VERSION_NODES]
        return found if 2 * len(found) > len(meaningful) else ()


@dataclass(frozen=True)
class TestVector:
    """Bytes (or a file name) that must yield ``version`` (None: must not match at all)."""

    __test__ = False  # a data record, not a pytest class

    version: str | None
    data: bytes | None = None
    file: str | None = None
    revision: str | None = None


@dataclass(frozen=True)
class Signature:
    """One component's knowledge: patterns, which files are its own, sources, test vectors."""

    name: str
    type: str
    patterns: tuple[Pattern, ...]
    own: Own = field(default_factory=Own)
    aliases: tuple[str, ...] = ()
    markers: tuple[str, ...] = ()
    scope: str = "binary"
    own_only: bool = False
    sources: tuple[Mapping[str, str], ...] = ()
    tests: tuple[TestVector, ...] = ()

    @property
    def has_library(self) -> bool:
        """The component ships shared libraries other programs link to (so mentions exist)."""
        return self.own.sonames is not None

    def filename_patterns(self) -> Iterator[Pattern]:
        return (p for p in self.patterns if p.kind == "filename")


@dataclass(frozen=True)
class Hit:
    """One extracted match of a content pattern."""

    pattern: Pattern
    version: str
    revision: str | None
    offset: int
    text: str


@dataclass
class FileScan:
    """What one pass over one file found."""

    hits: list[Hit] = field(default_factory=list)
    markers: set[str] = field(default_factory=set)  # signatures whose code markers matched
    head: bytes = b""  # first bytes of the file (magic numbers)
    size_scanned: int = 0
    truncated: bool = False  # the file is larger than the read limit

    def by_signature(self) -> dict[str, list[Hit]]:
        grouped: dict[str, list[Hit]] = {}
        for hit in self.hits:
            grouped.setdefault(hit.pattern.signature, []).append(hit)
        return grouped


# ----------------------------------------------------------------------------------------------
# Loading the data file


def load_signatures(path: Path | None = None) -> tuple[Signature, ...]:
    """Parse and validate the signature data file (errors name the offending signature)."""
    raw = read_yaml(path or DATA_FILE)
    if not isinstance(raw, dict) or not isinstance(raw.get("signatures"), list):
        raise SignatureError("signature file needs a top-level 'signatures' list")
    seen: set[str] = set()
    signatures = []
    for entry in raw["signatures"]:
        signature = _signature(entry)
        if signature.name in seen:
            raise SignatureError(f"duplicate signature {signature.name!r}")
        seen.add(signature.name)
        signatures.append(signature)
    return tuple(signatures)


def _signature(entry: Mapping[str, Any]) -> Signature:
    name = entry.get("name")
    if not isinstance(name, str) or not name or name != name.lower():
        raise SignatureError(f"signature name must be a lowercase string: {name!r}")
    try:
        patterns = tuple(_pattern(name, p) for p in entry.get("patterns") or [])
        if not patterns:
            raise SignatureError("no patterns")
        own_raw = entry.get("own") or {}
        own = Own(
            names=_regexes(own_raw.get("names")),
            paths=_regexes(own_raw.get("paths")),
            sonames=_regexes(own_raw.get("sonames")),
            verdefs=_regexes(own_raw.get("verdefs")),
        )
        scope = entry.get("scope", "binary")
        if scope not in SCOPES:
            raise SignatureError(f"unknown scope {scope!r}")
        markers = tuple(str(m) for m in entry.get("markers") or [])
        for marker in markers:
            re.compile(marker.encode("ascii"))
        tests = tuple(_test(t) for t in entry.get("tests") or [])
        sources = tuple(dict(s) for s in entry.get("sources") or [])
    except (re.error, TypeError, KeyError, UnicodeEncodeError) as exc:
        raise SignatureError(f"signature {name!r}: {exc}") from exc
    except SignatureError as exc:
        raise SignatureError(f"signature {name!r}: {exc}") from exc
    if not sources:
        raise SignatureError(f"signature {name!r}: no source cited")
    if not tests:
        raise SignatureError(f"signature {name!r}: no test vector")
    return Signature(
        name=name,
        type=str(entry.get("type", "library")),
        patterns=patterns,
        own=own,
        aliases=tuple(str(a) for a in entry.get("aliases") or []),
        markers=markers,
        scope=scope,
        own_only=bool(entry.get("own_only", False)),
        sources=sources,
        tests=tests,
    )


def _pattern(signature: str, raw: Mapping[str, Any]) -> Pattern:
    kind = raw.get("kind")
    regex = raw.get("regex")
    if kind not in KINDS or not isinstance(regex, str):
        raise SignatureError(f"pattern needs kind in {KINDS} and a regex: {raw!r}")
    pattern = Pattern(
        signature=signature,
        kind=kind,
        regex=regex,
        anchor=None if raw.get("anchor") is None else str(raw["anchor"]),
    )
    compiled = pattern.filename if kind == "filename" else pattern.content
    groups = set(compiled.groupindex)
    if "version" not in groups and not {"major", "minor"} <= groups:
        raise SignatureError(f"pattern has no version group: {regex!r}")
    if pattern.anchor is not None:
        re.compile(pattern.anchor.encode("ascii"))
    return pattern


def _regexes(values: Any) -> re.Pattern[str] | None:
    """One alternation of the listed regexes (each is validated on its own first)."""
    items = [str(v) for v in values or []]
    for item in items:
        re.compile(item)
    return re.compile("|".join(f"(?:{item})" for item in items)) if items else None


def _test(raw: Mapping[str, Any]) -> TestVector:
    data = raw.get("data")
    file = raw.get("file")
    if (data is None) == (file is None):
        raise SignatureError(f"test vector needs exactly one of data/file: {raw!r}")
    version = raw.get("version")
    return TestVector(
        version=None if version is None else str(version),
        data=None if data is None else str(data).encode("latin-1"),
        file=None if file is None else str(file),
        revision=None if raw.get("revision") is None else str(raw["revision"]),
    )


# ----------------------------------------------------------------------------------------------
# The compiled database


def hyperscan_expression(regex: str) -> bytes:
    """The Hyperscan form of a Python regex: named groups become plain groups."""
    return _NAMED_GROUP.sub("(", regex).encode("ascii")


def _compile(expressions: list[bytes], flags: list[int]) -> hyperscan.Database:
    database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
    try:
        database.compile(
            expressions=expressions,
            ids=list(range(len(expressions))),
            elements=len(expressions),
            flags=flags,
        )
    except hyperscan.HyperscanError as exc:
        raise SignatureError(f"hyperscan cannot compile the signature set: {exc}") from exc
    return database


def _compiled(expressions: list[bytes], flags: list[int]) -> hyperscan.Database:
    """The compiled database, from the on-disk cache when this exact pattern set was compiled
    before by this Hyperscan build on this CPU type (compiling costs ~0.2 s per process, a
    seventh of a small image's scan). Any cache problem falls back to compiling."""
    key = hashlib.sha256(
        repr((expressions, flags, metadata.version("hyperscan"), platform.machine())).encode()
    ).hexdigest()[:32]
    cached = iotvet_home() / "cache" / f"signatures-{key}.hsdb"
    try:
        return hyperscan.loadb(cached.read_bytes(), mode=hyperscan.HS_MODE_BLOCK)
    except (OSError, hyperscan.HyperscanError):
        pass
    database = _compile(expressions, flags)
    try:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(hyperscan.dumpb(database))
        partial.replace(cached)  # atomic: a reader never sees half a database
    except OSError:
        pass  # a read-only home only costs the compile next time
    return database


class SignatureDB:
    """All content patterns and markers of a signature set, compiled into one Hyperscan DB."""

    def __init__(self, signatures: Sequence[Signature]) -> None:
        self.signatures: dict[str, Signature] = {s.name: s for s in signatures}
        self._patterns: list[Pattern] = []
        self._markers: list[str] = []  # signature name per marker id (offset by marker_base)
        expressions: list[bytes] = []
        flags: list[int] = []
        for signature in signatures:
            for pattern in signature.patterns:
                if pattern.kind in CONTENT_KINDS:
                    self._patterns.append(pattern)
                    expressions.append(hyperscan_expression(pattern.scan_regex))
                    flags.append(hyperscan.HS_FLAG_SOM_LEFTMOST)
        self._marker_base = len(expressions)
        for signature in signatures:
            for marker in signature.markers:
                self._markers.append(signature.name)
                expressions.append(marker.encode("ascii"))
                flags.append(hyperscan.HS_FLAG_SINGLEMATCH)
        # Mention and bare hits only matter in own files (see ``scan``).
        self._weak_ids: dict[str, list[int]] = {}
        for ident, pattern in enumerate(self._patterns):
            if pattern.kind != "banner":
                self._weak_ids.setdefault(pattern.signature, []).append(ident)
        self._all_weak = frozenset(i for ids in self._weak_ids.values() for i in ids)
        self._own_prefilter = tuple(
            _union([getattr(s.own, part) for s in signatures])
            for part in ("names", "paths", "sonames", "verdefs")
        )
        self._filename_prefilter = _union(
            [p.filename for s in signatures for p in s.patterns if p.kind == "filename"]
        )
        self._database = _compiled(expressions, flags)
        self._scratch = hyperscan.Scratch(self._database)

    def own_signatures(self, paths: Sequence[str], elf: ElfInfo | None) -> frozenset[str]:
        """Names of the signatures for which this file is an own file.

        Most files belong to no signature: one combined regex per criterion rules them out, and
        for the rest only the criteria that matched are checked signature by signature.
        """
        names, where, sonames, verdefs = self._own_prefilter
        bases = [p.rsplit("/", 1)[-1] for p in paths]
        by_name = any(names.fullmatch(b) for b in bases)
        by_path = any(where.search(p) for p in paths)
        soname = elf.soname if elf and elf.soname and sonames.fullmatch(elf.soname) else None
        defined = elf is not None and any(verdefs.fullmatch(v) for v in elf.version_definitions)
        if not (by_name or by_path or soname or defined):
            return frozenset()
        found = set()
        for name, signature in self.signatures.items():
            own = signature.own
            if (
                (by_name and own.names and any(own.names.fullmatch(b) for b in bases))
                or (by_path and own.paths and any(own.paths.search(p) for p in paths))
                or (soname and own.is_library(soname))
                or (defined and elf is not None and own.matching_verdefs(elf))
            ):
                found.add(name)
        return frozenset(found)

    def filename_versions(self, basename: str) -> Iterator[tuple[Signature, str]]:
        """(signature, version) for every file-name pattern matching ``basename``."""
        if not self._filename_prefilter.fullmatch(basename):
            return
        for signature in self.signatures.values():
            found = match_filename(signature, basename)
            if found is not None:
                yield signature, found[1]

    @property
    def pattern_count(self) -> int:
        return len(self._patterns) + len(self._markers)

    def scan(self, data: bytes, weak: Collection[str] | None = None) -> FileScan:
        """One pass over ``data`` (a whole file, or a test blob).

        ``weak`` names the signatures whose mention and bare patterns are worth extracting here
        (those the file is the own file of); None extracts everything. Banners are always
        extracted. Version-like byte runs are common in code, and a weak hit that attribution
        would ignore anyway is not worth a Python regex call.
        """
        result = FileScan(head=data[:64], size_scanned=len(data))
        self._scan_block(data, 0, result, set(), self._ignored(weak))
        return result

    def scan_file(
        self, host_path: Path | str, limit: int, weak: Collection[str] | None = None
    ) -> FileScan:
        """Scan a file on disk in overlapping blocks, reading at most ``limit`` bytes."""
        result = FileScan()
        seen: set[tuple[int, int]] = set()
        ignored = self._ignored(weak)
        with open(host_path, "rb") as handle:
            carry = b""
            offset = 0  # file offset of carry[0]
            remaining = limit
            while remaining > 0:
                chunk = handle.read(min(BLOCK_SIZE, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                block = carry + chunk
                if offset == 0 and not carry:
                    result.head = block[:64]
                self._scan_block(block, offset, result, seen, ignored)
                result.size_scanned += len(chunk)
                keep = min(BLOCK_OVERLAP, len(block))
                offset += len(block) - keep
                carry = block[-keep:]
            if remaining <= 0 and handle.read(1):
                result.truncated = True
        return result

    def _ignored(self, weak: Collection[str] | None) -> frozenset[int]:
        if weak is None:
            return frozenset()
        keep = {i for name in weak for i in self._weak_ids.get(name, ())}
        return self._all_weak - keep

    def _scan_block(
        self,
        data: bytes,
        base: int,
        result: FileScan,
        seen: set[tuple[int, int]],
        ignored: frozenset[int],
    ) -> None:
        starts: set[tuple[int, int]] = set()
        marker_base = self._marker_base

        def on_match(ident: int, start: int, _end: int, _flags: int, _ctx: object) -> None:
            if ident >= marker_base:
                result.markers.add(self._markers[ident - marker_base])
            elif ident not in ignored:
                starts.add((ident, start))

        self._database.scan(data, match_event_handler=on_match, scratch=self._scratch)
        for ident, start in sorted(starts, key=lambda item: item[1]):
            if (ident, base + start) in seen:
                continue
            seen.add((ident, base + start))
            pattern = self._patterns[ident]
            match = pattern.content.match(data, start)
            if match is None:
                continue
            version, revision = pattern.extract(match)
            if not version:
                continue
            text = match.group(0)[:_DETAIL_MAX]
            detail = text.decode("latin-1") if isinstance(text, bytes) else text
            result.hits.append(
                Hit(
                    pattern=pattern,
                    version=version,
                    revision=revision,
                    offset=base + start,
                    text=_printable(detail),
                )
            )


def _union(patterns: Sequence[re.Pattern[str] | None]) -> re.Pattern[str]:
    """One regex matching where any of ``patterns`` matches (never matches if there are none)."""
    parts = [f"(?:{_NAMED_GROUP.sub('(', p.pattern)})" for p in patterns if p is not None]
    return re.compile("|".join(parts) if parts else r"(?!)")


def _printable(text: str) -> str:
    """Evidence detail without control bytes (NUL delimiters, newlines) — readable in a report."""
    return "".join(ch if " " <= ch <= "~" else " " for ch in text).strip()


def match_filename(signature: Signature, basename: str) -> tuple[Pattern, str] | None:
    """(pattern, version) if one of the signature's file-name patterns matches ``basename``."""
    for pattern in signature.filename_patterns():
        match = pattern.filename.fullmatch(basename)
        if match is not None:
            version, _ = pattern.extract(match)
            if version:
                return pattern, version
    return None


@cache
def default_database() -> SignatureDB:
    """The shipped signature set, compiled once per process."""
    return SignatureDB(load_signatures())
