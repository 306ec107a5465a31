"""Secrets family: API tokens, cloud keys, passwords, PSKs and connection strings in files.

Why: a token or password written into the firmware is the same in every unit and readable by anyone
who downloads the image (CWE-798); EN 303 645 5.4-3 forbids hard-coded critical security parameters.
What counts as a secret is data (``data/secret_patterns.yaml``: provider token formats from
gitleaks/trufflehog/detect-secrets rule ideas, names of secret-holding keys, credential file
formats, placeholders); this module applies it with few false positives:

* provider tokens are matched with one hyperscan pass per file (prefilter mode), confirmed with
  ``re``, in comments too;
* key/value assignments (ini, shell, JSON, XML, OpenWrt UCI, space-separated daemon configs) are
  read outside comments; the key name decides the kind, placeholders are dropped;
* long random values of keys that only hint at a secret are kept when their entropy is high;
* credential files (OpenVPN ``auth-user-pass``, PPP, IPsec) are parsed by their format;
* passphrase files of encrypted keys come from the crypto scan, where they were verified.

Documentation, ELF binaries (the credentials family reads string tables) and package bookkeeping are
not scanned. Each hit carries the kind, key, a redacted excerpt and the value's sha256.
"""

from __future__ import annotations

import math
import posixpath
import re
from collections import Counter
from dataclasses import dataclass, replace
from functools import cache
from typing import Any

import hyperscan

from .. import datafiles
from ..context import ScanContext
from ..model import Finding
from ..rootfs import RootFS
from . import filescan, keyscan
from .evidence import octal_mode, redact, sha256_text, world_readable

STAGE = "checks.secrets"
THEME = "secure-storage-of-secrets"
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_HEX = re.compile(r"^[0-9a-fA-F]+$")

# Key/value syntaxes. The key must start a line or follow a separator, so command-line options
# ("--password=x") and words inside identifiers are not keys.
_KEY = r"[A-Za-z_][\w.\-]{0,63}"
_VALUE = r"\"(?:[^\"\\\n]|\\.)*\"|'[^'\n]*'"
_ASSIGNMENTS = (
    re.compile(  # key=value, key: value, key => value, $key = 'v', export KEY="v", JS/JSON objects
        rf"(?:^|(?<=[\s{{,;(&?]))(?:export\s+|set\s+|readonly\s+|local\s+|var\s+|let\s+|const\s+)?"
        rf"(?P<q>[\"']?)\$?(?P<key>{_KEY})(?P=q)\s*(?::=|=>|=|:)\s*(?P<value>{_VALUE}|[^\s#;,&)}}'\"]+)"
    ),
    re.compile(rf"^\s*option\s+(?P<key>\S+)\s+(?P<value>{_VALUE}|\S+)"),  # OpenWrt UCI
    re.compile(rf"<(?P<key>{_KEY})>(?P<value>[^<\n]{{1,256}})</(?P=key)>"),  # XML elements
)
_BARE = re.compile(rf"^\s*(?P<key>{_KEY})\s+(?P<value>{_VALUE}|\S+)\s*$")  # "remote_password x"


@dataclass(frozen=True)
class Hit:
    path: str
    line: int
    kind: str
    key: str
    value: str
    severity: str
    rule: str
    priority: int  # lower wins when two rules report the same value in the same file


@dataclass(frozen=True)
class _TokenRule:
    id: str
    kind: str
    severity: str
    regex: re.Pattern[str]


@cache
def _patterns() -> dict[str, Any]:
    return datafiles.load("secret_patterns.yaml")


@cache
def _token_rules() -> tuple[tuple[_TokenRule, ...], hyperscan.Database]:
    rules = tuple(
        _TokenRule(str(r["id"]), str(r["kind"]), str(r["severity"]), re.compile(str(r["regex"])))
        for r in _patterns()["tokens"]
    )
    database = hyperscan.Database()
    database.compile(
        expressions=[r.regex.pattern.encode() for r in rules],
        ids=list(range(len(rules))),
        elements=len(rules),
        flags=[hyperscan.HS_FLAG_PREFILTER | hyperscan.HS_FLAG_SINGLEMATCH] * len(rules),
    )
    return rules, database


@cache
def _placeholders() -> tuple[re.Pattern[str], ...]:
    return tuple(re.compile(p) for p in _patterns()["placeholders"]["regexes"])


