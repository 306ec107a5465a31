"""Crypto family on small trees: every key encoding, passphrase discovery, tricky negatives.

Keys are generated here with ``cryptography`` (the expected type and SPKI fingerprint come from the
generator, not from the code under test); Dropbear keys were made by ``dropbearkey`` and are checked
against the public key line ``dropbearkey -y`` printed.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes as Keys,
)
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.serialization import pkcs12
from partb_support import DATA, SCAN_DATE, make_root, run

from iotvet.checks import keyparse
from iotvet.checks.crypto import CryptoFamily
from iotvet.model import Finding

S = serialization
FAMILY = CryptoFamily(clock=lambda: SCAN_DATE)
KEY_CHECKS = {
    "crypto.unencrypted-private-key",
    "crypto.private-key-passphrase-in-image",
    "crypto.encrypted-private-key",
    "crypto.documentation-private-key",
}


def spki(key: PrivateKeyTypes) -> str:
    der = key.public_key().public_bytes(S.Encoding.DER, S.PublicFormat.SubjectPublicKeyInfo)
    return hashlib.sha256(der).hexdigest()


@pytest.fixture(scope="module")
def keys() -> dict[str, Keys]:
    return {
        "rsa2048": rsa.generate_private_key(65537, 2048),
        "rsa1024": rsa.generate_private_key(65537, 1024),
        "p256": ec.generate_private_key(ec.SECP256R1()),
        "p384": ec.generate_private_key(ec.SECP384R1()),
        "ed25519": ed25519.Ed25519PrivateKey.generate(),
    }


def pem(key: PrivateKeyTypes, fmt: S.PrivateFormat, password: bytes | None = None) -> bytes:
    encryption: S.KeySerializationEncryption = (
        S.BestAvailableEncryption(password) if password else S.NoEncryption()
    )
    return key.private_bytes(S.Encoding.PEM, fmt, encryption)


def der(key: PrivateKeyTypes, fmt: S.PrivateFormat, password: bytes | None = None) -> bytes:
    encryption: S.KeySerializationEncryption = (
        S.BestAvailableEncryption(password) if password else S.NoEncryption()
    )
    return key.private_bytes(S.Encoding.DER, fmt, encryption)


def key_findings(findings: list[Finding]) -> dict[str, Finding]:
    found = {f.path: f for f in findings if f.check in KEY_CHECKS}
    assert len(found) == len([f for f in findings if f.check in KEY_CHECKS]), "one key per file"
    return {str(p): f for p, f in found.items()}


def test_every_encoding_is_found_with_type_and_fingerprint(
    tmp_path: Path, keys: dict[str, Keys]
) -> None:
    rsa2048, ed = keys["rsa2048"], keys["ed25519"]
    p256 = ec.generate_private_key(ec.SECP256R1())
    tsl = S.PrivateFormat.TraditionalOpenSSL
    p8 = S.PrivateFormat.PKCS8
    expected = {
        "/etc/ssl/private/pkcs1.key": ("RSA-2048", spki(rsa2048), pem(rsa2048, tsl)),
        "/etc/ssl/private/sec1.key": ("EC-P256", spki(p256), pem(p256, tsl)),
        "/etc/ssl/private/p8.pem": ("Ed25519", spki(ed), pem(ed, p8)),
        "/etc/keys/rsa.der": ("RSA-2048", spki(rsa2048), der(rsa2048, tsl)),
        "/etc/keys/ec8.der": ("EC-P256", spki(p256), der(p256, p8)),
        "/root/.ssh/id_ed25519": ("Ed25519", spki(ed), pem(ed, S.PrivateFormat.OpenSSH)),
        "/etc/keys/device.p12": (
            "EC-P256",
            spki(p256),
            pkcs12.serialize_key_and_certificates(b"dev", p256, None, None, S.NoEncryption()),
        ),
    }
    root = make_root(tmp_path, {path: blob for path, (_, _, blob) in expected.items()})
    findings, _ = run(FAMILY, root)
    found = key_findings(findings)
    assert set(found) == set(expected)
    for path, (key_type, fingerprint, _) in expected.items():
        finding = found[path]
        assert finding.check == "crypto.unencrypted-private-key", path
        assert finding.severity == "high"
        assert finding.data["key_type"] == key_type, path
        assert finding.data["fingerprint_sha256"] == fingerprint, path
        assert finding.data["encrypted"] is False
        assert finding.themes == ["secure-storage-of-secrets"]


@pytest.mark.parametrize("name", ["rsa", "ecdsa", "ed25519", "rsa1024"])
def test_dropbear_keys_match_dropbearkey_public_output(tmp_path: Path, name: str) -> None:
    key_file = DATA / "dropbear" / f"dropbear_{name}_host_key"
    expected_type, expected_blob = key_file.with_suffix(".pub").read_text().split()[:2]
    root = make_root(tmp_path, {"/etc/dropbear/dropbear_host_key": key_file.read_bytes()})
    findings, _ = run(FAMILY, root)
    (finding,) = [f for f in findings if f.check == "crypto.unencrypted-private-key"]
    assert finding.data["format"] == "Dropbear"
    parsed = keyparse.parse("/k", key_file.read_bytes()).keys[0]
    assert parsed.public_key is not None
    line = parsed.public_key.public_bytes(S.Encoding.OpenSSH, S.PublicFormat.OpenSSH).split()
    assert [line[0].decode(), line[1].decode()] == [expected_type, expected_blob]
    blob = base64.b64decode(expected_blob)
    ssh_fp = "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")
    assert finding.data["ssh_fingerprint"] == ssh_fp


def test_weak_dropbear_rsa_key_is_flagged(tmp_path: Path) -> None:
    key_file = DATA / "dropbear" / "dropbear_rsa1024_host_key"
    root = make_root(tmp_path, {"/etc/dropbear/dropbear_rsa_host_key": key_file.read_bytes()})
    (finding,) = [f for f in run(FAMILY, root)[0] if f.check in KEY_CHECKS]
    assert finding.data["key_type"] == "RSA-1024"
    assert finding.data["weak_key"] is True


def test_inline_and_embedded_keys(tmp_path: Path, keys: dict[str, Keys]) -> None:
    rsa2048, p384 = keys["rsa2048"], keys["p384"]
    key_pem = pem(rsa2048, S.PrivateFormat.PKCS8).decode()
    ovpn = f"client\nremote vpn.example 1194\n<key>\n{key_pem}</key>\nverb 3\n"
    cloud = json.dumps({"endpoint": "x", "private_key": pem(p384, S.PrivateFormat.PKCS8).decode()})
    lines = pem(p384, S.PrivateFormat.TraditionalOpenSSL).decode().splitlines()
    quoted = "static const char *key =\n" + "\n".join(f'    "{line}\\n"' for line in lines) + ";\n"
    root = make_root(
        tmp_path,
        {
            "/etc/openvpn/client.conf": ovpn,
            "/etc/cloud.json": cloud,
            "/usr/share/app/key.h": quoted,
        },
    )
    found = key_findings(run(FAMILY, root)[0])
    assert found["/etc/openvpn/client.conf"].data["inline_in_config"] is True
    assert found["/etc/openvpn/client.conf"].data["fingerprint_sha256"] == spki(rsa2048)
    assert found["/etc/cloud.json"].data["fingerprint_sha256"] == spki(p384)
    assert found["/usr/share/app/key.h"].data["key_type"] == "EC-P384"


def test_combined_certificate_and_key_is_not_inline(tmp_path: Path, keys: dict[str, Keys]) -> None:
    from test_crypto_certs import self_signed

    p256 = keys["p256"]
    cert = self_signed(p256, "device.local").public_bytes(S.Encoding.PEM)
    root = make_root(tmp_path, {"/etc/ssl/server.pem": cert + pem(p256, S.PrivateFormat.PKCS8)})
    findings = run(FAMILY, root)[0]
    finding = key_findings(findings)["/etc/ssl/server.pem"]
    assert finding.data["inline_in_config"] is False
    assert finding.data["combined_with_certificate"] is True
    assert finding.data["matching_certificates"] == ["/etc/ssl/server.pem"]


def test_passphrase_next_to_the_key_is_verified(tmp_path: Path, keys: dict[str, Keys]) -> None:
    rsa2048, p256 = keys["rsa2048"], keys["p256"]
    p8 = S.PrivateFormat.PKCS8
    root = make_root(
        tmp_path,
        {
            # encrypted PKCS#8 with its passphrase in a *.pass file next to it
            "/etc/mosquitto/certs/bridge.key": pem(rsa2048, p8, b"bridge-pass-77"),
            "/etc/mosquitto/certs/bridge.pass": "bridge-pass-77\n",
            # legacy Proc-Type PEM; passphrase given by an openssl -passin argument in a script
            "/etc/vpn/legacy.key": pem(p256, S.PrivateFormat.TraditionalOpenSSL, b"leg4cy!"),
            "/usr/sbin/start-vpn": "#!/bin/sh\nopenssl pkey -in /etc/vpn/legacy.key"
            " -passin pass:leg4cy! -out /tmp/k\n",
            # encrypted, and nothing in the image opens it
            "/etc/secure/vault.key": pem(rsa2048, p8, b"not-stored-anywhere"),
            "/etc/secure/notes.txt": "rotate keys yearly\n",
        },
    )
    found = key_findings(run(FAMILY, root)[0])
    bridge = found["/etc/mosquitto/certs/bridge.key"]
    assert bridge.check == "crypto.private-key-passphrase-in-image"
    assert bridge.data["passphrase_stored_in_image"] == "/etc/mosquitto/certs/bridge.pass"
    assert bridge.data["key_type"] == "RSA-2048"
    assert bridge.data["fingerprint_sha256"] == spki(rsa2048)
    assert bridge.data["cipher"].startswith("AES-256-CBC")
    assert "bridge-pass-77" not in bridge.detail  # redacted
    legacy = found["/etc/vpn/legacy.key"]
    assert legacy.check == "crypto.private-key-passphrase-in-image"
    assert legacy.data["format"] == "PEM Proc-Type encrypted"
    assert legacy.data["passphrase_stored_in_image"] == "/usr/sbin/start-vpn"
    assert legacy.data["fingerprint_sha256"] == spki(p256)
    vault = found["/etc/secure/vault.key"]
    assert vault.check == "crypto.encrypted-private-key"
    assert vault.severity == "info"
    assert vault.data["encrypted"] is True
    assert vault.data["fingerprint_sha256"] is None


def test_encrypted_openssh_key_still_has_its_public_half(
    tmp_path: Path, keys: dict[str, Keys]
) -> None:
    ed = keys["ed25519"]
    blob = pem(ed, S.PrivateFormat.OpenSSH, b"correct horse")
    root = make_root(tmp_path, {"/home/admin/.ssh/id_ed25519": blob})
    (finding,) = [f for f in run(FAMILY, root)[0] if f.check in KEY_CHECKS]
    assert finding.check == "crypto.encrypted-private-key"
    assert finding.data["key_type"] == "Ed25519"
    assert finding.data["fingerprint_sha256"] == spki(ed)
    assert finding.data["cipher"] == "aes256-ctr (bcrypt, 16 rounds)"


def test_hostile_key_derivation_costs_are_not_tried() -> None:
    assert keyparse.kdf_cost_allowed(("pbkdf2", 2048))
    assert keyparse.kdf_cost_allowed(("bcrypt", 16))
    assert not keyparse.kdf_cost_allowed(("pbkdf2", 2**31))
    assert not keyparse.kdf_cost_allowed(("bcrypt", 100_000))
    assert not keyparse.kdf_cost_allowed(("unknown-kdf", 1))


def test_world_readable_key_mode_is_in_the_data(tmp_path: Path, keys: dict[str, Keys]) -> None:
    blob = pem(keys["p256"], S.PrivateFormat.PKCS8)
    root = make_root(
        tmp_path,
        {
            "/etc/a.key": (blob, 0o644),
            "/etc/b.key": (blob, 0o600),
            "/etc/ssl/private/c.key": (blob, 0o644),  # 0644, but in a 0700 directory
        },
    )
    (tmp_path / "etc/ssl/private").chmod(0o700)
    found = key_findings(run(FAMILY, root)[0])
    facts = {p: (f.data["mode"], f.data["world_readable"]) for p, f in found.items()}
    assert facts == {
        "/etc/a.key": ("0644", True),
        "/etc/b.key": ("0600", False),
        "/etc/ssl/private/c.key": ("0644", False),
    }
    assert "readable by every user" in found["/etc/a.key"].title
    assert "readable by every user" not in found["/etc/ssl/private/c.key"].title


def test_tricky_negatives_are_not_private_keys(tmp_path: Path, keys: dict[str, Keys]) -> None:
    from test_crypto_certs import self_signed

    rsa2048, p256 = keys["rsa2048"], keys["p256"]
    public_pem = rsa2048.public_key().public_bytes(
        S.Encoding.PEM, S.PublicFormat.SubjectPublicKeyInfo
    )
    pkcs1_public = rsa2048.public_key().public_bytes(S.Encoding.PEM, S.PublicFormat.PKCS1)
    ssh_public = p256.public_key().public_bytes(S.Encoding.OpenSSH, S.PublicFormat.OpenSSH)
    ssh_wire = base64.b64decode(ssh_public.split()[1])  # "ecdsa-sha2-..." wire blob, public only
    valid_key = pem(rsa2048, S.PrivateFormat.TraditionalOpenSSL)
    elf = b"\x7fELF\x02\x01\x01" + b"\x00" * 57 + b"strings: " + valid_key
    root = make_root(
        tmp_path,
        {
            "/etc/fw/pubkey.pem": public_pem,
            "/etc/fw/rsa_pub.pem": pkcs1_public,
            "/etc/ssh/ssh_host_ecdsa_key.pub": ssh_public,
            "/etc/fw/signing.blob": ssh_wire,
            "/etc/ssl/certs/device.crt": self_signed(p256, "x").public_bytes(S.Encoding.PEM),
            "/etc/example.conf": "# put your key here:\n-----BEGIN RSA PRIVATE KEY-----\n"
            "<your private key>\n-----END RSA PRIVATE KEY-----\n",
            "/etc/howto.txt": "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA...\n"
            "-----END RSA PRIVATE KEY-----\n",
            "/etc/garbage.der": b"\x30\x82\x00\x10" + b"\x01" * 16,
            "/usr/lib/libcrypto.so.3": elf,
        },
    )
    findings = run(FAMILY, root)[0]
    assert [f for f in findings if f.check in KEY_CHECKS] == []


def test_real_key_in_documentation_is_info_only(tmp_path: Path, keys: dict[str, Keys]) -> None:
    blob = pem(keys["rsa2048"], S.PrivateFormat.TraditionalOpenSSL)
    root = make_root(tmp_path, {"/usr/share/doc/openvpn/sample-keys/client.key": blob})
    (finding,) = [f for f in run(FAMILY, root)[0] if f.check in KEY_CHECKS]
    assert finding.check == "crypto.documentation-private-key"
    assert finding.severity == "info"


def test_truncated_and_binary_junk_never_crash(tmp_path: Path) -> None:
    junk = {
        "/a.pem": b"-----BEGIN PRIVATE KEY-----\nMIIB" + b"A" * 60 + b"\n-----END PRIVATE KEY-----",
        "/b.key": b"\x00\x00\x00\x07ssh-rsa\x00\x00\x00\x03\x01\x00",
        "/c.der": b"\x30\x81\x05\x02\x01\x00\x30\x00",
        "/d.p12": b"\x30\x82\x00\x06\x02\x01\x03\x30\x01\x00",
        "/e": b"-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEA\n"
        b"-----END OPENSSH PRIVATE KEY-----\n",
    }
    findings, _ = run(FAMILY, make_root(tmp_path, junk))
    assert [f for f in findings if f.check in KEY_CHECKS] == []


def test_encrypted_pkcs12_opened_with_stored_passphrase(
    tmp_path: Path, keys: dict[str, Keys]
) -> None:
    p384 = ec.generate_private_key(ec.SECP384R1())
    bundle = pkcs12.serialize_key_and_certificates(
        b"client", p384, None, None, S.BestAvailableEncryption(b"p12-Secret")
    )
    root = make_root(
        tmp_path,
        {"/etc/certs/client.p12": bundle, "/etc/certs/client.p12.pass": "p12-Secret\n"},
    )
    (finding,) = [f for f in run(FAMILY, root)[0] if f.check in KEY_CHECKS]
    assert finding.check == "crypto.private-key-passphrase-in-image"
    assert finding.data["format"] == "PKCS#12"
    assert finding.data["fingerprint_sha256"] == spki(p384)


def test_files_beyond_the_read_cap_are_reported_as_skipped(
    tmp_path: Path, keys: dict[str, Keys]
) -> None:
    from iotvet.context import ScanContext
    from iotvet.limits import Limits

    root = make_root(tmp_path, {"/var/big.log": "x" * 4096 + "\n"})
    ctx = ScanContext(roots=[root], limits=Limits(max_file_read=1024))
    FAMILY.run(root, ctx)
    assert [(s.path, s.stage) for s in ctx.skipped] == [("/var/big.log", "checks.crypto")]
