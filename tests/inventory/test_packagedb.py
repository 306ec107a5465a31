"""Package-database parsers on small hand-written databases, including broken ones.

Expected values come from the formats' own rules (Debian Policy 5.6.12 for versions, the
corpus README's "upstream_version" rules, OpenWrt's package/kmod version conventions, apk's
installed-database letters), never from what the parsers print.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from packageurl import PackageURL

from iotvet.context import ScanContext
from iotvet.inventory.packagedb import (
    clean_upstream,
    parse_stanzas,
    split_debian_version,
)
from iotvet.inventory.packagedb.apk import IDENTIFIER as APK
from iotvet.inventory.packagedb.apk import split_apk_version
from iotvet.inventory.packagedb.dpkg import IDENTIFIER as DPKG
from iotvet.inventory.packagedb.opkg import IDENTIFIER as OPKG
from iotvet.inventory.packagedb.opkg import source_name, split_opkg_version
from iotvet.limits import Limits
from iotvet.model import Component
from iotvet.rootfs import RootFS
from trees import make_root


def scan(identifier: object, root: RootFS) -> tuple[dict[str, Component], ScanContext]:
    ctx = ScanContext(roots=[root], limits=root.limits)
    found = identifier.identify(root, ctx)  # type: ignore[attr-defined]
    by_package = {c.package: c for c in found}
    assert len(by_package) == len(found), "one component per package"
    return by_package, ctx


# --- versions -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("version", "upstream", "revision"),
    [
        # the corpus README's examples of its upstream_version rule
        ("1:1.35.0-4+deb12u1+b1", "1.35.0", "1:4+deb12u1+b1"),
        ("1:1.2.13.dfsg-1", "1.2.13", "1:1"),
        ("2.9.14+dfsg-1.3~deb12u6", "2.9.14", "1.3~deb12u6"),
        # numbered repack suffixes, +really, hyphens inside the upstream part, native packages
        ("2:6.2.1+dfsg1-1.1", "6.2.1", "2:1.1"),
        ("1.5.4+dfsg2-5", "1.5.4", "5"),
        ("1.3.3+ds-1", "1.3.3", "1"),
        ("2.2+really2.1.1-3", "2.1.1", "3"),
        ("3.1-20221030-2", "3.1-20221030", "2"),
        ("2.4+20151223.gitfa8646d.1-2+b2", "2.4+20151223.gitfa8646d.1", "2+b2"),
        ("1.0.9", "1.0.9", None),
        ("not a version", "not a version", None),
    ],
)
def test_debian_version_split(version: str, upstream: str, revision: str | None) -> None:
    split = split_debian_version(version)
    assert (split.upstream, split.revision) == (upstream, revision)


@pytest.mark.parametrize(
    ("package", "version", "upstream", "revision"),
    [
        ("busybox", "1.35.0-5", "1.35.0", "5"),
        ("firewall4", "2022-10-18-7ae5e14b-1", "2022-10-18-7ae5e14b", "1"),
        ("hostapd-common", "2022-01-16-cff80b4f-16.2", "2022-01-16-cff80b4f", "16.2"),
        ("mtd", "26", "26", None),
        # the kernel package carries the vermagic hash after the release
        (
            "kernel",
            "5.10.176-1-981c7a976af9b49aee2654c84ee84c39",
            "5.10.176",
            "1-981c7a976af9b49aee2654c84ee84c39",
        ),
        # kmod: LINUX_VERSION+PKG_VERSION-RELEASE, the module's own version follows the "+"
        ("kmod-ath9k", "5.10.176+5.15.92-1-1", "5.15.92-1", "1"),
        ("kmod-nf-nat", "5.10.176-1", "5.10.176", "1"),
        # Yocto PE:PV-PR
        ("busybox", "1:1.36.1-r0", "1.36.1", "1:r0"),
        ("base-files", "1501-r20128-b6cbab1ad7", "1501-r20128-b6cbab1ad7", None),
    ],
)
def test_opkg_version_split(
    package: str, version: str, upstream: str, revision: str | None
) -> None:
    split = split_opkg_version(version, package)
    assert (split.upstream, split.revision) == (upstream, revision)


@pytest.mark.parametrize(
    ("version", "upstream", "revision"),
    [("1.36.1-r5", "1.36.1", "r5"), ("9.3_p2-r0", "9.3_p2", "r0"), ("20230311", "20230311", None)],
)
def test_apk_version_split(version: str, upstream: str, revision: str | None) -> None:
    split = split_apk_version(version)
    assert (split.upstream, split.revision) == (upstream, revision)


def test_clean_upstream_keeps_versions_without_markers() -> None:
    assert clean_upstream("7.88.1") == "7.88.1"
    assert clean_upstream("1.0+ds") == "1.0"
    assert clean_upstream("+dfsg") == "+dfsg"  # nothing would be left: keep what we have


def test_opkg_source_names() -> None:
    assert source_name({"source": "package/network/services/dnsmasq"}) == "dnsmasq"
    assert source_name({"source": "feeds/packages/net/mosquitto/"}) == "mosquitto"
    assert source_name({"source": "busybox_1.36.1.bb", "oe": "busybox"}) == "busybox"
    assert source_name({"source": "openssl_3.1.4.bb"}) == "openssl"
    assert source_name({}) is None


# --- the stanza parser ------------------------------------------------------------------------


def test_stanzas_continuations_crlf_and_junk() -> None:
    text = (
        "Package: a\r\nVersion: 1.0-1\r\nDescription: short\r\n long line\r\n \r\n .\r\n\r\n"
        "\x00\x01garbage without colon\n"
        "Package: b\nVersion: 2\n\n\n"
        " orphan continuation\n"
    )
    stanzas = parse_stanzas(text)
    assert [r["package"] for r in stanzas.records if "package" in r] == ["a", "b"]
    assert stanzas.records[0]["description"] == "short\nlong line\n\n."
    assert stanzas.junk_lines == 2


# --- dpkg -------------------------------------------------------------------------------------

DPKG_STATUS = """\
Package: libssl3
Status: install ok installed
Priority: optional
Section: libs
Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>
Architecture: armhf
Multi-Arch: same
Source: openssl (3.0.20-1~deb12u2)
Version: 3.0.20-1~deb12u2+b1
Description: Secure Sockets Layer toolkit - shared libraries
 This package is part of the OpenSSL project's implementation of the SSL and
 TLS cryptographic protocols.

