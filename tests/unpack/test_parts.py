"""The pieces of the unpack stage, on small generated inputs."""

from __future__ import annotations

import lzma
import shutil
import stat
import tarfile
import zlib
from pathlib import Path

import lz4.block
import pytest
import pyzstd
import yaml
from lzallright import LZOCompressor
from unpack_inputs import entry, gzip_bytes, rootfs_members, tar_bytes, uimage, write

from iotvet.limits import Limits
from iotvet.unpack import unpack
from iotvet.unpack.kernels import _SIGNATURES, scan_buffer
from iotvet.unpack.roots import find_roots_below, looks_like_root
from iotvet.unpack.squashfs.codecs import BlockDecompressor, CorruptBlock
from iotvet.unpack.squashfs.legacy import unpack_bits
from iotvet.unpack.squashfs.tree import Entry, TreeWriter
from iotvet.unpack.triage import is_container_candidate

TEXT = b"firmware block " * 600


def _vendor_lzma(data: bytes, lc: int = 1, lp: int = 2, pb: int = 2) -> bytes:
    """Raw LZMA1 with the 5-byte properties header and no size field (the vendor variant)."""
    dict_size = 1 << 20
    filters = [{"id": lzma.FILTER_LZMA1, "lc": lc, "lp": lp, "pb": pb, "dict_size": dict_size}]
    props = bytes([(pb * 5 + lp) * 9 + lc]) + dict_size.to_bytes(4, "little")
    return props + lzma.compress(data, format=lzma.FORMAT_RAW, filters=filters)


@pytest.mark.parametrize(
    ("declared", "payload"),
    [
        ("lzma", _vendor_lzma(TEXT)),
        ("lzma", lzma.compress(TEXT, format=lzma.FORMAT_ALONE)),
        ("xz", lzma.compress(TEXT)),
        ("zlib", zlib.compress(TEXT)),
        ("zlib", _vendor_lzma(TEXT, lc=3, lp=0, pb=2)),  # squashfs 2.x: declares zlib, holds LZMA
        ("lzo", LZOCompressor().compress(TEXT)),
        ("lz4", lz4.block.compress(TEXT, store_size=False)),
        ("zstd", pyzstd.compress(TEXT)),
    ],
)
def test_block_decompressor_variants(declared: str, payload: bytes) -> None:
    decompress = BlockDecompressor(declared)
    assert decompress(payload, len(TEXT)) == TEXT
    assert decompress.used is not None


def test_block_decompressor_bounds_output_and_rejects_garbage() -> None:
    decompress = BlockDecompressor("lzma")
    assert len(decompress(_vendor_lzma(TEXT), 100)) == 100
    with pytest.raises(CorruptBlock):
        decompress(b"\x00garbage-that-is-no-stream" * 4, 4096)


def test_bitfields_follow_the_byte_order() -> None:
    fields = (("type", 4), ("mode", 12), ("uid", 8), ("gid", 8))
    # type=2, mode=0o755, uid=1, gid=3
    little = (2 | 0o755 << 4 | 1 << 16 | 3 << 24).to_bytes(4, "little")
    big = (2 << 28 | 0o755 << 16 | 1 << 8 | 3).to_bytes(4, "big")
    expected = {"type": 2, "mode": 0o755, "uid": 1, "gid": 3}
    assert unpack_bits(fields, little, big_endian=False) == expected
    assert unpack_bits(fields, big, big_endian=True) == expected


def test_tree_writer_refuses_unsafe_names_and_stops_at_budget(tmp_path: Path) -> None:
    out = tmp_path / "out"
    entries = [
        Entry((b"..",), stat.S_IFREG | 0o644, data=lambda: [b"x"]),
        Entry((b"link",), stat.S_IFLNK | 0o777, target=str(tmp_path).encode()),
        Entry((b"link", b"through.txt"), stat.S_IFREG | 0o644, data=lambda: [b"x"]),
        Entry((b"ok",), stat.S_IFREG | 0o4755, data=lambda: [b"abc"]),
        Entry((b"big",), stat.S_IFREG | 0o644, data=lambda: [b"y" * 100]),
    ]
    writer = TreeWriter(out, max_bytes=50, max_files=100)
    with pytest.raises(Exception, match="max unpacked bytes"):
        writer.write_all(iter(entries))
    assert not (tmp_path / "through.txt").exists()
    assert stat.S_IMODE((out / "ok").stat().st_mode) == 0o4755
    assert (out / "big").stat().st_size == 47  # partial, exactly at the budget
    assert {p for p, _ in writer.stats.skipped} == {"/..", "/link/through.txt"}


def test_boot_signature_test_vectors() -> None:
    data = yaml.safe_load(_SIGNATURES.read_text())
    for signature in data["signatures"]:
        assert signature["source"]
        for vector in signature["test_vectors"]:
            blob = b"\x00junk\x00" + vector["text"].encode("latin-1") + b"\x00tail"
            found = {(s.id, version) for s, version, _ in scan_buffer(blob, len(blob))}
            assert (signature["id"], vector["version"]) in found, vector


def test_triage_picks_containers_only(tmp_path: Path) -> None:
    elf = write(tmp_path / "prog", b"\x7fELF" + b"\x01" * 200)
    gz = write(tmp_path / "data.bin", gzip_bytes(b"z" * 1000) + b"\0" * 64)
    kernel = write(tmp_path / "vmlinuz-5.10", b"\x01" * 100)
    text = write(tmp_path / "config", b"option a b\n" * 20)
    assert [is_container_candidate(p) for p in (elf, gz, kernel, text)] == [
        False,
        True,
        True,
        False,
    ]


