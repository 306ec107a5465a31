"""SquashFS 4.0 (little-endian) through PySquashfsImage, with the vendor LZMA codecs plugged in.

PySquashfsImage reads the 4.0 layout but knows neither LZMA (compression id 2) nor the vendor
variants that stock ``unsquashfs`` rejects. Its documented extension point is the compressor
chosen per image (``_get_compressor``), so a subclass supplies ``BlockDecompressor`` there; the
library itself is not patched.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from PySquashfsImage import SquashFsImage

from .codecs import COMPRESSION_NAMES, BlockDecompressor
from .tree import Entry


class _Compressor:
    """The compressor protocol PySquashfsImage calls: ``uncompress(src, size, outsize)``."""

    def __init__(self, declared: str) -> None:
        self.decompress = BlockDecompressor(declared)
        self.name = declared

    def uncompress(self, src: bytes, size: int, outsize: int) -> bytes:
        return self.decompress(bytes(src), outsize)


class _Image(SquashFsImage):  # type: ignore[misc]
    def _get_compressor(self, compression_id: int) -> _Compressor:
        return _Compressor(COMPRESSION_NAMES.get(compression_id, "zlib"))


def _walk(directory: Any, parts: tuple[bytes, ...]) -> Iterator[Entry]:
    for child in directory.iterdir():
        path = (*parts, child._name)
        mode = child.mode
        if child.is_dir:
            yield Entry(path, mode)
            yield from _walk(child, path)
        elif child.is_file:
            yield Entry(path, mode, data=child.iter_bytes)
        elif child.is_symlink:
            target = child.readlink()
            yield Entry(path, mode, target=target if isinstance(target, bytes) else target.encode())
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            yield Entry(path, mode, rdev=os.makedev(child.major, child.minor))
        else:
            yield Entry(path, mode)


class ModernSquashFS:
    """A squashfs 4.0 LE image; ``entries()`` walks it depth first."""

    def __init__(self, path: Path) -> None:
        self._image = _Image.from_file(str(path))

    @property
    def codec(self) -> str | None:
        comp = self._image._comp
        return comp.decompress.used if isinstance(comp, _Compressor) else None

    def entries(self) -> Iterator[Entry]:
        yield from _walk(self._image.root, ())

    def close(self) -> None:
        self._image.close()

    def __enter__(self) -> ModernSquashFS:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
