"""The services family: network daemons started at boot, their listening ports, and the ones that
speak cleartext or let clients in without authentication.

Why: "which ports does this device open, and in which of them can an attacker read or inject
traffic?" is the first question of every baseline (EN 303 645 5.5, NIST IR 8425 "secure
communication", CRA Annex I (3)(d)/(e)). The daemons come from the shared boot model (so a telnetd
whose init script is not enabled is not reported as running); ports and TLS come from each
daemon's own configuration (svcconf.py). Every started daemon gets an info finding
``services.listening`` with its ports (the inventory an assessor checks); weaknesses get their own
findings. Daemons whose scripts ship but are not enabled are listed as ``services.not-started``.
"""

from __future__ import annotations

from typing import Any

from .. import datafiles
from ..context import ScanContext
from ..model import Finding, Severity
from ..rootfs import RootFS
from .boot import Launch, boot_model
from .svcconf import READERS, Port, ServiceFacts, protocol_of

COM = "secure-communication"
ATT = "minimised-attack-surface"
PW = "no-universal-default-password"


# SSH login policies (facts the sshd/dropbear readers set) that are weaknesses once the daemon is
# reachable: (fact, check, severity, CWE, what the daemon allows)
_SSH_LOGIN_WEAKNESSES: tuple[tuple[str, str, Severity, str, str], ...] = (
    (
        "root_password_auth",
        "services.ssh-root-password-login",
        "low",
        "CWE-284",
        "allows root to log in with a password",
    ),
    (
        "blank_passwords",
        "services.ssh-empty-password-login",
        "medium",
        "CWE-258",
        "accepts logins to accounts with an empty password",
    ),
)


def _know() -> dict[str, Any]:
    return datafiles.load("services.yaml")


def daemon_spec(program: str) -> tuple[str, dict[str, Any]] | None:
    """(key, spec) of the daemon knowledge entry for a program name, if known."""
    for key, spec in _know()["daemons"].items():
        if program in spec["names"]:
            return key, spec
    return None


def is_loopback(listen: str | None) -> bool:
    if not listen:
        return False
    return all(
        any(part.strip().startswith(p) for p in _know()["loopback_prefixes"])
        for part in listen.replace("interface ", "").split(",")
    )


def describe(root: RootFS, launch: Launch) -> tuple[str, dict[str, Any], ServiceFacts] | None:
    """Service id, knowledge entry and configuration facts of a launch, None for unknown ones."""
    found = daemon_spec(launch.program)
    if found is None:
        return None
    _key, spec = found
    protocols = _know()["protocols"]
    reader = READERS.get(str(spec.get("parser", "port_options")))
    facts = reader(root, launch, spec, protocols) if reader else ServiceFacts()
    if launch.sockets:
        base = spec["ports"][0]["protocol"] if spec.get("ports") else "unknown"
        encrypted = bool(protocols.get(base, {}).get("encrypted"))
        facts.ports = [
            Port(s.port, s.proto, protocol_of(base, encrypted), encrypted, s.listen)
            for s in launch.sockets
        ]
    return str(spec["service"]), spec, facts


