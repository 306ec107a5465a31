"""Accuracy of the boot/credentials/services/updates/logging/debug families and of the theme
verdicts on the corpus, measured against each image's *.truth.json (never against our output).

Trees come from the project's own unpack stage (session fixture ``unpacked``); a well-configured
variant is built from a corpus tree with the weaknesses removed.
"""

from __future__ import annotations

import posixpath
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from parta_support import CORPUS, load_truth

from iotvet.checks import credentials, debug, logging, registry, services, updates
from iotvet.checks.themes import theme_verdicts
from iotvet.context import ScanContext
from iotvet.model import Finding
from iotvet.rootfs import RootFS
from iotvet.unpack.interface import UnpackResult

FAMILIES = [credentials, services, updates, logging, debug]
MINE = ["credentials", "services", "updates", "logging", "debug"]
CLEARTEXT = {"telnet", "http", "mqtt", "ftp", "tftp", "rtsp"}
IMAGES = sorted(p.name.removesuffix(".truth.json") for p in CORPUS.glob("*.truth.json"))


def test_corpus_present() -> None:
    assert len(IMAGES) >= 4, f"corpus truth files missing under {CORPUS}"


def rootfs_of(result: UnpackResult) -> RootFS:
    roots = [r for r in result.roots if r.exists("/etc/passwd")]
    assert roots, "no root file system with /etc/passwd was unpacked"
    return roots[0]


def scan(root: RootFS, modules: list[Any] | None = None) -> list[Finding]:
    ctx = ScanContext(roots=[root])
    findings: list[Finding] = []
    for module in modules or FAMILIES:
        findings += module.FAMILY.run(root, ctx)
    for index, f in enumerate(findings, 1):
        f.id = f"F{index}"
    return findings


@pytest.fixture(scope="module")
def corpus(unpacked: Callable[[Path], UnpackResult]) -> dict[str, tuple[RootFS, list[Finding]]]:
    out = {}
    for name in IMAGES:
        root = rootfs_of(unpacked(CORPUS / name))
        out[name] = (root, scan(root))
    return out


@pytest.mark.parametrize("name", IMAGES)
def test_accounts_and_cracked_passwords(corpus: dict[str, Any], name: str) -> None:
    truth = load_truth(CORPUS / name)["findings"]["accounts"]
    findings = corpus[name][1]
    inventory = next(f for f in findings if f.check == "credentials.accounts")
    found = {a["user"]: a for a in inventory.data["accounts"]}
    for account in truth:
        got = found[account["user"]]
        assert got["hash_type"] == account["hash_type"], account["user"]
        assert got["login_capable"] == account["login_capable"], account["user"]
        if account["password_in_default_list"]:
            assert got["password"] == account["password"], account["user"]
    weak = {
        (f.data["user"], f.data["password"])
        for f in findings
        if f.check in ("credentials.default-password", "credentials.empty-password")
        and f.severity == "critical"
    }
    expected = {
        (a["user"], a["password"])
        for a in truth
        if a["login_capable"] and a["password_in_default_list"]
    }
    assert weak == expected


def _ports(items: list[dict[str, Any]]) -> set[tuple[Any, ...]]:
    return {
        (p["port"], p["proto"], p["protocol"], p["encrypted"], bool(p.get("redirect_only")))
        for p in items
    }


