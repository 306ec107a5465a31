"""Extractors that keep the permission bits their unblob counterparts drop.

Setuid/setgid/sticky bits and restrictive modes are findings (``/etc/shadow`` 0600 vs 0644, a
world-writable directory with or without the sticky bit), so the tree must show what the image
holds:

* unblob's CPIO extractor writes every file with the default mode and directories without their
  special bits; the wrapper re-reads the (cheap) CPIO headers with unblob's own parser and applies
  each entry's mode;
* ``debugfs rdump`` (unblob's ext2/3/4 extractor) drops setuid/setgid/sticky bits; the wrapper
  asks debugfs once more, in one batch (``ls -p`` of every directory), for the real modes;
* the ``jefferson`` command (JFFS2) creates directories with default modes; jefferson is run as a
  library instead (same scan and dump functions its command uses), and the directory modes come
  from the inode nodes it has already parsed.

Modes are only ever applied to regular files and directories reached without following a
symlink, inside the extraction directory.
"""

from __future__ import annotations

import contextlib
import io
import mmap
import os
import stat
import struct
import subprocess
from pathlib import Path
from typing import Any

from unblob.extractors.command import COMMAND_TIMEOUT
from unblob.file_utils import File
from unblob.handlers.archive import cpio as unblob_cpio
from unblob.handlers.filesystem import extfs as unblob_extfs
from unblob.handlers.filesystem import jffs2 as unblob_jffs2
from unblob.models import Extractor, ExtractResult, Handler


def apply_mode(outdir: Path, relative: str, mode: int) -> bool:
    """chmod ``outdir/relative`` if it is a file or directory reached without any symlink."""
    parts = [p for p in relative.split("/") if p not in ("", ".")]
    if not parts or ".." in parts:
        return False
    path = outdir.joinpath(*parts)
    if os.path.realpath(path) != os.path.join(os.path.realpath(outdir), *parts):
        return False
    try:
        st = os.lstat(path)
        if not (stat.S_ISREG(st.st_mode) or stat.S_ISDIR(st.st_mode)):
            return False
        if stat.S_IMODE(st.st_mode) != mode:
            os.chmod(path, mode)
    except OSError:
        return False
    return True


def _apply_all(outdir: Path, modes: dict[str, tuple[int, bool]]) -> None:
    """Files first, then directories deepest first (a read-only parent never blocks a child)."""
    files = [(p, m) for p, (m, is_dir) in modes.items() if not is_dir]
    dirs = sorted(
        ((p, m) for p, (m, is_dir) in modes.items() if is_dir),
        key=lambda item: item[0].count("/"),
        reverse=True,
    )
    for relative, mode in (*files, *dirs):
        apply_mode(outdir, relative, mode)


class CPIOModeExtractor(Extractor):
    """unblob's CPIO extraction, then every entry's own mode."""

    def __init__(self, base: Extractor) -> None:
        self.base = base
        self.PARSER = base.PARSER  # type: ignore[attr-defined]  # the handler's chunking uses it

    def get_dependencies(self) -> list[str]:
        return self.base.get_dependencies()

    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        result = self.base.extract(inpath, outdir)
        with File.from_path(inpath) as file:
            parser = self.PARSER(file, 0)
            parser.parse()
            modes = {
                str(entry.path): (stat.S_IMODE(entry.mode), stat.S_ISDIR(entry.mode))
                for entry in parser.entries
                if stat.S_ISREG(entry.mode) or stat.S_ISDIR(entry.mode)
            }
        _apply_all(outdir, modes)
        return result


