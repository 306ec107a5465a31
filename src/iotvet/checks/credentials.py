"""The credentials family: device accounts and their passwords, web/CGI account files, and
passwords hard-coded in scripts and binaries.

Why: a universal default password is the first requirement of every IoT baseline (EN 303 645
5.1-1, NIST IR 8425 / Cyber Trust Mark, UK PSTI, CRA Annex I). The family parses passwd/shadow
(also hashes kept in /etc/passwd, BusyBox/OpenWrt variants), classifies every hash, and tries a
sourced list of default and common IoT credentials (data/credentials.yaml) against each testable
hash with the system's libxcrypt, within ``Limits.password_budget_s``. A cracked default password
is reported *with* the password: that is the evidence an assessor needs. Hash types that cannot be
tested and hashes the budget did not cover are reported, never skipped silently.

Generic tokens/keys in configuration files belong to the secrets family; this one covers account
and login credentials only.
"""

from __future__ import annotations

import posixpath
import re
import stat
import time
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from .. import datafiles
from ..context import ScanContext
from ..model import Finding
from ..rootfs import RootFS
from . import filescan, pwhash
from .boot import option_values
from .evidence import octal_mode
from .shell import Shell, boot_knowledge

PW = "no-universal-default-password"
SEC = "secure-storage-of-secrets"
STAGE = "checks/credentials"

# Both patterns start with a literal so the regex engine can skip ahead quickly over binaries; the
# user name in front of the match is read backwards (_USER_BEFORE).
_EMBEDDED_HASH = re.compile(
    rb":(\$(?:1|5|6|2[abxy]|y|gy|7|md5|sha1|apr1)\$[./0-9A-Za-z$,=]{8,200}):"
)
_EMBEDDED_DES = re.compile(rb":([./0-9A-Za-z]{13}):\d+:\d+:")
_USER_BEFORE = re.compile(rb"(?<![\w.-])([a-z_][a-z0-9_.-]{0,31})$")
_URL_CREDENTIALS = re.compile(
    r"\b([a-z][a-z0-9+.-]{1,15})://([^\s:/@'\"]{1,64}):([^\s@/'\"]{1,128})@"
)


@dataclass
class Account:
    user: str
    uid: int | None
    gid: int | None
    home: str
    shell: str
    hash_file: str
    hash: str
    hash_type: str
    line: int
    password: str | None = None
    source: str | None = None
    tested: bool = False
    complete: bool = False
    testable: bool = True

    @property
    def login_capable(self) -> bool:
        nologin = set(_know()["nologin_shells"])
        return self.hash_type != "locked" and (self.shell or "/bin/sh") not in nologin


@dataclass
class Credential:
    """A user/password (or user/hash) pair found outside passwd/shadow."""

    path: str
    line: int
    user: str | None
    secret: str
    kind: str  # "hash" or "plaintext"
    context: str  # what holds it: "htpasswd", "httpd.conf", "script", "binary", "url"
    excerpt: str
    hash_type: str | None = None
    password: str | None = None
    source: str | None = None
    tested: bool = False
    complete: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def _know() -> dict[str, Any]:
    return datafiles.load("credentials.yaml")


def redact(secret: str, keep: int = 3) -> str:
    """Show only the start of a secret (hashes keep their scheme prefix and salt start)."""
    if not secret:
        return ""
    if secret.startswith("$"):
        head = secret.rsplit("$", 1)[0]
        return head[: min(len(head), 16)] + "$…"
    return secret[:keep] + "…" if len(secret) > keep else "…"


