"""Theme verdict rules (data/theme_rules.yaml) on hand-made findings."""

from __future__ import annotations

from iotvet.checks.themes import theme_verdicts
from iotvet.model import Finding

ALL = [
    "credentials",
    "services",
    "debug",
    "updates",
    "logging",
    "secrets",
    "crypto",
    "permissions",
    "hardening",
]


def finding(fid: str, check: str, severity: str, *themes: str) -> Finding:
    return Finding(id=fid, check=check, severity=severity, title=check, themes=list(themes))  # type: ignore[arg-type]


def verdicts(findings: list[Finding], ran: list[str]) -> dict[str, tuple[str, list[str]]]:
    return {v.theme: (v.result, v.findings) for v in theme_verdicts(findings, ran)}


def test_failing_findings_decide_and_info_never_fails() -> None:
    found = [
        finding("F1", "credentials.default-password", "critical", "no-universal-default-password"),
        finding("F2", "services.listening", "info", "secure-communication"),
        finding("F3", "logging.syslog-started", "info"),
        finding("F4", "services.ssh-root-password-login", "low"),
    ]
    result = verdicts(found, ALL)
    assert result["no-universal-default-password"] == ("fail", ["F1"])
    assert result["secure-communication"][0] == "pass"  # info only
    assert result["logging"] == ("pass", ["F3"])
    assert result["software-update-integrity"][0] == "inconclusive"  # no mechanism found


def test_missing_family_makes_pass_inconclusive_but_not_fail() -> None:
    result = verdicts([finding("F1", "updates.signature-verified", "info")], ["updates"])
    assert result["software-update-integrity"] == ("pass", ["F1"])
    assert result["no-universal-default-password"][0] == "inconclusive"
    failing = [
        finding("F2", "debug.unauthenticated-shell", "critical", "no-universal-default-password")
    ]
    assert verdicts(failing, ["debug"])["no-universal-default-password"][0] == "fail"


def test_unsigned_update_fails_even_with_a_signed_one() -> None:
    found = [
        finding("F1", "updates.signature-verified", "info"),
        finding("F2", "updates.unsigned", "high", "software-update-integrity"),
    ]
    assert verdicts(found, ALL)["software-update-integrity"] == ("fail", ["F2"])
