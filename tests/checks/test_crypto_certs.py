"""Crypto family: certificate inventory and problems, weak TLS/SSH/VPN/Wi-Fi settings."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes
from cryptography.x509.oid import NameOID
from partb_support import DATA, SCAN_DATE, make_root, run

from iotvet.checks import tlsconfig
from iotvet.checks.crypto import CryptoFamily
from iotvet.model import Finding

FAMILY = CryptoFamily(clock=lambda: SCAN_DATE)
PEM = serialization.Encoding.PEM


def _name(cn: str) -> x509.Name:
    return x509.Name(
        [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Test Org"),
         x509.NameAttribute(NameOID.COMMON_NAME, cn)]
    )  # fmt: skip


def certificate(
    key: CertificateIssuerPrivateKeyTypes,
    subject: str,
    issuer_key: CertificateIssuerPrivateKeyTypes | None = None,
    issuer: str | None = None,
    not_after_days: int = 3650,
    serial: int = 0x51A94B7A,
) -> x509.Certificate:
    start = SCAN_DATE - timedelta(days=30)
    return (
        x509.CertificateBuilder()
        .subject_name(_name(subject))
        .issuer_name(_name(issuer or subject))
        .public_key(key.public_key())  # type: ignore[arg-type]
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(SCAN_DATE + timedelta(days=not_after_days))
        .sign(issuer_key or key, hashes.SHA256())
    )


def self_signed(key: CertificateIssuerPrivateKeyTypes, cn: str) -> x509.Certificate:
    return certificate(key, cn)


@pytest.fixture(scope="module")
def ca_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(65537, 2048)


def by_check(findings: list[Finding], check: str) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for f in findings:
        if f.check == check:
            grouped.setdefault(str(f.path), []).append(f)
    return grouped


def test_certificate_inventory_facts(tmp_path: Path, ca_key: rsa.RSAPrivateKey) -> None:
    cert = certificate(ca_key, "device-cloud", serial=0x5C85D0CF)
    root = make_root(tmp_path, {"/etc/ssl/certs/cloud.crt": cert.public_bytes(PEM)})
    (finding,) = by_check(run(FAMILY, root)[0], "crypto.certificate")["/etc/ssl/certs/cloud.crt"]
    assert finding.severity == "info"
    assert finding.data["subject"] == "O = Test Org, CN = device-cloud"
    assert finding.data["issuer"] == finding.data["subject"]
    assert finding.data["serial"] == "5C85D0CF"
    assert finding.data["self_signed"] is True
    assert finding.data["not_after"].startswith(str((SCAN_DATE + timedelta(days=3650)).date()))
    assert finding.data["expired"] is False
    assert finding.data["key_type"] == "RSA-2048"


def test_der_certificate_is_found(tmp_path: Path, ca_key: rsa.RSAPrivateKey) -> None:
    der = self_signed(ca_key, "der-cert").public_bytes(serialization.Encoding.DER)
    root = make_root(tmp_path, {"/etc/ca.cer": der})
    assert "/etc/ca.cer" in by_check(run(FAMILY, root)[0], "crypto.certificate")


def test_weak_signature_weak_key_and_expiry(tmp_path: Path, ca_key: rsa.RSAPrivateKey) -> None:
    small = rsa.generate_private_key(65537, 1024)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    weak = certificate(small, "weak-key")
    expired = certificate(leaf_key, "old", ca_key, "ca", not_after_days=-1)
    certs = DATA / "certs"  # made by openssl: cryptography refuses MD5/SHA-1 signatures
    root = make_root(
        tmp_path,
        {
            "/etc/a.crt": (certs / "sha1_leaf.crt").read_bytes(),
            "/etc/a2.crt": (certs / "md5_leaf.crt").read_bytes(),
            "/etc/b.crt": (certs / "sha1_root.crt").read_bytes(),
            "/etc/c.crt": weak.public_bytes(PEM),
            "/etc/d.crt": expired.public_bytes(PEM),
        },
    )
    findings = run(FAMILY, root)[0]
    # A self-signed root's own SHA-1 signature is never verified by anyone: not a weakness.
    assert set(by_check(findings, "crypto.weak-certificate-signature")) == {
        "/etc/a.crt",
        "/etc/a2.crt",
    }
    assert set(by_check(findings, "crypto.weak-certificate-key")) == {"/etc/c.crt"}
    assert set(by_check(findings, "crypto.expired-certificate")) == {"/etc/d.crt"}
    assert all(
        f.themes == ["secure-communication"] for f in findings if f.check.startswith("crypto.")
    )


def test_ca_bundle_is_one_inventory_finding(tmp_path: Path, ca_key: rsa.RSAPrivateKey) -> None:
    bundle = b"".join(
        certificate(
            ca_key, f"root-{i}", serial=i + 1, not_after_days=-5 if i == 0 else 99
        ).public_bytes(PEM)
        for i in range(6)
    )
    root = make_root(tmp_path, {"/etc/ssl/certs/ca-certificates.crt": bundle})
    findings = run(FAMILY, root)[0]
    assert [f.check for f in findings] == ["crypto.certificate-bundle"]
    assert findings[0].data["count"] == 6
    assert findings[0].data["expired"] == 1


def test_same_certificate_twice_in_one_file_is_reported_once(
    tmp_path: Path, ca_key: rsa.RSAPrivateKey
) -> None:
    cert = self_signed(ca_key, "vpn").public_bytes(PEM).decode()
    conf = f"client\n<ca>\n{cert}</ca>\n<cert>\n{cert}</cert>\n"
    root = make_root(tmp_path, {"/etc/openvpn/client.conf": conf})
    assert (
        len(by_check(run(FAMILY, root)[0], "crypto.certificate")["/etc/openvpn/client.conf"]) == 1
    )


WEAK_CONFIGS = {
    "/etc/lighttpd/lighttpd.conf": 'ssl.engine = "enable"\nssl.cipher-list = "RC4-SHA:HIGH"\n',
    "/etc/lighttpd/conf.d/tls.conf": 'ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "TLSv1")\n',
    "/etc/nginx/nginx.conf": "server {\n  ssl_protocols TLSv1 TLSv1.1 TLSv1.2;\n}\n",
    "/etc/apache2/ssl.conf": "SSLProtocol all -SSLv3\n",
    "/etc/openvpn/server.conf": "dev tun\ncipher BF-CBC\n",
    "/etc/ssh/sshd_config": "Ciphers aes128-ctr,3des-cbc\n",
    "/etc/hostapd.conf": "wpa=2\nwpa_pairwise=TKIP CCMP\n",
    "/etc/mosquitto/mosquitto.conf": "listener 8883\ntls_version tlsv1.1\n",
}
STRONG_CONFIGS = {
    "/etc/lighttpd/lighttpd.conf": 'ssl.openssl.ssl-conf-cmd = ("MinProtocol" => "TLSv1.2")\n'
    '# ssl.cipher-list = "RC4-SHA"\nssl.cipher-list = "HIGH:!aNULL:!MD5:!RC4"\n',
    "/etc/nginx/nginx.conf": "ssl_protocols TLSv1.2 TLSv1.3;\nssl_ciphers HIGH:!aNULL:!MD5;\n",
    "/etc/openvpn/server.conf": "cipher AES-256-GCM\ntls-version-min 1.2\n",
    "/etc/ssh/sshd_config": "# Ciphers 3des-cbc\nCiphers chacha20-poly1305@openssh.com\n",
    "/etc/hostapd.conf": "rsn_pairwise=CCMP\n",
    "/usr/share/doc/nginx/example.conf": "ssl_protocols SSLv3 TLSv1;\n",
}


def test_weak_transport_settings_are_flagged(tmp_path: Path) -> None:
    findings = run(FAMILY, make_root(tmp_path, WEAK_CONFIGS))[0]
    flagged = {
        f.path for f in findings if f.check.startswith("crypto.weak-") and "config" in f.check
    }
    assert flagged == set(WEAK_CONFIGS)
    apache = next(f for f in findings if f.path == "/etc/apache2/ssl.conf")
    assert apache.data["weak"] == ["TLSv1.0", "TLSv1.1"]


def test_strong_or_commented_settings_are_not_flagged(tmp_path: Path) -> None:
    findings = run(FAMILY, make_root(tmp_path, STRONG_CONFIGS))[0]
    assert findings == []


@pytest.mark.parametrize(
    ("value", "weak"),
    [
        ("HIGH:!aNULL:!MD5", []),
        ("ECDHE-RSA-AES128-GCM-SHA256:DES-CBC3-SHA", ["DES-CBC3-SHA"]),
        ("ALL:+EXPORT", ["EXPORT"]),
        ("AES-256-GCM:AES-128-GCM", []),
    ],
)
def test_cipher_string_judgement(value: str, weak: list[str]) -> None:
    assert tlsconfig.weak_ciphers(value) == weak


@pytest.mark.parametrize(
    ("value", "weak"),
    [("-ALL, TLSv1.2", []), ("all -SSLv3 -TLSv1 -TLSv1.1", []), ("TLSv1.1 TLSv1.2", ["TLSv1.1"])],
)
def test_protocol_list_judgement(value: str, weak: list[str]) -> None:
    assert tlsconfig.weak_protocols(value) == weak
