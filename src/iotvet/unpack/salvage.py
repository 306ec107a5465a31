"""Salvage the readable start of a truncated compressed stream.

unblob only accepts a gzip/xz/bzip2/LZMA stream that ends properly, so a firmware download cut
short yields nothing at all. The bytes before the cut still decompress; unpacking them recovers
whatever they hold (a partial file system, whole programs that can be carved out) instead of an
empty report. Output is bounded by ``Limits.max_unpacked_bytes``.
"""

from __future__ import annotations

import bz2
import lzma
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from ..limits import Limits

_CHUNK = 1 << 20


class _Decompressor(Protocol):
    def decompress(self, data: bytes, max_length: int = -1) -> bytes: ...


@dataclass(frozen=True)
class _Format:
    name: str
    magic: bytes
    make: Callable[[], _Decompressor]


_FORMATS = (
    _Format("gzip", b"\x1f\x8b\x08", lambda: zlib.decompressobj(wbits=31)),  # type: ignore[arg-type,return-value]
    _Format("xz", b"\xfd7zXZ\x00", lambda: lzma.LZMADecompressor(format=lzma.FORMAT_XZ)),
    _Format("bzip2", b"BZh", bz2.BZ2Decompressor),
    _Format("lzma", b"\x5d\x00\x00", lambda: lzma.LZMADecompressor(format=lzma.FORMAT_ALONE)),
)


@dataclass(frozen=True)
class Salvaged:
    format: str
    output: Path
    consumed: int  # input bytes read before the stream broke off
    produced: int
    reason: str  # why the stream stopped


def salvage(target: Path, outdir: Path, limits: Limits) -> Salvaged | None:
    """Decompress the longest readable prefix of ``target`` if it starts a compressed stream."""
    with open(target, "rb") as source:
        head = source.read(16)
    kind = next((f for f in _FORMATS if head.startswith(f.magic)), None)
    if kind is None:
        return None
    outdir.mkdir(parents=True, exist_ok=True)
    output = outdir / f"{target.name}.{kind.name}-salvaged"
    decompressor = kind.make()
    consumed = produced = 0
    reason = "the stream ends without its end marker (truncated)"
    with open(target, "rb") as source, open(output, "wb") as sink:
        while chunk := source.read(_CHUNK):
            try:
                data = decompressor.decompress(chunk, limits.max_unpacked_bytes - produced)
            except (OSError, EOFError, ValueError, lzma.LZMAError, zlib.error) as exc:
                reason = f"the stream is corrupt after this point ({exc})"
                break
            consumed += len(chunk)
            sink.write(data)
            produced += len(data)
            if produced >= limits.max_unpacked_bytes:
                reason = f"stopped at the unpacked-bytes limit ({limits.max_unpacked_bytes})"
                break
    if produced == 0:
        output.unlink(missing_ok=True)
        return None
    return Salvaged(kind.name, output, consumed, produced, reason)
