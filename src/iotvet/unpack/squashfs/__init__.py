"""SquashFS extraction without sasquatch: stock ``unsquashfs`` first, then Python readers."""

from __future__ import annotations

from pathlib import Path

from .legacy import CorruptImage, LegacySquashFS
from .modern import ModernSquashFS
from .tree import LimitReached, TreeWriter, WriteStats

__all__ = ["CorruptImage", "LimitReached", "WriteStats", "extract_with_python"]


def extract_with_python(
    image: Path, outdir: Path, version: int, big_endian: bool, max_bytes: int, max_files: int
) -> tuple[WriteStats, str | None, str | None]:
    """Extract ``image`` with the Python readers; returns (stats, codec used, limit message).

    Raises ``CorruptImage``/``ValueError``/``OSError`` when the image cannot be read at all;
    a spent budget is not an error: the partial tree stays and the message says why it stopped.
    """
    writer = TreeWriter(outdir, max_bytes, max_files)
    reader: LegacySquashFS | ModernSquashFS
    if version == 4:
        if big_endian:
            raise CorruptImage("big-endian squashfs 4.0 needs sasquatch-v4be")
        reader = ModernSquashFS(image)
    elif version in (2, 3):
        reader = LegacySquashFS(image, big_endian=big_endian)
    else:
        raise CorruptImage(f"squashfs {version}.x is not supported by the Python readers")
    limit = None
    with reader:
        try:
            writer.write_all(reader.entries())
        except LimitReached as exc:
            limit = str(exc)
        codec = reader.codec
    return writer.stats, codec, limit
