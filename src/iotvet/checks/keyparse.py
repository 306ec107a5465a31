"""Private keys and certificates in the bytes of one file, in every encoding firmware ships them in.

Why a module of its own: the crypto family (what is wrong with a key) and the secrets family
(which file holds a key's passphrase) both need the same facts - where a key is, in which format,
whether it is encrypted, and its public half - and the parsing is the hard part. Parsing is done by
``cryptography`` (keys, certificates, PKCS#12, OpenSSH) and ``asn1crypto`` (naming the cipher of an
encrypted PKCS#8 key); this module only finds candidate blobs and says which loader fits:

* PEM blocks anywhere in a file (key files, combined cert+key files, inline ``<key>`` sections of
  OpenVPN configs, JSON strings with ``\\n`` escapes, quoted lines in scripts), including legacy
  ``Proc-Type: 4,ENCRYPTED`` PEM and ``OPENSSH PRIVATE KEY`` blocks;
* whole-file DER (PKCS#1, SEC1, PKCS#8, encrypted PKCS#8, PKCS#12, X.509) recognised by an outer
  SEQUENCE whose length is exactly the file size;
* Dropbear's own key format (``dropbear_rsa_host_key`` ...): SSH wire strings and mpints.

Text that only looks like a key (placeholders such as ``MIIE...`` in documentation) does not decode
to a key and yields nothing; public keys and certificate requests are never private keys.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from asn1crypto import keys as asn1_keys
from asn1crypto import pkcs12 as asn1_pkcs12
from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa, x448, x25519
from cryptography.hazmat.primitives.asymmetric.types import (
    PrivateKeyTypes,
    PublicKeyTypes,
)
from cryptography.hazmat.primitives.serialization import pkcs12

from .. import datafiles

#: Decrypts an encrypted key with a candidate passphrase; raises ValueError/TypeError if wrong.
Decryptor = Callable[[bytes], PrivateKeyTypes]

_PEM_BLOCK = re.compile(
    rb"-----BEGIN ([A-Z0-9][A-Z0-9 .]{0,40})-----(.{0,200000}?)-----END \1-----", re.S
)
_B64 = re.compile(rb"[A-Za-z0-9+/]+={0,2}")
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}
_OPENSSH_MAGIC = b"openssh-key-v1\x00"
_DROPBEAR_TYPES = (
    b"ssh-rsa",
    b"ssh-dss",
    b"ssh-ed25519",
    b"ecdsa-sha2-nistp256",
    b"ecdsa-sha2-nistp384",
    b"ecdsa-sha2-nistp521",
)
_DER_MAX = 64 * 1024
_DROPBEAR_MAX = 16 * 1024
_CURVE_NAMES = {
    "secp192r1": "P192",
    "secp224r1": "P224",
    "secp256r1": "P256",
    "secp384r1": "P384",
    "secp521r1": "P521",
}


@dataclass
class KeyMaterial:
    """One private key found in a file, decrypted or not."""

    path: str
    offset: int
    format: str  # "PEM PKCS#1", "PEM PKCS#8 encrypted", "OpenSSH", "Dropbear", "DER SEC1", ...
    encrypted: bool
    inline: bool  # embedded in a configuration file (text other than PEM blocks around it)
    private_key: PrivateKeyTypes | None = None
    public_key: PublicKeyTypes | None = None  # known even for some encrypted keys (OpenSSH)
    algorithm_hint: str | None = None  # "RSA"/"EC"/"DSA" from a PEM label when still encrypted
    cipher: str | None = None
    unsupported_algorithm: str | None = None  # OID of a PKCS#8 key cryptography cannot load
    decrypt: Decryptor | None = field(default=None, repr=False)
    kdf_cost: tuple[str, int] | None = None  # ("pbkdf2", 2048), ("bcrypt", 16): one trial's cost
    passphrase: str | None = None
    passphrase_source: str | None = None

    @property
    def key_type(self) -> str | None:
        if self.public_key is not None:
            return describe_public_key(self.public_key)
        if self.unsupported_algorithm:
            return f"unsupported ({self.unsupported_algorithm})"
        return self.algorithm_hint


@dataclass(frozen=True)
class CertificateMaterial:
    path: str
    offset: int
    format: str  # "PEM" or "DER"
    certificate: x509.Certificate


@dataclass
class ParsedFile:
    keys: list[KeyMaterial] = field(default_factory=list)
    certificates: list[CertificateMaterial] = field(default_factory=list)


def kdf_cost_allowed(cost: tuple[str, int] | None) -> bool:
    """True if one passphrase trial at this key-derivation cost is affordable (crypto.yaml)."""
    if cost is None:
        return True
    limits = datafiles.load("crypto.yaml")["passphrase_search"]["max_kdf_cost"]
    return cost[1] <= int(limits.get(cost[0], 0))


def describe_public_key(key: PublicKeyTypes) -> str:
    """``RSA-2048``, ``EC-P256``, ``Ed25519``, ``DSA-1024`` ..."""
    if isinstance(key, rsa.RSAPublicKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC-" + _CURVE_NAMES.get(key.curve.name, key.curve.name)
    if isinstance(key, dsa.DSAPublicKey):
        return f"DSA-{key.key_size}"
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519"
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448"
    if isinstance(key, x25519.X25519PublicKey):
        return "X25519"
    if isinstance(key, x448.X448PublicKey):
        return "X448"
    return type(key).__name__


def key_bits(key: PublicKeyTypes) -> int | None:
    size = getattr(key, "key_size", None)
    if isinstance(size, int):
        return size
    curve = getattr(key, "curve", None)
    return int(curve.key_size) if curve is not None else None


def parse(path: str, data: bytes) -> ParsedFile:
    """Every private key and certificate in ``data`` (the content of the file at inner ``path``)."""
    found = ParsedFile()
    if b"-----BEGIN " in data:
        blocks = list(_PEM_BLOCK.finditer(data))
        # A file holding only PEM blocks is a key (or key + certificate) file; other text around
        # the blocks means the key sits inline in a configuration file.
        edges = [0] + [i for m in blocks for i in (m.start(), m.end())] + [len(data)]
        inline = any(data[a:b].strip() for a, b in zip(edges[::2], edges[1::2], strict=True))
        for match in blocks:
            _parse_pem_block(path, match, inline, found)
    if not found.keys and not found.certificates:
        _parse_whole_file(path, data, found)
    return found


# --- PEM ------------------------------------------------------------------------------------------


def _pem_lines(body: bytes) -> Iterator[bytes]:
    """Lines of a PEM body as written in key files, JSON strings (``\\n``) or quoted code lines."""
    text = body.replace(b"\\r", b"").replace(b"\\n", b"\n")
    for raw in text.splitlines():
        line = raw.strip()
        for quote in (b'"', b"'"):
            first, last = line.find(quote), line.rfind(quote)
            if first != -1 and last > first:
                line = line[first + 1 : last]
                break
        line = line.strip(b" \t#;,*\"'").strip()
        if line:
            yield line


def _decode_pem(body: bytes) -> tuple[dict[str, str], bytes] | None:
    headers: dict[str, str] = {}
    chunks: list[bytes] = []
    for line in _pem_lines(body):
        if not chunks and b":" in line:
            name, _, value = line.partition(b":")
            headers[name.strip().decode("ascii", "replace")] = value.strip().decode(
                "ascii", "replace"
            )
            continue
        chunks.append(line)
    joined = b"".join(chunks)
    if not joined or not _B64.fullmatch(joined) or len(joined) % 4:
        return None
    try:
        der = base64.b64decode(joined, validate=True)
    except (binascii.Error, ValueError):
        return None
    return headers, der


def _canonical_pem(label: bytes, headers: dict[str, str], der: bytes) -> bytes:
    b64 = base64.b64encode(der)
    lines = [b"-----BEGIN " + label + b"-----"]
    if headers:
        lines += [f"{k}: {v}".encode() for k, v in headers.items()] + [b""]
    lines += [b64[i : i + 64] for i in range(0, len(b64), 64)]
    lines.append(b"-----END " + label + b"-----")
    return b"\n".join(lines) + b"\n"


def _parse_pem_block(path: str, match: re.Match[bytes], inline: bool, found: ParsedFile) -> None:
    label = match.group(1)
    decoded = _decode_pem(match.group(2))
    if decoded is None:
        return
    headers, der = decoded
    offset = match.start()
    if label in _CERT_LABELS:
        cert = _load_certificate(der)
        if cert is not None:
            found.certificates.append(CertificateMaterial(path, offset, "PEM", cert))
        return
    if not label.endswith(b"PRIVATE KEY"):
        return  # public keys, certificate requests, parameters
    if label == b"OPENSSH PRIVATE KEY":
        key = _openssh_key(path, offset, inline, _canonical_pem(label, {}, der), der)
    elif label == b"ENCRYPTED PRIVATE KEY":
        key = _encrypted_pkcs8(path, offset, inline, der, "PEM PKCS#8 encrypted")
    elif "ENCRYPTED" in headers.get("Proc-Type", ""):
        key = _proc_type_key(path, offset, inline, label, headers, der)
    else:
        key = _plain_der_key(path, offset, inline, der, "PEM")
    if key is not None:
        found.keys.append(key)


def _proc_type_key(
    path: str, offset: int, inline: bool, label: bytes, headers: dict[str, str], der: bytes
) -> KeyMaterial:
    pem = _canonical_pem(label, headers, der)
    algorithm = label.removesuffix(b"PRIVATE KEY").strip().decode() or None

    def decrypt(password: bytes) -> PrivateKeyTypes:
        return serialization.load_pem_private_key(
            pem, password, unsafe_skip_rsa_key_validation=True
        )

    return KeyMaterial(
        path,
        offset,
        "PEM Proc-Type encrypted",
        encrypted=True,
        inline=inline,
        algorithm_hint=algorithm,
        cipher=headers.get("DEK-Info", "").split(",")[0] or None,
        decrypt=decrypt,
    )


# --- DER / PKCS#8 / PKCS#12 -----------------------------------------------------------------------


def _der_length(data: bytes) -> int | None:
    """Total length of the first DER element (tag, length, content); None if malformed."""
    if len(data) < 2:
        return None
    first = data[1]
    if first < 0x80:
        return 2 + first
    count = first & 0x7F
    if count == 0 or count > 4 or len(data) < 2 + count:
        return None
    return 2 + count + int.from_bytes(data[2 : 2 + count], "big")


def _der_children_tags(der: bytes) -> list[int]:
    """Tags of the first elements inside the outer SEQUENCE (enough to tell key formats apart)."""
    tags: list[int] = []
    header = _der_length(der)
    if header is None:
        return tags
    pos = 2 + (der[1] & 0x7F if der[1] >= 0x80 else 0)
    while pos < len(der) and len(tags) < 3:
        length = _der_length(der[pos:])
        if length is None:
            break
        tags.append(der[pos])
        pos += length
    return tags


def _der_key_format(der: bytes) -> str:
    tags = _der_children_tags(der)
    if tags[1:2] == [0x30]:
        return "PKCS#8"
    if tags[1:2] == [0x04]:
        return "SEC1"
    return "PKCS#1" if tags[:2] == [0x02, 0x02] else "traditional"


def _plain_der_key(
    path: str, offset: int, inline: bool, der: bytes, encoding: str
) -> KeyMaterial | None:
    fmt = f"{encoding} {_der_key_format(der)}"
    try:
        key = serialization.load_der_private_key(der, None, unsafe_skip_rsa_key_validation=True)
    except UnsupportedAlgorithm:
        return _unsupported_pkcs8(path, offset, inline, der, fmt)
    except TypeError:
        # Encrypted after all (PKCS#8 without the ENCRYPTED label, or a DER file).
        return _encrypted_pkcs8(path, offset, inline, der, f"{encoding} PKCS#8 encrypted")
    except ValueError:
        return _unsupported_pkcs8(path, offset, inline, der, fmt)
    return KeyMaterial(
        path,
        offset,
        fmt,
        encrypted=False,
        inline=inline,
        private_key=key,
        public_key=key.public_key(),
    )


def _unsupported_pkcs8(
    path: str, offset: int, inline: bool, der: bytes, fmt: str
) -> KeyMaterial | None:
    """A well-formed PKCS#8 key of an algorithm cryptography cannot load (GOST, SM2 ...)."""
    try:
        info = asn1_keys.PrivateKeyInfo.load(der, strict=True)
        oid = info["private_key_algorithm"]["algorithm"].dotted
        if not info["private_key"].contents:
            return None
    except (ValueError, TypeError, KeyError):
        return None
    return KeyMaterial(path, offset, fmt, encrypted=False, inline=inline, unsupported_algorithm=oid)


