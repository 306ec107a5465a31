"""OS release files and kernel versions: hand-written trees, kernel bytes, and the corpus truth."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from corpus import CORPUS, OPENWRT, corpus_images, truth_of
from iotvet.context import ScanContext
from iotvet.inventory.osrelease import (
    IDENTIFIER,
    boot_components,
    kernel_component,
    parse_assignments,
    read_os_release,
)
from iotvet.limits import Limits
from iotvet.rootfs import RootFS
from iotvet.unpack.interface import UnpackResult
from iotvet.unpack.kernels import KernelImage
from trees import make_root


def test_parse_assignments_follows_shell_quoting() -> None:
    text = (
        "NAME=\"Foo Linux\"\nID=foo\n# comment\nVERSION='1.0 (x)'\nBAD LINE\n"
        'PRETTY_NAME="unterminated\nexport BUILD_ID=b1 # trailing\n=novalue\n'
    )
    assert parse_assignments(text) == {
        "NAME": "Foo Linux",
        "ID": "foo",
        "VERSION": "1.0 (x)",
        "PRETTY_NAME": "unterminated",
        "BUILD_ID": "b1",
    }


def test_os_release_wins_over_other_files(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/usr/lib/os-release": 'ID=debian\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
            'VERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\n',
            "/etc/debian_version": "12.5\n",
            "/etc/issue": "Debian GNU/Linux 12 \\n \\l\n\n",
        },
        links={"/etc/os-release": "../usr/lib/os-release"},
    )
    info = read_os_release(root)
    assert (info["id"], info["version_id"], info["version"], info["codename"]) == (
        "debian",
        "12",
        "12 (bookworm)",
        "bookworm",
    )
    assert info["debian_version"] == "12.5"
    assert info["issue"] == "Debian GNU/Linux 12"
    assert info["source"] == "/etc/os-release"
    assert info["sources"] == "/etc/os-release, /etc/debian_version, /etc/issue"  # read once


def test_openwrt_style_vendor_release_file(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/etc/example_release": "DISTRIB_ID='Example WRT'\nDISTRIB_RELEASE='4.2.1'\n"
            "DISTRIB_REVISION='r999-abc'\nDISTRIB_TARGET='ramips/mt7621'\n",
            "/etc/version": "4.2.1\n",
            "/etc/banner": "  ___\n |  Example Router XR9  |\n |  firmware 4.2.1  |\n",
        },
    )
    info = read_os_release(root)
    assert (info["id"], info["name"], info["version_id"], info["build_id"], info["target"]) == (
        "examplewrt",
        "Example WRT",
        "4.2.1",
        "r999-abc",
        "ramips/mt7621",
    )
    assert info["source"] == "/etc/example_release"
    [component] = IDENTIFIER.identify(root, ScanContext(roots=[root]))
    assert (component.name, component.version, component.type) == (
        "examplewrt",
        "4.2.1",
        "operating-system",
    )
    assert component.evidence[0].path == "/etc/example_release"


def test_version_file_and_banner_only(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/etc/version": "v2.0.7\n",
            "/etc/banner": " ______\n|  Vendor Cam 200  |\n|  firmware 2.0.7  |\n|______|\n",
        },
    )
    info = read_os_release(root)
    assert (info["version_id"], info["source"]) == ("2.0.7", "/etc/version")
    assert info["banner"] == "Vendor Cam 200 / firmware 2.0.7"
    assert "id" not in info
    assert IDENTIFIER.identify(root, ScanContext(roots=[root])) == []  # no distribution named


def test_banner_version_and_alpine_release(tmp_path: Path) -> None:
    openwrt = make_root(
        tmp_path / "o",
        {
            "/etc/banner": (
                "  _______                     ________        __\n"
                " |       |.-----.-----.-----.|  |  |  |.----.|  |_\n"
                " -----------------------------------------------------\n"
                " OpenWrt 22.03.4, r20134-5f15225c1e\n"
                " -----------------------------------------------------\n"
            )
        },
    )
    assert read_os_release(openwrt)["version_id"] == "22.03.4"
    alpine = make_root(tmp_path / "a", {"/etc/alpine-release": "3.19.1\n"})
    info = read_os_release(alpine)
    assert (info["id"], info["version_id"]) == ("alpine", "3.19.1")


def test_release_files_with_binary_junk(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/etc/os-release": b'\x00\xff\xfeID=\xff\x00\nVERSION_ID="1\n\x00\x00',
            "/etc/version": bytes(range(256)),
            "/etc/lsb-release/": "",  # a directory where a file is expected
        },
    )
    info = read_os_release(root)  # must not raise
    assert info.get("version") is None  # /etc/version is binary: no version from it
    assert info["version_id"] == "1"  # the readable line of os-release, unterminated quote


def test_kernel_modules_directories(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/lib/modules/6.1.0-18-armmp/modules.dep": "",
            "/lib/modules/5.10.176/": "",
            "/lib/modules/not-a-kernel/": "",
            "/lib/modules/modules.conf": "",
        },
    )
    kernels = {c.version: c for c in IDENTIFIER.identify(root, ScanContext(roots=[root]))}
    assert set(kernels) == {"6.1.0", "5.10.176"}
    assert kernels["6.1.0"].name == "linux"
    assert kernels["6.1.0"].evidence[0].path == "/lib/modules/6.1.0-18-armmp"
    assert kernels["6.1.0"].evidence[0].detail == "kernel release 6.1.0-18-armmp"


BANNER = (
    b"Linux version 5.10.176 (builder@buildhost) (mips-openwrt-linux-musl-gcc (OpenWrt GCC "
    b"11.2.0 r20128-b6cbab1ad7) 11.2.0, GNU ld (GNU Binutils) 2.37) #0 Tue Apr 11 12:00:00 2023\n"
)


def test_kernel_component_and_images(tmp_path: Path) -> None:
    component = kernel_component("6.1.0-18-armmp", "/boot/vmlinuz")
    assert (component.name, component.version, component.type) == (
        "linux",
        "6.1.0",
        "operating-system",
    )
    images = [
        KernelImage(tmp_path / "vmlinux", "5.10.176", "Linux version 5.10.176 (b@h) #0"),
        KernelImage(tmp_path / "lzma.out", "5.5.1", "WIND version 2.6", os="vxworks"),
        KernelImage(tmp_path / "uboot", "1.1.4", "U-Boot 1.1.4", os="u-boot", kind="bootloader"),
    ]
    found = boot_components(images, ScanContext(roots=[], limits=Limits()))
    assert [(c.name, c.version, c.type) for c in found] == [
        ("linux", "5.10.176", "operating-system"),
        ("vxworks", "5.5.1", "operating-system"),
        ("u-boot", "1.1.4", "firmware"),
    ]
    assert [c.evidence[0].path for c in found] == ["vmlinux", "lzma.out", "uboot"]


# --- corpus and real images ---------------------------------------------------------------


def _main_root(result: UnpackResult) -> RootFS:
    roots = [r for r in result.roots if r.exists("/etc")]
    assert len(roots) == 1, f"expected one root file system with /etc, got {result.roots}"
    return roots[0]


IMAGES = corpus_images()


def test_corpus_is_present() -> None:
    assert len(IMAGES) == 4, f"corpus images missing under {CORPUS}"


@pytest.mark.parametrize("image", IMAGES, ids=lambda p: p.name)
def test_corpus_os_facts(image: Path, unpacked: Callable[[Path], UnpackResult]) -> None:
    truth = truth_of(image)
    facts = truth["image"]
    assert isinstance(facts, dict)
    root = _main_root(unpacked(image))
    info = read_os_release(root)
    version_files = truth["findings"]["version_files"]  # type: ignore[index]
    styles = {v["style"]: v["path"] for v in version_files}

    assert info["version_id"] == facts["firmware_version"]
    assert info["source"] in styles.values()
    names_distribution = "os-release" in styles or "release" in styles
    if names_distribution:  # these files carry the build id too
        assert info["build_id"] == facts["build_id"]
    components = IDENTIFIER.identify(root, ScanContext(roots=[root]))
    operating_systems = [c for c in components if c.evidence[0].method == "os-release"]
    assert len(operating_systems) == (1 if names_distribution else 0)
    for component in operating_systems:
        assert component.version == facts["firmware_version"]


def test_openwrt_release_and_kernel(unpacked: Callable[[Path], UnpackResult]) -> None:
    root = _main_root(unpacked(OPENWRT))
    info = read_os_release(root)
    assert (info["id"], info["build_id"], info["target"]) == (
        "openwrt",
        "r20128-b6cbab1ad7",
        "ath79/generic",
    )
    found = {(c.name, c.version) for c in IDENTIFIER.identify(root, ScanContext(roots=[root]))}
    assert ("linux", "5.10.176") in found  # the README: kernel 5.10.176
    assert any(name == "openwrt" for name, _ in found)