def is_placeholder(value: str, kind: str | None = None) -> bool:
    """True for values that are templates, variables, booleans, labels or file references."""
    rules = _patterns()["placeholders"]
    if len(value) < int(rules["min_length"]):
        return True
    if re.search(r"\s", value) and kind not in rules["spaces_allowed_kinds"]:
        return True
    return any(p.search(value) for p in _placeholders())


def normalise_key(key: str) -> str:
    return re.sub(r"[-. ]", "_", key.strip().lstrip("$").lower())


@cache
def _entries_for(name: str) -> tuple[dict[str, Any], ...]:
    """`secret_keys` entries whose name glob matches a normalised key, in priority order."""
    return tuple(
        dict(e) for e in _patterns()["secret_keys"] if filescan.matches_any(name, [e["match"]])
    )


def classify_key(key: str, path: str) -> dict[str, Any] | None:
    """The `secret_keys` entry for a configuration key in the file at ``path``, if any."""
    for entry in _entries_for(normalise_key(key)):
        files = entry.get("files")
        if not files or filescan.matches_any(path, files):
            return entry
    return None


@cache
def _line_prefilter() -> re.Pattern[str]:
    """Words one of which a line must contain to hold a secret-named key (from the data file)."""
    words = {str(h) for h in _patterns()["entropy"]["key_hints"]}
    for entry in _patterns()["secret_keys"]:
        words |= {w for w in re.split(r"[^a-z0-9]+", str(entry["match"])) if len(w) >= 3}
    return re.compile("|".join(sorted(map(re.escape, words))), re.I)


def shannon_entropy(value: str) -> float:
    counts = Counter(value)
    return -sum(n / len(value) * math.log2(n / len(value)) for n in counts.values())


def high_entropy_secret(key: str, value: str) -> bool:
    """Long random value of a key that hints at a secret (detect-secrets entropy idea)."""
    rules = _patterns()["entropy"]
    words = set(normalise_key(key).split("_"))
    if not words & set(rules["key_hints"]) or words & set(rules["ignore_key_words"]):
        return False
    if len(value) < int(rules["min_length"]) or _UUID.match(value) or "://" in value:
        return False
    if not re.fullmatch(r"[A-Za-z0-9+/=_\-]+", value):
        return False
    limit = float(rules["hex_threshold"] if _HEX.match(value) else rules["base64_threshold"])
    limit = min(limit, float(rules["short_string_factor"]) * math.log2(len(value)))
    return shannon_entropy(value) >= limit


_SHELL_EXPANSION = re.compile(r"\$[A-Za-z_{(]|`")


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def literal_value(raw: str, kind: str = "config") -> str | None:
    """The literal a value stands for in a file of ``kind``; None if computed at run time.

    In shell and code, ``$VAR``/``${...}``/``$(...)``/backticks outside single quotes are
    expansions; in code only quoted literals count, and not concatenation fragments ("+x+").
    openssl-style ``pass:`` prefixes are removed so one secret has one value.
    """
    raw = raw.strip()
    quoted = len(raw) >= 2 and raw[0] == raw[-1] and raw[0] in "\"'"
    value = _unquote(raw)
    if kind == "code" and (not quoted or value[:1] in "+." or value[-1:] in "+."):
        return None
    if kind != "config" and raw[:1] != "'" and _SHELL_EXPANSION.search(value):
        return None
    for prefix in _patterns()["value_prefixes"]:
        if value.startswith(prefix):
            value = value[len(prefix) :]
    return value


def allowlisted(path: str, value: str) -> bool:
    """Published upstream demo values (``allowlist`` in the data file)."""
    return any(
        value == str(e["value"]) and filescan.matches_any(path, [e["glob"]])
        for e in _patterns()["allowlist"]
    )


def _is_comment(line: str) -> bool:
    return line.lstrip().startswith(("#", ";", "//", "<!--", "--", "*", "/*"))


def file_kind(path: str, text: str) -> str:
    """The kind of file - shell, code or config - decides how a value is read (`file_kinds`)."""
    kinds = _patterns()["file_kinds"]
    if text.startswith("#!"):
        words = [posixpath.basename(w) for w in text[2:].split("\n", 1)[0].split()]
        if words[:1] == ["env"]:
            words = words[1:]
        return "shell" if words and words[0] in kinds["shell_interpreters"] else "code"
    suffix = posixpath.splitext(path)[1].lower()
    if suffix in kinds["shell_suffixes"]:
        return "shell"
    return "code" if suffix in kinds["code_suffixes"] else "config"