def _pkcs8_protection(der: bytes) -> tuple[str | None, tuple[str, int]]:
    """Cipher description and key-derivation cost of an encrypted PKCS#8 key.

    A scheme asn1crypto cannot describe (e.g. PBES2 with scrypt) gets the cost ("unknown", 0),
    which is never tried: its memory and time cost cannot be bounded beforehand.
    """
    try:
        info = asn1_keys.EncryptedPrivateKeyInfo.load(der, strict=True)
        algo = info["encryption_algorithm"]
        scheme = algo["algorithm"].native
        cipher = (
            f"{algo.encryption_cipher.upper()}-{algo.key_length * 8}-{algo.encryption_mode.upper()}"
        )
        kdf, iterations = str(algo.kdf), int(algo.kdf_iterations)
    except (ValueError, TypeError, KeyError, AttributeError):
        return None, ("unknown", 0)
    cost_name = "pkcs12" if kdf == "pkcs12_kdf" else "pbkdf2"
    return (
        f"{cipher} ({scheme.upper()}, {kdf.upper()}, {iterations} iterations)",
        (cost_name, iterations),
    )


def _encrypted_pkcs8(
    path: str, offset: int, inline: bool, der: bytes, fmt: str
) -> KeyMaterial | None:
    try:
        asn1_keys.EncryptedPrivateKeyInfo.load(der, strict=True)["encrypted_data"].native  # noqa: B018
    except (ValueError, TypeError):
        return None

    def decrypt(password: bytes) -> PrivateKeyTypes:
        return serialization.load_der_private_key(
            der, password, unsafe_skip_rsa_key_validation=True
        )

    cipher, cost = _pkcs8_protection(der)
    return KeyMaterial(
        path,
        offset,
        fmt,
        encrypted=True,
        inline=inline,
        cipher=cipher,
        decrypt=decrypt,
        kdf_cost=cost,
    )


