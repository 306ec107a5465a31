"""Decide, cheaply and in the main process, what unblob should look at inside a root file system.

unblob by default scans every file of every tree it extracts. Inside a root file system that is
mostly wasted: ELF programs, scripts and configuration are what the analysis stages read directly,
and scanning them makes unblob carve false-positive chunks (a zlib stream inside a binary)
and create ``NAME_extract`` directories in the middle of the device's tree. The deliberate choice
here: inside a root file system, unblob only gets the files that *start* like a container
(compressed stream, archive, file-system image, boot image) or whose name says kernel/initrd; the
rest of the tree is walked by unblob (cheap) but not scanned. The first 512 bytes of each file
are read to decide — nothing more. The signatures are generic format magics, not vendor lists.
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

# (offset, magic) — file formats that hold further files or a kernel.
CONTAINER_MAGICS: tuple[tuple[int, bytes], ...] = (
    (0, b"\x1f\x8b"),  # gzip
    (0, b"\xfd7zXZ\x00"),  # xz
    (0, b"BZh"),  # bzip2
    (0, b"\x28\xb5\x2f\xfd"),  # zstd
    (0, b"\x04\x22\x4d\x18"),  # lz4 frame
    (0, b"\x02\x21\x4c\x18"),  # lz4 legacy
    (0, b"\x89LZO\x00"),  # lzop
    (0, b"LZIP"),  # lzip
    (0, b"\x5d\x00\x00"),  # lzma alone, default properties
    (0, b"PK\x03\x04"),  # zip
    (0, b"7z\xbc\xaf\x27\x1c"),  # 7z
    (0, b"Rar!\x1a\x07"),  # rar
    (257, b"ustar"),  # tar
    (0, b"070701"),  # cpio newc
    (0, b"070702"),  # cpio crc
    (0, b"070707"),  # cpio odc
    (0, b"\xc7\x71"),  # cpio binary LE
    (0, b"\x71\xc7"),  # cpio binary BE
    (0, b"!<arch>\n"),  # ar (deb, ipk)
    (0, b"hsqs"),  # squashfs LE
    (0, b"sqsh"),  # squashfs BE
    (0, b"\x45\x3d\xcd\x28"),  # cramfs LE
    (0, b"\x28\xcd\x3d\x45"),  # cramfs BE
    (0, b"\x85\x19"),  # jffs2 LE
    (0, b"\x19\x85"),  # jffs2 BE
    (0, b"UBI#"),  # ubi
    (0, b"\x31\x18\x10\x06"),  # ubifs
    (0, b"-rom1fs-"),  # romfs
    (1024, b"\xe2\xe1\xf5\xe0"),  # erofs
    (1080, b"\x53\xef"),  # ext2/3/4 superblock magic
    (0, b"\x27\x05\x19\x56"),  # U-Boot uImage
    (0, b"\xd0\x0d\xfe\xed"),  # flattened device tree / FIT image
    (0, b"HDR0"),  # TRX
    (0, b"ANDROID!"),  # android boot image
)
_HEAD = 1088

KERNEL_NAME = re.compile(rb"^(vmlinu[xz]|[bzu]?Image|uImage|zImage|initrd|initramfs|kernel)", re.I)


def is_container_candidate(path: Path) -> bool:
    """True when unblob should scan this file of a root file system."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISREG(st.st_mode) or st.st_size < 64:
        return False
    if KERNEL_NAME.match(os.fsencode(path.name)):
        return True
    try:
        with open(path, "rb") as handle:
            head = handle.read(_HEAD)
    except OSError:
        return False
    return any(head[offset : offset + len(magic)] == magic for offset, magic in CONTAINER_MAGICS)