@pytest.mark.parametrize("name", IMAGES)
def test_services_ports_and_encryption(corpus: dict[str, Any], name: str) -> None:
    truth = load_truth(CORPUS / name)["findings"]["services"]
    findings = corpus[name][1]
    listening = [f.data for f in findings if f.check == "services.listening"]
    for service in truth:
        if service["category"] == "firewall":
            continue
        program = posixpath.basename(service["binary"])
        matches = [
            d
            for d in listening
            if d["program"] == program and _ports(d["ports"]) == _ports(service["ports"])
        ]
        if service["started_at_boot"]:
            assert matches, f"{service['id']} with ports {service['ports']} not found"
            assert matches[0]["started_by"] == service["started_by"]
        else:
            assert not matches, f"{service['id']} is not started but was reported"
            # an installed but disabled init script is listed as such
            assert not service.get("init_script") or any(
                f.check == "services.not-started" and f.data["program"] == program for f in findings
            )
    expected = {
        (p["port"], p["protocol"])
        for s in truth
        if s["started_at_boot"] and not str(s.get("listen") or "").startswith("127.")
        for p in s["ports"]
        if p["protocol"] in CLEARTEXT and not p["encrypted"] and not p.get("redirect_only")
    }
    reported = {
        (p["port"], p["protocol"])
        for f in findings
        if f.check.startswith("services.cleartext-") and f.check != "services.cleartext-mqtt-bridge"
        for p in f.data["ports"]
        if p["protocol"] in CLEARTEXT and not p["encrypted"] and not p.get("redirect_only")
    }
    assert reported == expected


@pytest.mark.parametrize("name", IMAGES)
def test_update_mechanism(corpus: dict[str, Any], name: str) -> None:
    truth = load_truth(CORPUS / name)["findings"]["update_mechanism"]
    mechanisms = [f.data for f in corpus[name][1] if f.check == "updates.mechanism"]
    assert [m["script"] for m in mechanisms] == [truth["script"]]
    got = mechanisms[0]
    for key in (
        "transport",
        "verification",
        "signed",
        "public_key",
        "flash_target",
        "tls_certificate_verification",
        "url",
    ):
        assert got[key] == truth[key], key
    assert got["download_tool"] == truth["download_tool"]
    if truth["trigger"].startswith("cron"):
        assert got["trigger"].startswith("cron")


@pytest.mark.parametrize("name", IMAGES)
def test_logging(corpus: dict[str, Any], name: str) -> None:
    truth = load_truth(CORPUS / name)["findings"]["logging"]
    findings = corpus[name][1]
    started = [f.data for f in findings if f.check == "logging.syslog-started"]
    if truth["started_at_boot"]:
        assert len(started) == 1
        assert started[0]["remote_target"] == truth["remote_target"]
        assert started[0]["local_log"] == truth["local_log"]
        assert started[0]["klogd"] == truth["klogd"]
    else:
        assert not started and any(f.check == "logging.no-syslog" for f in findings)


@pytest.mark.parametrize("name", IMAGES)
def test_debug_backdoors(corpus: dict[str, Any], name: str) -> None:
    truth = load_truth(CORPUS / name)["findings"]["services"]
    expected = {
        p["port"]
        for s in truth
        if s["started_at_boot"] and s["category"] == "debug-backdoor"
        for p in s["ports"]
    }
    shells = [f for f in corpus[name][1] if f.check == "debug.unauthenticated-shell"]
    assert {int(str(f.data["port"]).split("/")[-1]) for f in shells} == expected


@pytest.mark.parametrize("name", IMAGES)
def test_theme_verdicts_of_these_families(corpus: dict[str, Any], name: str) -> None:
    themes = load_truth(CORPUS / name)["themes"]
    verdicts = {v.theme: v for v in theme_verdicts(corpus[name][1], MINE)}
    for theme in (
        "no-universal-default-password",
        "secure-communication",
        "software-update-integrity",
        "logging",
    ):
        assert verdicts[theme].result == themes[theme]["result"].lower(), theme
    # minimised-attack-surface: these families decide telnet, UPnP IGD and debug interfaces
    reasons = " ".join(themes["minimised-attack-surface"]["reasons"])
    mine_fail = any(word in reasons for word in ("telnet", "UPnP", "debug/backdoor"))
    assert (verdicts["minimised-attack-surface"].result == "fail") == mine_fail


