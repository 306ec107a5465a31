"""Boot model and shell evaluator on small hand-written trees: every init system and tricky
negatives."""

from __future__ import annotations

from pathlib import Path

from parta_support import build_tree

from iotvet.checks.boot import boot_model
from iotvet.checks.shell import Shell

UNITS = "/lib/systemd/system/"
WANTS = "/etc/systemd/system/multi-user.target.wants/"
SOCKWANTS = "/etc/systemd/system/sockets.target.wants/"

RCS_LOOP = """#!/bin/sh
mount -t tmpfs tmpfs /tmp
for s in /etc/init.d/S??*; do
    [ -x "$s" ] && "$s" start
done
"""


def started(root, program: str):  # type: ignore[no-untyped-def]
    return [launch for launch in boot_model(root).launches if launch.program == program]


def test_busybox_inittab_rcs_loop_and_commented_lines(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            "/etc/inittab": "::sysinit:/etc/init.d/rcS\n"
            "#::respawn:/usr/sbin/dropbear -F\n"
            "ttyS0::respawn:/sbin/getty -L ttyS0 115200 vt100\n"
            "::respawn:/sbin/syslogd -n -R 10.0.0.1:514\n"
            "::shutdown:/usr/sbin/telnetd\n",
            "/etc/init.d/rcS": RCS_LOOP,
            "/etc/init.d/S40telnetd": '#!/bin/sh\nPORT=2323\ncase "$1" in\n start)\n'
            "  # telnetd -p 23\n  telnetd -p $PORT -l /bin/login\n  ;;\n"
            " stop) killall telnetd;;\nesac\n",
            "/etc/init.d/README": "telnetd -p 99\n",
            "/usr/sbin/dropbear": ("\x7fELF", 0o755),
        },
    )
    model = boot_model(root)
    telnet = started(root, "telnetd")
    assert len(telnet) == 1
    assert telnet[0].argv == ("telnetd", "-p", "2323", "-l", "/bin/login")
    assert telnet[0].binary == "/bin/busybox"  # applet link resolved to the multi-call binary
    assert telnet[0].started_by == "/etc/init.d/S40telnetd"
    assert not started(root, "dropbear")  # commented-out inittab line
    assert not started(root, "killall")  # stop branch of the case is not taken
    syslogd = started(root, "syslogd")
    assert syslogd and syslogd[0].started_by == "/etc/inittab" and syslogd[0].action == "respawn"
    getty = started(root, "getty")
    assert getty[0].console == "ttyS0"
    assert model.init_system == "busybox-init"


def test_openwrt_rc_d_links_decide_what_is_enabled(tmp_path: Path) -> None:
    procd_script = """#!/bin/sh /etc/rc.common
START=50
USE_PROCD=1
PROG=/usr/sbin/dropbear
start_service() {
    config_load dropbear
    config_get port main Port 22
    procd_open_instance
    procd_set_param command $PROG -F -P /var/run/dropbear.pid
    procd_append_param command -p "$port"
    procd_close_instance
}
"""
    root = build_tree(
        tmp_path,
        {
            "/etc/inittab": "::sysinit:/etc/init.d/rcS S boot\n",
            "/etc/init.d/dropbear": procd_script,
            "/etc/init.d/telnet": "#!/bin/sh /etc/rc.common\nSTART=50\n"
            "start() {\n  telnetd -l /bin/login.sh\n}\n",
            "/etc/config/dropbear": "config dropbear 'main'\n\toption Port '2222'\n",
            "/usr/sbin/dropbear": ("\x7fELF", 0o755),
        },
        links={"/etc/rc.d/S50dropbear": "../init.d/dropbear"},
    )
    model = boot_model(root)
    dropbear = started(root, "dropbear")
    assert [launch.argv for launch in dropbear] == [
        ("/usr/sbin/dropbear", "-F", "-P", "/var/run/dropbear.pid", "-p", "2222")
    ]
    assert dropbear[0].via == "procd" and dropbear[0].started_by == "/etc/rc.d/S50dropbear"
    assert not started(root, "telnetd")  # no /etc/rc.d link: installed, not enabled
    assert any(launch.program == "telnetd" for launch in model.dormant)
    assert model.init_system == "procd"


def test_sysvinit_runlevel_links_and_start_stop_daemon(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            "/etc/inittab": "id:2:initdefault:\nsi::sysinit:/etc/init.d/rcS\n"
            "l2:2:wait:/etc/init.d/rc 2\nl3:3:wait:/etc/init.d/rc 3\n",
            "/etc/init.d/rcS": "#!/bin/sh\n:\n",
            "/etc/init.d/rc": "#!/bin/sh\n# not followed: the boot model runs rcN.d\n",
            "/etc/default/ssh": 'SSHD_OPTS="-p 2200"\n',
            "/etc/init.d/ssh": "#!/bin/sh\n. /etc/default/ssh\nDAEMON=/usr/sbin/sshd\n"
            'case "$1" in start)\n start-stop-daemon --start --quiet --pidfile '
            "/run/sshd.pid --exec $DAEMON -- $SSHD_OPTS\n;;\n stop)\n"
            " start-stop-daemon --stop --exec $DAEMON\n;;\nesac\n",
            "/etc/init.d/ftp": "#!/bin/sh\n/usr/sbin/vsftpd\n",
            "/usr/sbin/sshd": ("\x7fELF", 0o755),
        },
        links={"/etc/rc2.d/S20ssh": "../init.d/ssh", "/etc/rc3.d/S20ftp": "../init.d/ftp"},
    )
    sshd = started(root, "sshd")
    assert [launch.argv for launch in sshd] == [("/usr/sbin/sshd", "-p", "2200")]
    assert sshd[0].started_by == "/etc/rc2.d/S20ssh"
    assert not started(root, "vsftpd")  # only linked in runlevel 3, default is 2
    assert not started(root, "start-stop-daemon")


