"""Attribution: a version string is a component only in the component's own files or as a real
static copy — never because a program links to the library and quotes its version.

The trees are built from hand-written ELF files (``test_elf_builder``) so every case states its
linking facts explicitly: NEEDED entries, SONAMEs, symbol-version nodes, package notes.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from test_elf_builder import ET_EXEC, ElfSpec, write_elf

from iotvet.context import ScanContext
from iotvet.inventory import identifiers
from iotvet.inventory.attribution import IDENTIFIER, BinarySignatureIdentifier, upstream_version
from iotvet.limits import Limits
from iotvet.model import Component
from iotvet.rootfs import RootFS

OPENSSL_LIB = b'OpenSSL 3.0.13 30 Jan 2024\x00OPENSSLDIR: "/usr/lib/ssl"'
OPENSSL_HEADER_QUOTE = b"OpenSSL 3.0.11 19 Sep 2023"  # what a program built against 3.0.11 holds


def _identify(root: Path, limits: Limits | None = None) -> tuple[list[Component], ScanContext]:
    fs = RootFS(root, limits=limits or Limits())
    ctx = ScanContext(roots=[fs], limits=limits or Limits())
    return BinarySignatureIdentifier().identify(fs, ctx), ctx


def _refs(components: list[Component]) -> set[tuple[str, str | None]]:
    return {(c.name, c.version) for c in components}


def _get(components: list[Component], name: str, version: str) -> Component:
    matches = [c for c in components if c.name == name and c.version == version]
    assert len(matches) == 1, _refs(components)
    return matches[0]


@pytest.fixture
def openssl_tree(tmp_path: Path) -> Path:
    lib = tmp_path / "usr/lib"
    write_elf(
        lib / "libcrypto.so.3",
        ElfSpec(soname="libcrypto.so.3", verdefs=["OPENSSL_3.0.0"], payload=OPENSSL_LIB),
    )
    write_elf(
        lib / "libssl.so.3",
        ElfSpec(soname="libssl.so.3", needed=["libcrypto.so.3"], verdefs=["OPENSSL_3.0.0"]),
    )
    os.symlink("libssl.so.3", lib / "libssl.so")
    write_elf(
        tmp_path / "usr/bin/openssl",
        ElfSpec(interpreter="/lib/ld.so.1", needed=["libssl.so.3", "libcrypto.so.3"],
                payload=OPENSSL_LIB),
    )  # fmt: skip
    return tmp_path


def test_program_linking_to_libssl_is_not_a_second_openssl(openssl_tree: Path) -> None:
    write_elf(
        openssl_tree / "usr/sbin/hostapd",
        ElfSpec(
            interpreter="/lib/ld.so.1",
            needed=["libssl.so.3", "libcrypto.so.3", "libc.so.6"],
            verneeds={"libssl.so.3": ["OPENSSL_3.0.0"]},
            payload=OPENSSL_HEADER_QUOTE + b"\x00hostapd_cli v2.10\n",
        ),
    )
    components, _ = _identify(openssl_tree)
    assert ("openssl", "3.0.11") not in _refs(components)
    openssl = _get(components, "openssl", "3.0.13")
    # libssl carries no version string of its own; its SONAME ties it to the one openssl here.
    assert openssl.files == ["/usr/bin/openssl", "/usr/lib/libcrypto.so.3", "/usr/lib/libssl.so.3"]
    methods = {(e.path, e.method) for e in openssl.evidence}
    assert ("/usr/lib/libcrypto.so.3", "binary-signature") in methods
    assert ("/usr/lib/libcrypto.so.3", "elf-soname") in methods
    assert ("/usr/lib/libcrypto.so.3", "elf-symbol-version") in methods
    assert ("/usr/lib/libssl.so.3", "elf-soname") in methods
    assert ("/usr/sbin/hostapd", "static") not in methods
    assert ("hostapd", "2.10") in _refs(components)


def test_linking_through_another_library_is_still_linking(openssl_tree: Path) -> None:
    write_elf(
        openssl_tree / "usr/lib/libcurl.so.4",
        ElfSpec(soname="libcurl.so.4", needed=["libssl.so.3", "libz.so.1"]),
    )
    write_elf(
        openssl_tree / "usr/bin/app",
        ElfSpec(interpreter="/lib/ld.so.1", needed=["libcurl.so.4"],
                payload=OPENSSL_HEADER_QUOTE + b'\x00OPENSSLDIR: "/etc/ssl"'),
    )  # fmt: skip
    components, _ = _identify(openssl_tree)
    assert ("openssl", "3.0.11") not in _refs(components)


def test_static_copy_is_reported_as_static(openssl_tree: Path) -> None:
    write_elf(
        openssl_tree / "usr/bin/vendor-agent",
        ElfSpec(file_type=ET_EXEC, dynamic=False,
                payload=b"OpenSSL 1.1.1w  11 Sep 2023\x00OPENSSLDIR: \"/opt/ssl\""),
    )  # fmt: skip
    components, _ = _identify(openssl_tree)
    static = _get(components, "openssl", "1.1.1w")
    # Two openssl versions in the tree: libssl.so.3 (no version string) joins neither.
    assert "/usr/lib/libssl.so.3" not in _get(components, "openssl", "3.0.13").files
    assert static.files == ["/usr/bin/vendor-agent"]
    assert [e.method for e in static.evidence] == ["static"]
    assert ("openssl", "3.0.13") in _refs(components)


def test_banner_without_code_markers_is_a_mention(openssl_tree: Path) -> None:
    write_elf(
        openssl_tree / "usr/bin/reporter",
        ElfSpec(interpreter="/lib/ld.so.1", needed=["libc.so.6"], payload=OPENSSL_HEADER_QUOTE),
    )
    components, _ = _identify(openssl_tree)
    assert ("openssl", "3.0.11") not in _refs(components)


def test_static_busybox_is_busybox_and_links_are_not_rescanned(tmp_path: Path) -> None:
    busybox = write_elf(
        tmp_path / "bin/busybox",
        ElfSpec(file_type=ET_EXEC, dynamic=False,
                payload=b"BusyBox v1.36.1 (2024-01-01 00:00:00 UTC) multi-call binary."),
    )  # fmt: skip
    os.symlink("busybox", tmp_path / "bin/sh")
    os.link(busybox, tmp_path / "bin/busybox.nosuid")
    components, _ = _identify(tmp_path)
    assert _refs(components) == {("busybox", "1.36.1")}
    assert components[0].files == ["/bin/busybox", "/bin/busybox.nosuid"]
    assert components[0].type == "application"


def test_bare_versions_count_only_in_own_unambiguous_files(tmp_path: Path) -> None:
    lib = tmp_path / "usr/lib"
    write_elf(lib / "libzstd.so.1.5.5", ElfSpec(soname="libzstd.so.1", payload=b"1.5.5"))
    write_elf(lib / "liblz4.so.1", ElfSpec(soname="liblz4.so.1", payload=b"1.9.4\x001.9.3"))
    write_elf(
        tmp_path / "usr/bin/tool",
        ElfSpec(interpreter="/lib/ld.so.1", needed=["libzstd.so.1"], payload=b"1.4.8"),
    )
    components, _ = _identify(tmp_path)
    assert _refs(components) == {("zstd", "1.5.5")}


def test_compatibility_version_nodes_do_not_make_a_library_someone_elses(tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    write_elf(
        lib / "libc.so.6",
        ElfSpec(
            soname="libc.so.6",
            verdefs=["GLIBC_2.0", "GLIBC_2.34"],
            payload=b"GNU C Library stable release version 2.36",
        ),
    )
    write_elf(
        lib / "libnss_files.so.2", ElfSpec(soname="libnss_files.so.2", verdefs=["GLIBC_PRIVATE"])
    )
    write_elf(
        lib / "libcrypt.so.1",
        ElfSpec(soname="libcrypt.so.1", verdefs=["GLIBC_2.0", "XCRYPT_2.0", "XCRYPT_4.3"]),
    )
    components, _ = _identify(tmp_path)
    glibc = _get(components, "glibc", "2.36")
    assert glibc.files == ["/lib/libc.so.6", "/lib/libnss_files.so.2"]  # fmt: skip


def test_a_program_named_like_another_component_is_not_its_own_file(tmp_path: Path) -> None:
    busybox = write_elf(
        tmp_path / "bin/busybox",
        ElfSpec(file_type=ET_EXEC, dynamic=False,
                payload=b"BusyBox v1.36.1 (2024-01-01) multi-call binary.\x001.46.5\x000.0.0.0"),
    )  # fmt: skip
    (tmp_path / "sbin").mkdir()
    os.link(busybox, tmp_path / "sbin/mke2fs")  # an applet hard link, named like e2fsprogs' tool
    write_elf(tmp_path / "usr/sbin/nft", ElfSpec(interpreter="/lib/ld.so", payload=b"0.0.0.0"))
    components, _ = _identify(tmp_path)
    assert _refs(components) == {("busybox", "1.36.1")}


def test_bare_versions_need_the_code_marker_when_one_is_listed(tmp_path: Path) -> None:
    write_elf(tmp_path / "lib/libc.so", ElfSpec(soname="libc.so", payload=b"1.2.4"))
    assert _identify(tmp_path)[0] == []
    write_elf(
        tmp_path / "lib/libc.so",
        ElfSpec(soname="libc.so", payload=b"1.2.4\x00musl libc (x86_64)\nVersion %s\n"),
    )
    assert _refs(_identify(tmp_path)[0]) == {("musl", "1.2.4")}


def test_text_files_do_not_make_binary_components_but_kernel_images_do(tmp_path: Path) -> None:
    (tmp_path / "etc").mkdir()
    (tmp_path / "etc/banner").write_bytes(b"BusyBox v1.2.3 (2010-01-01) built-in shell\n")
    (tmp_path / "boot").mkdir()
    (tmp_path / "boot/Image").write_bytes(
        b"\x00" * 64 + b"Linux version 6.1.77 (builder@host) (gcc 12.2.0) #1 SMP\x00"
    )
    components, _ = _identify(tmp_path)
    assert _refs(components) == {("linux", "6.1.77")}


def test_file_name_versions_and_package_notes(tmp_path: Path) -> None:
    write_elf(tmp_path / "lib/libuClibc-1.0.42.so", ElfSpec(soname="libc.so.1"))
    note = {"type": "deb", "os": "debian", "name": "systemd", "version": "252.39-1~deb12u2"}
    write_elf(tmp_path / "usr/lib/libsystemd.so.0", ElfSpec(soname="libsystemd.so.0",
                                                            package_note=note))  # fmt: skip
    components, _ = _identify(tmp_path)
    assert _refs(components) == {("uclibc-ng", "1.0.42"), ("systemd", "252.39")}
    systemd = _get(components, "systemd", "252.39")
    assert systemd.revision == "1~deb12u2"
    assert "elf-package-note" in {e.method for e in systemd.evidence}


def test_one_component_per_name_and_version_across_files(tmp_path: Path) -> None:
    for name in ("dropbear", "dbclient"):
        write_elf(
            tmp_path / "usr/sbin" / name,
            ElfSpec(interpreter="/lib/ld.so.1", needed=["libc.so.6"],
                    payload=b"SSH-2.0-dropbear_2022.83"),
        )  # fmt: skip
    components, _ = _identify(tmp_path)
    assert len(components) == 1
    assert components[0].files == ["/usr/sbin/dbclient", "/usr/sbin/dropbear"]
    assert {e.path for e in components[0].evidence} == set(components[0].files)


def test_read_cap_is_reported_in_skipped(tmp_path: Path) -> None:
    write_elf(tmp_path / "bin/big", ElfSpec(payload=b"\x00" * 8192))
    _, ctx = _identify(tmp_path, Limits(max_file_read=1024))
    assert [(s.path, s.stage) for s in ctx.skipped] == [("/bin/big", "inventory")]
    assert "1024" in ctx.skipped[0].reason


def test_malformed_elf_is_scanned_and_reported(tmp_path: Path) -> None:
    (tmp_path / "bin").mkdir()
    (tmp_path / "bin/broken").write_bytes(
        b"\x7fELF\x07\x09" + b"\xff" * 40 + b"\x00BusyBox v1.30.1 (x)"
    )
    components, ctx = _identify(tmp_path)
    assert ("busybox", "1.30.1") in _refs(components)
    assert any("malformed ELF" in s.reason for s in ctx.skipped)


def test_identifier_is_registered_and_never_reads_package_databases(tmp_path: Path) -> None:
    assert IDENTIFIER in identifiers() and IDENTIFIER.name == "binary-signature"
    (tmp_path / "var/lib/dpkg").mkdir(parents=True)
    (tmp_path / "var/lib/dpkg/status").write_text(
        "Package: busybox\nStatus: install ok installed\nVersion: 1:1.35.0-4\n"
    )
    components, _ = _identify(tmp_path)
    assert components == []


@pytest.mark.parametrize(
    ("package_version", "upstream"),
    [
        ("1:1.35.0-4+deb12u1+b1", "1.35.0"),
        ("252.39-1~deb12u2", "252.39"),
        ("1:1.2.13.dfsg-1", "1.2.13"),
        ("2.9.14+dfsg-1.3~deb12u6", "2.9.14"),
        ("3.0.20", "3.0.20"),
    ],
)
def test_upstream_version_of_package_versions(package_version: str, upstream: str) -> None:
    assert upstream_version(package_version) == upstream
