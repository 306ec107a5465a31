"""SARIF 2.1.0 output for code-scanning dashboards (GitHub code scanning, Azure DevOps, …).

One run of tool ``iotvet``: a rule per check and per vulnerability id, a result per finding and
per (vulnerability, component). Levels follow severity (critical/high → error, medium → warning,
low/info → note) and ``properties.security-severity`` carries a 0–10 number (the CVSS base score,
else the middle of the severity band), which is what GitHub ranks alerts by. Vulnerabilities
that triage, VEX or iotvet's own false-positive control marked ``not_affected`` or ``fixed``
are kept, with an external suppression saying why, so a dashboard shows them as dismissed
instead of losing the decision. Locations are inner paths of the firmware's root file system,
written as relative URIs under the ``ROOTFS`` base id.
"""

from __future__ import annotations

import json
from typing import Any

from ..model import Component, Finding, Report, Vulnerability
from .interface import OutputFormat
from .sanitize import safe_report

SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note", "info": "note"}
_BAND = {"critical": 9.5, "high": 8.0, "medium": 5.5, "low": 2.5, "info": 0.0}
_SUPPRESSED = ("not_affected", "fixed")


def _uri(path: str) -> str:
    return path.lstrip("/") or "."


def _location(path: str | None) -> list[dict[str, Any]]:
    if not path:
        return []
    return [{"physicalLocation": {"artifactLocation": {"uri": _uri(path), "uriBaseId": "ROOTFS"}}}]


def _security_severity(severity: str | None, score: float | None) -> str:
    value = score if score is not None else _BAND.get(severity or "", 0.0)
    return f"{value:.1f}"


def _finding_result(finding: Finding) -> dict[str, Any]:
    message = finding.title + (f": {finding.detail}" if finding.detail else "")
    result: dict[str, Any] = {
        "ruleId": finding.check,
        "level": _LEVEL.get(finding.severity, "warning"),
        "message": {"text": message},
        "locations": _location(finding.path),
        "properties": {"themes": finding.themes, **({"cwe": finding.cwe} if finding.cwe else {})},
    }
    if finding.id:
        result["partialFingerprints"] = {"iotvetFinding/v1": f"{finding.check}:{finding.path}"}
    return result


def _vuln_path(vuln: Vulnerability, components: dict[str, Component]) -> str | None:
    component = components.get(vuln.component)
    if component is None:
        return None
    if component.evidence:
        return component.evidence[0].path
    return component.files[0] if component.files else None


def _vuln_result(vuln: Vulnerability, components: dict[str, Component]) -> dict[str, Any]:
    parts = [f"{vuln.id} in {vuln.component} ({vuln.status})"]
    if vuln.fixed_in:
        parts.append(f"fixed in {', '.join(vuln.fixed_in)}")
    if vuln.kev:
        parts.append("known exploited (CISA KEV)")
    if vuln.reason:
        parts.append(vuln.reason)
    result: dict[str, Any] = {
        "ruleId": vuln.id,
        "level": _LEVEL.get(vuln.severity or "", "warning"),
        "message": {"text": "; ".join(parts)},
        "locations": _location(_vuln_path(vuln, components)),
        "partialFingerprints": {"iotvetVulnerability/v1": f"{vuln.id}:{vuln.component}"},
        "properties": {
            "component": vuln.component,
            "status": vuln.status,
            "kev": vuln.kev,
            **({"epss": vuln.epss} if vuln.epss is not None else {}),
        },
    }
    if vuln.status in _SUPPRESSED:
        result["suppressions"] = [
            {
                "kind": "external",
                "status": "accepted",
                "justification": vuln.reason or vuln.justification or vuln.status,
            }
        ]
    return result


def _finding_rule(finding: Finding) -> dict[str, Any]:
    return {
        "id": finding.check,
        "name": finding.check,
        "shortDescription": {"text": finding.title},
        "properties": {
            "security-severity": _security_severity(finding.severity, None),
            "tags": ["security", *finding.themes, *([finding.cwe] if finding.cwe else [])],
        },
    }


def _vuln_rule(vuln: Vulnerability) -> dict[str, Any]:
    score = vuln.cvss.score if vuln.cvss else None
    rule: dict[str, Any] = {
        "id": vuln.id,
        "name": vuln.id,
        "shortDescription": {"text": f"{vuln.id} ({vuln.severity or 'unrated'})"},
        "properties": {
            "security-severity": _security_severity(vuln.severity, score),
            "tags": ["security", "vulnerability", *vuln.cwes],
        },
    }
    if vuln.description:
        rule["fullDescription"] = {"text": vuln.description}
    if vuln.references:
        rule["helpUri"] = vuln.references[0]
    return rule


def sarif_document(
    findings: list[Finding],
    vulnerabilities: list[Vulnerability],
    components: list[Component],
    *,
    tool_version: str = "0",
    target: str | None = None,
) -> dict[str, Any]:
    """A SARIF 2.1.0 log of one run; usable without a full :class:`Report` (``iotvet vulns``)."""
    by_ref = {c.ref: c for c in components}
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding in findings:
        rules.setdefault(finding.check, _finding_rule(finding))
        results.append(_finding_result(finding))
    for vuln in vulnerabilities:
        rules.setdefault(vuln.id, _vuln_rule(vuln))
        results.append(_vuln_result(vuln, by_ref))
    index = {rule_id: n for n, rule_id in enumerate(rules)}
    for result in results:
        result["ruleIndex"] = index[result["ruleId"]]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "iotvet",
                "version": tool_version,
                "informationUri": "https://github.com/iotvet/iotvet",
                "rules": list(rules.values()),
            }
        },
        "originalUriBaseIds": {
            "ROOTFS": {"description": {"text": "root file system of the firmware"}}
        },
        "results": results,
    }
    if target:
        run["properties"] = {"target": target}
    return {"$schema": SARIF_SCHEMA, "version": "2.1.0", "runs": [run]}


def render_sarif(report: Report) -> str:
    report = safe_report(report)
    doc = sarif_document(
        report.findings,
        report.vulnerabilities,
        report.components,
        tool_version=report.tool.version,
        target=report.target.path,
    )
    return json.dumps(doc, indent=2) + "\n"


FORMAT = OutputFormat(
    name="sarif",
    suffix=".sarif",
    render=render_sarif,
    description="SARIF 2.1.0 for code-scanning dashboards (findings and vulnerabilities)",
    media_type="application/sarif+json",
)
