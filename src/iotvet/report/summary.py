"""The reading order of a report, shared by the human-facing formats (table, HTML).

Sorting and counting is decided once here so the terminal table and the HTML page tell the same
story: findings worst first, vulnerabilities KEV first then by severity and score (triaged-away
ones last), theme verdicts failing first, and how old the vulnerability data was.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime

from ..model import (
    SEVERITY_ORDER,
    Component,
    Finding,
    Report,
    ThemeVerdict,
    Vulnerability,
)

SEVERITIES: tuple[str, ...] = ("critical", "high", "medium", "low", "info")
#: Vulnerability data older than this is flagged as stale: NVD and EPSS publish daily and KEV
#: several times a week, so a week-old database already misses newly listed vulnerabilities.
STALE_AFTER_DAYS = 7
_THEME_ORDER = {"fail": 0, "inconclusive": 1, "pass": 2}
_QUIET_STATUSES = {"not_affected", "fixed"}


def target_name(report: Report) -> str:
    """The target's file name (``/data/fw.bin`` → ``fw.bin``), the whole path for ``/``."""
    path = report.target.path.rstrip("/")
    return path.rsplit("/", 1)[-1] or report.target.path or "target"


def os_text(report: Report) -> str | None:
    """The operating system as os-release names it (``PRETTY_NAME``, else ``NAME VERSION``)."""
    os = {key.upper(): value for key, value in report.os.items()}
    text = os.get("PRETTY_NAME") or " ".join(
        v for v in (os.get("NAME") or os.get("ID"), os.get("VERSION") or os.get("VERSION_ID")) if v
    )
    return text or None


def severity_rank(severity: str | None) -> int:
    return SEVERITY_ORDER.get((severity or "").lower(), -1)


def vulnerability_severity(v: Vulnerability) -> str:
    """The vulnerability's severity word: its own, else its CVSS rating's, else "unknown"."""
    if v.severity:
        return v.severity.lower()
    if v.cvss is not None and v.cvss.severity:
        return v.cvss.severity.lower()
    return "unknown"


def findings_worst_first(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (-severity_rank(f.severity), f.check, f.path or ""))


def vulnerabilities_first_to_fix(vulns: list[Vulnerability]) -> list[Vulnerability]:
    def key(v: Vulnerability) -> tuple[bool, bool, int, float, str]:
        score = v.cvss.score if v.cvss is not None else 0.0
        return (
            v.status in _QUIET_STATUSES,
            not v.kev,
            -severity_rank(vulnerability_severity(v)),
            -score,
            v.id,
        )

    return sorted(vulns, key=key)


def severity_counts(findings: list[Finding]) -> dict[str, int]:
    counts: Counter[str] = Counter(f.severity for f in findings)
    return {s: counts.get(s, 0) for s in SEVERITIES}


def evidence_text(component: Component) -> list[str]:
    """One line per piece of evidence: ``method: /path (detail)``."""
    lines = []
    for ev in component.evidence:
        detail = f" ({ev.detail})" if ev.detail else ""
        lines.append(f"{ev.method}: {ev.path}{detail}")
    return lines


def evidence_summary(component: Component) -> str:
    """``package-db · binary-signature ×2 — 3 files``: how a component was identified, in brief."""
    methods = Counter(ev.method for ev in component.evidence)
    text = " · ".join(m if n == 1 else f"{m} ×{n}" for m, n in methods.items())
    paths = {ev.path for ev in component.evidence} | set(component.files)
    if paths:
        text += f" — {len(paths)} file" + ("s" if len(paths) > 1 else "")
    return text


@dataclass(frozen=True)
class Feed:
    """Freshness of one vulnerability data source used by the scan."""

    source: str
    fetched_at: str | None
    records: int | None
    age_days: float | None


def _field(entry: object, *names: str) -> object:
    for name in names:
        value = entry.get(name) if isinstance(entry, dict) else getattr(entry, name, None)
        if value is not None:
            return value
    return None


def _age_days(stamp: str | None, now: datetime) -> float | None:
    if not stamp:
        return None
    try:
        when = datetime.fromisoformat(stamp.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (now - when).total_seconds() / 86400)


def feeds(report: Report, now: datetime | None = None) -> list[Feed]:
    """The report's ``feeds`` entries (source, fetched_at, records), with their age in days.

    ``feeds`` is an optional field of the report (the vulnerability stage fills it from the DB's
    per-feed metadata rows); a report without it simply used no vulnerability data.
    """
    now = now or datetime.now(UTC)
    raw = (report.model_extra or {}).get("feeds") or []
    out = []
    for entry in raw if isinstance(raw, list) else []:
        source = _field(entry, "source", "name")
        if source is None:
            continue
        fetched = _field(entry, "fetched_at", "fetched-at")
        records = _field(entry, "records", "count")
        fetched_text = str(fetched) if fetched is not None else None
        out.append(
            Feed(
                source=str(source),
                fetched_at=fetched_text,
                records=records if isinstance(records, int) else None,
                age_days=_age_days(fetched_text, now),
            )
        )
    return out


@dataclass(frozen=True)
class Overview:
    """Counts a manager reads first."""

    components: int
    findings: dict[str, int]
    vulnerabilities: int
    vulnerabilities_open: int
    kev: int
    themes: dict[str, int]
    conformity: dict[str, int]
    skipped: int


def overview(report: Report) -> Overview:
    open_vulns = [v for v in report.vulnerabilities if v.status not in _QUIET_STATUSES]
    themes: Counter[str] = Counter(t.result for t in report.themes)
    return Overview(
        components=len(report.components),
        findings=severity_counts(report.findings),
        vulnerabilities=len(report.vulnerabilities),
        vulnerabilities_open=len(open_vulns),
        kev=sum(1 for v in open_vulns if v.kev),
        themes={r: themes.get(r, 0) for r in ("fail", "inconclusive", "pass")},
        conformity=dict(Counter(v.result for v in report.conformity)),
        skipped=len(report.skipped),
    )


def themes_failing_first(report: Report) -> list[ThemeVerdict]:
    return sorted(report.themes, key=lambda t: (_THEME_ORDER.get(t.result, 3), t.theme))


def human_size(size: int) -> str:
    if size < 1024:
        return f"{size} B"
    value, unit = float(size) / 1024, "KiB"
    for bigger in ("MiB", "GiB", "TiB"):
        if value < 1024:
            break
        value, unit = value / 1024, bigger
    return f"{value:.1f} {unit}"
