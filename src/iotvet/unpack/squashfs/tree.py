"""Write the entries of a file-system image to disk, safely and within the limits.

Every Python reader of this package (the SquashFS fallbacks) yields ``Entry`` objects; one writer
turns them into a directory tree. Keeping the writing in one place keeps the safety rules in one
place: names are single path components (never ``..`` or ``/``), nothing is written through a
symlink, device nodes are only created where the OS allows it, and the byte and file budgets of
``Limits`` stop the extraction with a partial tree instead of filling the disk.
"""

from __future__ import annotations

import contextlib
import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path


class LimitReached(Exception):
    """The byte or file budget of the extraction is spent; the tree written so far stays."""


@dataclass(frozen=True)
class Entry:
    """One entry of an image, addressed by its path components below the image root."""

    parts: tuple[bytes, ...]
    mode: int  # full st_mode: file type bits + permission bits (setuid/setgid/sticky kept)
    data: Callable[[], Iterable[bytes]] | None = None  # regular files: content in chunks
    target: bytes | None = None  # symlinks
    rdev: int = 0  # device nodes


@dataclass
class WriteStats:
    files: int = 0
    bytes: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (inner path, reason)


def _safe_name(part: bytes) -> str | None:
    name = os.fsdecode(part)
    if not name or name in (".", "..") or "/" in name or "\0" in name:
        return None
    return name


class TreeWriter:
    """Materialise ``Entry`` objects below ``outdir`` without ever leaving it."""

    def __init__(self, outdir: Path, max_bytes: int, max_files: int) -> None:
        self.outdir = outdir
        self.max_bytes = max_bytes
        self.max_files = max_files
        self.stats = WriteStats()
        self._dir_modes: list[tuple[Path, int]] = []

    def _host_path(self, parts: tuple[bytes, ...]) -> Path | None:
        names = [_safe_name(p) for p in parts]
        if any(n is None for n in names):
            return None
        path = self.outdir.joinpath(*[n for n in names if n is not None])
        # A parent must be a real directory we created, never a symlink planted by the image.
        parent = path.parent
        while parent != self.outdir:
            if parent.is_symlink() or not parent.is_dir():
                return None
            parent = parent.parent
        return path

    def write_all(self, entries: Iterator[Entry]) -> WriteStats:
        self.outdir.mkdir(parents=True, exist_ok=True)
        try:
            for entry in entries:
                self._write(entry)
        finally:
            # Directory modes last: a read-only directory would refuse its own children.
            for path, mode in reversed(self._dir_modes):
                with contextlib.suppress(OSError):
                    os.chmod(path, mode)
        return self.stats

    def _inner(self, entry: Entry) -> str:
        return "/" + "/".join(os.fsdecode(p) for p in entry.parts)

    def _write(self, entry: Entry) -> None:
        if self.stats.files >= self.max_files:
            raise LimitReached(f"max files ({self.max_files}) reached")
        path = self._host_path(entry.parts)
        if path is None:
            self.stats.skipped.append((self._inner(entry), "unsafe name or parent"))
            return
        if os.path.lexists(path):
            self.stats.skipped.append((self._inner(entry), "duplicate entry"))
            return
        perm = stat.S_IMODE(entry.mode)
        kind = stat.S_IFMT(entry.mode)
        self.stats.files += 1
        if kind == stat.S_IFDIR:
            path.mkdir()
            self._dir_modes.append((path, perm))
        elif kind == stat.S_IFREG:
            self._write_file(path, entry, perm)
        elif kind == stat.S_IFLNK:
            os.symlink(os.fsdecode(entry.target or b""), path)
        elif kind in (stat.S_IFCHR, stat.S_IFBLK, stat.S_IFIFO, stat.S_IFSOCK):
            try:
                os.mknod(path, kind | perm, entry.rdev)
            except (OSError, ValueError):
                # Unprivileged: keep the name visible as an empty placeholder.
                path.touch()
                self.stats.skipped.append(
                    (self._inner(entry), "special file written as an empty placeholder")
                )
        else:
            self.stats.skipped.append((self._inner(entry), f"unknown file type {kind:o}"))

    def _write_file(self, path: Path, entry: Entry, perm: int) -> None:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as handle:
            for chunk in entry.data() if entry.data else ():
                if self.stats.bytes + len(chunk) > self.max_bytes:
                    handle.write(chunk[: max(0, self.max_bytes - self.stats.bytes)])
                    self.stats.bytes = self.max_bytes
                    raise LimitReached(f"max unpacked bytes ({self.max_bytes}) reached")
                handle.write(chunk)
                self.stats.bytes += len(chunk)
        os.chmod(path, perm)