def _pkcs12(path: str, data: bytes, found: ParsedFile) -> bool:
    """A PKCS#12 (.p12/.pfx) bundle: keys and certificates, opened without or with a passphrase."""
    header = 2 + (data[1] & 0x7F if data[1] >= 0x80 else 0)
    if data[header : header + 3] != b"\x02\x01\x03":  # PFX version 3
        return False
    try:  # a well-formed PFX whose authenticated safe holds data (asn1crypto parses it lazily)
        pfx = asn1_pkcs12.Pfx.load(data, strict=True)
        if pfx["auth_safe"]["content_type"].native != "data":
            return False
        pfx["auth_safe"]["content"].native  # noqa: B018 - forces the parse
        mac = pfx["mac_data"]
        iterations = int(mac["iterations"].native) if mac.native is not None else 1
    except (ValueError, TypeError, KeyError):
        return False
    cost = ("pkcs12", iterations)
    if not kdf_cost_allowed(cost):  # even the no-password trial derives the MAC key
        found.keys.append(
            KeyMaterial(path, 0, "PKCS#12", encrypted=True, inline=False, kdf_cost=cost)
        )
        return True

    def load(password: bytes | None) -> pkcs12.PKCS12KeyAndCertificates:
        return pkcs12.load_pkcs12(data, password)

    for password in (None, b""):
        try:
            bundle = load(password)
        except (ValueError, TypeError, UnsupportedAlgorithm):
            continue
        if bundle.key is not None:
            found.keys.append(
                KeyMaterial(
                    path,
                    0,
                    "PKCS#12",
                    encrypted=False,
                    inline=False,
                    private_key=bundle.key,
                    public_key=bundle.key.public_key(),
                )
            )
        certs = [c.certificate for c in bundle.additional_certs]
        if bundle.cert is not None:
            certs.insert(0, bundle.cert.certificate)
        found.certificates += [CertificateMaterial(path, 0, "PKCS#12", c) for c in certs]
        return True

    def decrypt(password: bytes) -> PrivateKeyTypes:
        key = load(password).key
        if key is None:
            raise ValueError("no private key in PKCS#12 bundle")
        return key

    found.keys.append(
        KeyMaterial(
            path, 0, "PKCS#12", encrypted=True, inline=False, decrypt=decrypt, kdf_cost=cost
        )
    )
    return True


