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

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import hyperscan
import yaml

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


class SignatureError(ValueError):
    """The signature data file is malformed (reported with the signature's name)."""


@dataclass(frozen=True)
class Pattern:
    """One regex of a signature."""

    signature: str
    kind: str
    regex: str
    compiled: re.Pattern[bytes] | re.Pattern[str]
    anchor: str | None = None  # prefix regex for the Hyperscan pass (see the data file)

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
    """Which files are the component's own (see the data file's header for the semantics)."""

    names: tuple[re.Pattern[str], ...] = ()
    paths: tuple[re.Pattern[str], ...] = ()
    sonames: tuple[re.Pattern[str], ...] = ()
    verdefs: tuple[re.Pattern[str], ...] = ()

    def reason(self, paths: Sequence[str], elf: ElfInfo | None) -> str | None:
        """Why a file is the component's own ("name", "path", "soname", "verdef"), or None."""
        for path in paths:
            base = path.rsplit("/", 1)[-1]
            if any(p.fullmatch(base) for p in self.names):
                return "name"
            if any(p.search(path) for p in self.paths):
                return "path"
        if elf is not None:
            if elf.soname and self.is_library(elf.soname):
                return "soname"
            if self.matching_verdefs(elf):
                return "verdef"
        return None

    def is_library(self, name: str) -> bool:
        """True if a SONAME or NEEDED entry names one of the component's own libraries."""
        return any(p.fullmatch(name) for p in self.sonames)

    def matching_verdefs(self, elf: ElfInfo) -> tuple[str, ...]:
        return tuple(v for v in elf.version_definitions if any(p.fullmatch(v) for p in self.verdefs))


@dataclass(frozen=True)
class TestVector:
    """Bytes (or a file name) that must yield ``version`` (None: must not match at all)."""

    version: str | None
    data: bytes | None = None
    file: str | None = None
    revision: str | None = None


@dataclass(frozen=True)
class Signature:
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
        return bool(self.own.sonames)

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
    raw = yaml.safe_load((path or DATA_FILE).read_text(encoding="utf-8"))
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


def data_version(path: Path | None = None) -> str:
    raw = yaml.safe_load((path or DATA_FILE).read_text(encoding="utf-8"))
    return str(raw.get("version", "unknown"))


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
    compiled: re.Pattern[bytes] | re.Pattern[str]
    compiled = re.compile(regex) if kind == "filename" else re.compile(regex.encode("ascii"))
    groups = set(compiled.groupindex)
    if "version" not in groups and not {"major", "minor"} <= groups:
        raise SignatureError(f"pattern has no version group: {regex!r}")
    anchor = raw.get("anchor")
    if anchor is not None:
        re.compile(str(anchor).encode("ascii"))
    return Pattern(
        signature=signature,
        kind=kind,
        regex=regex,
        compiled=compiled,
        anchor=None if anchor is None else str(anchor),
    )


def _regexes(values: Any) -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(str(v)) for v in values or [])


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
        self._database = hyperscan.Database(mode=hyperscan.HS_MODE_BLOCK)
        try:
            self._database.compile(
                expressions=expressions,
                ids=list(range(len(expressions))),
                elements=len(expressions),
                flags=flags,
            )
        except hyperscan.HyperscanError as exc:
            raise SignatureError(f"hyperscan cannot compile the signature set: {exc}") from exc
        self._scratch = hyperscan.Scratch(self._database)

    @property
    def pattern_count(self) -> int:
        return len(self._patterns) + len(self._markers)

    def scan(self, data: bytes) -> FileScan:
        """One pass over ``data`` (a whole file, or a test blob)."""
        result = FileScan(head=data[:64], size_scanned=len(data))
        self._scan_block(data, 0, result, set())
        return result

    def scan_file(self, host_path: Path | str, limit: int) -> FileScan:
        """Scan a file on disk in overlapping blocks, reading at most ``limit`` bytes."""
        result = FileScan()
        seen: set[tuple[int, int]] = set()
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
                self._scan_block(block, offset, result, seen)
                result.size_scanned += len(chunk)
                keep = min(BLOCK_OVERLAP, len(block))
                offset += len(block) - keep
                carry = block[-keep:]
            if remaining <= 0 and handle.read(1):
                result.truncated = True
        return result

    def _scan_block(
        self, data: bytes, base: int, result: FileScan, seen: set[tuple[int, int]]
    ) -> None:
        raw: dict[tuple[int, int], int] = {}
        marker_base = self._marker_base

        def on_match(ident: int, start: int, end: int, _flags: int, _ctx: object) -> None:
            if ident >= marker_base:
                result.markers.add(self._markers[ident - marker_base])
                return
            key = (ident, start)
            if raw.get(key, -1) < end:
                raw[key] = end

        self._database.scan(data, match_event_handler=on_match, scratch=self._scratch)
        for (ident, start), _end in sorted(raw.items(), key=lambda item: item[0][1]):
            if (ident, base + start) in seen:
                continue
            seen.add((ident, base + start))
            pattern = self._patterns[ident]
            match = pattern.compiled.match(data, start)
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


def _printable(text: str) -> str:
    """Evidence detail without control bytes (NUL delimiters, newlines) — readable in a report."""
    return "".join(ch if " " <= ch <= "~" else " " for ch in text).strip()


def match_filename(signature: Signature, basename: str) -> tuple[Pattern, str] | None:
    """(pattern, version) if one of the signature's file-name patterns matches ``basename``."""
    for pattern in signature.filename_patterns():
        match = pattern.compiled.fullmatch(basename)
        if match is not None:
            version, _ = pattern.extract(match)
            if version:
                return pattern, version
    return None


@cache
def default_database() -> SignatureDB:
    """The shipped signature set, compiled once per process."""
    return SignatureDB(load_signatures())
