"""Evidence for engine tests, built from the corpus ground truth (no scan involved).

The conformity engine consumes theme verdicts and findings. These helpers turn each corpus
``*.truth.json`` into that evidence: the truth's theme results become ThemeVerdicts, and each
planted fact the truth lists (default passwords, cleartext services, unsigned updates, keys,
secrets, world-writable files …) becomes a finding of the check family that reports it, tagged
with the theme whose truth reason names it. Expected verdicts in the tests are then derived from
the same truth facts, never from the engine's output.
"""

from __future__ import annotations

import copy
from functools import cache
from pathlib import Path
from typing import Any

from corpus import CORPUS, corpus_images, truth_of
from iotvet.model import Component, Finding, Report, Target, ThemeVerdict, Tool, Verdict
from iotvet.standards.catalog import REGIMES, load_catalog
from iotvet.standards.declarations import load_declarations

DATA = Path(__file__).resolve().parent / "data"
COMPLETE = load_declarations(DATA / "complete.yaml")
PARTIAL = load_declarations(DATA / "partial.yaml")

PW = "no-universal-default-password"
COM = "secure-communication"
SEC = "secure-storage-of-secrets"
UPD = "software-update-integrity"
LOG = "logging"
ATT = "minimised-attack-surface"

CLEARTEXT = {"telnet", "http", "mqtt", "ftp", "tftp", "rtsp"}


_load = cache(truth_of)  # each truth file read once; callers get deep copies


def truth(name: str) -> dict[str, Any]:
    """The truth of the corpus image whose file name starts with ``name``."""
    for image in corpus_images():
        if image.name.startswith(name):
            return copy.deepcopy(_load(image))
    raise AssertionError(f"no corpus image starting with {name!r} under {CORPUS}")


def all_truths() -> list[dict[str, Any]]:
    return [copy.deepcopy(_load(image)) for image in corpus_images()]


def by_id(verdicts: list[Verdict]) -> dict[tuple[str, str], Verdict]:
    """Verdicts keyed by (regime, requirement)."""
    return {(v.regime, v.requirement): v for v in verdicts}


def failing(t: dict[str, Any], theme: str) -> bool:
    return bool(t["themes"][theme]["result"] == "FAIL")


def _facts(t: dict[str, Any]) -> list[tuple[str, str, str | None, str, list[str]]]:
    """(check, severity, path, title, themes) for every planted fact of the truth."""
    f = t["findings"]
    out: list[tuple[str, str, str | None, str, list[str]]] = []
    for a in f["accounts"]:
        if a["login_capable"] and a["hash_type"] == "empty":
            out.append(
                (
                    "credentials.empty-password",
                    "critical",
                    a["hash_file"],
                    f"account {a['user']} has an empty password",
                    [PW],
                )
            )
        elif a["login_capable"] and a["password_in_default_list"]:
            out.append(
                (
                    "credentials.default-password",
                    "critical",
                    a["hash_file"],
                    f"account {a['user']} has a default password",
                    [PW],
                )
            )
    for s in f["services"]:
        if not s["started_at_boot"]:
            continue
        ports = s["ports"]
        if s["category"] == "debug-backdoor":
            out.append(
                (
                    "debug.unauthenticated-shell",
                    "critical",
                    s["started_by"],
                    f"{s['id']} gives a shell without authentication",
                    [PW, ATT],
                )
            )
        elif any(p["protocol"] == "telnet" for p in ports):
            out.append(
                ("services.telnet", "high", s["started_by"], f"{s['id']} runs telnet", [ATT])
            )
        if s["category"] == "upnp":
            out.append(
                ("services.upnp-igd", "medium", s["started_by"], f"{s['id']} runs UPnP IGD", [ATT])
            )
        for p in ports:
            if p["protocol"] in CLEARTEXT and not p["encrypted"] and not p.get("redirect_only"):
                out.append(
                    (
                        f"services.cleartext-{p['protocol']}",
                        "high",
                        s["config_file"],
                        f"{s['id']} serves cleartext {p['protocol']} on {p['port']}",
                        [COM],
                    )
                )
    u = f["update_mechanism"]
    if u["transport"] == "http" or u["tls_certificate_verification"] is False:
        out.append(
            (
                "updates.insecure-transport",
                "high",
                u["script"],
                "update downloaded without verified TLS",
                [COM],
            )
        )
    if u["verification"] != "signature":
        out.append(("updates.unsigned", "high", u["script"], "update not signature-checked", [UPD]))
    if not f["logging"]["started_at_boot"]:
        out.append(("logging.no-syslog", "medium", None, "no syslog daemon started at boot", [LOG]))
    for k in f["private_keys"]:
        if not k["encrypted"]:
            out.append(
                (
                    "crypto.unencrypted-private-key",
                    "high",
                    k["path"],
                    f"unencrypted {k['type']} private key",
                    [SEC],
                )
            )
        elif k["passphrase_stored_in_image"]:
            out.append(
                (
                    "crypto.passphrase-in-image",
                    "high",
                    k["passphrase_stored_in_image"],
                    "key passphrase stored in the image",
                    [SEC],
                )
            )
    for s in f["hardcoded_secrets"]:
        out.append(
            (
                f"secrets.{s['kind'].replace('_', '-')}",
                "high",
                s["path"],
                f"hard-coded {s['kind']}",
                [SEC],
            )
        )
    for x in f["setuid_files"] + f["setgid_files"]:
        out.append(("permissions.setuid", "medium", x["path"], "setuid/setgid file", [ATT]))
    for x in f["world_writable"]:
        out.append(
            (
                "permissions.world-writable",
                "medium",
                x["path"],
                f"world-writable {x['type']}",
                [ATT],
            )
        )
    return out