Package: zlib1g
Status: install ok installed
Architecture: armhf
Source: zlib
Version: 1:1.2.13.dfsg-1
Maintainer: Mark Brown <broonie@debian.org>

Package: curl
Status: install ok installed
Architecture: armhf
Version: 7.88.1-10+deb12u15
Maintainer: Alessandro Ghedini <ghedo@debian.org>

Package: removed-but-configured
Status: deinstall ok config-files
Architecture: armhf
Version: 1.0-1

Package: no-version
Status: install ok installed
Architecture: armhf

Package: hostapd
Status: install ok installed
Architecture: armhf
Source: wpa
Version: 2:2.10-12+deb12u3
"""


def test_dpkg_status_with_file_lists(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/var/lib/dpkg/status": DPKG_STATUS,
            "/var/lib/dpkg/info/libssl3:armhf.list": "/.\n/usr\n/usr/lib\n/usr/lib/libssl.so.3\n"
            "/usr/lib/libcrypto.so.3\n/usr/share/doc/libssl3/changelog.gz\n",
            "/var/lib/dpkg/info/curl.list": "/usr/bin/curl\n",
            "/usr/lib/libssl.so.3": b"\x7fELF",
            "/usr/lib/libcrypto.so.3": b"\x7fELF",
            "/usr/bin/curl": b"\x7fELF",
        },
    )
    found, ctx = scan(DPKG, root)
    assert set(found) == {"libssl3", "zlib1g", "curl", "hostapd"}

    ssl = found["libssl3"]
    assert (ssl.name, ssl.version, ssl.revision) == ("openssl", "3.0.20", "1~deb12u2+b1")
    assert ssl.files == ["/usr/lib/libssl.so.3", "/usr/lib/libcrypto.so.3"]  # no dirs, no pruned
    assert ssl.supplier and ssl.supplier.startswith("Debian OpenSSL Team")
    assert ssl.type == "library"
    assert ssl.cpe == "cpe:2.3:a:openssl:openssl:3.0.20:*:*:*:*:*:*:*"
    purl = PackageURL.from_string(ssl.purl or "")
    assert (purl.type, purl.namespace, purl.name, purl.version, purl.qualifiers) == (
        "deb",
        "debian",
        "libssl3",
        "3.0.20-1~deb12u2+b1",
        {"arch": "armhf"},
    )
    assert ssl.evidence[0].path == "/var/lib/dpkg/status"
    assert ssl.evidence[0].method == "package-db"

    zlib = found["zlib1g"]
    assert (zlib.name, zlib.version, zlib.revision) == ("zlib", "1.2.13", "1:1")
    assert PackageURL.from_string(zlib.purl or "").version == "1:1.2.13.dfsg-1"
    assert zlib.files == []  # no .list file: status-only inventory still names the package

    assert (found["curl"].name, found["curl"].files) == ("curl", ["/usr/bin/curl"])
    assert (found["hostapd"].name, found["hostapd"].version) == ("hostapd", "2.10")
    assert [s.reason for s in ctx.skipped] == [
        "dpkg database: passed over 1 records without a package name or version"
    ]


def test_dpkg_namespace_follows_os_release(tmp_path: Path) -> None:
    status = "Package: bash\nStatus: install ok installed\nVersion: 5.2-1\nArchitecture: amd64\n"
    ubuntu = make_root(
        tmp_path / "u",
        {"/var/lib/dpkg/status": status, "/etc/os-release": "ID=ubuntu\nID_LIKE=debian\n"},
    )
    vendor = make_root(
        tmp_path / "v",
        {
            "/var/lib/dpkg/status": status,
            "/etc/os-release": 'ID="acmeos"\nID_LIKE="ubuntu debian"\n',
        },
    )
    bare = make_root(tmp_path / "b", {"/var/lib/dpkg/status": status})
    namespaces = [
        PackageURL.from_string(scan(DPKG, r)[0]["bash"].purl or "").namespace
        for r in (ubuntu, vendor, bare)
    ]
    assert namespaces == ["ubuntu", "ubuntu", "debian"]


def test_dpkg_status_d_directory(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/var/lib/dpkg/status.d/base-files": "Package: base-files\nVersion: 12.4+deb12u5\n"
            "Architecture: amd64\n",
            "/var/lib/dpkg/status.d/libc6": "Package: libc6\nVersion: 2.36-9+deb12u4\n"
            "Source: glibc\nArchitecture: amd64\n",
            "/var/lib/dpkg/status.d/libc6.md5sums": "d41d8cd98f00b204e9800998ecf8427e  lib/x\n",
        },
    )
    found, ctx = scan(DPKG, root)
    assert set(found) == {"base-files", "libc6"}
    assert (found["libc6"].name, found["libc6"].version) == ("glibc", "2.36")
    assert ctx.skipped == []


def test_dpkg_binary_garbage_is_reported_not_fatal(tmp_path: Path) -> None:
    garbage = bytes(range(256)) * 64
    root = make_root(tmp_path, {"/var/lib/dpkg/status": garbage})
    found, ctx = scan(DPKG, root)
    assert found == {}
    assert ctx.skipped and all(s.path == "/var/lib/dpkg/status" for s in ctx.skipped)


def test_dpkg_empty_and_missing_databases(tmp_path: Path) -> None:
    assert scan(DPKG, make_root(tmp_path / "e", {"/var/lib/dpkg/status": ""}))[0] == {}
    found, ctx = scan(DPKG, make_root(tmp_path / "m", {"/etc/hostname": "x\n"}))
    assert (found, ctx.skipped) == ({}, [])


def test_dpkg_size_cap_keeps_complete_stanzas(tmp_path: Path) -> None:
    stanza = "Package: pkg{0}\nStatus: install ok installed\nVersion: 1.{0}-1\n" + "X: " + "y" * 200
    status = "\n\n".join(stanza.format(i) for i in range(200)) + "\n"
    limits = Limits(max_file_read=10_000)
    root = make_root(tmp_path, {"/var/lib/dpkg/status": status}, limits=limits)
    found, ctx = scan(DPKG, root)
    assert 0 < len(found) < 200
    assert all(
        c.version == f"1.{c.package.removeprefix('pkg')}" for c in found.values() if c.package
    )
    assert any("max_file_read" in s.reason for s in ctx.skipped)


# --- opkg -------------------------------------------------------------------------------------

OPKG_STATUS = """\
Package: busybox
Version: 1.35.0-5
Depends: libc
Status: install user installed
Architecture: mips_24kc
Installed-Time: 1681079724

