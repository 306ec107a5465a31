"""Secrets family on small trees: each syntax and token kind, and the tricky negatives.

Token-shaped values are assembled at run time from pieces so the repository never holds a string
that another secret scanner would flag as a live credential.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from partb_support import make_root, run

from iotvet.checks import secrets
from iotvet.checks.secrets import FAMILY
from iotvet.model import Finding

AWS_ID = "AKIA" + "QX7ZPM4TLW2KD9RE"
AWS_SECRET = "wJ8rTq2Lx0Vb5Nz3Kp7G" + "d9Hs1Fa4Ce6My/Ub2XiO"
SLACK = "xoxb-" + "1234567890-0987654321-" + "AbCdEfGhIjKlMnOpQrStUvWx"
GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
JWT = "eyJhbGciOiJIUzI1NiJ9" + ".eyJzdWIiOiJkZXZpY2UtMTIzNDUifQ" + ".c2lnbmF0dXJlX29mX3RoZV90b2tlbg"


def sha(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def hits(findings: list[Finding]) -> set[tuple[str | None, str, str]]:
    """(path, kind, value sha256) of every finding."""
    return {(f.path, str(f.data["kind"]), str(f.data["value_sha256"])) for f in findings}


def test_every_config_syntax_and_kind(tmp_path: Path) -> None:
    files = {
        "/etc/hostapd/hostapd.conf": "ssid=Home\nwpa_passphrase=acme1234wifi\n",
        "/etc/wpa_supplicant.conf": 'network={\n\tssid="up"\n\tpsk="uplink pass 2024"\n}\n',
        "/etc/config/wireless": "config wifi-iface 'default'\n\toption key 'Wifi-Key-99'\n",
        "/etc/mosquitto/mosquitto.conf": "connection cloud\nremote_password Br3al!s-Flt-2023\n",
        "/etc/config/cloud.json": f'{{"aws_access_key_id": "{AWS_ID}",\n'
        f' "aws_secret_access_key": "{AWS_SECRET}",\n'
        ' "device_api_token": "acme_live_9f3b2c7d51e04a8b9c6d2e1f0a7b3c5d"}\n',
        "/etc/app/settings.xml": "<config><password>hunter2hunter2</password></config>\n",
        "/etc/app/db.env": "export DB_PASSWORD='s3cr3t$tays'\n",
        "/etc/app/notify.yaml": f"slack: {SLACK}\nrepo_token: {GITHUB}\n",
        "/www/js/app.js": f'var cfg={{auth:"{JWT}",user:"a"}};\n',
        "/etc/app/broker.ini": "url = mqtt://fleet:Fl33t-pass@broker.example:1883\n",
        "/etc/openvpn/client.conf": "client\nauth-user-pass auth.txt\n",
        "/etc/openvpn/auth.txt": "cv200-fleet\nCv200#Fleet!\n",
        "/etc/ppp/chap-secrets": '# client server secret IP\nisp-user * "Chap-S3cret" *\n',
        "/etc/ipsec.secrets": ': PSK "ipsec-shared-key"\n',
        "/etc/snmp/app.conf": "api_key = 4f9a8c2e7b1d6f3a0e5c9b8d7a6f5e4d\n",
    }
    expected = {
        ("/etc/hostapd/hostapd.conf", "wifi_psk", sha("acme1234wifi")),
        ("/etc/wpa_supplicant.conf", "wifi_psk", sha("uplink pass 2024")),
        ("/etc/config/wireless", "wifi_psk", sha("Wifi-Key-99")),
        ("/etc/mosquitto/mosquitto.conf", "mqtt_bridge_password", sha("Br3al!s-Flt-2023")),
        ("/etc/config/cloud.json", "cloud_access_key_id", sha(AWS_ID)),
        ("/etc/config/cloud.json", "cloud_secret_access_key", sha(AWS_SECRET)),
        (
            "/etc/config/cloud.json",
            "api_token",
            sha("acme_live_9f3b2c7d51e04a8b9c6d2e1f0a7b3c5d"),
        ),
        ("/etc/app/settings.xml", "password", sha("hunter2hunter2")),
        ("/etc/app/db.env", "password", sha("s3cr3t$tays")),
        ("/etc/app/notify.yaml", "api_token", sha(SLACK)),
        ("/etc/app/notify.yaml", "api_token", sha(GITHUB)),
        ("/www/js/app.js", "api_token", sha(JWT)),
        ("/etc/app/broker.ini", "connection_string", sha("Fl33t-pass")),
        ("/etc/openvpn/auth.txt", "vpn_credentials", sha("Cv200#Fleet!")),
        ("/etc/ppp/chap-secrets", "ppp_credentials", sha("Chap-S3cret")),
        ("/etc/ipsec.secrets", "vpn_psk", sha("ipsec-shared-key")),
        ("/etc/snmp/app.conf", "api_token", sha("4f9a8c2e7b1d6f3a0e5c9b8d7a6f5e4d")),
    }
    findings, _ = run(FAMILY, make_root(tmp_path, files))
    assert hits(findings) == expected
    vpn = next(f for f in findings if f.path == "/etc/openvpn/auth.txt")
    assert vpn.data["key"] == "cv200-fleet"


def test_values_are_redacted_and_hashed(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"/etc/app.conf": ("admin_password=CorrectHorse42\n", 0o644)})
    (finding,) = run(FAMILY, root)[0]
    assert "CorrectHorse42" not in finding.detail + finding.title
    assert "Corr…(14 chars)" in finding.detail
    assert finding.data["value_sha256"] == sha("CorrectHorse42")
    assert finding.data["world_readable"] is True
    assert finding.cwe == "CWE-798"
    assert finding.themes == ["secure-storage-of-secrets"]


NEGATIVES: dict[str, str | bytes] = {
    # placeholders, templates, variables, references
    "/etc/app/a.conf": "password=<your-password-here>\ntoken=xxxxxxxx\napi_key=${API_KEY}\n"
    "secret={{ vault_secret }}\npassword=/etc/app/password.txt\npassword=\npassword=none\n",
    "/etc/app/b.json": '{"password": "", "token": "REDACTED", "label": "Enter password"}\n',
    # comments: a commented example is not a configured value
    "/etc/app/c.conf": "# password=example123\n; secret = hunter2hunter2\n",
    # shell expansions are computed at run time
    "/etc/init.d/app": '#!/bin/sh\nPASSWORD="$(cat /etc/app/pw)"\nTOKEN="${1:-x}"\n',
    # documentation and examples
    "/usr/share/doc/app/README": f"password=SuperSecret1\n{AWS_ID}\n",
    "/etc/app/examples/demo.conf": "password=SuperSecret1\n",
    # name-service tables, hashes of package files, binaries
    "/etc/nsswitch.conf": "passwd: files\nshadow: files\n",
    "/var/lib/dpkg/info/app.md5sums": "0a1b2c3d4e5f60718293a4b5c6d7e8f9  usr/bin/app\n",
    "/usr/bin/app": b"\x7fELF\x02\x01\x01" + b"\x00" * 40 + b"password=BinarySecret1\x00",
    # keys whose names only look like secrets
    "/etc/login.defs": "PASS_MAX_DAYS 99999\n",
    "/etc/app/d.conf": "password_file=/etc/pw\ntoken_url=https://x.example/t\n"
    "uuid_key=3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b\nkey_hash=0a1b2c3d4e5f60718293a4b5c6d7e8f9\n",
    # a sentence in a UI file
    "/www/i18n/en.json": '{"password": "Password", "token": "Token expired, please log in"}\n',
    # a PEM key in a config belongs to the crypto family
    "/etc/app/e.json": '{"private_key": "-----BEGIN PRIVATE KEY-----\\nMIIB\\n-----END"}\n',
}


def test_tricky_negatives(tmp_path: Path) -> None:
    findings, _ = run(FAMILY, make_root(tmp_path, NEGATIVES))
    assert findings == []


def test_changeme_is_a_default_not_a_placeholder(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"/etc/app.conf": "admin_password=changeme\n"})
    assert hits(run(FAMILY, root)[0]) == {("/etc/app.conf", "password", sha("changeme"))}


def test_one_value_reported_once_with_the_most_specific_kind(tmp_path: Path) -> None:
    root = make_root(tmp_path, {"/etc/c.json": f'{{"aws_key": "{AWS_ID}", "id2": "{AWS_ID}"}}'})
    findings = run(FAMILY, root)[0]
    assert hits(findings) == {("/etc/c.json", "cloud_access_key_id", sha(AWS_ID))}


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("signing_key", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg", True),
        ("signing_key", "aaaaaaaaaaaaaaaaaaaaaaaa", False),
        ("public_key", "Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MGFiY2RlZg", False),
        ("auth_hash", "4f9a8c2e7b1d6f3a0e5c9b8d7a6f5e4d", False),
        ("session_key", "3d3cec3a-8cf0-11e0-98ee-001a6bd2d07b", False),
    ],
)
def test_entropy_judgement(key: str, value: str, expected: bool) -> None:
    assert secrets.high_entropy_secret(key, value) is expected


def test_verified_key_passphrase_file_is_a_secret(tmp_path: Path) -> None:
    from cryptography.hazmat.primitives import serialization as s
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        s.Encoding.PEM, s.PrivateFormat.PKCS8, s.BestAvailableEncryption(b"igw640-bridge-key")
    )
    root = make_root(
        tmp_path,
        {
            "/etc/mosquitto/certs/bridge.key": key,
            "/etc/mosquitto/certs/bridge.pass": "igw640-bridge-key\n",
            "/etc/mosquitto/certs/notes.pass": "not-the-passphrase\n",  # wrong: never reported
        },
    )
    findings, _ = run(FAMILY, root)
    assert hits(findings) == {
        (
            "/etc/mosquitto/certs/bridge.pass",
            "private_key_passphrase",
            sha("igw640-bridge-key"),
        )
    }


def test_values_in_code_are_string_literals_only(tmp_path: Path) -> None:
    files = {
        # PHP / JavaScript: unquoted right-hand sides are expressions, not values
        "/etc/services/ppp.php": '<?php\n$pwd = get("s", "password");\n$pass = "flets-pw";\n',
        "/www/js/lib.js": 'var token = path.split("/");\nvar q="&PASSWD="+escape(p)+"&X=1";\n'
        "login = { password: function() { return 1; } };\n",
        # shell: an unquoted word is a literal, an expansion is not
        "/etc/init.d/vpn": "#!/bin/sh\nVPN_PASSWORD=Literal-Pw1\nPASSWORD=$1\n",
        # a CGI written in shell is read as shell
        "/www/cgi-bin/status.cgi": "#!/bin/sh\nADMIN_PASS=Cgi-Default9\n",
    }
    findings, _ = run(FAMILY, make_root(tmp_path, files))
    assert hits(findings) == {
        ("/etc/services/ppp.php", "password", sha("flets-pw")),
        ("/etc/init.d/vpn", "password", sha("Literal-Pw1")),
        ("/www/cgi-bin/status.cgi", "password", sha("Cgi-Default9")),
    }


@pytest.mark.parametrize(
    ("path", "text", "kind"),
    [
        ("/etc/init.d/x", "#!/bin/sh\n", "shell"),
        ("/usr/bin/x", "#!/usr/bin/env python3\n", "code"),
        ("/bin/x", "#!/bin/busybox sh\n", "shell"),
        ("/www/a.php", "<?php\n", "code"),
        ("/etc/a.conf", "a=b\n", "config"),
    ],
)
def test_file_kind(path: str, text: str, kind: str) -> None:
    assert secrets.file_kind(path, text) == kind
