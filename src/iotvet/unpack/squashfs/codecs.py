"""Block decompression for SquashFS images, including the vendor LZMA variants.

Stock ``unsquashfs`` only knows the codecs of the official format. Vendors (TP-Link, Broadcom,
Realtek SDKs …) patched the kernel to use LZMA in ways the format never specified:

* raw LZMA1 streams preceded by the 5-byte properties header (lc/lp/pb byte + 32-bit dictionary
  size) but *without* the 8-byte uncompressed size of the ``.lzma`` ("alone") format, and without
  an end marker — sasquatch calls these "LZMA adaptive" variants;
* the ``.lzma`` alone format with its size field (Python's ``FORMAT_ALONE`` reads these);
* squashfs 2.x/3.x images that declare nothing at all (those versions only knew zlib) but carry
  either zlib or raw-LZMA blocks.

``BlockDecompressor`` tries the declared codec first and then the variants above, and remembers
the first one that worked: an image uses one codec throughout, so later blocks cost one attempt.
"""

from __future__ import annotations

import lzma
import zlib
from collections.abc import Callable

Codec = Callable[[bytes, int], bytes]


class CorruptBlock(ValueError):
    """No codec could decompress a block."""


def _zlib(data: bytes, limit: int) -> bytes:
    out = zlib.decompressobj().decompress(data, limit)
    if not out:
        raise CorruptBlock("zlib produced no data")
    return out


def _lzma_auto(data: bytes, limit: int) -> bytes:
    # xz and .lzma (alone, with size field); max_length bounds a decompression bomb.
    return lzma.LZMADecompressor(lzma.FORMAT_AUTO).decompress(data, max_length=limit)


def lzma_filters_from_props(props: bytes) -> list[dict[str, int]]:
    """LZMA1 filter chain from the 5-byte properties header (lc/lp/pb byte, dictionary size)."""
    if len(props) < 5 or props[0] >= 9 * 5 * 5:
        raise CorruptBlock("invalid LZMA properties")
    value = props[0]
    lc, value = value % 9, value // 9
    lp, pb = value % 5, value // 5
    dict_size = max(int.from_bytes(props[1:5], "little"), 4096)
    return [{"id": lzma.FILTER_LZMA1, "lc": lc, "lp": lp, "pb": pb, "dict_size": dict_size}]


def _lzma_raw_props(data: bytes, limit: int) -> bytes:
    """Vendor variant: 5-byte properties header, then the raw stream, no size, maybe no marker."""
    decoder = lzma.LZMADecompressor(lzma.FORMAT_RAW, filters=lzma_filters_from_props(data[:5]))
    try:
        out = decoder.decompress(data[5:], max_length=limit)
    except lzma.LZMAError as exc:
        raise CorruptBlock(str(exc)) from exc
    if not out:
        raise CorruptBlock("raw LZMA produced no data")
    return out


def _lzo() -> Codec | None:
    try:
        from lzallright import LZOCompressor
    except ImportError:
        return None
    compressor = LZOCompressor()

    def codec(data: bytes, limit: int) -> bytes:
        return bytes(compressor.decompress(data, output_size_hint=limit))[:limit]

    return codec


def _lz4() -> Codec | None:
    try:
        import lz4.block
    except ImportError:
        return None

    def codec(data: bytes, limit: int) -> bytes:
        return bytes(lz4.block.decompress(data, uncompressed_size=limit))

    return codec


def _zstd() -> Codec | None:
    try:
        import pyzstd
    except ImportError:
        return None

    def codec(data: bytes, limit: int) -> bytes:
        return bytes(pyzstd.decompress(data))[:limit]

    return codec


# SquashFS 4 compression ids (squashfs_fs.h): 1 zlib, 2 lzma, 3 lzo, 4 xz, 5 lz4, 6 zstd.
COMPRESSION_NAMES = {1: "zlib", 2: "lzma", 3: "lzo", 4: "xz", 5: "lz4", 6: "zstd"}


def _codec_table() -> dict[str, Codec | None]:
    return {
        "zlib": _zlib,
        "lzma": _lzma_auto,
        "xz": _lzma_auto,
        "lzma-raw": _lzma_raw_props,
        "lzo": _lzo(),
        "lz4": _lz4(),
        "zstd": _zstd(),
    }


class BlockDecompressor:
    """Decompress blocks of one image, learning which codec variant the image really uses."""

    def __init__(self, declared: str) -> None:
        table = _codec_table()
        order = [declared, "lzma-raw", "lzma", "zlib"]
        self._candidates: list[tuple[str, Codec]] = []
        for name in dict.fromkeys(order):
            codec = table.get(name)
            if codec is not None:
                self._candidates.append((name, codec))
        if not self._candidates:
            raise CorruptBlock(f"no decompressor available for {declared}")
        self.used: str | None = None

    def __call__(self, data: bytes, limit: int) -> bytes:
        errors = []
        for index, (name, codec) in enumerate(self._candidates):
            try:
                out = codec(data, limit)
            except (CorruptBlock, lzma.LZMAError, zlib.error, ValueError, RuntimeError) as exc:
                errors.append(f"{name}: {exc}")
                continue
            if index:
                # Move the codec that worked to the front for the next blocks.
                self._candidates.insert(0, self._candidates.pop(index))
            self.used = name
            return out
        raise CorruptBlock("; ".join(errors))
