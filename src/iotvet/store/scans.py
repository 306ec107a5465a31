"""Storing a scan report and reading its parts back as model objects.

A report goes in whole (``report_json``) and as rows (components, vulnerabilities, findings) so
queries such as "which firmware contains busybox ≤ 1.36" run in the database. The rows carry
their model dump, so reading them back gives the same pydantic objects the pipeline produced.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..model import Component, Finding, Report, Vulnerability
from .models import ComponentRow, FindingRow, Scan, VulnerabilityRow, utcnow


def _dump(model: Component | Vulnerability | Finding) -> dict[str, Any]:
    data: dict[str, Any] = model.model_dump(mode="json", by_alias=True)
    return data


def component_row(component: Component) -> ComponentRow:
    return ComponentRow(
        name=component.name,
        version=component.version,
        purl=component.purl,
        cpe=component.cpe,
        supplier=component.supplier,
        package=component.package,
        data=_dump(component),
    )


def vulnerability_row(vuln: Vulnerability) -> VulnerabilityRow:
    return VulnerabilityRow(
        vuln_id=vuln.id,
        component=vuln.component,
        status=vuln.status,
        severity=vuln.severity,
        cvss_score=vuln.cvss.score if vuln.cvss else None,
        kev=vuln.kev,
        kev_date_added=vuln.kev_date_added,
        published=vuln.published,
        data=_dump(vuln),
    )


def finding_row(finding: Finding) -> FindingRow:
    return FindingRow(
        check=finding.check,
        severity=finding.severity,
        path=finding.path,
        title=finding.title,
        data=_dump(finding),
    )


def scan_from_report(report: Report) -> Scan:
    """A new :class:`Scan` holding ``report`` (attach it to a firmware version and add it)."""
    return Scan(
        tool_version=report.tool.version,
        target_sha256=report.target.sha256,
        report_json=report.to_json(indent=None),
        data_sources=dict(report.data_sources),
        matched_at=utcnow() if report.data_sources else None,
        components=[component_row(c) for c in report.components],
        vulnerabilities=[vulnerability_row(v) for v in report.vulnerabilities],
        findings=[finding_row(f) for f in report.findings],
    )


def replace_vulnerabilities(
    scan: Scan, vulns: list[Vulnerability], data_sources: dict[str, Any], when: datetime
) -> None:
    """Swap a scan's vulnerabilities for a re-match against newer vulnerability data."""
    scan.vulnerabilities = [vulnerability_row(v) for v in vulns]
    scan.data_sources = dict(data_sources)
    scan.matched_at = when


def components_of(scan: Scan) -> list[Component]:
    return [Component.model_validate(row.data) for row in scan.components]


def vulnerabilities_of(scan: Scan) -> list[Vulnerability]:
    return [Vulnerability.model_validate(row.data) for row in scan.vulnerabilities]


def findings_of(scan: Scan) -> list[Finding]:
    return [Finding.model_validate(row.data) for row in scan.findings]


def report_of(scan: Scan) -> Report:
    """The report as it was recorded (vulnerabilities as of the scan, not of a re-match)."""
    return Report.model_validate_json(scan.report_json)
