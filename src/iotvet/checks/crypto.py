"""Crypto check family: private keys, certificates and weak TLS settings shipped in the image.

Why: a private key in firmware is the same key in every unit - whoever extracts it can
impersonate the device or its cloud, or decrypt its traffic (CWE-321). EN 303 645 provision 5.4-1
and NIST IR 8425 "data protection" ask for secrets to be stored securely; the key's fingerprint
lets the platform recognise one key shipped in many products. Certificates are inventoried (issuer,
expiry, self-signed) and flagged when their signature or key is weak or they expired; TLS
server/client settings that enable broken protocols or ciphers are flagged for
secure-communication.

The heavy lifting is shared: ``keyscan`` finds and parses the material once per root (the secrets
family reads the same scan for passphrase files), ``tlsconfig`` reads TLS directives.
"""

from __future__ import annotations

import base64
import hashlib
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, padding, rsa
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes

from .. import datafiles
from ..context import ScanContext
from ..model import Finding, Severity
from ..rootfs import RootFS
from . import keyscan, tlsconfig
from .evidence import octal_mode, redact, sha256_text, world_readable
from .keyparse import CertificateMaterial, KeyMaterial, describe_public_key, key_bits

SECRETS_THEME = "secure-storage-of-secrets"
COMMUNICATION_THEME = "secure-communication"


def spki_fingerprint(key: PublicKeyTypes) -> str:
    """sha256 (hex) of the DER SubjectPublicKeyInfo: one key, one id, whatever its file format."""
    der = key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return hashlib.sha256(der).hexdigest()