def parse_accounts(root: RootFS) -> list[Account]:
    """Every /etc/passwd entry with its password field resolved from /etc/shadow."""
    passwd = root.read_text("/etc/passwd", 1 << 22) or ""
    shadow_text = root.read_text("/etc/shadow", 1 << 22)
    shadow: dict[str, str] = {}
    for raw in (shadow_text or "").splitlines():
        parts = raw.split(":")
        if len(parts) >= 2 and parts[0] and not raw.startswith("#"):
            shadow.setdefault(parts[0], parts[1])
    accounts: list[Account] = []
    for number, raw in enumerate(passwd.splitlines(), 1):
        if not raw.strip() or raw.startswith("#") or raw.startswith("+"):
            continue
        parts = raw.split(":")
        if len(parts) < 7:
            parts += [""] * (7 - len(parts))
        user, field_, uid, gid, _gecos, home, shell = parts[:7]
        if field_ == "x" and shadow_text is not None:
            hashed = shadow.get(user, "*")
            hash_file = "/etc/shadow"
        else:
            hashed = field_
            hash_file = "/etc/passwd"
        accounts.append(
            Account(
                user=user,
                uid=int(uid) if uid.isdigit() else None,
                gid=int(gid) if gid.isdigit() else None,
                home=home,
                shell=shell,
                hash_file=hash_file,
                hash=hashed,
                hash_type=pwhash.classify(hashed),
                line=number,
            )
        )
    return accounts


class Cracker:
    """Tries the sourced default/common credentials against hashes until a shared deadline."""

    def __init__(self, budget_s: float, hostname: str | None) -> None:
        self.deadline = time.monotonic() + budget_s
        self.hostname = hostname
        self.pairs: list[tuple[str, str, str]] = []  # (user, password, list id)
        self.passwords: list[tuple[str, str]] = []  # (password, list id), unique, in order
        seen: set[str] = set()
        for item in _know()["lists"]:
            for user, password in item.get("pairs", []):
                self.pairs.append((str(user), str(password), str(item["id"])))
                if password not in seen:
                    seen.add(password)
                    self.passwords.append((str(password), str(item["id"])))
            for password in item.get("passwords", []):
                if password not in seen:
                    seen.add(str(password))
                    self.passwords.append((str(password), str(item["id"])))
        self.default_passwords = {p for p, _ in self.passwords}

    def candidates(self, user: str | None) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = [("", "empty password")]
        if user:
            out.append((user, "derived: same as the user name"))
        if self.hostname:
            out.append((self.hostname, "derived: the device host name"))
        if user:
            out += [(p, source) for u, p, source in self.pairs if u.lower() == user.lower()]
        out += self.passwords
        unique: dict[str, str] = {}
        for password, source in out:
            unique.setdefault(password, source)
        return list(unique.items())

    def crack(self, user: str | None, hashed: str) -> tuple[str | None, str | None, bool, bool]:
        """(password, source, complete, testable) for one hash."""
        candidates = self.candidates(user)
        for index, (password, source) in enumerate(candidates):
            # the first trial always runs: it also tells whether the scheme is testable at all
            if index and time.monotonic() > self.deadline:
                return None, None, False, True
            result = pwhash.verify(password, hashed)
            if result is None:
                return None, None, index > 0, False
            if result:
                return password, source, True, True
        return None, None, True, True


def modes_trustworthy(root: RootFS) -> bool:
    """False when the unpacker evidently lost permission bits (no executable in the usual
    program directories has any x bit), so mode-based findings would be artefacts."""
    seen = executable = 0
    for directory in ("/bin", "/sbin", "/usr/bin", "/usr/sbin"):
        for path in root.listdir(directory):
            entry = root.entries.get(path)
            if entry is None or not entry.is_file:
                continue
            seen += 1
            executable += bool(entry.mode & 0o111)
            if seen >= 50:
                break
    return seen == 0 or executable > 0