Package: libc
Version: 1.2.3-4
Status: install user installed
Architecture: mips_24kc

Package: kmod-ath9k
Version: 5.10.176+5.15.92-1-1
Source: package/kernel/mac80211
Status: install user installed
Architecture: mips_24kc

Package: vendor-agent
Version: 3.1-2
Source: package/acme/vendor-agent
CPE-ID: cpe:/a:acme:vendor_agent
License: Proprietary
Status: install user installed
Architecture: mips_24kc

Package: gone
Version: 1.0-1
Status: deinstall user not-installed
Architecture: mips_24kc
"""

BUSYBOX_CONTROL = """\
Package: busybox
Version: 1.35.0-5
Source: package/utils/busybox
SourceName: busybox
License: GPL-2.0
CPE-ID: cpe:/a:busybox:busybox
Maintainer: Felix Fietkau <nbd@nbd.name>
Architecture: mips_24kc
Description:  The Swiss Army Knife of embedded Linux.
"""


def test_opkg_status_merged_with_control_files(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/usr/lib/opkg/status": OPKG_STATUS,
            "/usr/lib/opkg/info/busybox.control": BUSYBOX_CONTROL,
            "/usr/lib/opkg/info/busybox.list": "/bin/busybox\n/bin/sh\n/etc/missing\n",
            "/bin/busybox": b"\x7fELF",
            "/lib/ld-musl-mips-sf.so.1": b"\x7fELF",
            "/etc/os-release": 'ID="openwrt"\nID_LIKE="lede openwrt"\n',
        },
        links={"/bin/sh": "busybox"},
    )
    found, ctx = scan(OPKG, root)
    assert set(found) == {"busybox", "libc", "kmod-ath9k", "vendor-agent"}

    busybox = found["busybox"]
    assert (busybox.name, busybox.version, busybox.revision) == ("busybox", "1.35.0", "5")
    assert busybox.supplier == "Felix Fietkau <nbd@nbd.name>"  # from the control file
    assert busybox.licenses == ["GPL-2.0"]
    assert busybox.files == ["/bin/busybox", "/bin/sh"]
    purl = PackageURL.from_string(busybox.purl or "")
    assert (purl.type, purl.namespace, purl.name, purl.version) == (
        "opkg",
        "openwrt",
        "busybox",
        "1.35.0-5",
    )

    assert (found["libc"].name, found["libc"].version) == ("musl", "1.2.3")  # musl loader present
    assert (found["kmod-ath9k"].name, found["kmod-ath9k"].version) == ("mac80211", "5.15.92-1")
    agent = found["vendor-agent"]
    assert agent.name == "vendor-agent"
    assert agent.cpe == "cpe:2.3:a:acme:vendor_agent:3.1:*:*:*:*:*:*:*"  # declared CPE-ID
    assert ctx.skipped == []


def test_opkg_libc_is_glibc_when_glibc_loader_present(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/var/lib/opkg/status": "Package: libc\nVersion: 2.37-r0\n"
            "Status: install ok installed\n",
            "/lib/ld-linux-armhf.so.3": b"\x7fELF",
        },
    )
    assert scan(OPKG, root)[0]["libc"].name == "glibc"


def test_opkg_control_files_without_status(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/var/lib/opkg/info/openssl.control": "Package: libssl3\nVersion: 3.1.4-r0\n"
            "OE: openssl\nSource: openssl_3.1.4.bb\n"
            "Architecture: cortexa7t2hf-neon\n",
            "/var/lib/opkg/info/broken.control": "\x00\x01\x02 not a control file",
            "/etc/os-release": "ID=poky\nNAME=Poky\n",
        },
    )
    found, ctx = scan(OPKG, root)
    assert (found["libssl3"].name, found["libssl3"].version) == ("openssl", "3.1.4")
    assert PackageURL.from_string(found["libssl3"].purl or "").namespace == "poky"
    assert ctx.skipped
    assert {s.path for s in ctx.skipped} == {"/var/lib/opkg/info/broken.control"}


# --- apk --------------------------------------------------------------------------------------

APK_INSTALLED = """\
C:Q1abc=
P:musl
V:1.2.4-r2
A:x86_64
S:383152
L:MIT
o:musl
m:Timo Teräs <timo.teras@iki.fi>
F:lib
R:ld-musl-x86_64.so.1
R:libc.musl-x86_64.so.1