def token_hits(path: str, text: str, data: bytes) -> list[Hit]:
    """Provider-specific tokens (one hyperscan pass, confirmed by ``re``)."""
    rules, database = _token_rules()
    matched: set[int] = set()
    database.scan(data, match_event_handler=lambda rule_id, *_: matched.add(rule_id))
    hits = []
    for rule_id in sorted(matched):
        rule = rules[rule_id]
        for match in rule.regex.finditer(text):
            value = match.group("value")
            if is_placeholder(value, rule.kind) or allowlisted(path, value):
                continue
            key = match.groupdict().get("key") or rule.id
            line = text.count("\n", 0, match.start()) + 1
            hits.append(Hit(path, line, rule.kind, key, value, rule.severity, rule.id, 0))
    return hits


def _names_a_file(root: RootFS | None, path: str, value: str) -> bool:
    """The value is a file of the image (``auth-user-pass auth.txt``): a reference, not a secret."""
    if root is None:
        return False
    target = value if value.startswith("/") else posixpath.join(posixpath.dirname(path), value)
    return root.exists(target)


def assignment_hits(path: str, text: str, root: RootFS | None = None) -> list[Hit]:
    """Secret-named keys with a value, outside comments, in every common config syntax."""
    hits = []
    kind = file_kind(path, text)
    prefilter = _line_prefilter()
    for number, line in enumerate(text.splitlines(), 1):
        if not prefilter.search(line) or _is_comment(line):
            continue
        pairs = [
            (m.group("key"), m.group("value")) for rx in _ASSIGNMENTS for m in rx.finditer(line)
        ]
        if not pairs and kind == "config":
            bare = _BARE.match(line)
            if bare:
                pairs.append((bare.group("key"), bare.group("value")))
        for key, raw in pairs:
            value = literal_value(raw, kind)
            if value is None or value.startswith("-----BEGIN") or allowlisted(path, value):
                continue
            entry = classify_key(key, path)
            if entry is None and not high_entropy_secret(key, value):
                continue
            if is_placeholder(value, str(entry["kind"]) if entry else None):
                continue
            if _names_a_file(root, path, value):
                continue
            rule = entry or _patterns()["entropy"]
            name, priority = (f"secret-key:{entry['match']}", 2) if entry else ("high-entropy", 3)
            kind, severity = str(rule["kind"]), str(rule["severity"])
            hits.append(Hit(path, number, kind, key, value, severity, name, priority))
    return hits


def _user_password(path: str, lines: list[str], kind: str, severity: str, rule: str) -> list[Hit]:
    rows = [line.strip() for line in lines if line.strip()]
    if len(rows) < 2 or is_placeholder(rows[1], kind):
        return []
    return [Hit(path, 2, kind, rows[0], rows[1], severity, rule, 1)]


def credential_file_hits(path: str, text: str) -> list[Hit]:
    """Files whose format is known: PPP chap/pap secrets, IPsec secrets, inline OpenVPN auth."""
    hits: list[Hit] = []
    patterns = _patterns()
    for entry in patterns["credential_files"]:
        if not filescan.matches_any(path, [entry["glob"]]):
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if _is_comment(line) or not line.strip():
                continue
            hits += _credential_line(path, number, line, entry)
    for block in patterns["inline_user_password_blocks"]:
        tag = re.escape(str(block["tag"]))
        for match in re.finditer(rf"<{tag}>\s*\n(.*?)</{tag}>", text, re.S):
            hits += _user_password(
                path,
                match.group(1).splitlines(),
                str(block["kind"]),
                str(block["severity"]),
                f"inline:{block['tag']}",
            )
    return hits


def _credential_line(path: str, number: int, line: str, entry: dict[str, Any]) -> list[Hit]:
    kind, severity, fmt = str(entry["kind"]), str(entry["severity"]), str(entry["format"])
    if fmt == "ppp_secrets":  # client server secret [addresses]
        fields = re.findall(r"\"[^\"]*\"|\S+", line)
        if len(fields) >= 3 and not is_placeholder(_unquote(fields[2]), kind):
            return [
                Hit(
                    path,
                    number,
                    kind,
                    _unquote(fields[0]),
                    _unquote(fields[2]),
                    severity,
                    f"file-format:{fmt}",
                    1,
                )
            ]
    if fmt == "ipsec_secrets":  # [selectors] : PSK|EAP|XAUTH "secret"
        match = re.search(r":\s*(PSK|EAP|XAUTH|NTLM)\s+(\"[^\"]*\"|\S+)", line)
        if match and not is_placeholder(_unquote(match.group(2)), kind):
            return [
                Hit(
                    path,
                    number,
                    kind,
                    match.group(1),
                    _unquote(match.group(2)),
                    severity,
                    f"file-format:{fmt}",
                    1,
                )
            ]
    return []