class _Credentials:
    name = "credentials"

    def run(self, root: RootFS, ctx: ScanContext) -> list[Finding]:
        hostname = (root.read_text("/etc/hostname", 256) or "").strip() or None
        cracker = Cracker(ctx.limits.password_budget_s, hostname)
        accounts = parse_accounts(root)
        self._crack_accounts(accounts, cracker)
        findings = self._account_findings(root, accounts, cracker)
        credentials = self._account_files(root) + self._embedded(root, ctx)
        for cred in credentials:
            if cred.kind == "hash":
                password, source, complete, testable = cracker.crack(cred.user, cred.secret)
                cred.password, cred.source, cred.complete = password, source, complete
                cred.tested = testable
            elif cred.secret in cracker.default_passwords:
                cred.password, cred.source = cred.secret, "default/common credential list"
        findings += self._credential_findings(credentials)
        findings += self._untested(accounts, credentials, ctx)
        return findings

    # ------------------------------------------------------------------ accounts
    @staticmethod
    def _crack_accounts(accounts: list[Account], cracker: Cracker) -> None:
        order = sorted(accounts, key=lambda a: (not a.login_capable, a.uid != 0, a.line))
        for account in order:
            if account.hash_type in ("empty", "locked"):
                account.complete = True
                continue
            password, source, complete, testable = cracker.crack(account.user, account.hash)
            account.password, account.source = password, source
            account.complete, account.testable, account.tested = complete, testable, testable

    def _account_findings(
        self, root: RootFS, accounts: list[Account], cracker: Cracker
    ) -> list[Finding]:
        findings: list[Finding] = []
        if not accounts:
            return findings
        findings.append(
            Finding(
                check="credentials.accounts",
                severity="info",
                path="/etc/passwd",
                title=f"{len(accounts)} accounts, "
                f"{sum(a.login_capable for a in accounts)} can log in",
                detail="; ".join(
                    f"{a.user} (uid {a.uid}, {a.hash_type}, {a.shell or '/bin/sh'})"
                    for a in accounts
                ),
                data={
                    "accounts": [self._account_data(a, cracker) for a in accounts],
                    "hash_backend": pwhash.backend_name(),
                },
            )
        )
        weak = set(_know()["weak_hash_types"])
        for account in accounts:
            data = self._account_data(account, cracker)
            excerpt = f"{account.hash_file}: {account.user}:{redact(account.hash)}:…"
            capable = account.login_capable
            # an empty or known password matters most where the account can log in
            known_password = partial(
                Finding,
                severity="critical" if capable else "low",
                path=account.hash_file,
                themes=[PW] if capable else [],
                data=data,
            )
            if account.hash_type == "empty":
                findings.append(
                    known_password(
                        check="credentials.empty-password",
                        cwe="CWE-258",
                        title=f"account {account.user} has an empty password"
                        + ("" if capable else " (no login shell)"),
                        detail=excerpt,
                    )
                )
            elif account.password is not None:
                findings.append(
                    known_password(
                        check="credentials.default-password",
                        cwe="CWE-1392",
                        title=f"account {account.user} has the default password "
                        f"'{account.password}' ({account.hash_type})",
                        detail=f"{excerpt} matches '{account.password}' ({account.source})",
                    )
                )
            if account.hash_type in weak and account.hash_type != "locked":
                findings.append(
                    Finding(
                        check="credentials.weak-hash",
                        severity="medium",
                        cwe="CWE-916",
                        path=account.hash_file,
                        title=f"account {account.user} uses the weak {account.hash_type} hash",
                        detail=excerpt,
                        data=data,
                    )
                )
            if account.hash_file == "/etc/passwd" and account.hash_type not in (
                "empty",
                "locked",
                "unknown",
            ):
                findings.append(
                    Finding(
                        check="credentials.hash-in-passwd",
                        severity="high",
                        cwe="CWE-522",
                        path="/etc/passwd",
                        title=f"password hash of {account.user} is in world-readable /etc/passwd",
                        detail=excerpt,
                        themes=[SEC],
                        data=data,
                    )
                )
            if account.uid == 0 and account.user != "root" and account.hash_type != "locked":
                findings.append(
                    Finding(
                        check="credentials.uid0-alias",
                        severity="high",
                        cwe="CWE-269",
                        path="/etc/passwd",
                        title=f"account {account.user} has uid 0 (a second root account)",
                        detail=f"/etc/passwd:{account.line}: {account.user}:…:0:",
                        data=data,
                    )
                )
        findings += self._shared(accounts)
        findings += self._shadow_mode(root)
        return findings

    @staticmethod
    def _account_data(account: Account, cracker: Cracker) -> dict[str, object]:
        return {
            "user": account.user,
            "uid": account.uid,
            "gid": account.gid,
            "home": account.home,
            "shell": account.shell,
            "hash_file": account.hash_file,
            "hash_type": account.hash_type,
            "hash_prefix": redact(account.hash),
            "password": "" if account.hash_type == "empty" else account.password,
            "password_source": account.source,
            "login_capable": account.login_capable,
            "password_in_default_list": account.hash_type == "empty"
            or (account.password is not None and account.password in cracker.default_passwords),
            "tested": account.tested,
            "all_candidates_tried": account.complete,
        }

    @staticmethod
    def _shared(accounts: list[Account]) -> list[Finding]:
        groups: dict[str, list[Account]] = {}
        for account in accounts:
            if account.hash_type not in ("empty", "locked", "unknown"):
                groups.setdefault(account.hash, []).append(account)
        findings = []
        for hashed, group in groups.items():
            if len(group) < 2:
                continue
            users = [a.user for a in group]
            findings.append(
                Finding(
                    check="credentials.shared-hash",
                    severity="medium",
                    cwe="CWE-1391",
                    path=group[0].hash_file,
                    title=f"accounts {', '.join(users)} share one password hash",
                    detail=f"identical hash {redact(hashed)} (same password and salt)",
                    data={"users": users, "hash_type": group[0].hash_type},
                )
            )
        return findings

    @staticmethod
    def _shadow_mode(root: RootFS) -> list[Finding]:
        entry = root.entry("/etc/shadow")
        if entry is None or not entry.is_file or not entry.mode & stat.S_IROTH:
            return []
        if not modes_trustworthy(root):
            return []
        return [
            Finding(
                check="credentials.shadow-world-readable",
                severity="high",
                cwe="CWE-732",
                path="/etc/shadow",
                title="/etc/shadow is readable by every user",
                detail=f"mode {octal_mode(entry.mode)}",
                themes=[SEC],
                data={"mode": octal_mode(entry.mode)},
            )
        ]

    # ------------------------------------------------------------------ other sources
    def _account_files(self, root: RootFS) -> list[Credential]:
        spec = _know()["account_files"]
        shell = Shell(root, follow=False)
        paths: list[str] = []
        for pattern in spec["globs"]:
            paths += shell.glob(pattern)
        for conf in shell.glob("/etc/lighttpd/*.conf") + shell.glob("/etc/lighttpd/*/*.conf"):
            conf_text = root.read_text(conf, 1 << 20) or ""
            for option in spec["lighttpd_userfile_options"]:
                for m in re.finditer(rf'^\s*{re.escape(option)}\s*=\s*"([^"]+)"', conf_text, re.M):
                    paths.append(m.group(1))
        found: list[Credential] = []
        for account_file in dict.fromkeys(paths):
            if account_file in ("/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow"):
                continue
            text = root.read_text(account_file, 1 << 20)
            if text is None or "\x00" in text[:4096]:
                continue
            found += self._account_lines(account_file, text)
        return found

    @staticmethod
    def _account_lines(path: str, text: str) -> list[Credential]:
        busybox_httpd = posixpath.basename(path) == "httpd.conf"
        out: list[Credential] = []
        for number, raw in enumerate(text.splitlines(), 1):
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = line.split(":")
            if busybox_httpd:
                # "/path:user:pass" protects a path; "A:"/"D:"/"H:"… lines are other settings
                if not line.startswith("/") or len(parts) < 3:
                    continue
                user, secret = parts[1], ":".join(parts[2:])
            elif len(parts) == 3 and len(parts[2]) == 32:  # htdigest user:realm:md5
                continue
            elif len(parts) >= 2:
                user, secret = parts[0], parts[1]
            else:
                continue
            if not user or not secret:
                continue
            kind = pwhash.classify(secret)
            is_hash = kind not in ("unknown", "locked", "empty") and not (
                kind in ("des", "bigcrypt") and not busybox_httpd and "htpasswd" not in path
            )
            out.append(
                Credential(
                    path=path,
                    line=number,
                    user=user,
                    secret=secret,
                    kind="hash" if is_hash else "plaintext",
                    context="httpd.conf" if busybox_httpd else "account file",
                    excerpt=f"{path}:{number}: {user}:{redact(secret)}",
                    hash_type=kind if is_hash else None,
                )
            )
        return out

    def _embedded(self, root: RootFS, ctx: ScanContext) -> list[Credential]:
        """Account lines and passwords written into scripts and binaries."""
        found: list[Credential] = []
        skip = {"/etc/passwd", "/etc/shadow", "/etc/passwd-", "/etc/shadow-"}
        cap = min(filescan.max_scan_bytes(), ctx.limits.max_file_read)
        for entry in filescan.classify(root).elf:
            data = root.read_bytes(entry.path, cap)
            if data is not None:
                found += self._hash_lines(entry.path, data, "binary")
        scripts: list[str] = []
        for content in filescan.contents(root, ctx, STAGE):
            path = content.entry.path
            if path in skip or content.is_documentation:
                continue
            found += self._hash_lines(path, content.data, "file")
            if content.is_text and self._is_script(path, content.data):
                scripts.append(path)
                found += self._url_credentials(path, content.data)
            elif content.is_text and self._is_web(path):
                found += self._url_credentials(path, content.data)
        found += self._script_credentials(root, scripts)
        return found

    @staticmethod
    def _is_script(path: str, data: bytes) -> bool:
        if data.startswith(b"#!"):
            first = data.split(b"\n", 1)[0].decode("utf-8", "replace")
            names = [posixpath.basename(w) for w in first[2:].split()[:2]]
            return bool(set(names) & set(boot_knowledge()["shell_interpreters"])) or (
                "rc.common" in first
            )
        return path.endswith(".sh") or path.startswith("/etc/init.d/")

    @staticmethod
    def _is_web(path: str) -> bool:
        return (
            "/cgi-bin/" in path
            or path.startswith(("/www/", "/var/www/", "/usr/www/"))
            or (path.endswith((".cgi", ".lua", ".php", ".asp")))
        )

    @staticmethod
    def _hash_lines(path: str, data: bytes, where: str) -> list[Credential]:
        out: list[Credential] = []
        for pattern in (_EMBEDDED_HASH, _EMBEDDED_DES):
            for m in pattern.finditer(data):
                before = _USER_BEFORE.search(data, max(0, m.start() - 32), m.start())
                if before is None:
                    continue
                user = before.group(1).decode("ascii", "replace")
                secret = m.group(1).decode("ascii", "replace")
                line = data.count(b"\n", 0, m.start()) + 1
                out.append(
                    Credential(
                        path=path,
                        line=line if where == "file" else 0,
                        user=user,
                        secret=secret,
                        kind="hash",
                        context=f"account line in a {where}",
                        excerpt=f"{path}: {user}:{redact(secret)}:…",
                        hash_type=pwhash.classify(secret),
                    )
                )
        return out

    @staticmethod
    def _url_credentials(path: str, data: bytes) -> list[Credential]:
        text = data.decode("utf-8", "replace")
        placeholders = set(_know()["placeholder_passwords"])
        out: list[Credential] = []
        for m in _URL_CREDENTIALS.finditer(text):
            user, secret = m.group(2), m.group(3)
            if secret in placeholders or re.search(r"[$%{<`]", user + secret):
                continue
            line = text.count("\n", 0, m.start()) + 1
            out.append(
                Credential(
                    path=path,
                    line=line,
                    user=user,
                    secret=secret,
                    kind="plaintext",
                    context="url",
                    excerpt=f"{path}:{line}: {m.group(1)}://{user}:{redact(secret)}@…",
                )
            )
        return out

    @staticmethod
    def _script_credentials(root: RootFS, scripts: list[str]) -> list[Credential]:
        know = _know()
        options: dict[str, list[str]] = know["script_password_options"]
        placeholders = set(know["placeholder_passwords"])
        out: list[Credential] = []
        for path in scripts:
            shell = Shell(root, follow=False)
            shell.run_file(path, ["start"], invoked_as=path)
            for ex in shell.trace:
                if ex.path != path or not ex.argv:
                    continue
                program = posixpath.basename(ex.argv[0])
                # a password this command hands over in plain text
                handed_over = partial(Credential, path=path, line=ex.line, kind="plaintext")
                if program in know["chpasswd_programs"] and ex.stdin:
                    for item in re.findall(r"([a-z_][\w.-]*):(\S+)", ex.stdin):
                        user, secret = item
                        if secret not in placeholders and "$" not in secret[:1]:
                            out.append(
                                handed_over(
                                    user=user,
                                    secret=secret,
                                    context="script (chpasswd)",
                                    excerpt=f"{path}:{ex.line}: {user}:{redact(secret)} | chpasswd",
                                )
                            )
                for value in option_values(ex.argv[1:], options.get(program, [])):
                    user, secret = value.split(":", 1) if program == "curl" else (None, value)
                    if program == "curl" and ":" not in value:
                        continue
                    if (
                        not secret
                        or secret in placeholders
                        or (ex.unresolved and "$" in secret)
                        or re.search(r"[$`]", secret)
                    ):
                        continue
                    out.append(
                        handed_over(
                            user=user,
                            secret=secret,
                            context=f"script ({program})",
                            excerpt=f"{path}:{ex.line}: {program} … {redact(secret)}",
                        )
                    )
        return out

    # ------------------------------------------------------------------ reporting
    @staticmethod
    def _credential_findings(credentials: list[Credential]) -> list[Finding]:
        findings: list[Finding] = []
        seen: set[tuple[str, str | None, str]] = set()
        for cred in credentials:
            key = (cred.path, cred.user, cred.secret)
            if key in seen:
                continue
            seen.add(key)
            data: dict[str, object] = {
                "user": cred.user,
                "context": cred.context,
                "kind": cred.kind,
                "hash_type": cred.hash_type,
                "line": cred.line,
                "password": cred.password,
                "password_source": cred.source,
            }
            who = f"user {cred.user}" if cred.user else "a login"
            finding = partial(Finding, path=cred.path, data=data)
            if cred.password is not None:
                findings.append(
                    finding(
                        check="credentials.default-password",
                        severity="critical",
                        cwe="CWE-1392",
                        title=f"{who} in {cred.path} has the default password '{cred.password}'",
                        detail=f"{cred.excerpt} ({cred.context}; {cred.source})",
                        themes=[PW],
                    )
                )
            if cred.kind == "plaintext" or cred.context.endswith("binary"):
                findings.append(
                    finding(
                        check="credentials.hardcoded-password",
                        severity="high",
                        cwe="CWE-798",
                        title=f"hard-coded password for {who} in {cred.path}",
                        detail=f"{cred.excerpt} ({cred.context})",
                        themes=[SEC],
                    )
                )
            elif cred.password is None:
                findings.append(
                    finding(
                        check="credentials.embedded-hash",
                        severity="medium",
                        cwe="CWE-798",
                        title=f"password hash for {who} built into {cred.path}",
                        detail=f"{cred.excerpt} ({cred.context})",
                        themes=[SEC],
                    )
                )
        return findings

    @staticmethod
    def _untested(
        accounts: list[Account], credentials: list[Credential], ctx: ScanContext
    ) -> list[Finding]:
        missed = [
            _missed(a.user, a.hash_type, a.hash_file, a.testable)
            for a in accounts
            if a.hash_type not in ("empty", "locked") and not a.complete
        ] + [
            _missed(c.user, c.hash_type, c.path, c.tested)
            for c in credentials
            if c.kind == "hash" and not c.complete and c.password is None
        ]
        for item in missed:
            ctx.skip(
                str(item["path"]),
                f"password of {item['user']} ({item['hash_type']}) not "
                f"fully tested: {item['reason']}",
                STAGE,
            )
        if not missed:
            return []
        return [
            Finding(
                check="credentials.untested-hash",
                severity="info",
                path=str(missed[0]["path"]),
                title=f"{len(missed)} password hashes could not be fully tested against the "
                "default credential lists",
                detail="; ".join(f"{m['user']} ({m['hash_type']}): {m['reason']}" for m in missed),
                data={"hashes": missed, "backend": pwhash.backend_name()},
            )
        ]


def _missed(
    user: str | None, hash_type: str | None, path: str, testable: bool
) -> dict[str, object]:
    """A hash whose candidates were not all tried, and why."""
    reason = (
        "password budget exhausted"
        if testable
        else "hash type not supported by " + pwhash.backend_name()
    )
    return {"user": user, "hash_type": hash_type, "path": path, "reason": reason}


FAMILY = _Credentials()
