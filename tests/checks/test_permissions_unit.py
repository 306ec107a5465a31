"""Permissions family on small trees: allowlist, multi-call binaries, sticky bits, special files."""

from __future__ import annotations

import os
from pathlib import Path

from partb_support import make_root, run

from iotvet.checks.permissions import FAMILY, allowed_privilege
from iotvet.model import Finding

BUSYBOX = b"\x7fELF" + b"\x00" * 60 + b"BusyBox v1.36.1 (2023-01-01) multi-call binary.\x00"
PROGRAM = b"\x7fELF" + b"\x00" * 60 + b"passwd: change password\x00"


def by_path(findings: list[Finding]) -> dict[str, list[Finding]]:
    grouped: dict[str, list[Finding]] = {}
    for f in findings:
        grouped.setdefault(str(f.path), []).append(f)
    return grouped


def test_setuid_and_setgid_against_the_allowlist(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/bin/busybox": (BUSYBOX, 0o4755),
            "/usr/bin/passwd": (PROGRAM, 0o4755),  # allowlisted
            "/bin/su": (BUSYBOX, 0o4755),  # allowlisted name, but a busybox copy
            "/usr/sbin/vendor-helper": (PROGRAM, 0o4750),
            "/usr/bin/chage": (PROGRAM, 0o2755),  # allowlisted setgid
            "/usr/bin/logview": (PROGRAM, 0o2755),
            "/usr/bin/plain": (PROGRAM, 0o755),
        },
    )
    found = by_path(run(FAMILY, root)[0])
    assert set(found) == {
        "/bin/busybox",
        "/usr/bin/passwd",
        "/bin/su",
        "/usr/sbin/vendor-helper",
        "/usr/bin/chage",
        "/usr/bin/logview",
    }
    (busybox,) = found["/bin/busybox"]
    assert (busybox.check, busybox.severity, busybox.data["multicall"]) == (
        "permissions.setuid",
        "high",
        True,
    )
    assert busybox.themes == ["minimised-attack-surface"]
    assert [(f.check, f.severity) for f in found["/usr/bin/passwd"]] == [
        ("permissions.setuid-allowlisted", "info")
    ]
    assert [f.check for f in found["/bin/su"]] == ["permissions.setuid"]
    assert [(f.check, f.severity) for f in found["/usr/sbin/vendor-helper"]] == [
        ("permissions.setuid", "high")
    ]
    assert [f.check for f in found["/usr/bin/chage"]] == ["permissions.setgid-allowlisted"]
    assert [(f.check, f.severity) for f in found["/usr/bin/logview"]] == [
        ("permissions.setgid", "medium")
    ]


def test_allowlist_needs_path_and_bit() -> None:
    assert allowed_privilege("/usr/bin/passwd", "setuid") is not None
    assert allowed_privilege("/usr/bin/passwd", "setgid") is None
    assert allowed_privilege("/opt/bin/passwd", "setuid") is None
    assert allowed_privilege("/usr/lib/arm-linux-gnueabihf/utempter/utempter", "setgid")


def test_world_writable_files_and_directories(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/etc/rc.local": ("#!/bin/sh\n", 0o777),
            "/etc/config/cloud.json": ("{}", 0o666),
            "/opt/data/readme": ("x", 0o644),
            "/tmp/.keep": ("", 0o644),
        },
    )
    os.chmod(tmp_path / "opt/data", 0o777)
    os.chmod(tmp_path / "tmp", 0o1777)  # sticky: fine
    os.symlink("/etc/rc.local", tmp_path / "etc/link")  # links are never considered
    os.mkfifo(tmp_path / "etc/fifo", 0o666)
    os.chmod(tmp_path / "etc/fifo", 0o666)
    root = make_root(tmp_path, {})
    findings = [f for f in run(FAMILY, root)[0] if f.check == "permissions.world-writable"]
    assert {(f.path, f.severity, f.data["type"]) for f in findings} == {
        ("/etc/rc.local", "high", "file"),
        ("/etc/config/cloud.json", "medium", "file"),
        ("/opt/data", "medium", "dir"),
    }
    assert all(f.cwe == "CWE-732" for f in findings)


def test_world_readable_shadow_but_not_private_shadow(tmp_path: Path) -> None:
    root = make_root(
        tmp_path,
        {
            "/etc/shadow": ("root:$1$x$y:1::::::\n", 0o644),
            "/etc/gshadow": ("root:*::\n", 0o600),
            "/etc/passwd": ("root:x:0:0::/root:/bin/sh\n", 0o644),
        },
    )
    findings = run(FAMILY, root)[0]
    assert [(f.check, f.path, f.themes) for f in findings] == [
        ("permissions.world-readable-secret", "/etc/shadow", ["secure-storage-of-secrets"])
    ]