P:libssl3
V:3.1.4-r5
A:x86_64
L:Apache-2.0
o:openssl
m:Ariadne Conill <ariadne@dereferenced.org>
F:usr/lib
R:libssl.so.3
R:libgone.so.1

P:broken
this line is junk
\x00\x01

P:busybox-binsh
V:1.36.1-r15
A:x86_64
o:busybox
F:bin
R:sh
"""


def test_apk_installed_database(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/lib/apk/db/installed": APK_INSTALLED,
            "/lib/ld-musl-x86_64.so.1": b"\x7fELF",
            "/usr/lib/libssl.so.3": b"\x7fELF",
            "/bin/busybox": b"\x7fELF",
            "/etc/os-release": 'NAME="Alpine Linux"\nID=alpine\nVERSION_ID=3.19.1\n',
        },
        links={"/lib/libc.musl-x86_64.so.1": "ld-musl-x86_64.so.1", "/bin/sh": "/bin/busybox"},
    )
    found, ctx = scan(APK, root)
    assert set(found) == {"musl", "libssl3", "busybox-binsh"}
    ssl = found["libssl3"]
    assert (ssl.name, ssl.version, ssl.revision) == ("openssl", "3.1.4", "r5")
    assert ssl.files == ["/usr/lib/libssl.so.3"]
    assert ssl.licenses == ["Apache-2.0"]
    assert ssl.supplier == "Ariadne Conill <ariadne@dereferenced.org>"
    purl = PackageURL.from_string(ssl.purl or "")
    assert (purl.type, purl.namespace, purl.version, purl.qualifiers) == (
        "apk",
        "alpine",
        "3.1.4-r5",
        {"arch": "x86_64"},
    )
    assert found["musl"].files == ["/lib/ld-musl-x86_64.so.1", "/lib/libc.musl-x86_64.so.1"]
    assert (found["busybox-binsh"].name, found["busybox-binsh"].files) == ("busybox", ["/bin/sh"])
    assert len(ctx.skipped) == 1 and "2 unreadable lines" in ctx.skipped[0].reason
    assert "1 records without" in ctx.skipped[0].reason


def test_apk_merged_usr_is_read_once(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {"/usr/lib/apk/db/installed": "P:zlib\nV:1.3.1-r0\nA:aarch64\no:zlib\n"},
        links={"/lib": "usr/lib"},
    )
    found, _ = scan(APK, root)
    assert list(found) == ["zlib"]
