"""File selection shared by the content-scanning check families (crypto, secrets, hardening).

Why: those families look at the same files - every non-ELF file for key material and secrets, every
ELF file for hardening. The tree is classified once per root by the 4-byte ELF magic, so a family's
cost is what it really reads. Reads go through ``RootFS`` (links resolved inside the tree) and are
capped; whatever a cap cuts is reported via ``ctx.skip`` by the calling family.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Generic, TypeVar

from ..context import ScanContext
from ..rootfs import FileEntry, RootFS
from . import knowledge

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


def _scope() -> dict[str, object]:
    return knowledge.load("content_scope.yaml")


def max_scan_bytes() -> int:
    return int(_scope()["max_scan_bytes"])  # type: ignore[call-overload]


def is_documentation(path: str) -> bool:
    """True for documentation, examples, man pages and test fixtures (see content_scope.yaml)."""
    globs = _scope()["documentation_globs"]
    assert isinstance(globs, list)
    return any(fnmatchcase(path, str(g)) for g in globs)


def looks_like_text(data: bytes) -> bool:
    probe = int(_scope()["binary_probe_bytes"])  # type: ignore[call-overload]
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
    for entry in classify(root).other:
        data = root.read_bytes(entry.path, cap)
        if data is None:
            ctx.skip(entry.path, "unreadable", stage)
            continue
        if entry.size > cap:
            ctx.skip(entry.path, f"only the first {cap} of {entry.size} bytes scanned", stage)
        yield Content(entry, data, looks_like_text(data), is_documentation(entry.path))
