"""U-Boot legacy image (uImage) handler — unblob 26 ships none.

The 64-byte big-endian header (``include/image.h`` of U-Boot) names the payload's OS, CPU, type
(kernel, ramdisk, filesystem, multi-file …) and compression. The handler validates the header
CRC, carves header + payload, and writes the payload *as stored* (compressed or not): unblob's own
compression handlers then unpack it, so every codec U-Boot knows is covered without duplicating
them here. Multi-file images (type 4) are split into their sub-images. The header fields travel in
a ``LayerInfoReport`` so the layer tree can say "kernel" or "ramdisk" from the header itself.
"""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

from unblob.file_utils import Endian, File, InvalidInputFormat
from unblob.models import (
    ExtractError,
    Extractor,
    ExtractResult,
    HandlerDoc,
    HandlerType,
    HexString,
    Reference,
    StructHandler,
    ValidChunk,
)

from .reports import FallbackFailedReport, LayerInfoReport

HEADER_SIZE = 64
MAGIC = 0x27051956

# Values from U-Boot include/image.h (IH_OS_*, IH_ARCH_*, IH_TYPE_*, IH_COMP_*).
OS_NAMES = {1: "openbsd", 2: "netbsd", 3: "freebsd", 5: "linux", 17: "vxworks", 21: "u-boot",
            22: "rtems", 27: "qnx", 29: "arm-trusted-firmware", 32: "efi"}  # fmt: skip
ARCH_NAMES = {1: "alpha", 2: "arm", 3: "x86", 4: "ia64", 5: "mips", 6: "mips64", 7: "ppc",
              8: "s390", 9: "sh", 10: "sparc", 11: "sparc64", 12: "m68k", 15: "microblaze",
              16: "nios2", 17: "blackfin", 18: "avr32", 19: "st200", 20: "sandbox", 21: "nds32",
              22: "openrisc", 23: "arm64", 24: "arc", 25: "x86_64", 26: "xtensa",
              27: "riscv"}  # fmt: skip
TYPE_NAMES = {1: "standalone", 2: "kernel", 3: "ramdisk", 4: "multi", 5: "firmware", 6: "script",
              7: "filesystem", 8: "flat_dt", 14: "kernel_noload"}  # fmt: skip
COMP_NAMES = {0: "none", 1: "gzip", 2: "bzip2", 3: "lzma", 4: "lzo", 5: "lz4", 6: "zstd"}

_MAX_MULTI_IMAGES = 64


class UImageExtractor(Extractor):
    def extract(self, inpath: Path, outdir: Path) -> ExtractResult | None:
        with File.from_path(inpath) as file:
            header = bytes(file[:HEADER_SIZE])
            fields = _parse(header)
            payload_end = min(HEADER_SIZE + fields["size"], file.size())
            info = _describe(fields, header)
            if fields["type"] == 4:
                parts = _split_multi(file, payload_end)
                info["sub_images"] = len(parts)
            else:
                parts = [(HEADER_SIZE, payload_end)]
            if not parts:
                raise ExtractError(FallbackFailedReport(attempts=["uimage: empty multi image"]))
            outdir.mkdir(parents=True, exist_ok=True)
            for index, (start, end) in enumerate(parts):
                name = "payload" if len(parts) == 1 else f"image-{index}"
                (outdir / name).write_bytes(file[start:end])
        return ExtractResult(reports=[LayerInfoReport(info=info)])


def _parse(header: bytes) -> dict[str, int]:
    if len(header) < HEADER_SIZE:
        raise InvalidInputFormat("uImage header truncated")
    magic, hcrc, time, size, load, entry, dcrc, os_, arch, type_, comp = struct.unpack(
        ">7I4B", header[:32]
    )
    if magic != MAGIC:
        raise InvalidInputFormat("not a uImage")
    return {"hcrc": hcrc, "time": time, "size": size, "load": load, "entry": entry,
            "dcrc": dcrc, "os": os_, "arch": arch, "type": type_, "comp": comp}  # fmt: skip


def _describe(fields: dict[str, int], header: bytes) -> dict[str, str | int | bool]:
    name = header[32:64].split(b"\0", 1)[0].decode("latin-1")
    return {
        "name": name,
        "os": OS_NAMES.get(fields["os"], str(fields["os"])),
        "arch": ARCH_NAMES.get(fields["arch"], str(fields["arch"])),
        "image_type": TYPE_NAMES.get(fields["type"], str(fields["type"])),
        "compression": COMP_NAMES.get(fields["comp"], str(fields["comp"])),
        "data_size": fields["size"],
        "load_address": f"0x{fields['load']:08x}",
        "entry_point": f"0x{fields['entry']:08x}",
        "timestamp": fields["time"],
    }


def _split_multi(file: File, payload_end: int) -> list[tuple[int, int]]:
    """Sub-image ranges of a multi-file image: a 0-terminated size table, 4-byte aligned data."""
    sizes: list[int] = []
    position = HEADER_SIZE
    while len(sizes) < _MAX_MULTI_IMAGES and position + 4 <= payload_end:
        (size,) = struct.unpack(">I", file[position : position + 4])
        position += 4
        if size == 0:
            break
        sizes.append(size)
    parts = []
    for size in sizes:
        end = min(position + size, payload_end)
        if end > position:
            parts.append((position, end))
        position += (size + 3) & ~3
    return parts


class UImageHandler(StructHandler):
    NAME = "uimage"
    PATTERNS = [HexString("27 05 19 56")]  # noqa: RUF012  (unblob declares it a list)
    C_DEFINITIONS = r"""
        typedef struct uimage_header {
            uint32 magic;
            uint32 header_crc;
            uint32 time;
            uint32 size;
            uint32 load;
            uint32 entry;
            uint32 data_crc;
            uint8 os;
            uint8 arch;
            uint8 type;
            uint8 comp;
            char name[32];
        } uimage_header_t;
    """
    HEADER_STRUCT = "uimage_header_t"
    EXTRACTOR = UImageExtractor()
    DOC = HandlerDoc(
        name="U-Boot legacy image (uImage)",
        description="64-byte U-Boot header in front of a kernel, ramdisk, file system or "
        "multi-file payload.",
        handler_type=HandlerType.BOOTLOADER,
        vendor=None,
        references=[
            Reference(
                title="U-Boot include/image.h",
                url="https://source.denx.de/u-boot/u-boot/-/blob/master/include/image.h",
            )
        ],
        limitations=["payload data CRC is reported, not enforced"],
    )

    def calculate_chunk(self, file: File, start_offset: int) -> ValidChunk | None:
        header = self.parse_header(file, Endian.BIG)
        raw = bytearray(bytes(file[start_offset : start_offset + HEADER_SIZE]))
        if len(raw) < HEADER_SIZE:
            raise InvalidInputFormat("uImage header truncated")
        raw[4:8] = b"\0\0\0\0"
        if zlib.crc32(bytes(raw)) != header.header_crc:
            raise InvalidInputFormat("uImage header CRC mismatch")
        end = start_offset + HEADER_SIZE + header.size
        if end > file.size():
            raise InvalidInputFormat("uImage payload runs past the end of the file")
        return ValidChunk(start_offset=start_offset, end_offset=end)
