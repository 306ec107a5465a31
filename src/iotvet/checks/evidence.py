"""How findings quote evidence: secrets partly redacted, values hashed, modes in octal.

Why: a report is read by many people and stored for years; it must prove a secret is there (enough
characters to find it, its length, a hash that a test or an assessor can compare against a known
value) without republishing the secret itself.
"""

from __future__ import annotations

import hashlib
import posixpath
import stat

from ..rootfs import RootFS


def redact(value: str) -> str:
    """At most the first 4 characters (a third of short values), an ellipsis and the length."""
    shown = value[: min(4, len(value) // 3)]
    return f"{shown}…({len(value)} chars)"


def sha256_text(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def octal_mode(mode: int) -> str:
    """Permission bits incl. setuid/setgid/sticky as four octal digits ("0644", "4755")."""
    return f"{stat.S_IMODE(mode):04o}"


def world_readable(root: RootFS, path: str) -> bool:
    """Any local user can read the file: it is o+r and every directory above it is o+x.

    A key with mode 0644 inside a 0700 directory (``/etc/ssl/private``) is *not* readable by others;
    the finding still shows the file's own mode.
    """
    entry = root.entries.get(path)
    if entry is None or not entry.mode & stat.S_IROTH:
        return False
    parent = posixpath.dirname(path)
    while parent not in ("/", ""):
        directory = root.entries.get(parent)
        if directory is not None and directory.is_dir and not directory.mode & stat.S_IXOTH:
            return False
        parent = posixpath.dirname(parent)
    return True
