"""Password hash classification and trial hashing with the system's libxcrypt.

Why libxcrypt through ctypes: it is the library the devices themselves (glibc/musl systems with
libxcrypt, BusyBox using crypt()) verify logins with, it implements every crypt(3) scheme found in
firmware (DES, BSDi, md5crypt, sha256/sha512crypt, bcrypt, yescrypt, gost-yescrypt, scrypt,
sunmd5, sha1crypt, NT) in C, and it is thread-safe through ``crypt_rn``. Python's ``crypt`` module
is deprecated (PEP 594) and gone in 3.13; passlib has no yescrypt and is unmaintained. Schemes
libxcrypt does not know (Apache ``$apr1$``) are reported as untestable, never silently skipped.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import hashlib
import re
from functools import cache
from typing import Any

from .. import datafiles

_CRYPT_DATA_SIZE = 32768  # sizeof(struct crypt_data) in libxcrypt


@cache
def _formats() -> list[tuple[re.Pattern[str], str]]:
    spec: dict[str, Any] = datafiles.load("credentials.yaml")
    return [(re.compile(item["pattern"]), str(item["type"])) for item in spec["hash_formats"]]


def classify(field: str) -> str:
    """Hash type of a passwd/shadow password field: empty, locked, des, md5crypt, …, unknown."""
    if field == "":
        return "empty"
    if field[0] in "!*" or field in ("x", "LK", "NP"):
        return "locked"
    for pattern, kind in _formats():
        if pattern.match(field):
            return kind
    return "unknown"


class _LibXcrypt:
    def __init__(self) -> None:
        name = ctypes.util.find_library("crypt") or "libcrypt.so.1"
        lib = ctypes.CDLL(name)
        self._crypt_rn = lib.crypt_rn
        self._crypt_rn.restype = ctypes.c_char_p
        self._crypt_rn.argtypes = [ctypes.c_char_p, ctypes.c_char_p, ctypes.c_void_p, ctypes.c_int]
        self._buffer = ctypes.create_string_buffer(_CRYPT_DATA_SIZE)

    def crypt(self, password: str, setting: str) -> str | None:
        result = self._crypt_rn(
            password.encode("utf-8", "replace"), setting.encode(), self._buffer, _CRYPT_DATA_SIZE
        )
        if result is None or result.startswith(b"*"):
            return None
        return result.decode("ascii", "replace")


@cache
def _backend() -> _LibXcrypt | None:
    try:
        return _LibXcrypt()
    except (OSError, AttributeError):
        return None


def backend_name() -> str:
    return "libxcrypt (crypt_rn)" if _backend() is not None else "none"


def verify(password: str, hashed: str) -> bool | None:
    """True/False if ``password`` matches ``hashed``; None if the scheme cannot be tested."""
    if hashed.startswith("{SHA}"):  # htpasswd SHA-1 (RFC 2307 style, base64)
        digest = base64.b64encode(hashlib.sha1(password.encode()).digest()).decode()
        return hashed[5:] == digest
    if hashed.startswith("{PLAIN}") or hashed.startswith("$plain$"):
        return hashed.split("}", 1)[-1].removeprefix("$plain$") == password
    backend = _backend()
    if backend is None:
        return None
    result = backend.crypt(password, hashed)
    if result is None:
        return None
    return result == hashed
