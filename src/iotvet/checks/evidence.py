"""How findings quote evidence: secrets partly redacted, values hashed, modes in octal.

Why: a report is read by many people and stored for years; it must prove a secret is there (enough
characters to find it, its length, a hash that a test or an assessor can compare against a known
value) without republishing the secret itself.
"""

from __future__ import annotations

import hashlib
import stat


def redact(value: str) -> str:
    """At most the first 4 characters (a third of short values), an ellipsis and the length."""
    shown = value[: min(4, len(value) // 3)]
    return f"{shown}…({len(value)} chars)"


def sha256_text(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def octal_mode(mode: int) -> str:
    """Permission bits incl. setuid/setgid/sticky as four octal digits ("0644", "4755")."""
    return f"{stat.S_IMODE(mode):04o}"


def world_readable(mode: int) -> bool:
    return bool(mode & stat.S_IROTH)