def _load_certificate(der: bytes) -> x509.Certificate | None:
    length = _der_length(der)
    if length is None or length > len(der):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # e.g. RFC 5280 violations such as negative serials
            return x509.load_der_x509_certificate(der[:length])
    except ValueError:
        return None


def _parse_whole_file(path: str, data: bytes, found: ParsedFile) -> None:
    if data[:1] == b"\x30" and len(data) <= _DER_MAX and _der_length(data) == len(data):
        if _pkcs12(path, data, found):
            return
        key = _plain_der_key(path, 0, False, data, "DER")
        if key is not None:
            found.keys.append(key)
            return
        cert = _load_certificate(data)
        if cert is not None:
            found.certificates.append(CertificateMaterial(path, 0, "DER", cert))
        return
    if len(data) <= _DROPBEAR_MAX and data[4:8] in (b"ssh-", b"ecds"):
        key = _dropbear_key(path, data)
        if key is not None:
            found.keys.append(key)


# --- SSH wire format: OpenSSH and Dropbear --------------------------------------------------------


class _Wire:
    """Reader of SSH wire strings (uint32 length + bytes) and mpints."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.pos = 0

    def string(self) -> bytes:
        if self.pos + 4 > len(self.data):
            raise ValueError("truncated")
        (length,) = struct.unpack_from(">I", self.data, self.pos)
        end = self.pos + 4 + length
        if end > len(self.data):
            raise ValueError("truncated")
        value = self.data[self.pos + 4 : end]
        self.pos = end
        return value

    def uint32(self) -> int:
        if self.pos + 4 > len(self.data):
            raise ValueError("truncated")
        (value,) = struct.unpack_from(">I", self.data, self.pos)
        self.pos += 4
        return value

    def mpint(self) -> int:
        return int.from_bytes(self.string(), "big", signed=True)

    @property
    def rest(self) -> int:
        return len(self.data) - self.pos


def _ssh_public_key(blob: bytes) -> PublicKeyTypes | None:
    try:
        name = _Wire(blob).string()
        return serialization.load_ssh_public_key(name + b" " + base64.b64encode(blob))
    except (ValueError, UnsupportedAlgorithm):
        return None


def _openssh_key(
    path: str, offset: int, inline: bool, pem: bytes, der: bytes
) -> KeyMaterial | None:
    if not der.startswith(_OPENSSH_MAGIC):
        return None
    wire = _Wire(der[len(_OPENSSH_MAGIC) :])
    try:
        cipher = wire.string().decode("ascii", "replace")
        kdf = wire.string().decode("ascii", "replace")
        options = _Wire(wire.string())
        count = wire.uint32()
        public_blob = wire.string() if count else b""
        rounds = (options.string(), options.uint32())[1] if kdf == "bcrypt" else 0
    except ValueError:
        return None
    public = _ssh_public_key(public_blob)
    algorithm = _Wire(public_blob).string().decode("ascii", "replace") if public_blob else None
    if cipher == "none":
        try:
            key = serialization.load_ssh_private_key(pem, None)
        except (ValueError, UnsupportedAlgorithm):
            if public is None:
                return None
            key = None
        return KeyMaterial(
            path,
            offset,
            "OpenSSH",
            encrypted=False,
            inline=inline,
            private_key=key,
            public_key=key.public_key() if key is not None else public,
            algorithm_hint=algorithm,
        )

    def decrypt(password: bytes) -> PrivateKeyTypes:
        return serialization.load_ssh_private_key(pem, password)

    return KeyMaterial(
        path,
        offset,
        "OpenSSH",
        encrypted=True,
        inline=inline,
        public_key=public,
        algorithm_hint=algorithm,
        cipher=f"{cipher} ({kdf}, {rounds} rounds)" if rounds else f"{cipher} ({kdf})",
        decrypt=decrypt,
        kdf_cost=("bcrypt", rounds) if rounds else None,
    )


def _dropbear_key(path: str, data: bytes) -> KeyMaterial | None:
    """Dropbear's private key file: the SSH public fields followed by the private ones."""
    wire = _Wire(data)
    try:
        name = wire.string()
        if name not in _DROPBEAR_TYPES:
            return None
        key = _dropbear_fields(name, wire)
    except (ValueError, UnsupportedAlgorithm):
        return None
    if key is None or wire.rest > 16:  # tolerate a little padding, not a different file format
        return None
    return KeyMaterial(
        path,
        0,
        "Dropbear",
        encrypted=False,
        inline=False,
        private_key=key,
        public_key=key.public_key(),
    )


