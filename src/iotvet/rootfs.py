"""A root file system as the analysis stages see it: a directory on disk addressed by inner paths.

Every path a finding or an evidence record carries is the *inner* absolute path ("/etc/shadow"),
never the location in the work directory. Symlinks are resolved against the root itself, as the
device would resolve them, so a link to "/etc/passwd" or "../../../etc/passwd" never leaves the
tree; device nodes, FIFOs and sockets are listed but never opened.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path, PurePosixPath

from .limits import Limits

_MAX_LINK_HOPS = 40


@dataclass(frozen=True)
class FileEntry:
    """One entry of the tree, from ``lstat`` (links are not followed)."""

    path: str  # inner absolute path, e.g. "/usr/sbin/dropbear"
    mode: int
    size: int
    link_target: str | None = None

    @property
    def is_file(self) -> bool:
        return stat.S_ISREG(self.mode)

    @property
    def is_dir(self) -> bool:
        return stat.S_ISDIR(self.mode)

    @property
    def is_link(self) -> bool:
        return stat.S_ISLNK(self.mode)

    @property
    def name(self) -> str:
        return PurePosixPath(self.path).name


@dataclass
class RootFS:
    """A directory tree standing for one root file system (or any extracted tree)."""

    root: Path
    label: str = "/"
    kind: str = "rootfs"
    limits: Limits = field(default_factory=Limits)
    truncated: bool = False  # True when ``max_files`` stopped the walk

    @cached_property
    def entries(self) -> dict[str, FileEntry]:
        """Every entry of the tree keyed by inner path, walked once without following links."""
        found: dict[str, FileEntry] = {}
        stack = [self.root]
        while stack:
            directory = stack.pop()
            try:
                it = os.scandir(directory)
            except OSError:
                continue
            with it:
                for de in it:
                    if len(found) >= self.limits.max_files:
                        self.truncated = True
                        return found
                    try:
                        st = de.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    inner = self.inner_path(Path(de.path))
                    target = None
                    if stat.S_ISLNK(st.st_mode):
                        try:
                            target = os.readlink(de.path)
                        except OSError:
                            target = ""
                    found[inner] = FileEntry(inner, st.st_mode, st.st_size, target)
                    if stat.S_ISDIR(st.st_mode):
                        stack.append(Path(de.path))
        return found

    def inner_path(self, host_path: Path) -> str:
        rel = os.path.relpath(host_path, self.root)
        return "/" if rel == "." else "/" + rel.replace(os.sep, "/")

    def files(self) -> Iterator[FileEntry]:
        """Regular files only, in a stable order."""
        for path in sorted(self.entries):
            entry = self.entries[path]
            if entry.is_file:
                yield entry

    def host_path(self, inner: str) -> Path:
        """Host location of an inner path *without* resolving links (for lstat-style use)."""
        parts = [p for p in PurePosixPath(inner).parts if p not in ("/", "", ".", "..")]
        return self.root.joinpath(*parts)

    def resolve(self, inner: str) -> str | None:
        """Resolve links in ``inner`` the way the device would; None if dangling or looping."""
        parts = [p for p in PurePosixPath("/" + inner.lstrip("/")).parts[1:] if p not in ("", ".")]
        resolved: list[str] = []
        hops = 0
        while parts:
            part = parts.pop(0)
            if part == "..":
                if resolved:
                    resolved.pop()
                continue
            candidate = "/" + "/".join([*resolved, part])
            entry = self.entries.get(candidate)
            if entry is None:
                # Not in the listing (e.g. walk truncated): fall back to the disk, never following.
                if not os.path.lexists(self.host_path(candidate)):
                    return None
                resolved.append(part)
                continue
            if entry.is_link:
                hops += 1
                if hops > _MAX_LINK_HOPS or entry.link_target is None:
                    return None
                target = entry.link_target
                if target.startswith("/"):
                    resolved = []
                parts = [p for p in PurePosixPath(target).parts if p not in ("/", "", ".")] + parts
                continue
            resolved.append(part)
        return "/" + "/".join(resolved)

    def entry(self, inner: str, follow: bool = True) -> FileEntry | None:
        path = self.resolve(inner) if follow else inner
        return self.entries.get(path) if path else None

    def exists(self, inner: str) -> bool:
        return self.entry(inner) is not None

    def read_bytes(self, inner: str, limit: int | None = None) -> bytes | None:
        """Content of a regular file (links resolved inside the tree), at most ``limit`` bytes."""
        entry = self.entry(inner)
        if entry is None or not entry.is_file:
            return None
        cap = self.limits.max_file_read if limit is None else limit
        try:
            with open(self.host_path(entry.path), "rb") as handle:
                return handle.read(cap)
        except OSError:
            return None

    def read_text(self, inner: str, limit: int | None = None) -> str | None:
        data = self.read_bytes(inner, limit)
        return None if data is None else data.decode("utf-8", errors="replace")

    @cached_property
    def _children(self) -> dict[str, list[str]]:
        index: dict[str, list[str]] = {}
        for path in sorted(self.entries):
            parent = str(PurePosixPath(path).parent)
            index.setdefault(parent, []).append(path)
        return index

    def listdir(self, inner: str) -> list[str]:
        """Inner paths of the direct children of a directory (links resolved for the directory)."""
        base = self.resolve(inner)
        return [] if base is None else list(self._children.get(base, []))