class _Services:
    name = "services"

    def run(self, root: RootFS, ctx: ScanContext) -> list[Finding]:
        model = boot_model(root)
        for path, why in model.notes:
            ctx.skip(path, why, "checks/services")
        findings: list[Finding] = []
        started: set[str] = set()
        seen: set[tuple[str, tuple[str, ...]]] = set()
        for launch in model.launches:
            described = describe(root, launch)
            if described is None:
                continue
            service, spec, facts = described
            key = (service, launch.argv)
            if key in seen or spec.get("oneshot"):
                continue
            seen.add(key)
            started.add(service)
            findings.append(self._listening(service, spec, launch, facts))
            findings.extend(self._weaknesses(service, spec, launch, facts))
        for launch in model.dormant:
            described = describe(root, launch)
            if described is None or described[0] in started or described[1].get("oneshot"):
                continue
            service, spec, facts = described
            started.add(service)
            findings.append(
                Finding(
                    check="services.not-started",
                    severity="info",
                    path=launch.started_by,
                    title=f"{service} is installed with an init script but not started at boot",
                    detail=f"{launch.started_by}:{launch.line}: {launch.text}",
                    data=self._data(service, spec, launch, facts, started_at_boot=False),
                )
            )
        return findings

    @staticmethod
    def _data(
        service: str,
        spec: dict[str, Any],
        launch: Launch,
        facts: ServiceFacts,
        started_at_boot: bool = True,
    ) -> dict[str, object]:
        data: dict[str, object] = {
            "service": service,
            "program": launch.program,
            "binary": launch.binary,
            "started_at_boot": started_at_boot,
            "started_by": launch.started_by if started_at_boot else None,
            "script": launch.script,
            "line": launch.line,
            "via": launch.via,
            "command": " ".join(launch.argv),
            "category": spec.get("category"),
            "config_file": facts.config_file,
            "ports": [p.as_dict() for p in facts.ports],
            "encrypted": all(p.encrypted or p.redirect_only for p in facts.ports)
            if facts.ports
            else None,
            "authentication": facts.authentication,
            "conditional": launch.conditional,
        }
        data.update({k: v for k, v in facts.facts.items() if k != "notes"})
        if facts.facts.get("notes"):
            data["notes"] = facts.facts["notes"]
        return data

    def _listening(
        self, service: str, spec: dict[str, Any], launch: Launch, facts: ServiceFacts
    ) -> Finding:
        ports = (
            ", ".join(
                f"{p.proto}/{p.port if p.port else '?'} ({p.protocol}"
                f"{', redirect to https' if p.redirect_only else ''}"
                f"{', ' + p.listen if p.listen else ''})"
                for p in facts.ports
            )
            or "no listening port"
        )
        return Finding(
            check="services.listening",
            severity="info",
            path=launch.started_by,
            title=f"{service} started at boot: {ports}",
            detail=launch.evidence(facts.config_file),
            data=self._data(service, spec, launch, facts),
        )

    def _weaknesses(
        self, service: str, spec: dict[str, Any], launch: Launch, facts: ServiceFacts
    ) -> list[Finding]:
        protocols = _know()["protocols"]
        data = self._data(service, spec, launch, facts)
        path = facts.config_file or launch.started_by
        where = launch.evidence()
        out: list[Finding] = []
        exposed = [p for p in facts.ports if not is_loopback(p.listen)]
        by_protocol: dict[str, list[Port]] = {}
        for port in exposed:
            info = protocols.get(port.protocol, {})
            if info.get("cleartext_finding") and not port.redirect_only and not port.encrypted:
                by_protocol.setdefault(port.protocol, []).append(port)
        for protocol, ports in by_protocol.items():
            info = protocols[protocol]
            themes = [COM] + ([ATT] if info.get("attack_surface") else [])
            listed = ", ".join(f"{p.proto}/{p.port if p.port else '?'}" for p in ports)
            out.append(
                Finding(
                    check=f"services.cleartext-{protocol}",
                    severity=info.get("severity", "medium"),
                    cwe="CWE-319",
                    path=launch.started_by,
                    title=f"{service} serves cleartext {protocol} on {listed}",
                    detail=launch.evidence(facts.config_file),
                    themes=themes,
                    data=data,
                )
            )
        if facts.facts.get("anonymous") and exposed:
            out.append(
                Finding(
                    check=f"services.{service}-anonymous",
                    severity="high",
                    cwe="CWE-306",
                    path=path,
                    title=f"{service} accepts clients without authentication",
                    detail=f"{facts.config_file or where}: anonymous access is allowed",
                    themes=[COM],
                    data=data,
                )
            )
        if spec.get("category") == "upnp" and facts.facts.get("upnp"):
            out.append(
                Finding(
                    check="services.upnp-igd",
                    severity="medium",
                    cwe="CWE-306",
                    path=path,
                    title=f"UPnP Internet Gateway Device ({service}) started at boot",
                    detail="any host on the LAN can open inbound port mappings without "
                    f"authentication; {where}",
                    themes=[ATT],
                    data=data,
                )
            )
        for fact, check, severity, cwe, allows in _SSH_LOGIN_WEAKNESSES:
            if facts.facts.get(fact) and exposed:
                out.append(
                    Finding(
                        check=check,
                        severity=severity,
                        cwe=cwe,
                        path=path,
                        title=f"{service} {allows}",
                        detail=where,
                        data=data,
                    )
                )
        defaults = set(_know()["snmp_default_communities"])
        weak = [c for c in facts.facts.get("communities", []) if c["community"] in defaults]
        if weak and exposed:
            out.append(
                Finding(
                    check="services.snmp-default-community",
                    severity="high",
                    cwe="CWE-1392",
                    path=path,
                    title=f"{service} uses default SNMP communities "
                    + ", ".join(f"{c['community']} ({c['access']})" for c in weak),
                    detail=where,
                    themes=[PW, COM],
                    data=data,
                )
            )
        out.extend(self._wifi(service, facts, path, data))
        for bridge in facts.facts.get("bridges", []):
            if not bridge.get("tls"):
                out.append(
                    Finding(
                        check="services.cleartext-mqtt-bridge",
                        severity="medium",
                        cwe="CWE-319",
                        path=path,
                        title=f"{service} bridge '{bridge['name']}' connects to "
                        f"{bridge.get('address') or '?'} without TLS",
                        detail=f"{facts.config_file}: connection {bridge['name']} has no "
                        "bridge_cafile"
                        + (
                            f"; credentials of {bridge['user']} sent in cleartext"
                            if bridge.get("user")
                            else ""
                        ),
                        themes=[COM],
                        data={**data, "bridge": bridge},
                    )
                )
        return out

    @staticmethod
    def _wifi(
        service: str, facts: ServiceFacts, path: str, data: dict[str, object]
    ) -> list[Finding]:
        security = facts.facts.get("wifi_security")
        if security not in ("open", "wep", "wpa1"):
            return []
        severity = _know()["wifi"][f"{security}_severity"]
        titles = {
            "open": "an open (unencrypted) Wi-Fi network",
            "wep": "a WEP-protected Wi-Fi network (broken encryption)",
            "wpa1": "a WPA1/TKIP Wi-Fi network (deprecated encryption)",
        }
        return [
            Finding(
                check=f"services.wifi-{security}",
                severity=severity,
                cwe="CWE-319" if security == "open" else "CWE-326",
                path=path,
                title=f"{service} provides {titles[security]}",
                detail=f"{path}: ssid {facts.facts.get('ssid')}",
                themes=[COM],
                data=data,
            )
        ]


FAMILY = _Services()
