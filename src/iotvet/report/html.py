"""The report as one self-contained HTML page (inline CSS, no scripts, no external resources).

Read top-down it answers a manager's question first (summary cards, what to fix first, theme
verdicts) and then an analyst's (layer tree, every component with its evidence, every finding,
every vulnerability, what was skipped, how fresh the vulnerability data was). Jinja2 autoescaping
is on for every value, so paths and titles from a hostile image cannot inject markup.
"""

from __future__ import annotations

from datetime import UTC, datetime
from functools import cache

from jinja2 import Environment, PackageLoader, StrictUndefined

from ..model import Finding, Report, Vulnerability
from . import summary
from .interface import OutputFormat
from .sanitize import safe_report

#: Findings and vulnerabilities listed under "what to fix first".
TOP_ITEMS = 10
_KNOWN_SEVERITIES = {*summary.SEVERITIES, "none", "unknown"}
_KNOWN_RESULTS = {"pass", "fail", "inconclusive", "not-applicable", "needs-declaration"}


def _severity_class(word: str | None) -> str:
    word = (word or "").lower()
    return word if word in _KNOWN_SEVERITIES else "unknown"


def _result_class(word: str | None) -> str:
    word = (word or "").lower()
    return word if word in _KNOWN_RESULTS else "inconclusive"


@cache
def _environment() -> Environment:
    env = Environment(
        loader=PackageLoader("iotvet.report", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["human_size"] = summary.human_size
    env.filters["sev_class"] = _severity_class
    env.filters["result_class"] = _result_class
    env.globals["vuln_severity"] = summary.vulnerability_severity
    env.globals["evidence_text"] = summary.evidence_text
    return env


def _fix_first(
    findings: list[Finding], vulns: list[Vulnerability]
) -> list[Finding | Vulnerability]:
    """One ranked list: known-exploited first, then by severity; a firmware finding goes before a
    vulnerability of the same severity (it is a fact about this device, not a version match)."""
    rank = {s: n for n, s in enumerate(summary.SEVERITIES)}

    def key(item: Finding | Vulnerability) -> tuple[int, int, int]:
        if isinstance(item, Finding):
            return (1, rank.get(item.severity, len(rank)), 0)
        severity = summary.vulnerability_severity(item)
        return (0 if item.kev else 1, rank.get(severity, len(rank)), 1)

    return sorted([*findings, *vulns], key=key)


def render_html(report: Report) -> str:
    report = safe_report(report)
    now = datetime.now(UTC)
    findings = summary.findings_worst_first(report.findings)
    vulns = summary.vulnerabilities_first_to_fix(report.vulnerabilities)
    urgent_findings = [f for f in findings if f.severity in ("critical", "high")][:TOP_ITEMS]
    urgent_vulns = [
        v
        for v in vulns
        if v.status not in ("not_affected", "fixed")
        and (v.kev or summary.vulnerability_severity(v) in ("critical", "high"))
    ][:TOP_ITEMS]
    fix_first = _fix_first(urgent_findings, urgent_vulns)
    by_severity = {s: [f for f in findings if f.severity == s] for s in summary.SEVERITIES}
    anchors = {id(v): f"vuln-{n}" for n, v in enumerate(vulns, 1)}
    template = _environment().get_template("report.html.j2")
    return template.render(
        report=report,
        title=summary.target_name(report),
        os_text=summary.os_text(report),
        several_layers=len({c.layer for c in report.components}) > 1,
        # "inventory/opkg"-style sub-stage timings go to the table at the end, not the header
        main_stages={k: v for k, v in report.stats.stages.items() if "/" not in k},
        vuln_anchor=lambda v: anchors[id(v)],
        overview=summary.overview(report),
        severities=summary.SEVERITIES,
        findings_by_severity=by_severity,
        vulnerabilities=vulns,
        fix_first=fix_first,
        themes=summary.themes_failing_first(report),
        components=sorted(report.components, key=lambda c: (c.name.lower(), c.version or "")),
        feeds=summary.feeds(report, now),
        stale_after_days=summary.STALE_AFTER_DAYS,
        generated=now.strftime("%Y-%m-%d %H:%M UTC"),
    )


FORMAT = OutputFormat(
    name="html",
    suffix=".html",
    render=render_html,
    description="self-contained HTML report for managers and analysts",
    media_type="text/html",
)
