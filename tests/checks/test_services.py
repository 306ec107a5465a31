"""Services family on small trees: config readers, cleartext/unauthenticated findings, negatives."""

from __future__ import annotations

from pathlib import Path

from parta_support import build_tree, run_family

from iotvet.checks import services

ELF = ("\x7fELF", 0o755)


def rc(lines: str) -> dict[str, str | tuple[str, int]]:
    return {"/etc/inittab": "::sysinit:/etc/init.d/rcS\n", "/etc/init.d/rcS": "#!/bin/sh\n" + lines}


def listening(findings):  # type: ignore[no-untyped-def]
    return {f.data["service"]: f.data for f in findings if f.check == "services.listening"}


def test_lighttpd_sockets_tls_and_redirect_only(tmp_path: Path) -> None:
    conf = (
        '# server.port = 8080\nserver.port = 80\ninclude "conf.d/*.conf"\n'
        '$SERVER["socket"] == ":443" {\n  ssl.engine = "enable"\n  ssl.pemfile = "/x.pem"\n}\n'
        '$HTTP["scheme"] == "http" {\n  url.redirect = ("" => "https://${url.authority}${url.path}")\n}\n'
    )
    root = build_tree(
        tmp_path,
        {
            **rc("/usr/sbin/lighttpd -f /etc/lighttpd/lighttpd.conf\n"),
            "/etc/lighttpd/lighttpd.conf": conf,
            "/etc/lighttpd/conf.d/extra.conf": '$SERVER["socket"] == "127.0.0.1:8081" { }\n',
            "/usr/sbin/lighttpd": ELF,
        },
    )
    findings, _ = run_family(services, root)
    ports = {
        (p["port"], p["protocol"], p.get("redirect_only", False))
        for p in listening(findings)["lighttpd"]["ports"]
    }
    # the scheme-wide redirect applies to every plain-HTTP socket, also the included one
    assert ports == {(80, "http", True), (443, "https", False), (8081, "http", True)}
    assert not [f for f in findings if f.check.startswith("services.cleartext")]


def test_cleartext_http_telnet_and_ssh_flags(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            **rc(
                "telnetd -p 2323 -l /bin/login\n/usr/sbin/dropbear -R -B -p 0.0.0.0:2222\n"
                "/usr/sbin/lighttpd -f /etc/lighttpd.conf\n"
            ),
            "/etc/lighttpd.conf": "server.port = 8000\n",
            "/usr/sbin/dropbear": ELF,
            "/usr/sbin/lighttpd": ELF,
        },
    )
    findings, _ = run_family(services, root)
    by_check = {f.check: f for f in findings}
    telnet = by_check["services.cleartext-telnet"]
    assert telnet.severity == "high" and set(telnet.themes) == {
        "secure-communication",
        "minimised-attack-surface",
    }
    assert telnet.data["ports"][0]["port"] == 2323
    assert by_check["services.cleartext-http"].data["ports"][0]["port"] == 8000
    assert by_check["services.ssh-root-password-login"].severity == "low"
    assert "services.ssh-empty-password-login" in by_check
    dropbear = listening(findings)["dropbear"]
    assert dropbear["ports"] == [
        {"port": 2222, "proto": "tcp", "protocol": "ssh", "encrypted": True}
    ]


def test_mosquitto_dnsmasq_miniupnpd_snmp_hostapd(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            **rc(
                "/usr/sbin/mosquitto -c /etc/mosquitto.conf\n/usr/sbin/dnsmasq\n"
                "/usr/sbin/miniupnpd -f /etc/miniupnpd.conf\n/usr/sbin/snmpd\n"
                "/usr/sbin/hostapd -B /etc/hostapd.conf\n"
            ),
            "/etc/mosquitto.conf": "listener 8883\ncafile /c\ncertfile /c\nkeyfile /k\n"
            "password_file /p\nlistener 1883 127.0.0.1\n"
            "connection up\naddress cloud:8883\nbridge_cafile /c\n",
            "/etc/dnsmasq.conf": "listen-address=127.0.0.1\nport=5353\n#dhcp-range=1,2\n",
            "/etc/miniupnpd.conf": "port=5000\nenable_natpmp=no\n",
            "/etc/snmp/snmpd.conf": "rocommunity public\nrwcommunity s3cret-community\n",
            "/etc/hostapd.conf": "ssid=open-net\n",
            **{
                f"/usr/sbin/{n}": ELF
                for n in ("mosquitto", "dnsmasq", "miniupnpd", "snmpd", "hostapd")
            },
        },
    )
    findings, _ = run_family(services, root)
    checks = {f.check for f in findings}
    seen = listening(findings)
    assert {(p["port"], p["protocol"]) for p in seen["mosquitto"]["ports"]} == {
        (8883, "mqtts"),
        (1883, "mqtt"),
    }
    assert "services.cleartext-mqtt" not in checks  # 1883 only on loopback
    assert (
        "services.mosquitto-anonymous" not in checks
        and "services.cleartext-mqtt-bridge" not in checks
    )
    assert {(p["port"], p["proto"]) for p in seen["dnsmasq"]["ports"]} == {
        (5353, "udp"),
        (5353, "tcp"),
    }
    assert {(p["port"], p["protocol"]) for p in seen["miniupnpd"]["ports"]} == {
        (5000, "upnp-http"),
        (1900, "ssdp"),
    }
    assert "services.upnp-igd" in checks
    snmp = next(f for f in findings if f.check == "services.snmp-default-community")
    assert "public" in snmp.title and "s3cret" not in snmp.title
    assert "services.cleartext-snmp" in checks
    assert "services.wifi-open" in checks


def test_disabled_and_commented_services_are_not_reported(tmp_path: Path) -> None:
    root = build_tree(
        tmp_path,
        {
            **rc("# telnetd -l /bin/sh\nif false; then /usr/sbin/vsftpd; fi\n"),
            "/etc/init.d/S50telnet": "#!/bin/sh\ntelnetd\n",  # not run: rcS has no S?? loop
            "/usr/sbin/vsftpd": ELF,
        },
    )
    findings, _ = run_family(services, root)
    assert not [f for f in findings if f.severity != "info"]
    not_started = [f for f in findings if f.check == "services.not-started"]
    assert [f.data["service"] for f in not_started] == ["telnetd"]
    assert not_started[0].data["started_at_boot"] is False