class ExtFSModeExtractor(Extractor):
    """``debugfs rdump``, then the special bits from one batched ``debugfs ls -p`` run."""

    def __init__(self, base: Extractor) -> None:
        self.base = base

    def get_dependencies(self) -> list[str]:
        return self.base.get_dependencies()

    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        result = self.base.extract(inpath, outdir)
        directories = ["/"]
        for current, subdirs, _ in os.walk(outdir):
            for name in subdirs:
                inner = "/" + os.path.relpath(os.path.join(current, name), outdir)
                if '"' not in inner and "\n" not in inner:
                    directories.append(inner)
        script = "".join(f'ls -p "{d}"\n' for d in directories)
        try:
            listing = subprocess.run(
                ["debugfs", "-f", "-", str(inpath)],
                input=script.encode("utf-8", errors="surrogateescape"),
                capture_output=True, timeout=COMMAND_TIMEOUT, check=False,
            ).stdout.decode("utf-8", errors="surrogateescape")  # fmt: skip
        except (OSError, subprocess.TimeoutExpired):
            return result
        _apply_all(outdir, parse_ls_p(listing))
        return result


class JFFS2ModeExtractor(Extractor):
    """jefferson's scan and dump, in-process, then the directory modes jefferson leaves out."""

    def get_dependencies(self) -> list[str]:
        return []

    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        from jefferson import jffs2

        outdir.mkdir(parents=True, exist_ok=True)
        with (
            inpath.open("rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as content,
        ):
            magic = struct.unpack("<H", content[:2])[0]
            little = magic in (jffs2.JFFS2_OLD_MAGIC_BITMASK, jffs2.JFFS2_MAGIC_BITMASK)
            endianness = "<" if little else ">"
            jffs2.set_endianness(endianness)
            fs = jffs2.scan_fs(content, endianness)
            with contextlib.redirect_stdout(io.StringIO()):  # jefferson prints every entry
                jffs2.dump_fs(fs, str(outdir))
        _apply_all(outdir, jffs2_directory_modes(fs, jffs2))
        return None


def jffs2_directory_modes(fs: dict[int, Any], jffs2: Any) -> dict[str, tuple[int, bool]]:
    """Inner path → mode of every directory of a scanned JFFS2 image (latest inode version)."""
    dirents = fs[jffs2.JFFS2_NODETYPE_DIRENT]
    inodes = fs[jffs2.JFFS2_NODETYPE_INODE]
    modes: dict[str, tuple[int, bool]] = {}
    for ino, dirent in dirents.items():
        versions = inodes.get(ino)
        if not versions:
            continue
        mode = max(versions, key=lambda node: node.version).mode
        if not stat.S_ISDIR(mode):
            continue
        names = [dirent.name]
        parent = dirent.pino
        for _ in range(256):
            if parent not in dirents:
                break
            names.append(dirents[parent].name)
            parent = dirents[parent].pino
        path = "/".join(os.fsdecode(n) for n in reversed(names))
        modes[path] = (stat.S_IMODE(mode), True)
    return modes


def parse_ls_p(listing: str) -> dict[str, tuple[int, bool]]:
    """Modes from ``debugfs`` ``ls -p`` output ("/inode/mode/uid/gid/name/size/" per entry)."""
    modes: dict[str, tuple[int, bool]] = {}
    directory = "/"
    for line in listing.splitlines():
        if line.startswith("debugfs: ls -p "):
            directory = line[len("debugfs: ls -p ") :].strip().strip('"')
            continue
        fields = line.split("/")
        if len(fields) < 7 or fields[5] in (".", ".."):
            continue
        try:
            mode = int(fields[2], 8)
        except ValueError:
            continue
        if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
            path = directory.rstrip("/") + "/" + fields[5]
            modes[path.lstrip("/")] = (stat.S_IMODE(mode), stat.S_ISDIR(mode))
    return modes


def with_mode_fidelity(handler: type[Handler]) -> type[Handler]:
    """The handler with a mode-keeping extractor where unblob's drops modes; else unchanged."""
    if issubclass(handler, unblob_jffs2._JFFS2Base):
        extractor: Extractor = JFFS2ModeExtractor()
    elif issubclass(handler, unblob_cpio._CPIOHandlerBase):
        extractor = CPIOModeExtractor(handler.EXTRACTOR)
    elif issubclass(handler, unblob_extfs.EXTHandler):
        extractor = ExtFSModeExtractor(handler.EXTRACTOR)
    else:
        return handler
    return type(handler.__name__, (handler,), {"EXTRACTOR": extractor, "__module__": __name__})