def _referenced_user_password_files(root: RootFS, path: str, text: str) -> list[Hit]:
    hits: list[Hit] = []
    for entry in _patterns()["user_password_file_directives"]:
        for match in re.finditer(str(entry["regex"]), text, re.M):
            name = match.group("file")
            target = name if name.startswith("/") else posixpath.join(posixpath.dirname(path), name)
            resolved = root.resolve(target)
            content = root.read_text(resolved, 4096) if resolved else None
            if content is None:
                continue
            hits += _user_password(
                resolved or target,
                content.splitlines(),
                str(entry["kind"]),
                str(entry["severity"]),
                "referenced-file:auth-user-pass",
            )
    return hits


def _passphrase_hits(root: RootFS, ctx: ScanContext) -> list[Hit]:
    """Verified passphrases of encrypted keys, from the crypto scan."""
    hits = []
    for key in keyscan.scan(root, ctx).keys:
        if not key.passphrase or not key.passphrase_source:
            continue
        content = root.read_text(key.passphrase_source, 4096) or ""
        name = "(file content)" if content.strip() == key.passphrase else "(passphrase directive)"
        hits.append(
            Hit(
                key.passphrase_source,
                1,
                "private_key_passphrase",
                name,
                key.passphrase,
                "high",
                f"verified-passphrase:{key.path}",
                0,
            )
        )
    return hits


def _excluded(path: str) -> bool:
    return filescan.matches_any(path, _patterns()["excluded_globs"])


def scan_text(root: RootFS, path: str, data: bytes) -> list[Hit]:
    """Every secret hit in one text file (before de-duplication)."""
    text = data.decode("utf-8", "replace")
    hits = token_hits(path, text, data)
    hits += assignment_hits(path, text, root)
    hits += credential_file_hits(path, text)
    hits += _referenced_user_password_files(root, path, text)
    return hits


def _deduplicate(hits: list[Hit]) -> list[Hit]:
    """One hit per (file, value): the most specific rule's kind, the file's own key name."""
    groups: dict[tuple[str, str], list[Hit]] = {}
    for hit in hits:
        groups.setdefault((hit.path, hit.value), []).append(hit)
    chosen = []
    for group in groups.values():
        best = min(group, key=lambda h: (h.priority, h.line))
        named = [h for h in group if h.key != h.rule]  # token rules without a key group use the id
        if best.key == best.rule and named:
            best = replace(best, key=min(named, key=lambda h: h.line).key)
        chosen.append(best)
    return sorted(chosen, key=lambda h: (h.path, h.line, h.kind))


@dataclass(frozen=True)
class SecretsFamily:
    name: str = "secrets"

    def run(self, root: RootFS, ctx: ScanContext) -> list[Finding]:
        hits: list[Hit] = []
        for content in filescan.contents(root, ctx, STAGE):
            path = content.entry.path
            if not content.is_text or content.is_documentation or _excluded(path):
                continue
            hits += scan_text(root, path, content.data)
        hits += _passphrase_hits(root, ctx)
        return [_finding(root, hit) for hit in _deduplicate(hits)]


def _finding(root: RootFS, hit: Hit) -> Finding:
    entry = root.entry(hit.path)
    mode = entry.mode if entry is not None else 0
    label = hit.kind.replace("_", " ")
    readable_by_all = world_readable(root, hit.path)
    readable = ", readable by every user" if readable_by_all else ""
    return Finding(
        check="secrets." + hit.kind.replace("_", "-"),
        severity=hit.severity,  # type: ignore[arg-type]
        cwe="CWE-798",
        path=hit.path,
        title=f"Hard-coded {label} ({hit.key})",
        detail=f"{hit.path}:{hit.line} (mode {octal_mode(mode)}{readable}): {hit.key} = "
        f"{redact(hit.value)}",
        themes=[THEME],
        data={
            "kind": hit.kind,
            "key": hit.key,
            "line": hit.line,
            "value_sha256": sha256_text(hit.value),
            "value_length": len(hit.value),
            "rule": hit.rule,
            "mode": octal_mode(mode),
            "world_readable": readable_by_all,
        },
    )


FAMILY = SecretsFamily()
