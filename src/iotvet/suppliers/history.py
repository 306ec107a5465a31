"""A product line's firmware history: the input of every measured supplier metric.

A :class:`History` is the list of a product's releases (firmware versions with release dates),
each with the components, vulnerabilities, findings and theme verdicts of its scan. It is built
from the project store (:func:`from_store`) or directly from reports (tests, files), so the
metrics never depend on where the facts were kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..model import Component, Finding, Report, ThemeVerdict, Vulnerability
from ..store.models import Product, UpstreamRelease
from ..store.scans import components_of, findings_of, report_of, vulnerabilities_of


@dataclass(frozen=True)
class Release:
    """One firmware version of a product line, as shipped on ``released``."""

    version: str
    released: date
    components: list[Component] = field(default_factory=list)
    vulnerabilities: list[Vulnerability] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    themes: list[ThemeVerdict] = field(default_factory=list)

    @classmethod
    def from_report(cls, version: str, released: date, report: Report) -> Release:
        return cls(
            version=version,
            released=released,
            components=list(report.components),
            vulnerabilities=list(report.vulnerabilities),
            findings=list(report.findings),
            themes=list(report.themes),
        )


@dataclass
class History:
    """The releases of one product line, oldest first, and what is known around them.

    ``upstream_releases`` maps a component name to ``{version: release date}`` of upstream
    versions; it starts the "from the upstream fix" clock where a fixed version's date is known.
    """

    product: str
    releases: list[Release]
    support_end: date | None = None
    upstream_releases: dict[str, dict[str, date]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.releases = sorted(self.releases, key=lambda r: r.released)


def upstream_release_dates(session: Session) -> dict[str, dict[str, date]]:
    dates: dict[str, dict[str, date]] = {}
    for row in session.scalars(select(UpstreamRelease)):
        dates.setdefault(row.component, {})[row.version] = row.released
    return dates


def from_store(session: Session, product: Product) -> tuple[History, list[str]]:
    """The product's history from its stored firmware versions (latest scan of each).

    Returns the history and notes on firmware versions left out (no release date, no scan),
    so a scorecard can say what it did not count.
    """
    releases: list[Release] = []
    notes: list[str] = []
    for fw in product.firmware:
        scan = fw.latest_scan
        if fw.released is None:
            notes.append(f"{product.name} {fw.version}: no release date, left out of the metrics")
            continue
        if scan is None:
            notes.append(f"{product.name} {fw.version}: never scanned, left out of the metrics")
            continue
        releases.append(
            Release(
                version=fw.version,
                released=fw.released,
                components=components_of(scan),
                vulnerabilities=vulnerabilities_of(scan),
                findings=findings_of(scan),
                themes=list(report_of(scan).themes),
            )
        )
    history = History(
        product=product.name,
        releases=releases,
        support_end=product.support_end,
        upstream_releases=upstream_release_dates(session),
    )
    return history, notes
