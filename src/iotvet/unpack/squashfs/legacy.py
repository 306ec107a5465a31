"""Reader for SquashFS 2.x and 3.x images (both byte orders) with any block codec.

No maintained Python library reads these old layouts (PySquashfsImage and dissect.squashfs read
4.0 only), and stock ``unsquashfs`` reads them only when the blocks are zlib — which is exactly
what the Broadcom/TP-Link SDKs of that era replaced with raw LZMA. The on-disk layout follows
squashfs-tools' ``squashfs_compat.h`` (GPL; only the layout facts are used here): structures are
packed bitfields, filled from the least significant bit in little-endian images and from the
most significant bit in big-endian ones.
"""

from __future__ import annotations

import mmap
import os
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache, partial
from pathlib import Path

from .codecs import BlockDecompressor
from .tree import Entry

METADATA_SIZE = 8192
INVALID_FRAG = 0xFFFFFFFF
_COMPRESSED_BIT_BLOCK = 1 << 24
_MAX_DEPTH = 256

# inode types of squashfs 1-3 (squashfs_fs.h)
_DIR, _FILE, _SYMLINK, _BLKDEV, _CHRDEV, _FIFO, _SOCKET, _LDIR, _LREG = range(1, 10)
_TYPE_BITS = {
    _DIR: stat.S_IFDIR,
    _LDIR: stat.S_IFDIR,
    _FILE: stat.S_IFREG,
    _LREG: stat.S_IFREG,
    _SYMLINK: stat.S_IFLNK,
    _BLKDEV: stat.S_IFBLK,
    _CHRDEV: stat.S_IFCHR,
    _FIFO: stat.S_IFIFO,
    _SOCKET: stat.S_IFSOCK,
}

Fields = tuple[tuple[str, int], ...]

SUPER_BLOCK: Fields = (
    ("s_magic", 32), ("inodes", 32), ("bytes_used_2", 32), ("uid_start_2", 32),
    ("guid_start_2", 32), ("inode_table_start_2", 32), ("directory_table_start_2", 32),
    ("s_major", 16), ("s_minor", 16), ("block_size_1", 16), ("block_log", 16), ("flags", 8),
    ("no_uids", 8), ("no_guids", 8), ("mkfs_time", 32), ("root_inode", 64), ("block_size", 32),
    ("fragments", 32), ("fragment_table_start_2", 32), ("bytes_used", 64), ("uid_start", 64),
    ("guid_start", 64), ("inode_table_start", 64), ("directory_table_start", 64),
    ("fragment_table_start", 64), ("lookup_table_start", 64),
)  # fmt: skip

_BASE2: Fields = (("inode_type", 4), ("mode", 12), ("uid", 8), ("guid", 8))
_BASE3: Fields = (*_BASE2, ("mtime", 32), ("inode_number", 32))

INODES: dict[int, dict[int, Fields]] = {
    2: {
        _DIR: (*_BASE2, ("file_size", 19), ("offset", 13), ("mtime", 32), ("start_block", 24)),
        _LDIR: (*_BASE2, ("file_size", 27), ("offset", 13), ("mtime", 32), ("start_block", 24),
                ("i_count", 16)),
        _FILE: (*_BASE2, ("mtime", 32), ("start_block", 32), ("fragment", 32), ("offset", 32),
                ("file_size", 32)),
        _SYMLINK: (*_BASE2, ("symlink_size", 16)),
        _BLKDEV: (*_BASE2, ("rdev", 16)),
        _CHRDEV: (*_BASE2, ("rdev", 16)),
        _FIFO: _BASE2,
        _SOCKET: _BASE2,
    },
    3: {
        _DIR: (*_BASE3, ("nlink", 32), ("file_size", 19), ("offset", 13), ("start_block", 32),
               ("parent_inode", 32)),
        _LDIR: (*_BASE3, ("nlink", 32), ("file_size", 27), ("offset", 13), ("start_block", 32),
                ("i_count", 16), ("parent_inode", 32)),
        _FILE: (*_BASE3, ("start_block", 64), ("fragment", 32), ("offset", 32),
                ("file_size", 32)),
        _LREG: (*_BASE3, ("nlink", 32), ("start_block", 64), ("fragment", 32), ("offset", 32),
                ("file_size", 64)),
        _SYMLINK: (*_BASE3, ("nlink", 32), ("symlink_size", 16)),
        _BLKDEV: (*_BASE3, ("nlink", 32), ("rdev", 16)),
        _CHRDEV: (*_BASE3, ("nlink", 32), ("rdev", 16)),
        _FIFO: (*_BASE3, ("nlink", 32)),
        _SOCKET: (*_BASE3, ("nlink", 32)),
    },
}  # fmt: skip