def _dropbear_fields(name: bytes, wire: _Wire) -> PrivateKeyTypes | None:
    if name == b"ssh-rsa":
        e, n, d, p, q = (wire.mpint() for _ in range(5))
        if p * q != n:
            return None
        return rsa.RSAPrivateNumbers(
            p,
            q,
            d,
            rsa.rsa_crt_dmp1(d, p),
            rsa.rsa_crt_dmq1(d, q),
            rsa.rsa_crt_iqmp(p, q),
            rsa.RSAPublicNumbers(e, n),
        ).private_key(unsafe_skip_rsa_key_validation=True)
    if name == b"ssh-dss":
        p, q, g, y, x = (wire.mpint() for _ in range(5))
        if pow(g, x, p) != y:
            return None
        return dsa.DSAPrivateNumbers(
            x, dsa.DSAPublicNumbers(y, dsa.DSAParameterNumbers(p, q, g))
        ).private_key()
    if name == b"ssh-ed25519":
        blob = wire.string()
        if len(blob) != 64:
            return None
        ed_key = ed25519.Ed25519PrivateKey.from_private_bytes(blob[:32])
        public = ed_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw
        )
        return ed_key if public == blob[32:] else None
    curve_name = wire.string().decode("ascii", "replace")
    curves: dict[str, ec.EllipticCurve] = {
        "nistp256": ec.SECP256R1(),
        "nistp384": ec.SECP384R1(),
        "nistp521": ec.SECP521R1(),
    }
    curve = curves.get(curve_name)
    if curve is None:
        return None
    point = wire.string()
    ec_key = ec.derive_private_key(wire.mpint(), curve)
    encoded = ec_key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )
    return ec_key if encoded == point else None