@pytest.mark.parametrize("name", IMAGES)
def test_theme_verdicts_of_all_registered_families(corpus: dict[str, Any], name: str) -> None:
    """Every theme whose deciding families are all registered equals the truth."""
    root = corpus[name][0]
    modules = registry.families()
    ctx = ScanContext(roots=[root])
    findings: list[Finding] = []
    for family in modules:
        findings += family.run(root, ctx)
    for index, f in enumerate(findings, 1):
        f.id = f"F{index}"
    themes = load_truth(CORPUS / name)["themes"]
    verdicts = theme_verdicts(findings, [family.name for family in modules])
    decided = [v for v in verdicts if v.theme in themes and v.result != "inconclusive"]
    assert {v.theme for v in decided} >= {
        "no-universal-default-password",
        "secure-communication",
        "logging",
        "software-update-integrity",
    }
    for verdict in decided:
        assert verdict.result == themes[verdict.theme]["result"].lower(), verdict.theme


def test_near_clean_image_has_no_high_finding(corpus: dict[str, Any]) -> None:
    clean = [
        name
        for name in IMAGES
        if load_truth(CORPUS / name)["themes"]["no-universal-default-password"]["result"] == "PASS"
    ]
    assert clean
    for name in clean:
        bad = [
            f"{f.check} {f.title}" for f in corpus[name][1] if f.severity in ("high", "critical")
        ]
        assert bad == []


def _openssl_sha512(password: str) -> str:
    return subprocess.run(
        ["openssl", "passwd", "-6", password], check=True, capture_output=True, text=True
    ).stdout.strip()


def test_well_configured_variant(corpus: dict[str, Any], tmp_path: Path) -> None:
    """acme (weakest image) with its weaknesses fixed: no high/critical, the themes pass."""
    name = next(n for n in IMAGES if n.startswith("acme"))
    source = corpus[name][0].root
    base = tmp_path / "fixed"
    shutil.copytree(source, base, symlinks=True)
    etc = base / "etc"
    shadow = (etc / "shadow").read_text().splitlines()
    strong = _openssl_sha512("Zq8#unique-per-device-Kx2!")
    (etc / "shadow").write_text(
        "\n".join(
            f"root:{strong}:" + line.split(":", 2)[2] if line.startswith("root:") else line
            for line in shadow
        )
        + "\n"
    )
    for script in ("S40telnetd", "S65miniupnpd"):
        (etc / "init.d" / script).unlink()
    dropbear = etc / "init.d" / "S45dropbear"
    dropbear.write_text(dropbear.read_text().replace("dropbear -R", "dropbear -w -s -R"))
    conf = etc / "lighttpd" / "lighttpd.conf"
    conf.write_text(
        conf.read_text().replace("server.port = 80", 'server.port = 443\nssl.engine = "enable"')
    )
    (etc / "inittab").write_text(
        (etc / "inittab").read_text() + "::respawn:/sbin/syslogd -n -O /var/log/messages\n"
    )
    (etc / "fw").mkdir(exist_ok=True)
    (etc / "fw" / "key.pem").write_text("-----BEGIN PUBLIC KEY-----\n")
    updater = base / "usr" / "sbin" / "fw_upgrade.sh"
    text = updater.read_text().replace("http://", "https://")
    text = text.replace(
        'log "writing firmware',
        'wget -q -O /tmp/fw.sig "$FW_URL.sig" || exit 1\n'
        "openssl dgst -sha256 -verify /etc/fw/key.pem -signature /tmp/fw.sig "
        '"$IMG" || exit 1\nlog "writing firmware',
    )
    updater.write_text(text)
    findings = scan(RootFS(base))
    bad = [f"{f.check}: {f.title}" for f in findings if f.severity in ("high", "critical")]
    assert bad == []
    verdicts = {v.theme: v.result for v in theme_verdicts(findings, MINE)}
    for theme in (
        "no-universal-default-password",
        "secure-communication",
        "software-update-integrity",
        "logging",
    ):
        assert verdicts[theme] == "pass", theme
