"""Credentials family on small trees. Hashes are made with the openssl CLI, independently of the
libxcrypt backend under test."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from parta_support import build_tree, checks_of, run_family

from iotvet.checks import credentials, pwhash
from iotvet.limits import Limits


def openssl_hash(scheme: str, password: str, salt: str) -> str:
    out = subprocess.run(
        ["openssl", "passwd", f"-{scheme}", "-salt", salt, password],
        check=True,
        capture_output=True,
        text=True,
    )
    return out.stdout.strip()


PASSWD = (
    "root:x:0:0:root:/root:/bin/sh\n"
    "daemon:x:1:1:daemon:/usr/sbin:/bin/false\n"
    "admin:x:1000:100::/home/admin:/bin/sh\n"
    "guest:x:1001:100::/home/guest:/bin/sh\n"
    "svc:x:1002:100::/:/sbin/nologin\n"
    "toor:x:0:0::/root:/bin/sh\n"
)


def test_accounts_defaults_empty_weak_and_aliases(tmp_path: Path) -> None:
    root_hash = openssl_hash("1", "admin", "Ab12Cd34")  # md5crypt, Mirai list
    strong = openssl_hash("6", "q7R#vN2p!Lx9@wK4zT8m", "S4ltS4ltS4lt")
    shadow = (
        f"root:{root_hash}:19844:0:99999:7:::\n"
        "daemon:*:19844:0:99999:7:::\n"
        f"admin:{strong}:19844:0:99999:7:::\n"
        "guest::19844:0:99999:7:::\n"
        "svc::19844:0:99999:7:::\n"
        f"toor:{strong}:19844:0:99999:7:::\n"
    )
    root = build_tree(tmp_path, {"/etc/passwd": PASSWD, "/etc/shadow": (shadow, 0o600)})
    findings, _ctx = run_family(credentials, root)
    by_check: dict[str, list] = {}
    for f in findings:
        by_check.setdefault(f.check, []).append(f)
    default = by_check["credentials.default-password"]
    assert [(f.data["user"], f.data["password"], f.severity) for f in default] == [
        ("root", "admin", "critical")
    ]
    assert "no-universal-default-password" in default[0].themes
    empty = {f.data["user"]: f for f in by_check["credentials.empty-password"]}
    assert empty["guest"].severity == "critical"
    assert empty["svc"].severity == "low" and not empty["svc"].themes  # nologin shell
    assert [f.data["user"] for f in by_check["credentials.weak-hash"]] == ["root"]
    assert by_check["credentials.shared-hash"][0].data["users"] == ["admin", "toor"]
    assert [f.data["user"] for f in by_check["credentials.uid0-alias"]] == ["toor"]
    assert "credentials.shadow-world-readable" not in by_check
    inventory = by_check["credentials.accounts"][0].data["accounts"]
    assert {a["user"]: a["hash_type"] for a in inventory} == {
        "root": "md5crypt",
        "daemon": "locked",
        "admin": "sha512crypt",
        "guest": "empty",
        "svc": "empty",
        "toor": "sha512crypt",
    }


def test_hash_in_passwd_world_readable_shadow_and_des(tmp_path: Path) -> None:
    # DES hash and password from the cobalt corpus truth (openssl 3 cannot make DES hashes)
    root = build_tree(
        tmp_path,
        {
            "/etc/passwd": "root:cVoQ7XLtdhL7Q:0:0:root:/root:/bin/sh\n"
            "user:x:1000:100::/home/user:/bin/sh\n",
            "/etc/shadow": ("user:*:1:0:99999:7:::\n", 0o644),
            "/usr/bin/true": ("\x7fELF", 0o755),
        },
    )
    findings, _ = run_family(credentials, root)
    checks = checks_of(findings)
    assert "credentials.hash-in-passwd" in checks
    assert "credentials.shadow-world-readable" in checks
    cracked = next(f for f in findings if f.check == "credentials.default-password")
    assert cracked.data["password"] == "1234" and cracked.path == "/etc/passwd"
    assert pwhash.classify("cVoQ7XLtdhL7Q") == "des"


def test_untestable_and_budget_are_reported(tmp_path: Path) -> None:
    slow = openssl_hash("6", "not-in-any-list-xyz", "abcdefgh")
    root = build_tree(
        tmp_path,
        {
            "/etc/passwd": "root:x:0:0::/root:/bin/sh\nweb:x:1:1::/:/bin/sh\n",
            "/etc/shadow": (
                f"root:{slow}:1:0:99999:7:::\nweb:$apr1$abc$def:1:0:99999:7:::\n",
                0o600,
            ),
        },
    )
    ctx_limits = Limits(password_budget_s=0.0)
    from iotvet.context import ScanContext

    ctx = ScanContext(roots=[root], limits=ctx_limits)
    findings = credentials.FAMILY.run(root, ctx)
    untested = next(f for f in findings if f.check == "credentials.untested-hash")
    reasons = {h["user"]: h["reason"] for h in untested.data["hashes"]}
    assert reasons["root"] == "password budget exhausted"
    assert reasons["web"].startswith("hash type not supported")
    assert {s.path for s in ctx.skipped} == {"/etc/shadow"}


def test_web_account_files_scripts_and_documentation(tmp_path: Path) -> None:
    apache_sha = "{SHA}0DPiKuNIrrVmD8IUCuw1hQxNqZc="  # base64(sha1("admin"))
    root = build_tree(
        tmp_path,
        {
            "/etc/passwd": "root:x:0:0::/root:/bin/sh\n",
            "/etc/shadow": ("root:!:1:0:99999:7:::\n", 0o600),
            "/etc/httpd.conf": "A:*\n/cgi-bin:admin:admin\n",
            "/etc/lighttpd/lighttpd.conf": (
                'auth.backend.htpasswd.userfile = "/etc/lighttpd/web.users"\n'
            ),
            "/etc/lighttpd/web.users": f"operator:{apache_sha}\n",
            "/usr/sbin/backup.sh": "#!/bin/sh\n# wget --password=example\n"
            "wget --user=bk --password=S3cr3t-Backup ftp://nas/x\n"
            "curl -u svc:$PASS http://x\n"
            "echo 'root:Fact0ry!' | chpasswd\n",
            "/usr/share/doc/app/README": "wget --password=hunter2 http://u:p4ss@example.com/\n",
            "/usr/bin/vendord": (
                "\x7fELF\x00\x00root:$1$Ac3mRt01$uAwPEFhCIKtUcE7XfC/kX1:0:0:",
                0o755,
            ),
        },
    )
    findings, _ = run_family(credentials, root)
    defaults = {
        (f.path, f.data["user"], f.data["password"])
        for f in findings
        if f.check == "credentials.default-password"
    }
    assert ("/etc/httpd.conf", "admin", "admin") in defaults
    assert ("/etc/lighttpd/web.users", "operator", "admin") in defaults
    assert ("/usr/bin/vendord", "root", "admin") in defaults
    hardcoded = {
        (f.path, f.data["user"]) for f in findings if f.check == "credentials.hardcoded-password"
    }
    assert ("/usr/sbin/backup.sh", None) in hardcoded  # wget --password=S3cr3t-Backup
    assert ("/usr/sbin/backup.sh", "root") in hardcoded  # chpasswd
    assert not any(f.path == "/usr/share/doc/app/README" for f in findings)  # documentation
    assert not any("$PASS" in f.detail for f in findings)  # unresolved variable


@pytest.mark.parametrize(
    "field,kind",
    [
        ("", "empty"),
        ("!", "locked"),
        ("*", "locked"),
        ("!$6$x$y", "locked"),
        ("$y$j9T$a$b", "yescrypt"),
        ("$2b$10$" + "a" * 53, "bcrypt"),
        ("$5$s$h", "sha256crypt"),
        ("zzzz", "unknown"),
    ],
)
def test_classify(field: str, kind: str) -> None:
    assert pwhash.classify(field) == kind