def report_from_truth(t: dict[str, Any]) -> Report:
    """A report whose findings and theme verdicts are the truth's facts and theme results."""
    findings = [
        Finding(id=f"F{i}", check=check, severity=sev, path=path, title=title, themes=themes)
        for i, (check, sev, path, title, themes) in enumerate(_facts(t), 1)  # type: ignore[arg-type]
    ]
    themes = []
    for theme, verdict in t["themes"].items():
        ids = [f.id for f in findings if theme in f.themes]
        result = "fail" if verdict["result"] == "FAIL" else "pass"
        assert (result == "fail") == bool(ids), f"{t['image']['file']}: {theme} truth vs facts"
        themes.append(
            ThemeVerdict(
                theme=theme, result=result, findings=ids, reason="; ".join(verdict["reasons"])
            )
        )
    components = [
        Component(name=c["name"], version=c["upstream_version"], purl=c["generic_purl"])
        for c in t["components"]
    ]
    image = t["image"]
    return Report(
        tool=Tool(version="test"),
        target=Target(path=image["file"], sha256=image["sha256"], size=image["size"]),
        components=components,
        findings=findings,
        themes=themes,
    )


def without_world_writable(t: dict[str, Any]) -> dict[str, Any]:
    """The truth of the same image after fixing its world-writable entries (chmod o-w).

    The minimised-attack-surface result is re-derived from the truth's own reasons: it passes
    when world-writable entries were its only reasons.
    """
    t = copy.deepcopy(t)
    t["findings"]["world_writable"] = []
    reasons = [r for r in t["themes"][ATT]["reasons"] if not r.startswith("world-writable")]
    t["themes"][ATT] = {"result": "FAIL" if reasons else "PASS", "reasons": reasons}
    return t


def services_exposed(t: dict[str, Any]) -> bool:
    """Telnet, UPnP IGD or a debug backdoor started at boot (truth theme rule 6, services part)."""
    for s in t["findings"]["services"]:
        if not s["started_at_boot"]:
            continue
        if s["category"] in ("upnp", "debug-backdoor"):
            return True
        if any(p["protocol"] == "telnet" for p in s["ports"]):
            return True
    return False


def permissions_loose(t: dict[str, Any]) -> bool:
    f = t["findings"]
    return bool(f["world_writable"] or f["setuid_files"] or f["setgid_files"])


def single_theme_requirements() -> list[tuple[str, str, str]]:
    """(regime, requirement, theme) for requirements decided by exactly one unscoped theme."""
    out = []
    for regime in REGIMES:
        for r in load_catalog(regime).requirements:
            d = r.decide
            if (
                len(d.themes) == 1
                and not d.themes[0].families
                and not (d.vulns or d.inventory or d.declared)
            ):
                out.append((regime, r.id, d.themes[0].theme))
    return out
