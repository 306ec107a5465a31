"""Permissions family: setuid/setgid programs, world-writable files and directories, readable
secrets.

Why: on a device every local foothold (a web CGI running as www-data, a compromised daemon) is one
permission mistake away from root: a setuid program nobody needs, a boot script anyone may edit, a
password-hash file anyone may read. NIST IR 8425 and EN 303 645 5.6 ask for a minimised attack
surface; 5.4-1 for securely stored secrets. What a distribution legitimately ships setuid is data
(``data/setuid_allowlist.yaml``, sourced from openSUSE's permissions profiles and Debian package
contents); which locations root trusts, and which files are secret, is in
``data/permission_rules.yaml``. Modes come from ``lstat``: symlinks, device nodes, FIFOs and sockets
are never considered, and world-writable directories with the sticky bit (``/tmp``) are fine.
"""

from __future__ import annotations

import os
import stat
from dataclasses import dataclass
from typing import Any

from .. import datafiles
from ..context import ScanContext
from ..model import Finding
from ..rootfs import FileEntry, RootFS
from .evidence import octal_mode, world_readable
from .filescan import matches_any

ATTACK_SURFACE = "minimised-attack-surface"
SECRETS_THEME = "secure-storage-of-secrets"
_MULTICALL_PROBE = 8 * 1024 * 1024


def _allowlist() -> dict[str, Any]:
    return datafiles.load("setuid_allowlist.yaml")


def _rules() -> dict[str, Any]:
    return datafiles.load("permission_rules.yaml")


def is_multicall(root: RootFS, path: str) -> bool:
    """A BusyBox/Toybox multi-call binary (its setuid bit covers every applet)."""
    data = root.read_bytes(path, _MULTICALL_PROBE) or b""
    return any(str(m).encode() in data for m in _allowlist()["multicall_markers"])


def allowed_privilege(path: str, bit: str) -> dict[str, Any] | None:
    """The allowlist entry permitting ``bit`` ("setuid"/"setgid") on ``path``, if any."""
    for entry in _allowlist()["allowed"]:
        if bit in entry["bits"] and matches_any(path, entry["paths"]):
            return dict(entry)
    return None


def _owner(root: RootFS, entry: FileEntry) -> tuple[int | None, int | None]:
    try:
        st = os.lstat(root.host_path(entry.path))
    except OSError:
        return None, None
    return st.st_uid, st.st_gid


@dataclass(frozen=True)
class PermissionsFamily:
    name: str = "permissions"

    def run(self, root: RootFS, ctx: ScanContext) -> list[Finding]:
        findings: list[Finding] = []
        for path in sorted(root.entries):
            entry = root.entries[path]
            if entry.is_file:
                findings += _privilege_findings(root, entry)
                findings += _secret_file_findings(root, entry)
            if (entry.is_file or entry.is_dir) and _world_writable(entry):
                findings.append(_writable_finding(entry))
        return findings


def _world_writable(entry: FileEntry) -> bool:
    if not entry.mode & stat.S_IWOTH:
        return False
    return not (entry.is_dir and entry.mode & stat.S_ISVTX)


def _privilege_findings(root: RootFS, entry: FileEntry) -> list[Finding]:
    findings = []
    uid, gid = _owner(root, entry)
    for bit, flag in (("setuid", stat.S_ISUID), ("setgid", stat.S_ISGID)):
        if not entry.mode & flag:
            continue
        multicall = is_multicall(root, entry.path)
        allowed = None if multicall else allowed_privilege(entry.path, bit)
        data = {
            "bit": bit,
            "mode": octal_mode(entry.mode),
            "owner_uid": uid,
            "owner_gid": gid,
            "multicall": multicall,
            "allowlisted": allowed is not None,
            "allowlist_reason": allowed["why"] if allowed else None,
        }
        who = "root" if (uid if bit == "setuid" else gid) == 0 else "its owner"
        if allowed is not None:
            findings.append(
                Finding(
                    check=f"permissions.{bit}-allowlisted",
                    severity="info",
                    path=entry.path,
                    title=f"{bit} program {entry.path} ({allowed['why']})",
                    detail=f"{entry.path} mode {data['mode']}: {bit} as distributions ship it "
                    f"({allowed['why']}).",
                    themes=[ATTACK_SURFACE],
                    data=data,
                )
            )
            continue
        if multicall:
            title = f"{bit} multi-call binary {entry.path}: every applet runs as {who}"
            severity = "high"
        else:
            title = f"{bit} program {entry.path} outside the allowlist (runs as {who})"
            severity = "high" if bit == "setuid" and uid == 0 else "medium"
        findings.append(
            Finding(
                check=f"permissions.{bit}",
                severity=severity,  # type: ignore[arg-type]
                cwe="CWE-250",
                path=entry.path,
                title=title,
                detail=f"{entry.path} mode {data['mode']} (owner uid {uid}, gid {gid}) is {bit}"
                + (" and contains a multi-call binary's applets (su, sh, ...)" if multicall else "")
                + "; no distribution ships it that way.",
                themes=[ATTACK_SURFACE],
                data=data,
            )
        )
    return findings


def _secret_file_findings(root: RootFS, entry: FileEntry) -> list[Finding]:
    if not matches_any(entry.path, _rules()["secret_files"]) or not world_readable(
        root, entry.path
    ):
        return []
    mode = octal_mode(entry.mode)
    return [
        Finding(
            check="permissions.world-readable-secret",
            severity="high",
            cwe="CWE-732",
            path=entry.path,
            title=f"{entry.path} is readable by every user (mode {mode})",
            detail=f"{entry.path} holds password hashes or credentials and has mode {mode}: any "
            "local process can read it.",
            themes=[SECRETS_THEME],
            data={"mode": mode},
        )
    ]


def _writable_finding(entry: FileEntry) -> Finding:
    rules = _rules()
    mode = octal_mode(entry.mode)
    kind = "directory" if entry.is_dir else "file"
    if entry.is_dir:
        privileged = entry.path in {str(d) for d in rules["privileged_directories"]}
    else:
        executable = bool(entry.mode & (stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH))
        privileged = executable or matches_any(entry.path, rules["privileged_globs"])
    consequence = (
        "anyone can add or replace files in it" if entry.is_dir else "anyone can change its content"
    )
    if privileged:
        consequence += ", and root executes or trusts it"
    return Finding(
        check="permissions.world-writable",
        severity="high" if privileged else "medium",
        cwe="CWE-732",
        path=entry.path,
        title=f"World-writable {kind} {entry.path} (mode {mode})",
        detail=f"{entry.path} has mode {mode}"
        + (" without the sticky bit" if entry.is_dir else "")
        + f": {consequence}.",
        themes=[ATTACK_SURFACE],
        data={"type": "dir" if entry.is_dir else "file", "mode": mode, "privileged": privileged},
    )


FAMILY = PermissionsFamily()