def ssh_fingerprint(key: PublicKeyTypes) -> str | None:
    """OpenSSH-style ``SHA256:...`` fingerprint for key types SSH can carry."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # DSA is deprecated in cryptography, still in the field
            line = key.public_bytes(
                serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
            )
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    blob = base64.b64decode(line.split()[1])
    return "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("=")


def _weak_key(key: PublicKeyTypes) -> bool:
    rules = datafiles.load("crypto.yaml")["weak_key"]
    bits = key_bits(key) or 0
    if isinstance(key, rsa.RSAPublicKey):
        return bits < int(rules["rsa_min_bits"])
    if isinstance(key, dsa.DSAPublicKey):
        return bits < int(rules["dsa_min_bits"])
    if isinstance(key, ec.EllipticCurvePublicKey):
        return bits < int(rules["ec_min_bits"])
    return False


def _openssl_name(name: x509.Name) -> str:
    """Distinguished name as ``openssl x509 -subject`` prints it: ``O = Acme, CN = host``."""
    return ", ".join(
        f"{attr.rfc4514_attribute_name} = {attr.value!s}" for rdn in name.rdns for attr in rdn
    )


def _self_signed(cert: x509.Certificate) -> bool:
    """Issuer equals subject and the certificate's own key verifies its signature.

    Verified by hand because ``verify_directly_issued_by`` refuses MD5/SHA-1 signatures, which are
    exactly the old self-signed certificates firmware still ships.
    """
    if cert.subject != cert.issuer:
        return False
    public = cert.public_key()
    signature, tbs = cert.signature, cert.tbs_certificate_bytes
    try:
        algorithm = cert.signature_hash_algorithm
        params = cert.signature_algorithm_parameters
        if isinstance(public, rsa.RSAPublicKey) and algorithm is not None:
            if not isinstance(params, padding.PKCS1v15 | padding.PSS):
                return False
            public.verify(signature, tbs, params, algorithm)
        elif isinstance(public, ec.EllipticCurvePublicKey):
            if not isinstance(params, ec.ECDSA):
                return False
            public.verify(signature, tbs, params)
        elif isinstance(public, dsa.DSAPublicKey) and algorithm is not None:
            public.verify(signature, tbs, algorithm)
        elif isinstance(public, ed25519.Ed25519PublicKey | ed448.Ed448PublicKey):
            public.verify(signature, tbs)
        else:
            return False
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _signature_hash(cert: x509.Certificate) -> str | None:
    try:
        algorithm = cert.signature_hash_algorithm
    except UnsupportedAlgorithm:
        return None
    return algorithm.name.lower() if algorithm is not None else None


@dataclass
class CryptoFamily:
    """Keys, certificates and TLS settings; ``clock`` gives the scan date for expiry checks."""

    name: str = "crypto"
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))

    def run(self, root: RootFS, ctx: ScanContext) -> list[Finding]:
        scan = keyscan.scan(root, ctx)
        certificate_keys: dict[str, list[str]] = {}
        for material in scan.certificates:
            public = _certificate_key(material.certificate)
            if public is not None:
                paths = certificate_keys.setdefault(spki_fingerprint(public), [])
                paths += [] if material.path in paths else [material.path]
        findings = [self._key_finding(root, scan, k, certificate_keys) for k in _unique(scan.keys)]
        findings += self._certificate_findings(scan)
        findings += tlsconfig.findings(root, ctx)
        return findings

    # --- keys -------------------------------------------------------------------------------------

    def _key_finding(
        self,
        root: RootFS,
        scan: keyscan.KeyScan,
        key: KeyMaterial,
        certificate_keys: dict[str, list[str]],
    ) -> Finding:
        entry = root.entry(key.path)
        mode = entry.mode if entry is not None else 0
        public = key.public_key
        fingerprint = spki_fingerprint(public) if public is not None else None
        weak = public is not None and _weak_key(public)
        data: dict[str, Any] = {
            "key_type": key.key_type,
            "format": key.format,
            "encrypted": key.encrypted,
            "cipher": key.cipher,
            "fingerprint_sha256": fingerprint,
            "ssh_fingerprint": ssh_fingerprint(public) if public is not None else None,
            "inline_in_config": key.inline,
            "combined_with_certificate": not key.inline
            and any(c.path == key.path for c in scan.certificates),
            "offset": key.offset,
            "mode": octal_mode(mode),
            "world_readable": world_readable(root, key.path),
            "weak_key": weak,
            "passphrase_found": key.passphrase is not None,
            "passphrase_stored_in_image": key.passphrase_source,
            "passphrase_sha256": sha256_text(key.passphrase) if key.passphrase else None,
            "referenced_by": scan.references.get(key.path, []),
            "matching_certificates": certificate_keys.get(fingerprint or "", []),
            "documentation": key.path in scan.documentation,
        }
        protection = "not encrypted"
        if key.encrypted:
            protection = f"encrypted with {key.cipher}" if key.cipher else "encrypted"
        described = f"{key.key_type or 'Private key of unknown type'} ({key.format}, {protection})"
        evidence = _evidence(root, key, data, described, fingerprint)
        if weak:
            evidence += " The key is shorter than current minimums (NIST SP 800-131A)."
        check, severity, title = self._classify_key(key, data)
        return Finding(
            check=check,
            severity=severity,
            cwe="CWE-321" if severity != "info" else None,
            path=key.path,
            title=title,
            detail=evidence,
            themes=[SECRETS_THEME],
            data=data,
        )

    @staticmethod
    def _classify_key(key: KeyMaterial, data: dict[str, Any]) -> tuple[str, Severity, str]:
        kind = key.key_type or "private key"
        if data["documentation"]:
            return (
                "crypto.documentation-private-key",
                "info",
                f"{kind} private key in documentation or example files",
            )
        if not key.encrypted:
            where = " inline in a configuration file" if key.inline else ""
            readable = " readable by every user" if data["world_readable"] else ""
            return (
                "crypto.unencrypted-private-key",
                "high",
                f"Unencrypted {kind} private key{where}{readable}",
            )
        if key.passphrase is not None:
            stored = f"stored in {key.passphrase_source}" if key.passphrase_source else "empty"
            return (
                "crypto.private-key-passphrase-in-image",
                "high",
                f"Encrypted {kind} private key whose passphrase is {stored}",
            )
        return (
            "crypto.encrypted-private-key",
            "info",
            f"Encrypted {kind} private key (passphrase not found in the image)",
        )

    # --- certificates -----------------------------------------------------------------------------

    def _certificate_findings(self, scan: keyscan.KeyScan) -> list[Finding]:
        rules = datafiles.load("crypto.yaml")
        by_path: dict[str, dict[str, CertificateMaterial]] = {}
        for material in scan.certificates:
            if material.path in scan.documentation:
                continue
            digest = hashlib.sha256(
                material.certificate.public_bytes(serialization.Encoding.DER)
            ).hexdigest()
            by_path.setdefault(material.path, {})[digest] = material
        key_fingerprints: dict[str, list[str]] = {}
        for key in scan.keys:
            if key.public_key is not None:
                key_fingerprints.setdefault(spki_fingerprint(key.public_key), []).append(key.path)
        now = self.clock()
        findings: list[Finding] = []
        for path, certs in sorted(by_path.items()):
            facts = [
                _certificate_facts(digest, m.certificate, now, key_fingerprints)
                for digest, m in certs.items()
            ]
            if len(facts) >= int(rules["bundle_min_certificates"]):
                findings.append(_bundle_finding(path, facts))
                continue
            for fact in facts:
                findings += _single_certificate_findings(path, fact, rules)
        return findings


def _unique(keys: list[KeyMaterial]) -> list[KeyMaterial]:
    seen: set[tuple[str, int]] = set()
    unique: list[KeyMaterial] = []
    for key in keys:
        if (key.path, key.offset) not in seen:
            seen.add((key.path, key.offset))
            unique.append(key)
    return unique


def _evidence(
    root: RootFS,
    key: KeyMaterial,
    data: dict[str, Any],
    described: str,
    fingerprint: str | None,
) -> str:
    head = root.read_bytes(key.path, key.offset + 256) or b""
    snippet = head[key.offset :]
    if snippet.startswith(b"-----BEGIN"):
        first, _, rest = snippet.partition(b"\n")
        body = rest.strip().split(b"\n", 1)[0].decode("ascii", "replace")
        excerpt = f"{first.decode('ascii', 'replace').strip()} {redact(body)}"
    else:
        excerpt = f"{key.format} key file ({len(head)}+ bytes)"
    parts = [
        f"{key.path} (mode {data['mode']}"
        + (", readable by every user)" if data["world_readable"] else ")")
        + f" at byte {key.offset}: {excerpt}.",
        f"{described}.",
    ]
    if fingerprint:
        parts.append(f"Public key SHA-256 (SPKI): {fingerprint}.")
    if key.passphrase is not None:
        source = key.passphrase_source or "an empty passphrase"
        parts.append(f"Decrypted with passphrase {redact(key.passphrase)} from {source}.")
    if data["referenced_by"]:
        parts.append("Named in: " + ", ".join(data["referenced_by"]) + ".")
    return " ".join(parts)


def _certificate_key(cert: x509.Certificate) -> PublicKeyTypes | None:
    """The certificate's public key; None for algorithms cryptography cannot load (GOST ...)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return cert.public_key()
    except (ValueError, UnsupportedAlgorithm):
        return None


