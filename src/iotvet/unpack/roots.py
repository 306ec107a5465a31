"""Recognise root file systems among extracted directories, and name their role.

A Linux root file system is recognised by its shape, not by any distribution's files: an ``etc``
directory next to at least one of ``bin``, ``sbin``, ``usr``, ``lib``; or an ``init`` program next
to ``bin``/``sbin`` (initramfs). OpenWrt-style overlays keep their tree below ``upper/``. Only the
top-level names of a candidate are looked at (one ``listdir``), so the test costs the same on a
ten-file and a million-file tree.
"""

from __future__ import annotations

import os
from pathlib import Path

_PROGRAM_DIRS = frozenset({"bin", "sbin", "usr", "lib", "lib64", "lib32"})
_MAX_NAMES = 4096
_SEARCH_DEPTH = 3


def _names(directory: Path) -> set[str] | None:
    try:
        with os.scandir(directory) as it:
            names = set()
            for entry in it:
                names.add(entry.name)
                if len(names) > _MAX_NAMES:
                    break
            return names
    except OSError:
        return None


def _is_dir(path: Path) -> bool:
    return path.is_dir() and not path.is_symlink()


def looks_like_root(directory: Path) -> bool:
    """True when ``directory`` has the shape of a Linux root file system."""
    names = _names(directory)
    if not names:
        return False
    programs = any(n in names and (directory / n).is_dir() for n in _PROGRAM_DIRS)
    if "etc" in names and _is_dir(directory / "etc") and programs:
        return True
    return "init" in names and any(n in names for n in ("bin", "sbin")) and programs


def is_overlay(directory: Path) -> bool:
    """An overlayfs upper layer (OpenWrt ``rootfs_data``): ``upper/etc`` and ``work``."""
    return directory.name == "upper" and _is_dir(directory / "etc")


def find_roots_below(top: Path, max_depth: int = _SEARCH_DEPTH) -> list[Path]:
    """Root-shaped directories at most ``max_depth`` levels below ``top`` (``top`` included);
    the inside of a found root is not searched further."""
    found: list[Path] = []
    frontier = [top]
    for _ in range(max_depth + 1):
        next_frontier: list[Path] = []
        for directory in frontier:
            if looks_like_root(directory) or is_overlay(directory):
                found.append(directory)
                continue
            try:
                with os.scandir(directory) as it:
                    next_frontier.extend(
                        Path(e.path) for e in it if e.is_dir(follow_symlinks=False)
                    )
            except OSError:
                continue
        frontier = sorted(next_frontier)[:_MAX_NAMES]
    return found


def root_role(directory: Path, layer_format: str | None) -> str:
    """ "initramfs" for an archive-borne tree with /init, "overlay", else "rootfs"."""
    if is_overlay(directory):
        return "overlay"
    if layer_format and layer_format.startswith("cpio") and os.path.lexists(directory / "init"):
        return "initramfs"
    return "rootfs"
