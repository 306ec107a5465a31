"""Find kernels (and bootloaders) in unpacked images by the version strings they carry.

A decompressed Linux kernel always holds its banner ("Linux version X.Y.Z (builder) (compiler)
#1 …", init/version.c); VxWorks holds "WIND version"; U-Boot its "U-Boot X (date)" line. After
unblob has undone the compression layers, a byte search finds them. The strings live in
``boot_signatures.yaml`` with their sources and test vectors. Only files that can be kernels are
searched (layer outputs outside root file systems, kernel-named files, unknown regions), never a
whole tree.
"""

from __future__ import annotations

import mmap
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from ..datafiles import read_yaml

_SIGNATURES = Path(__file__).with_name("boot_signatures.yaml")
_WINDOW = 512


@dataclass(frozen=True)
class KernelImage:
    """A kernel or bootloader found in the unpacked tree."""

    path: Path  # host path of the (decompressed) image holding the string
    version: str  # "5.10.176"
    banner: str  # the matched string
    layer: str | None = None  # "format@offset" of the layer the image came out of
    os: str = "linux"
    kind: str = "kernel"  # "kernel" | "bootloader"


@dataclass(frozen=True)
class BootSignature:
    id: str
    os: str
    kind: str
    marker: bytes
    pattern: re.Pattern[bytes]
    version_pattern: re.Pattern[bytes] | None


@cache
def signatures() -> tuple[BootSignature, ...]:
    data = read_yaml(_SIGNATURES)
    return tuple(
        BootSignature(
            id=entry["id"],
            os=entry["os"],
            kind=entry["kind"],
            marker=entry["marker"].encode(),
            pattern=re.compile(entry["pattern"].encode()),
            version_pattern=re.compile(entry["version_pattern"].encode())
            if entry.get("version_pattern")
            else None,
        )
        for entry in data["signatures"]
    )


def scan_buffer(data: bytes | mmap.mmap, end: int) -> list[tuple[BootSignature, str, str]]:
    """(signature, version, matched text) for every signature found in ``data[:end]``."""
    found = []
    for signature in signatures():
        position = data.find(signature.marker, 0, end)
        while position != -1:
            match = signature.pattern.match(data, position, min(end, position + _WINDOW))
            if match:
                version = match.groupdict().get("version")
                if version is None and signature.version_pattern is not None:
                    release = signature.version_pattern.search(data, 0, end)
                    version = release.group("version").decode() if release else None
                elif version is not None:
                    version = version.decode()
                if version is None:
                    version = match.group(1).decode()
                text = match.group(0).decode("latin-1").strip()
                found.append((signature, version, text))
                break
            position = data.find(signature.marker, position + 1, end)
    return found


def scan_file(path: Path, max_bytes: int) -> list[tuple[BootSignature, str, str]]:
    """Signatures found in the first ``max_bytes`` of ``path`` (empty/unreadable: none)."""
    try:
        with (
            open(path, "rb") as handle,
            mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as m,
        ):
            return scan_buffer(m, min(len(m), max_bytes))
    except (OSError, ValueError):
        return []