def _certificate_facts(
    digest: str, cert: x509.Certificate, now: datetime, key_fingerprints: dict[str, list[str]]
) -> dict[str, Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # RFC 5280 violations (negative serials ...) are common
        return _certificate_facts_unchecked(digest, cert, now, key_fingerprints)


def _certificate_facts_unchecked(
    digest: str, cert: x509.Certificate, now: datetime, key_fingerprints: dict[str, list[str]]
) -> dict[str, Any]:
    public = _certificate_key(cert)
    spki = spki_fingerprint(public) if public is not None else None
    try:
        is_ca = cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except (x509.ExtensionNotFound, ValueError):
        is_ca = False
    not_after = cert.not_valid_after_utc
    return {
        "subject": _openssl_name(cert.subject),
        "issuer": _openssl_name(cert.issuer),
        "serial": f"{abs(cert.serial_number):X}",
        "not_before": cert.not_valid_before_utc.isoformat(),
        "not_after": not_after.isoformat(),
        "expired": not_after < now,
        "self_signed": _self_signed(cert),
        "is_ca": is_ca,
        "signature_hash": _signature_hash(cert),
        "key_type": describe_public_key(public) if public is not None else "unsupported",
        "weak_key": public is not None and _weak_key(public),
        "fingerprint_sha256": digest,
        "spki_fingerprint_sha256": spki,
        "private_key_in_image": key_fingerprints.get(spki or "", []),
    }


def _single_certificate_findings(
    path: str, fact: dict[str, Any], rules: dict[str, Any]
) -> list[Finding]:
    label = f"certificate {fact['subject'] or '(empty subject)'}"
    base = (
        f"{path}: subject {fact['subject']}; issuer {fact['issuer']}; serial {fact['serial']}; "
        f"valid until {fact['not_after']}; {fact['key_type']}; signed with "
        f"{fact['signature_hash'] or 'n/a'}"
        + ("; self-signed" if fact["self_signed"] else "")
        + (
            f"; its private key is in {', '.join(fact['private_key_in_image'])}"
            if fact["private_key_in_image"]
            else ""
        )
        + "."
    )
    findings = [
        Finding(
            check="crypto.certificate",
            severity="info",
            path=path,
            title=f"X.509 {label}",
            detail=base,
            themes=[COMMUNICATION_THEME],
            data=fact,
        )
    ]
    weak_hashes = {str(h) for h in rules["weak_signature_hashes"]}
    hash_name = str(fact["signature_hash"]).upper()
    problems: list[tuple[bool, str, Severity, str, str, str]] = [
        # A self-signed certificate's own signature is never relied on: only issued ones count.
        (
            fact["signature_hash"] in weak_hashes and not fact["self_signed"],
            "crypto.weak-certificate-signature",
            "medium",
            "CWE-327",
            f"{label} is signed with {hash_name}",
            " MD5 and SHA-1 certificate signatures can be forged.",
        ),
        (
            fact["weak_key"],
            "crypto.weak-certificate-key",
            "medium",
            "CWE-326",
            f"{label} has a weak {fact['key_type']} key",
            " The key is shorter than current minimums (NIST SP 800-131A).",
        ),
        (
            fact["expired"],
            "crypto.expired-certificate",
            "low",
            "CWE-298",
            f"{label} expired on {fact['not_after'][:10]}",
            "",
        ),
    ]
    findings += [
        Finding(
            check=check,
            severity=severity,
            cwe=cwe,
            path=path,
            title=title,
            detail=base + why,
            themes=[COMMUNICATION_THEME],
            data=fact,
        )
        for applies, check, severity, cwe, title, why in problems
        if applies
    ]
    return findings


def _bundle_finding(path: str, facts: list[dict[str, Any]]) -> Finding:
    expired = sum(1 for f in facts if f["expired"])
    return Finding(
        check="crypto.certificate-bundle",
        severity="info",
        path=path,
        title=f"Certificate bundle with {len(facts)} certificates",
        detail=f"{path} holds {len(facts)} certificates ({expired} expired), e.g. "
        + "; ".join(f["subject"] for f in facts[:3])
        + ".",
        themes=[COMMUNICATION_THEME],
        data={"count": len(facts), "expired": expired, "certificates": facts},
    )


FAMILY = CryptoFamily()