DIR_HEADER: dict[int, Fields] = {
    2: (("count", 8), ("start_block", 24)),
    3: (("count", 8), ("start_block", 32), ("inode_number", 32)),
}
DIR_ENTRY: dict[int, Fields] = {
    2: (("offset", 13), ("type", 3), ("size", 8)),
    3: (("offset", 13), ("type", 3), ("size", 8), ("inode_number", 16)),
}
FRAGMENT_ENTRY: dict[int, Fields] = {
    2: (("start_block", 32), ("size", 32)),
    3: (("start_block", 64), ("size", 32), ("pending", 32)),
}


class CorruptImage(ValueError):
    """The image contradicts its own structure."""


def size_of(fields: Fields) -> int:
    return (sum(bits for _, bits in fields) + 7) // 8


def unpack_bits(fields: Fields, data: bytes, big_endian: bool) -> dict[str, int]:
    """Decode a packed bitfield structure the way GCC lays it out for the image's byte order."""
    nbytes = size_of(fields)
    if len(data) < nbytes:
        raise CorruptImage("structure truncated")
    out: dict[str, int] = {}
    if big_endian:
        value = int.from_bytes(data[:nbytes], "big")
        pos = nbytes * 8
        for name, bits in fields:
            pos -= bits
            out[name] = (value >> pos) & ((1 << bits) - 1)
    else:
        value = int.from_bytes(data[:nbytes], "little")
        pos = 0
        for name, bits in fields:
            out[name] = (value >> pos) & ((1 << bits) - 1)
            pos += bits
    return out


@dataclass(frozen=True)
class Inode:
    kind: int
    fields: dict[str, int]
    next_block: int  # metadata position right after the inode structure (block list follows)
    next_offset: int


