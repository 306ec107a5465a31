"""Key material of a whole root file system: keys, certificates, stored passphrases, references.

Why: an encrypted private key only protects anything if its passphrase is not shipped next to it.
Finding that out needs the whole tree (files near the key, files named like passphrase files,
configuration directives that give a passphrase or name a passphrase file), and the answer is
needed by two families: crypto reports the key, secrets reports the passphrase file. The scan
therefore runs once per root and is shared. Every candidate passphrase is *verified* by
decrypting the key with ``cryptography``; nothing is reported on a guess.
"""

from __future__ import annotations

import posixpath
import re
import time
from dataclasses import dataclass, field
from typing import Any

from .. import datafiles
from ..context import ScanContext
from ..rootfs import RootFS
from . import filescan, keyparse
from .keyparse import CertificateMaterial, KeyMaterial

STAGE = "checks.crypto"
_DIRECTIVE_MAX_FILE = 256 * 1024
_MAX_TOKEN = 256


@dataclass
class KeyScan:
    keys: list[KeyMaterial] = field(default_factory=list)
    certificates: list[CertificateMaterial] = field(default_factory=list)
    documentation: set[str] = field(default_factory=set)  # paths of documentation/example files
    references: dict[str, list[str]] = field(
        default_factory=dict
    )  # key/cert path -> files naming it


@dataclass
class _Candidates:
    """Where passphrases may come from, gathered during the single pass over the tree."""

    small_files: dict[str, str] = field(default_factory=dict)  # path -> text of a tiny file
    inline_values: list[tuple[str, str]] = field(default_factory=list)  # (value, config path)
    named_files: list[str] = field(default_factory=list)  # files named by a directive


_SCANS: filescan.PerRoot[KeyScan] = filescan.PerRoot()


def _rules() -> dict[str, Any]:
    rules: dict[str, Any] = datafiles.load("crypto.yaml")["passphrase_search"]
    return rules


def scan(root: RootFS, ctx: ScanContext) -> KeyScan:
    """The key material of ``root`` (computed once per root, shared by crypto and secrets)."""
    return _SCANS.get(root, lambda: _scan(root, ctx))


def _scan(root: RootFS, ctx: ScanContext) -> KeyScan:
    rules = _rules()
    directives = [
        (str(d["literal"]).encode(), re.compile(str(d["regex"]).encode(), re.M))
        for d in rules["directives"]
    ]
    max_small = int(rules["max_file_bytes"])
    result = KeyScan()
    candidates = _Candidates()
    text_paths: list[str] = []
    for content in filescan.contents(root, ctx, STAGE):
        path, data = content.entry.path, content.data
        parsed = keyparse.parse(path, data)
        result.keys += parsed.keys
        result.certificates += parsed.certificates
        if content.is_documentation:
            if parsed.keys or parsed.certificates:
                result.documentation.add(path)
            continue
        if not content.is_text:
            continue
        text_paths.append(path)
        if len(data) <= max_small and b"-----BEGIN" not in data:
            candidates.small_files[path] = data.decode("utf-8", "replace")
        if len(data) <= _DIRECTIVE_MAX_FILE:
            _directive_hits(path, data, directives, candidates)
    if any(k.encrypted for k in result.keys):
        _find_passphrases(root, ctx, result.keys, candidates, rules)
    if result.keys or result.certificates:
        result.references = _references(root, result, text_paths)
    return result


def _directive_hits(
    path: str,
    data: bytes,
    directives: list[tuple[bytes, re.Pattern[bytes]]],
    candidates: _Candidates,
) -> None:
    lowered = data.lower()
    for literal, regex in directives:
        if literal not in lowered:
            continue
        for match in regex.finditer(data):
            groups = match.groupdict()
            if groups.get("value"):
                value = groups["value"].decode("utf-8", "replace")
                candidates.inline_values.append((value, path))
            if groups.get("file"):
                candidates.named_files.append(groups["file"].decode("utf-8", "replace"))


def _tokens(text: str) -> list[str]:
    """Strings a passphrase file may hold: the whole content, each line, values, words."""
    found: list[str] = [text.strip()]
    for raw in text.splitlines():
        line = raw.strip()
        found.append(line)
        for sep in ("=", ":"):
            if sep in line:
                found.append(line.split(sep, 1)[1].strip().strip("\"'"))
        found += line.split()
    return [t for t in dict.fromkeys(found) if 0 < len(t) <= _MAX_TOKEN]


def _candidate_list(
    root: RootFS, key: KeyMaterial, candidates: _Candidates, rules: dict[str, Any]
) -> list[tuple[str, str | None]]:
    """(passphrase, where it is stored) in the order worth trying; "" first (empty passphrase)."""
    key_dir = posixpath.dirname(key.path)
    near_dirs = {key_dir, posixpath.dirname(key_dir)}
    globs = [str(g) for g in rules["file_globs"]]
    files: list[str] = []
    for named in candidates.named_files:
        resolved = root.resolve(named)
        if resolved is not None and resolved in candidates.small_files:
            files.append(resolved)
    small = candidates.small_files
    files += [p for p in small if filescan.matches_any(posixpath.basename(p), globs)]
    files += [p for p in small if posixpath.dirname(p) in near_dirs and p != key.path]
    ordered: list[tuple[str, str | None]] = [("", None)]
    for path in dict.fromkeys(files):
        ordered += [(token, path) for token in _tokens(small[path])]
    ordered += candidates.inline_values
    seen: set[str] = set()
    unique: list[tuple[str, str | None]] = []
    for value, source in ordered:
        if value not in seen:
            seen.add(value)
            unique.append((value, source))
    return unique[: int(rules["max_candidates_per_key"])]


def _find_passphrases(
    root: RootFS,
    ctx: ScanContext,
    keys: list[KeyMaterial],
    candidates: _Candidates,
    rules: dict[str, Any],
) -> None:
    deadline = time.monotonic() + float(rules["budget_s"])
    for key in keys:
        if not key.encrypted:
            continue
        if not keyparse.kdf_cost_allowed(key.kdf_cost):
            ctx.skip(key.path, f"passphrase not tried: key derivation cost {key.kdf_cost}", STAGE)
            continue
        if key.decrypt is None:
            continue
        for value, source in _candidate_list(root, key, candidates, rules):
            if time.monotonic() > deadline:
                ctx.skip(key.path, "passphrase search stopped by its time budget", STAGE)
                break
            try:
                private = key.decrypt(value.encode("utf-8"))
            except Exception:  # wrong passphrase (ValueError) or a hostile blob: try the next
                continue
            key.private_key = private
            key.public_key = private.public_key()
            key.passphrase = value
            key.passphrase_source = source
            break


def _references(root: RootFS, result: KeyScan, text_paths: list[str]) -> dict[str, list[str]]:
    """Which text files name each key or certificate file by its absolute path."""
    targets = {m.path for m in result.keys} | {c.path for c in result.certificates}
    found: dict[str, list[str]] = {t: [] for t in targets}
    needles = {t: t.encode() for t in targets}
    for path in text_paths:
        data = root.read_bytes(path, _DIRECTIVE_MAX_FILE)
        if not data:
            continue
        for target, needle in needles.items():
            if target != path and needle in data:
                found[target].append(path)
    return found