def test_systemd_wants_sockets_and_masked_units(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            "/lib/systemd/systemd": ("\x7fELF", 0o755),
            "/lib/systemd/system/multi-user.target": "[Unit]\nDescription=m\n",
            "/lib/systemd/system/sockets.target": "[Unit]\n",
            "/lib/systemd/system/web.service": "[Service]\nEnvironment=PORT=8080\n"
            "ExecStart=/usr/bin/webd --port ${PORT}\n",
            "/lib/systemd/system/telnet.socket": "[Socket]\nListenStream=23\nAccept=yes\n",
            "/lib/systemd/system/telnet@.service": "[Service]\nExecStart=-/usr/sbin/in.telnetd\n",
            "/lib/systemd/system/debug.service": "[Service]\nExecStart=/usr/bin/gdbserver :1234\n",
            "/usr/bin/webd": ("\x7fELF", 0o755),
        },
        links={
            "/etc/systemd/system/default.target": "/lib/systemd/system/multi-user.target",
            WANTS + "web.service": UNITS + "web.service",
            WANTS + "sockets.target": UNITS + "sockets.target",
            SOCKWANTS + "telnet.socket": UNITS + "telnet.socket",
            WANTS + "debug.service": UNITS + "debug.service",
            "/etc/systemd/system/debug.service": "/dev/null",
            "/sbin/init": "/lib/systemd/systemd",
        },
    )
    model = boot_model(root)
    assert model.init_system == "systemd"
    assert [launch.argv for launch in started(root, "webd")] == [
        ("/usr/bin/webd", "--port", "8080")
    ]
    telnet = started(root, "in.telnetd")
    assert telnet and telnet[0].sockets[0].port == 23 and telnet[0].via == "systemd"
    assert not started(root, "gdbserver")  # masked unit


def test_inetd_cron_and_tcpsvd(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            "/etc/inittab": "::sysinit:/etc/init.d/rcS\n",
            "/etc/init.d/rcS": "#!/bin/sh\n/usr/sbin/inetd /etc/inetd.conf\n"
            "crond -c /etc/crontabs\n"
            "tcpsvd -vE 0.0.0.0 21 ftpd -w /srv &\n",
            "/etc/inetd.conf": "#ftp stream tcp nowait root /usr/sbin/ftpd ftpd\n"
            "telnet stream tcp nowait root /usr/sbin/telnetd telnetd -i\n",
            "/etc/crontabs/root": "# comment\n*/5 * * * * /usr/bin/check.sh\n",
            "/usr/bin/check.sh": "#!/bin/sh\nwget http://x/y\n",
            "/usr/sbin/inetd": ("\x7fELF", 0o755),
        },
    )
    model = boot_model(root)
    telnet = started(root, "telnetd")
    assert telnet and telnet[0].via == "inetd" and telnet[0].sockets[0].port == 23
    assert not started(root, "ftpd") or all(
        launch.via != "inetd" for launch in started(root, "ftpd")
    )
    ftpd = started(root, "ftpd")
    assert ftpd and ftpd[0].sockets[0].port == 21 and ftpd[0].background
    assert [job.command for job in model.cron_jobs] == ["/usr/bin/check.sh"]
    assert model.cron_jobs[0].active
    assert any(launch.program == "wget" for launch in model.periodic)


def test_rc_local_conditional_and_missing_inittab_default(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            "/etc/init.d/rcS": "#!/bin/sh\n[ -x /etc/rc.local ] && /etc/rc.local\n",
            "/etc/rc.local": (
                "#!/bin/sh\n# disabled: syslogd\ntelnetd -p 9527 -l /bin/sh\nexit 0\ndropbear\n",
                0o644,
            ),
        },
    )
    model = boot_model(root)
    assert model.init_system.startswith("busybox-init")
    telnet = started(root, "telnetd")
    assert telnet and telnet[0].conditional  # no x bit in the tree: executable-ness unknown
    assert not started(root, "syslogd")
    assert not started(root, "dropbear")  # after an unconditional exit


def test_shell_expansions_and_guards(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            "/etc/version": "5.1\n",
            "/usr/bin/run.sh": '#!/bin/sh\nA=${UNSET:-/opt}\nB="$A/bin"\nV=$(cat /etc/version)\n'
            'N=${B%/bin}\nif ! verify "$V"; then\n  exit 1\nfi\n'
            'flash "$B" "$N" "${V}x"\n',
        },
    )
    shell = Shell(root)
    shell.run_file("/usr/bin/run.sh", [])
    verify = next(e for e in shell.trace if e.argv[0] == "verify")
    flash = next(e for e in shell.trace if e.argv[0] == "flash")
    exit_ = next(e for e in shell.trace if e.argv[0] == "exit")
    assert verify.argv == ["verify", "5.1"] and verify.in_condition
    assert flash.argv == ["flash", "/opt/bin", "/opt", "5.1x"]
    assert exit_.guards and exit_.guards[0].expect is False  # runs when verify fails
    assert verify.seq in exit_.guards[0].cond