def test_root_shapes(tmp_path: Path) -> None:
    for name in ("etc", "bin", "usr"):
        (tmp_path / "fw" / "squashfs-root" / name).mkdir(parents=True)
    (tmp_path / "fw" / "docs" / "etc").mkdir(parents=True)  # etc alone is not a root
    assert looks_like_root(tmp_path / "fw" / "squashfs-root")
    assert not looks_like_root(tmp_path / "fw" / "docs")
    assert find_roots_below(tmp_path) == [tmp_path / "fw" / "squashfs-root"]


def test_directory_target_finds_the_root_below(tmp_path: Path) -> None:
    for name in ("etc", "bin", "lib"):
        (tmp_path / "extracted" / "squashfs-root" / name).mkdir(parents=True)
    write(tmp_path / "extracted" / "squashfs-root" / "etc" / "passwd", b"root:x:0:0::/:/bin/sh\n")
    result = unpack(tmp_path / "extracted", tmp_path / "work", Limits())
    assert [r.root for r in result.roots] == [tmp_path / "extracted" / "squashfs-root"]
    assert result.roots[0].exists("/etc/passwd")
    plain = unpack(tmp_path / "extracted" / "squashfs-root" / "etc", tmp_path / "w2", Limits())
    assert [r.kind for r in plain.roots] == ["directory"]


def test_single_binary_and_script_become_binary_roots(tmp_path: Path) -> None:
    elf = Path(shutil.which("true") or "/bin/true")
    result = unpack(elf, tmp_path / "work", Limits())
    assert [r.kind for r in result.roots] == ["binary"]
    assert result.roots[0].read_bytes("/" + elf.name) == elf.read_bytes()
    assert result.layers[0].format.startswith("elf")
    script = write(tmp_path / "update.sh", b"#!/bin/sh\nwget http://example/fw.bin\n")
    result = unpack(script, tmp_path / "w2", Limits())
    assert [r.kind for r in result.roots] == ["binary"]
    assert result.roots[0].read_text("/update.sh", 100) == script.read_text()


def test_uimage_header_and_payload(tmp_path: Path) -> None:
    payload = gzip_bytes(b"Linux version 4.14.0 (b@h) (gcc version 8.0) #1 SMP\n" + b"\0" * 70000)
    image = write(tmp_path / "kernel.uimg", uimage(payload))
    result = unpack(image, tmp_path / "work", Limits())
    top = result.layers[0]
    assert (top.format, top.offset, top.size) == ("uimage", 0, 64 + len(payload))
    assert top.info["image_type"] == "kernel" and top.info["arch"] == "arm"  # type: ignore[attr-defined]
    assert [c.format for c in top.children] == ["gzip"]
    assert [(k.os, k.version) for k in result.kernel_images] == [("linux", "4.14.0")]
    assert top.children[0].role == "kernel"
    bad = bytearray(uimage(payload))
    bad[8] ^= 0xFF  # header CRC no longer matches
    result = unpack(write(tmp_path / "bad.uimg", bytes(bad)), tmp_path / "w2", Limits())
    assert all(layer.format != "uimage" for layer in result.layers)


def test_nested_archives_leave_the_root_tree(tmp_path: Path) -> None:
    """A .tar.gz inside the root and an initramfs in /boot: both unpacked, neither mixed in."""
    web = gzip_bytes(tar_bytes([(entry("www/index.html"), b"<html>admin:admin</html>\n")]))
    initramfs_members = rootfs_members([(entry("init", mode=0o755), b"#!/bin/sh\n")])
    members = rootfs_members([
        (entry("usr/share/web.tar.gz"), web),
        (entry("boot", tarfile.DIRTYPE, 0o755), None),
        (entry("boot/initrd.img"), gzip_bytes(tar_bytes(initramfs_members))),
    ])  # fmt: skip
    image = write(tmp_path / "fw.tar", tar_bytes(members))
    result = unpack(image, tmp_path / "work", Limits())
    main = result.roots[0]
    assert main.kind == "rootfs"
    assert not [p for p in main.entries if p.endswith("_extract")]
    assert main.exists("/usr/share/web.tar.gz")
    assert len(result.roots) == 2  # the initramfs tree is a root of its own
    assert result.roots[1].exists("/init")
    layers = [c for c in result.layers[0].children if c.path == "/usr/share/web.tar.gz"]
    assert layers and layers[0].format == "gzip" and layers[0].extracted_to
    html = tmp_path / "work" / layers[0].extracted_to  # type: ignore[operator]
    assert list(html.rglob("index.html"))


def test_modes_survive_unblob_permission_widening(tmp_path: Path) -> None:
    members = rootfs_members([
        (entry("etc/shadow", mode=0o600), b"root:$1$x$y:1:0:99999:7:::\n"),
        (entry("bin/su", mode=0o4755), b"\x01" * 100),
        (entry("var", tarfile.DIRTYPE, 0o755), None),
        (entry("var/tmp", tarfile.DIRTYPE, 0o1777), None),
        (entry("root", tarfile.DIRTYPE, 0o700), None),
    ])  # fmt: skip
    result = unpack(write(tmp_path / "fw.tar", tar_bytes(members)), tmp_path / "work", Limits())
    root = result.roots[0]

    def mode(path: str) -> int:
        found = root.entry(path)
        assert found is not None, path
        return stat.S_IMODE(found.mode)

    assert (mode("/etc/shadow"), mode("/bin/su"), mode("/var/tmp"), mode("/root")) == (
        0o600,
        0o4755,
        0o1777,
        0o700,
    )
