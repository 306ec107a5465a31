"""Reports built from model objects, shaped like what a scan of a router image produces.

A sample with every field filled, a weird one with everything odd input can produce, an empty one.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

from iotvet.model import (
    Component,
    Cvss,
    Evidence,
    Finding,
    Layer,
    Report,
    Skipped,
    Stats,
    Target,
    ThemeVerdict,
    Tool,
    Verdict,
    Vulnerability,
)

ROOTFS = "fw.uimg/uimage/squashfs"


def _hours_ago(hours: int) -> str:
    return (datetime.now(UTC) - timedelta(hours=hours)).isoformat()


def _sha(text: str, algo: str = "sha256") -> str:
    return hashlib.new(algo, text.encode()).hexdigest()


def make_sample_report() -> Report:
    """A router image: uImage > squashfs root file system, a kernel, packages and binaries."""
    layers = [
        Layer(
            path="fw.uimg",
            format="uimage",
            offset=0,
            size=10_588_224,
            children=[
                Layer(
                    path="fw.uimg/uimage",
                    format="uimage",
                    offset=64,
                    size=10_588_160,
                    children=[
                        Layer(
                            path=ROOTFS,
                            format="squashfs",
                            offset=64,
                            size=10_585_884,
                            role="rootfs",
                            entropy=7.98,
                        ),
                        Layer(
                            path="fw.uimg/uimage/tail",
                            format="unknown",
                            offset=10_585_948,
                            size=2_276,
                            role="unknown",
                            entropy=0.12,
                        ),
                    ],
                )
            ],
        )
    ]
    busybox = Component(
        name="busybox",
        version="1.35.0",
        revision="4+deb12u1",
        purl="pkg:generic/busybox@1.35.0",
        cpe="cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*",
        supplier="Debian Busybox Team <pkg-busybox-maintainers@lists.alioth.debian.org>",
        type="application",
        licenses=["GPL-2.0-only"],
        hashes={"/bin/busybox": f"sha256:{_sha('busybox')}"},
        files=["/bin/busybox", "/bin/sh", "/sbin/init"],
        evidence=[
            Evidence(path="/bin/busybox", method="binary-signature", detail="BusyBox v1.35.0"),
        ],
        layer=ROOTFS,
        package="busybox-static",
    )
    openssl = Component(
        name="openssl",
        version="3.0.15",
        revision="1~deb12u1",
        purl="pkg:generic/openssl@3.0.15",
        cpe="cpe:2.3:a:openssl:openssl:3.0.15:*:*:*:*:*:*:*",
        licenses=["Apache-2.0"],
        file_hashes={
            "/usr/lib/libssl.so.3": {"sha256": _sha("ssl"), "sha1": _sha("ssl", "sha1")},
            "/usr/lib/libcrypto.so.3": {"sha256": _sha("crypto"), "sha1": _sha("crypto", "sha1")},
        },
        evidence=[
            Evidence(path="/usr/lib/libssl.so.3", method="elf-soname", detail="libssl.so.3"),
            Evidence(
                path="/usr/lib/libcrypto.so.3", method="binary-signature", detail="OpenSSL 3.0.15"
            ),
        ],
        layer=ROOTFS,
        package="libssl3",
    )
    dropbear = Component(
        name="dropbear",
        version="2022.83",
        purl="pkg:generic/dropbear@2022.83",
        cpe="cpe:2.3:a:dropbear_ssh_project:dropbear_ssh:2022.83:*:*:*:*:*:*:*",
        type="application",
        licenses=["MIT", "BSD-2-Clause AND Unlicense"],
        hashes={"sha256": _sha("dropbear"), "SHA-1": _sha("dropbear", "sha1")},
        evidence=[Evidence(path="/usr/sbin/dropbear", method="binary-signature")],
        layer=ROOTFS,
    )
    kernel = Component(
        name="linux",
        version="6.1.0",
        purl="pkg:generic/linux@6.1.0",
        cpe="cpe:2.3:o:linux:linux_kernel:6.1.0:*:*:*:*:*:*:*",
        type="operating-system",
        evidence=[
            Evidence(path="/boot/vmlinux", method="kernel-banner", detail="Linux version 6.1.0")
        ],
    )
    dnsmasq = Component(
        name="dnsmasq",
        version="2.89",
        purl="pkg:deb/debian/dnsmasq-base@2.89-1?arch=mips64el",
        supplier="Acme Networks",
        licenses=["GPL-2.0-or-later", "some vendor licence text"],
        files=["/usr/sbin/dnsmasq"],
        evidence=[
            Evidence(path="/var/lib/dpkg/status", method="package-db", detail="dnsmasq-base")
        ],
        layer=ROOTFS,
        package="dnsmasq-base",
    )
    components = [busybox, openssl, dropbear, kernel, dnsmasq]
    findings = [
        Finding(
            id="F1",
            check="credentials.default-password",
            severity="critical",
            cwe="CWE-1392",
            path="/etc/shadow",
            title="root has the password 'admin'",
            detail="md5crypt hash of a well-known password",
            themes=["no-universal-default-password"],
        ),
        Finding(
            id="F2",
            check="services.telnet",
            severity="high",
            cwe="CWE-319",
            path="/etc/init.d/S50telnet",
            title="telnetd started at boot",
            themes=["secure-communication", "minimised-attack-surface"],
        ),
        Finding(
            id="F3",
            check="permissions.world-writable",
            severity="medium",
            path="/etc/config",
            title="world-writable directory <script>alert(1)</script>",
            themes=["minimised-attack-surface"],
        ),
        Finding(
            id="F4", check="hardening.relro", severity="low", path="/bin/busybox", title="no RELRO"
        ),
        Finding(id="F5", check="logging.none", severity="info", title="no syslog daemon"),
    ]
    vulns = [
        Vulnerability(
            id="CVE-2022-48174",
            aliases=["GHSA-xxxx-yyyy-zzzz"],
            component="busybox@1.35.0",
            severity="critical",
            cvss=Cvss(
                version="3.1",
                score=9.8,
                vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
                severity="critical",
            ),
            cwes=["CWE-787"],
            kev=True,
            kev_date_added="2024-01-02",
            kev_due_date="2024-01-23",
            epss=0.0123,
            epss_percentile=0.85,
            status="affected",
            fixed_in=["1.36.0"],
            published="2023-08-22T19:16:19.000",
            description="Stack overflow in ash.",
            references=["https://bugs.busybox.net/show_bug.cgi?id=15216", "not a url"],
            sources=["nvd"],
        ),
        Vulnerability(
            id="CVE-2024-0727",
            component="openssl@3.0.15",
            severity="medium",
            cvss_all=[
                Cvss(
                    version="3.1", score=5.5, vector="CVSS:3.1/AV:L/AC:L/PR:N/UI:R/S:U/C:N/I:N/A:H"
                ),
                Cvss(
                    version="4.0",
                    score=6.8,
                    vector="CVSS:4.0/AV:L/AC:L/AT:N/PR:N/UI:A/VC:N/VI:N/VA:H/SC:N/SI:N/SA:N",
                ),
            ],
            cwes=["CWE-476", "NVD-CWE-noinfo"],
            status="not_affected",
            justification="vulnerable_code_not_in_execute_path",
            reason="PKCS12 parsing is not reachable from any shipped program",
        ),
        Vulnerability(
            id="CVE-2023-28531",
            component="dropbear@2022.83",
            severity="high",
            status="under_investigation",
        ),
        Vulnerability(
            id="CVE-2000-0001", component="ghost@1.0", status="fixed", justification="hand-waving"
        ),
    ]
    themes = [
        ThemeVerdict(
            theme="no-universal-default-password",
            result="fail",
            findings=["F1"],
            reason="root password is 'admin'",
        ),
        ThemeVerdict(theme="logging", result="inconclusive", reason="no syslog found"),
        ThemeVerdict(theme="sbom", result="pass", reason="components identified"),
    ]
    return Report(
        tool=Tool(version="0.1.0"),
        target=Target(path="/data/images/fw.uimg", sha256=_sha("fw"), size=10_588_224),
        layers=layers,
        components=components,
        findings=findings,
        vulnerabilities=vulns,
        themes=themes,
        conformity=[
            Verdict(
                regime="etsi-en-303-645",
                requirement="5.1-1",
                result="fail",
                evidence=["F1"],
                reason="universal default password",
            )
        ],
        os={"NAME": "AcmeWrt", "VERSION": "1.4.2", "ID": "acmewrt"},
        skipped=[Skipped(path="/usr/lib/huge.bin", reason="larger than 64 MiB", stage="checks")],
        stats=Stats(duration_s=12.5, stages={"unpack": 8.0, "inventory": 3.0}, files=528),
        feeds=[
            {"source": "nvd", "fetched_at": "2020-01-01T10:00:00Z", "records": 250000},
            {"source": "kev", "fetched_at": _hours_ago(20), "records": 1400},
        ],
    )


def make_weird_report() -> Report:
    """Everything an odd image can produce: no versions, odd names, duplicates, broken ids."""
    components = [
        Component(name="busybox"),  # no version, no purl, no evidence
        Component(name="busybox", version="1.35.0", layer="fw/rootfs-a"),
        # named by the root file system directory found inside the layer's extraction
        Component(name="dropbear", version="2022.83", layer="extract/fw/rootfs-a_extract/root"),
        Component(name="busybox", version="1.35.0", layer="fw/rootfs-b"),  # same in a 2nd layer
        Component(name="busybox", version="1.35.0", layer="fw/rootfs-b"),  # exact duplicate
        Component(name="my lib (vendor)", version="1.0 beta/2", cpe="not a cpe"),
        Component(name="zlib", version="1.2.13", purl="pkg:::broken", layer="no/such/layer"),
        Component(
            name="bibliothèque-ü", version="2.0~rc1+git@20240101", licenses=["Zürich-Lizenz"]
        ),
        Component(name="", version=""),
        Component(name="x?y#z@w%20", version="v1:2", type="wat", supplier="  "),
        Component(name="multi", version="1", supplier="Acme\n(Networks) Ltd <a@b.example>"),
        Component(name="parens", version="1", supplier="(unknown)"),
        Component(
            name="hashy",
            version="1",
            hashes={"sha256": "nothex", "/bin/h": "md5:xyz", "blake9": "00"},
            file_hashes={"/bin/h": {"sha256": "deadbeef" * 8}, "relative": {"sha1": "abc"}},
            evidence=[Evidence(path="/bin/h", method="mystery-method", confidence=7)],
        ),
    ]
    layers = [
        Layer(
            path="fw",
            format="tar",
            children=[
                Layer(
                    path="fw/rootfs-a",
                    format="squashfs",
                    role="rootfs",
                    extracted_to="extract/fw/rootfs-a_extract",
                ),
                Layer(path="fw/rootfs-b", format="jffs2", role="rootfs"),
                Layer(path="fw/rootfs-b", format="jffs2", role="overlay"),  # duplicate path
            ],
        )
    ]
    vulns = [
        Vulnerability(id="CVE-2022-0001", component="busybox@1.35.0"),
        Vulnerability(id="CVE-2022-0001", component="busybox@1.35.0"),
        Vulnerability(
            id="CVE-2022-0002", component="busybox", cvss=Cvss(version="9", score=1, vector="")
        ),
        Vulnerability(id="OSV-1", component="my lib (vendor)@1.0 beta/2", cwes=["junk"]),
    ]
    return Report(
        tool=Tool(version="0.1.0"),
        target=Target(path="/", kind="directory"),
        layers=layers,
        components=components,
        vulnerabilities=vulns,
        findings=[Finding(check="x", severity="low", title="ünïcødé & <tags>", path="/a b")],
    )


def make_binary_text_report() -> Report:
    """Text that is not text: a non-UTF-8 file name (surrogate-escaped, as os.fsdecode gives it),
    control characters cut out of a binary, a lone surrogate."""
    bad_path = b"/usr/bin/t\xe9l\xe9net".decode("utf-8", "surrogateescape")
    return Report(
        tool=Tool(version="0.1.0"),
        target=Target(path="/data/fw\udcff.bin", sha256="ab" * 32, size=3),
        layers=[Layer(path="fw\x01", format="squashfs\x00", role="rootfs")],
        os={"NAME": "Acme\x1b[31mOS"},
        components=[
            Component(
                name="telnetd\x00",
                version="1.2\x07",
                layer="fw\x01",
                licenses=["GPL\x0c"],
                evidence=[
                    Evidence(path=bad_path, method="binary-signature", detail="v1.2\x00\ud800")
                ],
                hashes={bad_path: "sha256:" + "cd" * 32},
            )
        ],
        findings=[Finding(check="c", severity="high", title="t\x1f", path=bad_path)],
        vulnerabilities=[Vulnerability(id="CVE-2024-1", component="telnetd\x00@1.2\x07")],
        skipped=[Skipped(path=bad_path, reason="r\x00")],
    )


def make_empty_report() -> Report:
    return Report(tool=Tool(version="0.1.0"), target=Target(path="empty.bin", kind="binary"))