class LegacySquashFS:
    """A squashfs 2.x/3.x image opened read-only; ``entries()`` walks it depth first."""

    def __init__(self, path: Path, big_endian: bool | None = None) -> None:
        self._file = path.open("rb")
        try:
            self._map = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ)
        except ValueError as exc:  # empty file
            self._file.close()
            raise CorruptImage("empty image") from exc
        # Vendor variants change the magic (DD-WRT "tqsh", Broadcom "qshs" …): the caller that
        # matched the variant passes the byte order; otherwise the standard magic tells it.
        magic = bytes(self._map[:4])
        if big_endian is None and magic not in (b"sqsh", b"hsqs"):
            self.close()
            raise CorruptImage("not a squashfs image")
        self.big_endian = magic == b"sqsh" if big_endian is None else big_endian
        sb = unpack_bits(SUPER_BLOCK, bytes(self._map[: size_of(SUPER_BLOCK)]), self.big_endian)
        self.major = sb["s_major"]
        if self.major not in (2, 3):
            self.close()
            raise CorruptImage(f"squashfs {self.major}.x is not a 2.x/3.x image")
        self.flags = sb["flags"]
        self.block_size = sb["block_size"]
        self.block_log = sb["block_log"]
        if not 4096 <= self.block_size <= 1 << 20 or 1 << self.block_log != self.block_size:
            self.close()
            raise CorruptImage("implausible block size")
        suffix = "" if self.major == 3 else "_2"
        self.inode_table = sb["inode_table_start" + suffix]
        self.directory_table = sb["directory_table_start" + suffix]
        self.fragment_table = sb["fragment_table_start" + suffix]
        self.fragments = sb["fragments"]
        self.root_inode = sb["root_inode"]
        self.check_data = bool(self.flags & (1 << 2))
        self.decompress = BlockDecompressor("zlib")  # 2.x/3.x declare no codec: zlib by spec
        self._metadata = lru_cache(maxsize=4096)(self._metadata_block)
        self._fragment_entries = self._read_fragment_table()

    @property
    def codec(self) -> str | None:
        return self.decompress.used

    def close(self) -> None:
        self._map.close()
        self._file.close()

    def __enter__(self) -> LegacySquashFS:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    # -- low level -----------------------------------------------------------------------------
    def _int(self, data: bytes) -> int:
        return int.from_bytes(data, "big" if self.big_endian else "little")

    def _bytes(self, start: int, length: int) -> bytes:
        if start < 0 or length < 0 or start + length > len(self._map):
            raise CorruptImage("reference outside the image")
        return bytes(self._map[start : start + length])

    def _metadata_block(self, position: int) -> tuple[bytes, int]:
        header = self._int(self._bytes(position, 2))
        size = header & 0x7FFF
        start = position + 2 + (1 if self.check_data else 0)
        raw = self._bytes(start, size)
        data = raw if header & 0x8000 else self.decompress(raw, METADATA_SIZE)
        return data, start + size

    def _read_metadata(
        self, table: int, block: int, offset: int, length: int
    ) -> tuple[bytes, int, int]:
        """``length`` bytes at (block, offset) of a metadata table; returns the next position."""
        chunks = []
        while length > 0:
            data, next_position = self._metadata(table + block)
            if offset > len(data):
                raise CorruptImage("metadata offset beyond block")
            piece = data[offset : offset + length]
            chunks.append(piece)
            length -= len(piece)
            offset += len(piece)
            if offset >= len(data):
                block, offset = next_position - table, 0
            if not piece and length > 0:
                raise CorruptImage("empty metadata block")
        return b"".join(chunks), block, offset

    def _read_fragment_table(self) -> list[dict[str, int]]:
        if not self.fragments:
            return []
        entry_fields = FRAGMENT_ENTRY[self.major]
        entry_size = size_of(entry_fields)
        total = self.fragments * entry_size
        if self.fragments > 1 << 24:
            raise CorruptImage("implausible fragment count")
        index_width = 4 if self.major == 2 else 8
        count = (total + METADATA_SIZE - 1) // METADATA_SIZE
        raw_index = self._bytes(self.fragment_table, count * index_width)
        table = b""
        for i in range(count):
            position = self._int(raw_index[i * index_width : (i + 1) * index_width])
            table += self._metadata(position)[0]
        return [
            unpack_bits(entry_fields, table[i * entry_size :], self.big_endian)
            for i in range(self.fragments)
        ]

    def _data_block(self, start: int, size_field: int, expected: int) -> bytes:
        size = size_field & ~_COMPRESSED_BIT_BLOCK
        raw = self._bytes(start, size)
        if size_field & _COMPRESSED_BIT_BLOCK:
            return raw
        return self.decompress(raw, expected)

    # -- inodes and directories ----------------------------------------------------------------
    def _inode(self, reference: int) -> Inode:
        block, offset = reference >> 16, reference & 0xFFFF
        base_fields = INODES[self.major][_FIFO]
        base, _, _ = self._read_metadata(self.inode_table, block, offset, size_of(base_fields))
        kind = unpack_bits(base_fields, base, self.big_endian)["inode_type"]
        fields = INODES[self.major].get(kind)
        if fields is None:
            raise CorruptImage(f"unknown inode type {kind}")
        data, nblock, noffset = self._read_metadata(
            self.inode_table, block, offset, size_of(fields)
        )
        return Inode(kind, unpack_bits(fields, data, self.big_endian), nblock, noffset)

    def _listing(self, inode: Inode) -> Iterator[tuple[bytes, int]]:
        size = inode.fields["file_size"] - (3 if self.major == 3 else 0)
        block, offset = inode.fields["start_block"], inode.fields["offset"]
        header_fields, entry_fields = DIR_HEADER[self.major], DIR_ENTRY[self.major]
        read = 0
        while read < size:
            raw, block, offset = self._read_metadata(
                self.directory_table, block, offset, size_of(header_fields)
            )
            header = unpack_bits(header_fields, raw, self.big_endian)
            read += len(raw)
            for _ in range(header["count"] + 1):
                raw, block, offset = self._read_metadata(
                    self.directory_table, block, offset, size_of(entry_fields)
                )
                entry = unpack_bits(entry_fields, raw, self.big_endian)
                name, block, offset = self._read_metadata(
                    self.directory_table, block, offset, entry["size"] + 1
                )
                read += len(raw) + len(name)
                yield name, (header["start_block"] << 16) | entry["offset"]

    def _file_chunks(self, inode: Inode) -> Iterator[bytes]:
        fields = inode.fields
        file_size = fields["file_size"]
        fragment = fields["fragment"]
        if fragment == INVALID_FRAG:
            blocks = (file_size + self.block_size - 1) >> self.block_log
            fragment_bytes = 0
        else:
            blocks = file_size >> self.block_log
            fragment_bytes = file_size % self.block_size
        raw_list, _, _ = self._read_metadata(
            self.inode_table, inode.next_block, inode.next_offset, blocks * 4
        )
        position = fields["start_block"]
        remaining = file_size
        for i in range(blocks):
            size_field = self._int(raw_list[i * 4 : i * 4 + 4])
            expected = min(self.block_size, remaining)
            if size_field == 0:
                chunk = b"\0" * expected
            else:
                chunk = self._data_block(position, size_field, expected)[:expected]
                position += size_field & ~_COMPRESSED_BIT_BLOCK
            remaining -= len(chunk)
            yield chunk
        if fragment_bytes:
            if fragment >= len(self._fragment_entries):
                raise CorruptImage("fragment index out of range")
            entry = self._fragment_entries[fragment]
            data = self._data_block(entry["start_block"], entry["size"], self.block_size)
            yield data[fields["offset"] : fields["offset"] + fragment_bytes]

    def _symlink_target(self, inode: Inode) -> bytes:
        target, _, _ = self._read_metadata(
            self.inode_table, inode.next_block, inode.next_offset, inode.fields["symlink_size"]
        )
        return target

    def entries(self) -> Iterator[Entry]:
        """Every entry below the root, parents before children."""
        root = self._inode(self.root_inode)
        if root.kind not in (_DIR, _LDIR):
            raise CorruptImage("root inode is not a directory")
        stack: list[tuple[tuple[bytes, ...], Inode]] = [((), root)]
        seen = {self.root_inode}
        while stack:
            parts, directory = stack.pop()
            if len(parts) > _MAX_DEPTH:
                continue
            for name, reference in self._listing(directory):
                inode = self._inode(reference)
                child = (*parts, name)
                mode = _TYPE_BITS[inode.kind] | inode.fields["mode"]
                if inode.kind in (_DIR, _LDIR):
                    yield Entry(child, mode)
                    if reference not in seen:
                        seen.add(reference)
                        stack.append((child, inode))
                elif inode.kind in (_FILE, _LREG):
                    yield Entry(child, mode, data=partial(self._file_chunks, inode))
                elif inode.kind == _SYMLINK:
                    yield Entry(child, mode, target=self._symlink_target(inode))
                elif inode.kind in (_BLKDEV, _CHRDEV):
                    rdev = inode.fields["rdev"]
                    yield Entry(child, mode, rdev=os.makedev((rdev >> 8) & 0xFF, rdev & 0xFF))
                else:
                    yield Entry(child, mode)
