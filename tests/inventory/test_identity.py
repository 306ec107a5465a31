"""The component identity data and the functions that apply it.

The data is checked against sources outside iotvet: the corpus truth files (upstream name of
every Debian package), the issue's list of components every scan must know, the shared NVD
snapshot (every CPE vendor:product pair) and the shared OSV snapshot (OSS-Fuzz package names).
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from cpe import CPE
from packageurl import PackageURL

from corpus import CORPUS, VULNDATA, corpus_images, truth_of
from iotvet.inventory import identity
from iotvet.inventory.identity import (
    IdentityData,
    canonical_name,
    cpes_for,
    enrich,
    purl_for,
    purl_namespace,
    upstream_name,
)
from iotvet.model import Component

PROJECT = Path(__file__).resolve().parents[2]

# The components issue 2 says the scanner must know (binary identification list).
ISSUE_2_COMPONENTS = [
    "busybox",
    "dropbear",
    "openssl",
    "dnsmasq",
    "lighttpd",
    "curl",
    "zlib",
    "openssh",
    "hostapd",
    "wpa_supplicant",
    "miniupnpd",
    "avahi",
    "samba",
    "ntp",
    "ntpsec",
    "iptables",
    "sqlite",
    "expat",
    "libxml2",
    "libpcap",
    "tcpdump",
    "mosquitto",
    "openvpn",
    "mbedtls",
    "wolfssl",
    "lua",
    "json-c",
    "uclibc-ng",
    "musl",
    "glibc",
    "linux",
    "u-boot",
    "bzip2",
    "xz",
    "pcre",
    "pcre2",
    "ncurses",
    "dbus",
    "glib",
    "gnutls",
    "nettle",
    "libgcrypt",
    "bind",
    "unbound",
    "strongswan",
    "ppp",
    "libupnp",
    "nginx",
    "uhttpd",
    "boa",
    "goahead",
    "mini_httpd",
    "thttpd",
    "vsftpd",
    "proftpd",
    "net-snmp",
    "util-linux",
    "libnl",
]


def _truth_components() -> list[dict[str, str]]:
    images = corpus_images()
    assert len(images) == 4, f"corpus truth files missing under {CORPUS}"
    return [c for image in images for c in truth_of(image)["components"]]


def test_every_known_name_is_canonical() -> None:
    names = set(ISSUE_2_COMPONENTS) | {c["name"] for c in _truth_components()}
    unknown = sorted(n for n in names if identity.lookup(n) is None)
    assert unknown == []
    assert all(canonical_name(n) == n for n in names)
    assert len(identity.load().components) >= 60


def test_truth_packages_map_to_truth_upstream_names() -> None:
    wrong = [
        (
            c["package"],
            c["source_package"],
            c["name"],
            upstream_name(c["package"], c["source_package"]),
        )
        for c in _truth_components()
        if upstream_name(c["package"], c["source_package"]) != c["name"]
    ]
    assert wrong == []


def test_binary_package_names_alone_map_to_truth_names() -> None:
    """Without the Source field (opkg, apk, file names), the alias table alone must do."""
    wrong = sorted(
        {
            (c["package"], c["name"])
            for c in _truth_components()
            if canonical_name(c["package"]) != c["name"]
        }
    )
    assert wrong == []


@pytest.mark.parametrize(
    ("alias", "name"),
    [
        ("libssl3", "openssl"),
        ("libcrypto", "openssl"),
        ("libopenssl3", "openssl"),
        ("libssl1.1", "openssl"),
        ("libcurl4", "curl"),
        ("libcurl", "curl"),
        ("zlib1g", "zlib"),
        ("libc6", "glibc"),
        ("busybox-static", "busybox"),
        ("dropbear-bin", "dropbear"),
        ("dnsmasq-base", "dnsmasq"),
        ("openssh-server", "openssh"),
        ("LibSSL3", "openssl"),
        ("wpasupplicant", "wpa_supplicant"),
        ("wpad-basic-wolfssl", "hostapd"),
        ("libwolfssl5.5.4.ee39414e", "wolfssl"),
        ("kernel", "linux"),
        ("gcc-12", "gcc"),
        ("lua5.4", "lua"),
        ("not-a-known-project", "not-a-known-project"),
    ],
)
def test_canonical_name(alias: str, name: str) -> None:
    assert canonical_name(alias) == name


def test_multi_project_source_is_split_by_binary_name() -> None:
    assert upstream_name("hostapd", "wpa") == "hostapd"
    assert upstream_name("wpasupplicant", "wpa") == "wpa_supplicant"
    assert upstream_name("ntp", "ntpsec") == "ntpsec"  # Debian's transitional ntp package
    assert upstream_name("libfoo7", "foo") == "foo"  # unknown source still beats the ABI name
    assert upstream_name("libfoo7") == "libfoo7"


def test_cpes_for_lists_every_nvd_product() -> None:
    assert cpes_for("curl", "7.88.1") == [
        "cpe:2.3:a:haxx:curl:7.88.1:*:*:*:*:*:*:*",
        "cpe:2.3:a:haxx:libcurl:7.88.1:*:*:*:*:*:*:*",
    ]
    assert cpes_for("libcurl4", "8.0.1")[0].startswith("cpe:2.3:a:haxx:curl:8.0.1:")
    assert cpes_for("linux", "5.10.176") == ["cpe:2.3:o:linux:linux_kernel:5.10.176:*:*:*:*:*:*:*"]
    assert cpes_for("dropbear", "2022.83")[0] == (
        "cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2022.83:*:*:*:*:*:*:*"
    )
    assert cpes_for("busybox", None) == ["cpe:2.3:a:busybox:busybox:*:*:*:*:*:*:*:*"]
    assert cpes_for("no-such-project", "1.0") == []


@pytest.mark.parametrize(
    ("version", "bound"),
    [
        ("2.4+20151223.gitfa8646d.1", r"2.4\+20151223.gitfa8646d.1"),
        ("1:2.3", r"1\:2.3"),
        ("9.0p1", "9.0p1"),
        ("1.0 beta", "1.0_beta"),
        ("a*b?", r"a\*b\?"),
    ],
)
def test_cpe_escaping_round_trips(version: str, bound: str) -> None:
    [cpe] = cpes_for("openssl", version)
    assert cpe == f"cpe:2.3:a:openssl:openssl:{bound}:*:*:*:*:*:*:*"
    assert CPE(cpe).get_version() == [bound]  # the CPE library parses what we bind


def test_unbindable_version_gives_no_cpe() -> None:
    assert cpes_for("openssl", "3.0.ü") == []


def test_purl_for_and_enrich() -> None:
    assert purl_for(Component(name="busybox", version="1.36.1")) == "pkg:generic/busybox@1.36.1"
    assert (
        purl_for(Component(name="Odd Name", version="1"))
        == PackageURL(type="generic", name="Odd Name", version="1").to_string()
    )
    own = Component(name="openssl", version="3.0.20", purl="pkg:deb/debian/libssl3@3.0.20-1")
    assert purl_for(own) == own.purl
    enriched = enrich(Component(name="dnsmasq", version="2.90"))
    assert enriched.purl == "pkg:generic/dnsmasq@2.90"
    assert enriched.cpe == "cpe:2.3:a:thekelleys:dnsmasq:2.90:*:*:*:*:*:*:*"
    kept = enrich(Component(name="dnsmasq", version="2.90", cpe="cpe:2.3:a:x:y:1:*:*:*:*:*:*:*"))
    assert kept.cpe == "cpe:2.3:a:x:y:1:*:*:*:*:*:*:*"
    assert enrich(Component(name="unknown-thing", version="1")).cpe is None


def test_version_strip_from_data() -> None:
    assert identity.normalise_version("wolfssl", "5.5.4-stable") == "5.5.4"
    assert identity.normalise_version("openssl", "3.0.2-stable") == "3.0.2-stable"


def test_purl_namespace() -> None:
    assert purl_namespace("deb", {"ID": "ubuntu"}) == "ubuntu"
    assert purl_namespace("deb", {"ID": "borealisos", "ID_LIKE": "debian"}) == "debian"
    assert purl_namespace("deb", {}) == "debian"
    assert purl_namespace("apk", {"ID": "openwrt"}) == "openwrt"
    assert purl_namespace("opkg", None) == "openwrt"


def test_every_cpe_pair_occurs_in_the_nvd_snapshot() -> None:
    """tools/nvd_cpe_pairs.py --check: each vendor:product is NVD's own, or declared external."""
    result = subprocess.run(
        [
            sys.executable,
            str(PROJECT / "tools" / "nvd_cpe_pairs.py"),
            "--vulndata",
            str(VULNDATA),
            "--check",
            str(identity.DATA_FILE),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 unverified CPE triples" in result.stderr


def test_osv_snapshot_packages_are_covered() -> None:
    archive = VULNDATA / "osv-oss-fuzz.zip"
    names = set()
    with zipfile.ZipFile(archive) as zf:
        for member in zf.namelist():
            if member.endswith(".json"):
                for affected in json.loads(zf.read(member)).get("affected", []):
                    names.add((affected["package"]["ecosystem"], affected["package"]["name"]))
    assert names, f"no OSV records in {archive}"
    declared = {(o.ecosystem, o.name) for c in identity.load().components.values() for o in c.osv}
    assert names - declared == set()


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"schema": "other"}, "schema"),
        (
            {
                "schema": identity.SCHEMA,
                "components": {"a": {"aliases": ["x"]}, "b": {"aliases": ["x"]}},
            },
            "alias 'x'",
        ),
        (
            {"schema": identity.SCHEMA, "components": {"a": {"aliases": ["b"]}, "b": {}}},
            "alias 'b'",
        ),
        ({"schema": identity.SCHEMA, "components": {"a": {"cpe": ["vendor:product"]}}}, "cpe"),
        (
            {
                "schema": identity.SCHEMA,
                "sources": {},
                "components": {"a": {"cpe": ["a:v:p"], "cpe_external": {"a:v:p": "nowhere"}}},
            },
            "unknown source",
        ),
        ({"schema": identity.SCHEMA, "components": {"Upper": {}}}, "lowercase"),
        (
            {"schema": identity.SCHEMA, "components": {"a": {"loaders": ["/lib/*/ld.so"]}}},
            "wildcard",
        ),
    ],
)
def test_bad_data_is_rejected(doc: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        IdentityData(doc, "test")
