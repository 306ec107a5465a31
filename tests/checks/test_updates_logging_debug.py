"""Updates, logging and debug families on small trees, including tricky negatives."""

from __future__ import annotations

from pathlib import Path

import pytest
from parta_support import build_tree, checks_of, run_family

from iotvet.checks import debug, logging, updates

HEAD = '#!/bin/sh\nIMG=/tmp/fw.bin\nURL="{url}"\n'
DL = 'wget -q -O "$IMG" "$URL" || exit 1\nwget -q -O /tmp/fw.sig "$URL.sig"\n'
VERIFY = 'openssl dgst -sha256 -verify /etc/keys/fw.pub -signature /tmp/fw.sig "$IMG"'
FLASH = 'dd if="$IMG" of=/dev/mtdblock3 bs=64k\n'

SCRIPTS = {
    # (script body, expected verification, signed)
    "abort-on-failure": (f"if ! {VERIFY}; then\n  echo bad\n  exit 1\nfi\n{FLASH}", "signature"),
    "flash-on-success": (f"if {VERIFY}; then\n  {FLASH}fi\n", "signature"),
    "or-exit": (f"{VERIFY} || {{ echo bad; exit 1; }}\n{FLASH}", "signature"),
    "set-e": (f"set -e\n{VERIFY}\n{FLASH}", "signature"),
    "result-ignored": (f"{VERIFY}\n{FLASH}", "none"),
    "verify-after-flash": (f"{FLASH}{VERIFY} || exit 1\n", "none"),
    "md5-only": (
        '[ "$(md5sum $IMG | cut -d" " -f1)" = "$(cat /tmp/fw.md5)" ] || exit 1\n' + FLASH,
        "md5",
    ),
    "key-downloaded": (
        VERIFY.replace("/etc/keys/fw.pub", "/tmp/key.pub") + " || exit 1\n" + FLASH,
        "none",
    ),
}


@pytest.mark.parametrize("name", sorted(SCRIPTS))
def test_update_signature_gating(tmp_path: Path, name: str) -> None:
    body, verification = SCRIPTS[name]
    root = build_tree(
        tmp_path,
        {
            "/usr/sbin/fwup": HEAD.format(url="https://fw.example/x.bin") + DL + body,
            "/etc/keys/fw.pub": "-----BEGIN PUBLIC KEY-----\n",
        },
    )
    findings, _ = run_family(updates, root)
    mechanism = next(f for f in findings if f.check == "updates.mechanism")
    assert mechanism.data["verification"] == verification
    assert mechanism.data["flash_target"] == "/dev/mtdblock3"
    checks = checks_of(findings)
    assert ("updates.signature-verified" in checks) == (verification == "signature")
    failing = [f for f in findings if "software-update-integrity" in f.themes]
    assert bool(failing) == (verification != "signature")


def test_update_transport_tls_and_cron_trigger(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            "/etc/inittab": "::respawn:/usr/sbin/crond -f -c /etc/crontabs\n",
            "/etc/crontabs/root": "0 3 * * * /usr/sbin/fwup --auto\n",
            "/usr/sbin/fwup": HEAD.format(url="https://fw.example/x.bin")
            + 'curl -k -o "$IMG" "$URL"\nmtd -r write "$IMG" firmware\n',
            "/usr/share/doc/fwup/example.sh": "#!/bin/sh\ndd if=x of=/dev/mtd0\n",
        },
    )
    findings, _ = run_family(updates, root)
    mechanisms = [f for f in findings if f.check == "updates.mechanism"]
    assert [m.path for m in mechanisms] == ["/usr/sbin/fwup"]  # documentation is not a mechanism
    data = mechanisms[0].data
    assert data["transport"] == "https" and data["tls_certificate_verification"] is False
    assert data["trigger"].startswith("cron '0 3 * * *'")
    assert data["flash_target"] == "firmware"
    assert {"updates.tls-verification-disabled", "updates.unsigned"} <= set(checks_of(findings))


def test_no_update_mechanism_gives_no_finding(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path, {"/usr/bin/backup.sh": "#!/bin/sh\n# dd of=/dev/mtd0\ntar c /etc\n"}
    )
    findings, _ = run_family(updates, root)
    assert findings == []


def test_logging_started_remote_and_volatile(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            "/etc/inittab": "::sysinit:/etc/init.d/rcS\n"
            "::respawn:/sbin/syslogd -n -R 10.1.1.1:514\n"
            "::respawn:/sbin/klogd -n\n",
            "/etc/init.d/rcS": "#!/bin/sh\nmount -t tmpfs tmpfs /var/log\n",
        },
    )
    findings, _ = run_family(logging, root)
    assert checks_of(findings) == ["logging.syslog-started"]
    data = findings[0].data
    assert data["remote_target"] == "10.1.1.1:514" and data["klogd"] is True
    assert data["local_log"] is None and data["persistent"] is None  # -R without -L


def test_logging_config_without_daemon_fails(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            "/etc/inittab": "::sysinit:/etc/init.d/rcS\n#::respawn:/sbin/syslogd -n\n",
            "/etc/init.d/rcS": "#!/bin/sh\n# syslogd -O /var/log/messages\n",
            "/etc/init.d/syslog": "#!/bin/sh\nsyslogd\n",
            "/etc/syslog.conf": "*.* /var/log/messages\n",
        },
    )
    findings, _ = run_family(logging, root)
    assert checks_of(findings) == ["logging.no-syslog"]
    assert findings[0].themes == ["logging"]
    assert "/etc/syslog.conf" in findings[0].detail
    assert findings[0].data["dormant"] == ["/etc/init.d/syslog (syslogd)"]


def test_debug_console_shell_bind_shell_gdbserver_cgi(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            "/etc/inittab": "::sysinit:/etc/init.d/rcS\nttyS0::respawn:-/bin/sh\n"
            "tty1::respawn:/sbin/getty -L tty1 115200\n"
            "#ttyS1::askfirst:/bin/sh\n",
            "/etc/init.d/rcS": "#!/bin/sh\nnc -l -p 4444 -e /bin/sh &\n"
            "/usr/bin/gdbserver :2345 /usr/bin/app &\n"
            "telnetd -l /bin/login\n",
            "/usr/bin/gdbserver": ("\x7fELF", 0o755),
            "/www/cgi-bin/debug.cgi": ("#!/bin/sh\neval $QUERY_STRING\n", 0o755),
            "/www/cgi-bin/login.cgi": ("#!/bin/sh\necho ok\n", 0o755),
        },
    )
    findings, _ = run_family(debug, root)
    by_check: dict[str, list] = {}
    for f in findings:
        by_check.setdefault(f.check, []).append(f)
    consoles = by_check["debug.console-root-shell"]
    assert [f.data["console"] for f in consoles] == ["ttyS0"]  # getty login and comments: no
    shells = by_check["debug.unauthenticated-shell"]
    assert [(f.data["kind"], f.data["port"]) for f in shells] == [("netcat bind shell", "4444")]
    assert set(shells[0].themes) == {"no-universal-default-password", "minimised-attack-surface"}
    assert by_check["debug.gdbserver"][0].severity == "high"
    assert [f.path for f in by_check["debug.debug-cgi"]] == ["/www/cgi-bin/debug.cgi"]
