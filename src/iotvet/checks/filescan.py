"""File selection shared by the content-scanning check families (crypto, secrets, hardening).

Why: those families look at the same files - every non-ELF file for key material and secrets, every
ELF file for hardening. The tree is classified once per root by the 4-byte ELF magic, so a family's
cost is what it really reads. Reads go through ``RootFS`` (links resolved inside the tree) and are
capped; whatever a cap cuts is reported via ``ctx.skip`` by the calling family.
"""

from __future__ import annotations

import fnmatch
import re
import weakref
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from typing import Any, Generic, TypeVar

from .. import datafiles
from ..context import ScanContext
from ..rootfs import FileEntry, RootFS

ELF_MAGIC = b"\x7fELF"

T = TypeVar("T")


class PerRoot(Generic[T]):
    """A value computed once per ``RootFS`` object and dropped with it (families share scans)."""

    def __init__(self) -> None:
        self._items: dict[int, tuple[weakref.ref[RootFS], T]] = {}

    def get(self, root: RootFS, compute: Callable[[], T]) -> T:
        key = id(root)
        cached = self._items.get(key)
        if cached is not None and cached[0]() is root:
            return cached[1]
        value = compute()
        self._items[key] = (weakref.ref(root, lambda _ref: self._items.pop(key, None)), value)
        return value


@dataclass(frozen=True)
class TreeFiles:
    """The regular files of one root, split into ELF objects and everything else."""

    elf: tuple[FileEntry, ...]
    other: tuple[FileEntry, ...]


@dataclass(frozen=True)
class Content:
    """The (capped) bytes of one non-ELF file."""

    entry: FileEntry
    data: bytes
    is_text: bool
    is_documentation: bool


_TREES: PerRoot[TreeFiles] = PerRoot()
_REPORTED: PerRoot[set[tuple[int, str, str]]] = PerRoot()  # (ctx id, path, stage) reported


def _scope() -> dict[str, Any]:
    return datafiles.load("content_scope.yaml")


def max_scan_bytes() -> int:
    return int(_scope()["max_scan_bytes"])


@cache
def _glob_regex(globs: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(g)})" for g in globs) or "(?!)")


def matches_any(path: str, globs: Iterable[object]) -> bool:
    """``fnmatch`` semantics ("*" crosses "/") for a list of globs, compiled once per list."""
    return _glob_regex(tuple(str(g) for g in globs)).match(path) is not None


def is_documentation(path: str) -> bool:
    """True for documentation, examples, man pages and test fixtures (see content_scope.yaml)."""
    return matches_any(path, _scope()["documentation_globs"])


def looks_like_text(data: bytes) -> bool:
    probe = int(_scope()["binary_probe_bytes"])
    return b"\x00" not in data[:probe]


def classify(root: RootFS) -> TreeFiles:
    """Regular files of ``root`` split by ELF magic; computed once per root object."""
    return _TREES.get(root, lambda: _classify(root))


def _classify(root: RootFS) -> TreeFiles:
    elf: list[FileEntry] = []
    other: list[FileEntry] = []
    for entry in root.files():
        if entry.size == 0:
            continue
        head = root.read_bytes(entry.path, 4)
        if head is None:
            continue
        (elf if head == ELF_MAGIC else other).append(entry)
    return TreeFiles(tuple(elf), tuple(other))


def contents(root: RootFS, ctx: ScanContext, stage: str) -> Iterator[Content]:
    """Every non-ELF regular file with its bytes (capped at ``max_scan_bytes``)."""
    cap = min(max_scan_bytes(), ctx.limits.max_file_read)
    reported = _REPORTED.get(root, set)

    def skip(path: str, reason: str) -> None:
        key = (id(ctx), path, stage)
        if key not in reported:  # a family may read the tree more than once
            reported.add(key)
            ctx.skip(path, reason, stage)

    for entry in classify(root).other:
        data = root.read_bytes(entry.path, cap)
        if data is None:
            skip(entry.path, "unreadable")
            continue
        if entry.size > cap:
            skip(entry.path, f"only the first {cap} of {entry.size} bytes scanned")
        yield Content(entry, data, looks_like_text(data), is_documentation(entry.path))
