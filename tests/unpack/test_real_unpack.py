"""Real vendor images (../shared/real): each unpacks, with the facts its README records."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from corpus import OPENWRT, REAL, openwrt_manifest
from iotvet.model import Layer
from iotvet.unpack.interface import UnpackResult

FIRMWARE = REAL / "firmware"

Unpacked = Callable[[Path], UnpackResult]


def _flat(layers: list[Layer]) -> list[Layer]:
    out: list[Layer] = []
    for layer in layers:
        out.append(layer)
        out.extend(_flat(layer.children))
    return out


def _busybox_version(result: UnpackResult) -> str:
    root = result.roots[0]
    data = root.read_bytes("/bin/busybox")
    assert data, "no /bin/busybox"
    match = re.search(rb"BusyBox v(\d+\.\d+(?:\.\d+)?)", data)
    assert match
    return match.group(1).decode()


def _python_fallback_layer(result: UnpackResult, fmt: str) -> Layer:
    layer = next(x for x in _flat(result.layers) if x.format == fmt and x.role == "rootfs")
    return layer


def test_tplink_vendor_lzma_squashfs_kernel_and_bootloader(unpacked: Unpacked) -> None:
    result = unpacked(FIRMWARE / "tplink_wr940nv4_us_3_16_9_up_boot_160617.bin")
    assert [r.kind for r in result.roots] == ["rootfs"]
    assert _busybox_version(result) == "1.01"
    squashfs = _python_fallback_layer(result, "squashfs_v4_le")
    # Stock unsquashfs cannot read the vendor LZMA variant: the Python reader did it.
    assert squashfs.info["extractor"] == "iotvet-python"  # type: ignore[attr-defined]
    assert squashfs.info["codec"] == "lzma-raw"  # type: ignore[attr-defined]
    kernels = [k for k in result.kernel_images if k.kind == "kernel"]
    assert [k.os for k in kernels] == ["linux"]
    assert kernels[0].version.startswith("2.6.")
    assert result.kernels == [kernels[0].path]
    assert b"Linux version " + kernels[0].version.encode() in kernels[0].path.read_bytes()
    roles = {x.role for x in _flat(result.layers)}
    assert {"kernel", "rootfs", "bootloader"} <= roles
    assert any(x.format == "uimage" for x in _flat(result.layers))


def test_binwalk_vendor_lzma_squashfs(unpacked: Unpacked) -> None:
    result = unpacked(FIRMWARE / "binwalk_v2_firmware.squashfs")
    root = result.roots[0]
    assert root.kind == "rootfs"
    assert sum(1 for e in root.entries.values() if e.is_file) == 1476
    assert _busybox_version(result) == "1.14.1"
    assert _python_fallback_layer(result, "squashfs_v4_le").info["codec"] == "lzma-raw"  # type: ignore[attr-defined]


def test_big_endian_squashfs_v2_broadcom(unpacked: Unpacked) -> None:
    result = unpacked(FIRMWARE / "binwalk_squashfs_v2.bin")
    root = result.roots[0]
    assert root.kind == "rootfs"
    for program in ("cfm", "adslctl", "udhcpd", "racoon"):
        hits = [p for p in root.entries if p.rsplit("/", 1)[-1] == program]
        assert hits, program
        assert (root.read_bytes(hits[0]) or b"")[:4] == b"\x7fELF"
    layer = _python_fallback_layer(result, "squashfs_v2")
    assert layer.info["extractor"] == "iotvet-python"  # type: ignore[attr-defined]


def test_openwrt_rootfs_matches_its_manifest(unpacked: Unpacked) -> None:
    result = unpacked(OPENWRT)
    root = result.roots[0]
    assert root.kind == "rootfs"
    status = root.read_text("/usr/lib/opkg/status")
    assert status
    installed = dict(re.findall(r"^Package: (\S+)\n(?:.+\n)*?Version: (\S+)", status, re.M))
    expected = openwrt_manifest()
    expected.pop("kernel")  # the kernel is not part of the root file system image
    missing = {n: v for n, v in expected.items() if installed.get(n) != v}
    assert not missing, missing
    assert _busybox_version(result) == "1.35.0"
    assert root.entry("/bin/busybox") is not None


def test_uboot_image_layers(unpacked: Unpacked) -> None:
    result = unpacked(FIRMWARE / "fe_uboot.image_with_header")
    flat = _flat(result.layers)
    uimage = result.layers[0]
    assert uimage.format == "uimage" and uimage.offset == 0
    assert uimage.info["os"] == "linux" and uimage.info["compression"] == "lzma"  # type: ignore[attr-defined]
    assert [c.format for c in uimage.children] == ["lzma"]
    boot = [k for k in result.kernel_images if k.kind == "bootloader"]
    assert [(k.os, k.version) for k in boot] == [("u-boot", "1.1.4")]
    # The second LZMA stream (the kernel) is cut short in this sample: reported, not dropped.
    truncated = [x for x in flat if x.format == "lzma" and getattr(x, "errors", None)]
    assert truncated
    assert any("lzma" in s.path and "end of data" in s.reason.lower() for s in result.skipped)


def test_vxworks_image_kernel_identified(unpacked: Unpacked) -> None:
    result = unpacked(FIRMWARE / "fe_wr.fw")
    assert result.kernel_images
    assert {k.os for k in result.kernel_images} == {"vxworks"}
    assert {k.version for k in result.kernel_images} == {"5.5.1"}
    assert result.kernels
    # Not a Linux root file system: the unpacked content is offered as one "extracted" tree.
    assert [r.kind for r in result.roots] == ["extracted"]
    unknown = [x for x in _flat(result.layers) if x.format == "unknown"]
    assert unknown and all(x.entropy is not None for x in unknown)
    assert all(s.stage == "unpack" for s in result.skipped)
