"""SquashFS handlers whose extractor works without sasquatch.

unblob's SquashFS handlers call ``sasquatch``, which no package registry here carries. These
subclasses keep unblob's detection (patterns, chunk size) and swap only the extractor, through
``ExtractionConfig.handlers`` — unblob itself is not patched. The chain is:

1. ``sasquatch`` when it is on PATH (it knows the most vendor variants);
2. stock ``unsquashfs`` (Debian squashfs-tools: 4.0 LE with every codec, 1.x-3.x of both byte
   orders with zlib) for the standard magics;
3. the Python readers of ``iotvet.unpack.squashfs`` (4.0 LE through PySquashfsImage, 2.x/3.x of
   both byte orders through our own reader), both with the vendor LZMA codecs.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from unblob.extractors.command import COMMAND_TIMEOUT
from unblob.file_utils import Endian, File, get_endian
from unblob.handlers.filesystem import squashfs as unblob_squashfs
from unblob.models import ExtractError, Extractor, ExtractResult, Handler

from ..squashfs import CorruptImage, extract_with_python
from .reports import FallbackFailedReport, LayerInfoReport

_STANDARD_MAGICS = (b"hsqs", b"sqsh")


def _clear(directory: Path) -> None:
    for child in directory.iterdir():
        if child.is_dir() and not child.is_symlink():
            shutil.rmtree(child, ignore_errors=True)
        else:
            child.unlink(missing_ok=True)


class FallbackSquashFSExtractor(Extractor):
    """sasquatch → unsquashfs → Python readers, first success wins."""

    def __init__(self, version: int, big_endian_magic: int, max_bytes: int, max_files: int):
        self.version = version
        self.big_endian_magic = big_endian_magic
        self.max_bytes = max_bytes
        self.max_files = max_files

    def get_dependencies(self) -> list[str]:
        return ["unsquashfs"]

    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        attempts: list[str] = []
        if shutil.which(unblob_squashfs.SquashFSExtractor.EXECUTABLE):
            try:
                extractor = unblob_squashfs.SquashFSExtractor(self.version, self.big_endian_magic)
                extractor.extract(inpath, outdir)
                return ExtractResult(reports=[LayerInfoReport(info={"extractor": "sasquatch"})])
            except ExtractError:
                attempts.append("sasquatch failed")
                _clear(outdir)
        with File.from_path(inpath) as file:
            magic = bytes(file.read(4))
            file.seek(0)
            big_endian = get_endian(file, self.big_endian_magic) == Endian.BIG
        if magic in _STANDARD_MAGICS and not (self.version == 4 and big_endian):
            outcome = self._unsquashfs(inpath, outdir)
            if outcome is None:
                return ExtractResult(reports=[LayerInfoReport(info={"extractor": "unsquashfs"})])
            attempts.append(outcome)
            _clear(outdir)
        try:
            stats, codec, limit = extract_with_python(
                inpath, outdir, self.version, big_endian, self.max_bytes, self.max_files
            )
        except (CorruptImage, ValueError, OSError, EOFError, KeyError, IndexError) as exc:
            attempts.append(f"python reader: {exc}")
            raise ExtractError(FallbackFailedReport(attempts=attempts)) from None
        info: dict[str, str | int | bool] = {
            "extractor": "iotvet-python",
            "codec": codec or "none",
            "files": stats.files,
            "bytes": stats.bytes,
        }
        if limit:
            info["limit"] = limit
        if stats.skipped:
            info["entries_skipped"] = len(stats.skipped)
        if attempts:
            info["fallback_after"] = "; ".join(attempts)
        return ExtractResult(reports=[LayerInfoReport(info=info)])

    @staticmethod
    def _unsquashfs(inpath: Path, outdir: Path) -> str | None:
        """Run stock unsquashfs; None on success, else why it failed."""
        if not shutil.which("unsquashfs"):
            return "unsquashfs not installed"
        command = ["unsquashfs", "-no-progress", "-no-xattrs", "-f", "-d", str(outdir), str(inpath)]
        try:
            done = subprocess.run(
                command, capture_output=True, timeout=COMMAND_TIMEOUT, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"unsquashfs: {exc}"
        if done.returncode == 0:
            return None
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or [""]
        return f"unsquashfs exit {done.returncode}: {tail[0][:200]}"


def _version_of(handler: type[Handler]) -> int:
    for base, version in (
        (unblob_squashfs.SquashFSv4LEHandler, 4),
        (unblob_squashfs.SquashFSv3Handler, 3),
        (unblob_squashfs.SquashFSv2Handler, 2),
    ):
        if issubclass(handler, base):
            return version
    return 1


def is_squashfs_handler(handler: type[Handler]) -> bool:
    return issubclass(handler, unblob_squashfs._SquashFSBase)


def with_fallback_extractor(
    handler: type[Handler], max_bytes: int, max_files: int
) -> type[Handler]:
    """The same SquashFS handler (same NAME, patterns and chunking) with our extractor."""
    magic: int = getattr(handler, "BIG_ENDIAN_MAGIC", 0x73717368)
    extractor = FallbackSquashFSExtractor(_version_of(handler), magic, max_bytes, max_files)
    return type(handler.__name__, (handler,), {"EXTRACTOR": extractor, "__module__": __name__})
