"""Weak TLS, SSH, VPN and Wi-Fi crypto settings in configuration files (part of the crypto family).

Why: a device can ship a sound key and still let every client negotiate SSLv3, RC4 or an export
suite. The directives and what counts as weak are data (``data/tls_settings.yaml``, with RFC
sources); this module only applies them line by line, skipping comments, and explains each hit.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from .. import datafiles
from ..context import ScanContext
from ..model import Finding
from ..rootfs import RootFS
from . import filescan

STAGE = "checks.crypto"
_MAX_FILE = 256 * 1024
_SPLIT = re.compile(r"[\s:,]+")
_COMPONENTS = re.compile(r"[-_+:,\s/]+")
_THEME = "secure-communication"


@dataclass(frozen=True)
class _Rule:
    program: str
    literals: tuple[bytes, ...]
    regex: re.Pattern[str]
    kind: str
    check: str
    files: tuple[str, ...]
    enables: str | None


@cache
def _settings() -> dict[str, Any]:
    return datafiles.load("tls_settings.yaml")


@cache
def _rules() -> tuple[_Rule, ...]:
    rules = []
    for raw in _settings()["rules"]:
        literal = raw["literal"]
        literals = literal if isinstance(literal, list) else [literal]
        rules.append(
            _Rule(
                program=str(raw["program"]),
                literals=tuple(str(x).lower().encode() for x in literals),
                regex=re.compile(str(raw["regex"])),
                kind=str(raw["kind"]),
                check=str(raw["check"]),
                files=tuple(str(g) for g in raw.get("files", [])),
                enables=str(raw["enables"]) if raw.get("enables") else None,
            )
        )
    return tuple(rules)


def _protocol(token: str) -> str | None:
    aliases: dict[str, str] = _settings()["protocols"]["aliases"]
    return aliases.get(token.lower().lstrip("+-!"))


def weak_protocols(value: str) -> list[str]:
    """Weak protocols an enable-list turns on ("all -SSLv3" -> TLSv1.0, TLSv1.1)."""
    protocols = _settings()["protocols"]
    enabled: list[str] = []
    for token in _SPLIT.split(value.strip()):
        if not token:
            continue
        removing = token[0] in "-!"
        word = token.lstrip("+-!").lower()
        names = (
            list(protocols["all_means"]) if word in protocols["all_words"] else [_protocol(word)]
        )
        for name in names:
            if name is None:
                continue
            if removing:
                enabled = [p for p in enabled if p != name]
            elif name not in enabled:
                enabled.append(name)
    return [p for p in enabled if p in protocols["weak"]]


def weak_minimum(value: str) -> list[str]:
    """The weak protocols a minimum version still allows ("TLSv1" -> TLSv1.0, TLSv1.1)."""
    protocols = _settings()["protocols"]
    word = value.strip().strip("\"'").lower()
    if word in protocols["no_minimum_words"]:
        return ["no minimum protocol version"]
    name = _protocol(word)
    if name is None or name not in protocols["weak"]:
        return []
    order: list[str] = protocols["order"]
    return [p for p in order[order.index(name) :] if p in protocols["weak"]]


def weak_ciphers(value: str) -> list[str]:
    """Positive entries of a cipher string or list that name a weak algorithm."""
    weak = {str(c).upper() for c in _settings()["weak_cipher_components"]}
    found = []
    for token in _SPLIT.split(value.strip()):
        if not token or token[0] in "!-":
            continue
        name = token.lstrip("+@")
        if any(part.upper() in weak for part in _COMPONENTS.split(name) if part):
            found.append(name)
    return found


def weak_ssh(value: str) -> list[str]:
    patterns = [str(p) for p in _settings()["weak_ssh_algorithms"]]
    found = []
    for item in value.split(","):
        name = item.strip().lstrip("+^")
        if item.strip().startswith("-") or not name:
            continue
        if filescan.matches_any(name.lower(), patterns):
            found.append(name)
    return found


def _judge(rule: _Rule, value: str) -> list[str]:
    if rule.kind == "protocols":
        return weak_protocols(value)
    if rule.kind == "min_protocol":
        return weak_minimum(value)
    if rule.kind == "ciphers":
        return weak_ciphers(value)
    if rule.kind == "ssh_algorithms":
        return weak_ssh(value)
    return [rule.enables] if rule.enables else []


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith(("#", ";", "//"))


def findings(root: RootFS, ctx: ScanContext) -> list[Finding]:
    rules = _rules()
    found: list[Finding] = []
    for content in filescan.contents(root, ctx, STAGE):
        if not content.is_text or content.is_documentation or len(content.data) > _MAX_FILE:
            continue
        lowered = content.data.lower()
        path = content.entry.path
        active = [
            r
            for r in rules
            if any(lit in lowered for lit in r.literals)
            and (not r.files or filescan.matches_any(path, r.files))
        ]
        if not active:
            continue
        lines = content.data.decode("utf-8", "replace").splitlines()
        for number, line in enumerate(lines, 1):
            if _is_comment(line):
                continue
            for rule in active:
                match = rule.regex.search(line)
                if match is None:
                    continue
                value = match.groupdict().get("value") or ""
                weak = _judge(rule, value)
                if weak:
                    found.append(_finding(path, number, line, rule, value, weak))
    return found


def _finding(
    path: str, number: int, line: str, rule: _Rule, value: str, weak: list[str]
) -> Finding:
    what = ", ".join(weak)
    return Finding(
        check=rule.check,
        severity="medium",
        cwe="CWE-327",
        path=path,
        title=f"{rule.program} configuration allows weak crypto: {what}",
        detail=f"{path}:{number}: {line.strip()[:200]} - allows {what}.",
        themes=[_THEME],
        data={"program": rule.program, "line": number, "value": value, "weak": weak},
    )
