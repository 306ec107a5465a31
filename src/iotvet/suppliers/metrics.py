"""Measured supplier metrics from firmware history (the SCS 9001 measurement ideas, made concrete).

Input: one or more product-line :class:`~.history.History` objects (several when a supplier
makes several product lines: their events are pooled). Output: a :class:`Metrics` document whose
every number can be traced to vulnerability ids, publication dates and release dates.

Definitions (also in the scorecard, so a reader does not need this file). Everything is measured
as of a date: releases, publications and KEV entries after it are ignored.

* **Exposure** — a vulnerability (id) in a component (name) while consecutive releases contain it
  with a counted status (default ``affected``). It starts at the first such release and ends at
  the first later release that no longer contains it (the *fix release*), or stays **open**.
  A vulnerability that a later release brings back starts a new exposure (a regression).
* **Update Timeliness** — per closed exposure, days from the clock start to the fix release's
  date. The clock starts at the vulnerability's publication (a regression: at the release that
  brought it back); a fix released before publication counts 0 days. Where the release date of an
  upstream version listed in ``fixed_in`` is known, the days from the earliest such upstream
  release are reported too. Median (``statistics.median``) and 90th percentile (nearest rank:
  the smallest value with at least 90 % of the values at or below it) per severity class; open
  exposures are counted apart, and ``*_incl_open`` statistics add their current age (a lower
  bound of their eventual latency). The ``kev`` class measures known-exploited vulnerabilities
  from the later of the clock start and the date CISA added them to KEV.
* **Vulnerability Control** — per class (critical, high, KEV) the share of decided exposures
  fixed within the policy window: decided = fixed (within or late) + open and older than the
  window; open ones younger than the window are *pending* and not counted.
* **Debt** — per release, the counted vulnerabilities it shipped with, by severity, and how many
  of them were already public on its release date (``known_at_release``).
* **KEV exposure days** — per known-exploited vulnerability, the days since its KEV date on which
  the newest release then available contained it (until ``as_of``), summed.
* **Hardening / SBOM trends** — per release, the hardening percentages of the ``hardening.summary``
  finding and the share of components with each SBOM field (version, CPE, supplier, licence).
* **Cadence** — days between releases, days since the last release, and whether a product still
  inside its declared support period has been quiet for longer than the policy allows.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import numpy as np
from pydantic import BaseModel, Field

from ..model import THEMES, Component, Finding, Vulnerability
from ..vulns.versions import compare
from .history import History, Release

SEVERITY_CLASSES: tuple[str, ...] = ("critical", "high", "medium", "low", "unknown")
_THEME_RANK = {"fail": 2, "inconclusive": 1, "pass": 0}


class Policy(BaseModel):
    """The knobs of the metrics (defaults in ``data/supplier_scoring.yaml``)."""

    windows_days: dict[str, int] = Field(
        default_factory=lambda: {"critical": 30, "high": 90, "kev": 30}
    )
    statuses: list[str] = Field(default_factory=lambda: ["affected"])
    max_quiet_days: int = 180
    hardening_properties: list[str] = Field(default_factory=list)
    sbom_fields: list[str] = Field(
        default_factory=lambda: ["version", "cpe", "supplier", "license"]
    )


class Exposure(BaseModel):
    """One stretch of releases that shipped a vulnerability (see the module docstring)."""

    product: str
    id: str
    component: str
    severity: str
    kev: bool = False
    kev_date_added: date | None = None
    published: date | None = None
    introduced_in: str
    introduced_on: date
    clock: str  # "publication" | "reintroduction"
    clock_start: date | None
    fixed_in_release: str | None = None
    fixed_on: date | None = None
    latency_days: int | None = None
    fixed_before_publication: bool = False
    upstream_fix_on: date | None = None
    latency_from_upstream_fix_days: int | None = None
    open_age_days: int | None = None
    kev_latency_days: int | None = None
    kev_open_age_days: int | None = None
    releases: list[str] = Field(default_factory=list)

    @property
    def open(self) -> bool:
        return self.fixed_on is None


class LatencyStats(BaseModel):
    closed: int = 0
    open: int = 0
    unknown_start: int = 0
    median_days: float | None = None
    p90_days: float | None = None
    median_days_incl_open: float | None = None
    p90_days_incl_open: float | None = None
    upstream_known: int = 0
    median_days_from_upstream_fix: float | None = None
    p90_days_from_upstream_fix: float | None = None


class UpdateTimeliness(BaseModel):
    classes: dict[str, LatencyStats]
    exposures: list[Exposure]


class WindowControl(BaseModel):
    window_days: int | None = None
    in_window: int = 0
    missed: int = 0
    pending: int = 0
    share: float | None = None
    ids_missed: list[str] = Field(default_factory=list)


class ReleaseDebt(BaseModel):
    product: str
    version: str
    released: date
    counted: int
    by_severity: dict[str, int]
    kev: int
    known_at_release: int
    known_critical_high_at_release: int
    ids: list[str]


class Debt(BaseModel):
    releases: list[ReleaseDebt]
    latest_counted: int
    latest_kev: int
    shipped_known_critical: int


class KevDays(BaseModel):
    product: str
    id: str
    component: str
    kev_date_added: date
    days: int


class KevExposure(BaseModel):
    total_days: int
    vulnerabilities: list[KevDays]


class TrendRow(BaseModel):
    product: str
    version: str
    released: date
    values: dict[str, float | None]
    mean: float | None


class Trend(BaseModel):
    rows: list[TrendRow]
    latest: dict[str, float | None]  # "mean" and per value: the mean over products' latest rows


class ProductCadence(BaseModel):
    product: str
    releases: int
    intervals_days: list[int]
    median_interval_days: float | None
    max_interval_days: int | None
    last_release: date | None
    days_since_last_release: int | None
    support_end: date | None
    in_support: bool | None
    quiet_while_supported: bool
    releases_after_support_end: int


class Cadence(BaseModel):
    products: list[ProductCadence]
    max_interval_days: int | None
    quiet_while_supported: int


class Metrics(BaseModel):
    products: list[str]
    as_of: date
    releases: int
    policy: Policy
    update_timeliness: UpdateTimeliness
    vulnerability_control: dict[str, WindowControl]
    debt: Debt
    kev_exposure: KevExposure
    hardening: Trend
    sbom: Trend
    cadence: Cadence
    themes: dict[str, dict[str, str | None]]  # {"latest": {theme: worst result over products}}

    def value(self, path: str) -> Any:
        """The value at a dotted ``path`` (``update_timeliness.classes.critical.median_days``)."""
        node: Any = self.model_dump(mode="json")
        for part in path.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(path)
            node = node[part]
        return node


# -- helpers -------------------------------------------------------------------------------------


def parse_day(text: str | None) -> date | None:
    """The date of an ISO date or date-time string (``2023-02-01T10:00:00`` → 2023-02-01)."""
    if not text:
        return None
    try:
        return date.fromisoformat(text.strip()[:10])
    except ValueError:
        return None


def component_name(ref: str) -> str:
    """``busybox@1.35.0`` → ``busybox`` (a vulnerability's component reference)."""
    name, sep, _ = ref.rpartition("@")
    return name if sep and name else ref


def severity_class(vuln: Vulnerability) -> str:
    sev = (vuln.severity or "").lower()
    return sev if sev in SEVERITY_CLASSES else "unknown"


def nearest_rank(values: list[int], percent: float) -> float | None:
    """Nearest-rank percentile (numpy's ``inverted_cdf``): an observed value, easy to check."""
    if not values:
        return None
    return float(np.percentile(values, percent, method="inverted_cdf"))


def _median(values: list[int]) -> float | None:
    return float(statistics.median(values)) if values else None


def _days(later: date, earlier: date) -> int:
    return (later - earlier).days


Key = tuple[str, str]  # (vulnerability id, component name)


def _counted(release: Release, policy: Policy) -> dict[Key, Vulnerability]:
    out: dict[Key, Vulnerability] = {}
    for vuln in release.vulnerabilities:
        if vuln.status in policy.statuses:
            out.setdefault((vuln.id, component_name(vuln.component)), vuln)
    return out


def _upstream_fix(
    vuln: Vulnerability, component: str, upstream: dict[str, dict[str, date]]
) -> date | None:
    """Earliest known upstream release date among the vulnerability's fixed versions."""
    known = upstream.get(component, {})
    dates = [
        released
        for fixed in vuln.fixed_in
        for version, released in known.items()
        if compare(version, fixed) == 0
    ]
    return min(dates) if dates else None


# -- exposures -----------------------------------------------------------------------------------


@dataclass
class _Run:
    start: int
    end: int | None  # index of the fix release, None while open


def _runs(present: list[bool]) -> list[_Run]:
    """Maximal runs of consecutive releases that contain the vulnerability."""
    runs: list[_Run] = []
    for index, here in enumerate(present):
        before = index > 0 and present[index - 1]
        if here and not before:
            runs.append(_Run(index, None))
        elif before and not here:
            runs[-1].end = index
    return runs


def exposures(history: History, policy: Policy, as_of: date) -> list[Exposure]:
    """Every exposure of the product line's releases (module docstring)."""
    releases = history.releases
    per_release = [_counted(r, policy) for r in releases]
    keys = sorted({key for counted in per_release for key in counted})
    found: list[Exposure] = []
    for key in keys:
        present = [key in counted for counted in per_release]
        latest = next(per_release[i][key] for i in reversed(range(len(releases))) if present[i])
        published = parse_day(latest.published)
        kev_added = parse_day(latest.kev_date_added)
        for number, run in enumerate(_runs(present)):
            start = releases[run.start]
            clock_start = published if number == 0 else start.released
            exposure = Exposure(
                product=history.product,
                id=key[0],
                component=key[1],
                severity=severity_class(latest),
                kev=latest.kev,
                kev_date_added=kev_added,
                published=published,
                introduced_in=start.version,
                introduced_on=start.released,
                clock="publication" if number == 0 else "reintroduction",
                clock_start=clock_start,
                releases=[
                    r.version
                    for i, r in enumerate(releases)
                    if i >= run.start and (run.end is None or i < run.end)
                ],
            )
            starts = [d for d in (kev_added, clock_start) if d is not None]
            kev_start = max(starts) if latest.kev and starts else None
            if run.end is not None:
                fix = releases[run.end]
                exposure.fixed_in_release = fix.version
                exposure.fixed_on = fix.released
                if clock_start is not None:
                    raw = _days(fix.released, clock_start)
                    exposure.latency_days = max(0, raw)
                    exposure.fixed_before_publication = raw < 0
                upstream = _upstream_fix(latest, key[1], history.upstream_releases)
                if upstream is not None:
                    exposure.upstream_fix_on = upstream
                    exposure.latency_from_upstream_fix_days = max(0, _days(fix.released, upstream))
                if kev_start is not None:
                    exposure.kev_latency_days = max(0, _days(fix.released, kev_start))
            else:
                if clock_start is not None:
                    exposure.open_age_days = max(0, _days(as_of, clock_start))
                if kev_start is not None:
                    exposure.kev_open_age_days = max(0, _days(as_of, kev_start))
            found.append(exposure)
    return found


def latency_stats(items: Iterable[Exposure], *, kev_clock: bool = False) -> LatencyStats:
    stats = LatencyStats()
    closed: list[int] = []
    still_open: list[int] = []
    upstream: list[int] = []
    for e in items:
        latency = e.kev_latency_days if kev_clock else e.latency_days
        age = e.kev_open_age_days if kev_clock else e.open_age_days
        if e.open:
            stats.open += 1
            if age is None:
                stats.unknown_start += 1
            else:
                still_open.append(age)
            continue
        stats.closed += 1
        if latency is None:
            stats.unknown_start += 1
        else:
            closed.append(latency)
        if e.latency_from_upstream_fix_days is not None and not kev_clock:
            upstream.append(e.latency_from_upstream_fix_days)
    stats.median_days = _median(closed)
    stats.p90_days = nearest_rank(closed, 90)
    stats.median_days_incl_open = _median(closed + still_open)
    stats.p90_days_incl_open = nearest_rank(closed + still_open, 90)
    stats.upstream_known = len(upstream)
    stats.median_days_from_upstream_fix = _median(upstream)
    stats.p90_days_from_upstream_fix = nearest_rank(upstream, 90)
    return stats


def update_timeliness(items: list[Exposure]) -> UpdateTimeliness:
    classes = {
        name: latency_stats(e for e in items if e.severity == name) for name in SEVERITY_CLASSES
    }
    classes["critical_high"] = latency_stats(e for e in items if e.severity in ("critical", "high"))
    classes["all"] = latency_stats(items)
    classes["kev"] = latency_stats((e for e in items if e.kev), kev_clock=True)
    return UpdateTimeliness(classes=classes, exposures=items)


def _window_class(items: Iterable[tuple[Exposure, int | None, int | None, int]]) -> WindowControl:
    """Tally (exposure, latency, open age, window) tuples into a :class:`WindowControl`."""
    control = WindowControl()
    windows: set[int] = set()
    for exposure, latency, age, window in items:
        windows.add(window)
        if not exposure.open:
            if latency is None:
                continue
            if latency <= window:
                control.in_window += 1
            else:
                control.missed += 1
                control.ids_missed.append(exposure.id)
        elif age is not None:
            if age > window:
                control.missed += 1
                control.ids_missed.append(exposure.id)
            else:
                control.pending += 1
    control.window_days = windows.pop() if len(windows) == 1 else None
    decided = control.in_window + control.missed
    control.share = round(control.in_window / decided, 4) if decided else None
    return control


def vulnerability_control(items: list[Exposure], policy: Policy) -> dict[str, WindowControl]:
    windows = policy.windows_days

    def by_severity(names: tuple[str, ...]) -> WindowControl:
        return _window_class(
            (e, e.latency_days, e.open_age_days, windows[e.severity])
            for e in items
            if e.severity in names
        )

    return {
        "critical": by_severity(("critical",)),
        "high": by_severity(("high",)),
        "critical_high": by_severity(("critical", "high")),
        "kev": _window_class(
            (e, e.kev_latency_days, e.kev_open_age_days, windows["kev"]) for e in items if e.kev
        ),
    }


# -- per-release measures -----------------------------------------------------------------------


def release_debt(history: History, policy: Policy) -> list[ReleaseDebt]:
    rows = []
    for release in history.releases:
        counted = _counted(release, policy)
        by_severity = dict.fromkeys(SEVERITY_CLASSES, 0)
        known = known_ch = 0
        for vuln in counted.values():
            by_severity[severity_class(vuln)] += 1
            published = parse_day(vuln.published)
            if published is not None and published <= release.released:
                known += 1
                if severity_class(vuln) in ("critical", "high"):
                    known_ch += 1
        rows.append(
            ReleaseDebt(
                product=history.product,
                version=release.version,
                released=release.released,
                counted=len(counted),
                by_severity=by_severity,
                kev=sum(1 for v in counted.values() if v.kev),
                known_at_release=known,
                known_critical_high_at_release=known_ch,
                ids=sorted({key[0] for key in counted}),
            )
        )
    return rows


def shipped_known_critical(history: History, policy: Policy) -> int:
    """(release, vulnerability) pairs where a release shipped an already public critical one."""
    total = 0
    for release in history.releases:
        for vuln in _counted(release, policy).values():
            published = parse_day(vuln.published)
            if severity_class(vuln) == "critical" and published and published <= release.released:
                total += 1
    return total


def kev_days(history: History, policy: Policy, as_of: date) -> list[KevDays]:
    """Days each KEV vulnerability was in the newest available release after its KEV date."""
    releases = history.releases
    per_release = [_counted(r, policy) for r in releases]
    totals: dict[Key, tuple[date, int]] = {}
    for index, release in enumerate(releases):
        until = releases[index + 1].released if index + 1 < len(releases) else as_of
        for key, vuln in per_release[index].items():
            added = parse_day(vuln.kev_date_added) if vuln.kev else None
            if added is None:
                continue
            start = max(added, release.released)
            days = max(0, _days(min(until, as_of), start))
            previous = totals.get(key, (added, 0))[1]
            totals[key] = (added, previous + days)
    return [
        KevDays(product=history.product, id=k[0], component=k[1], kev_date_added=a, days=d)
        for k, (a, d) in sorted(totals.items())
    ]


def hardening_values(findings: list[Finding], properties: list[str]) -> dict[str, float | None]:
    """Percentages of the ``hardening.summary`` finding(s), weighted by binary count."""
    totals: dict[str, tuple[float, int]] = {}
    for finding in findings:
        if finding.check != "hardening.summary":
            continue
        for prop in properties:
            group, _, name = prop.partition(".")
            block = finding.data.get(group)
            if not isinstance(block, dict):
                continue
            count, value = block.get("count"), block.get(name)
            if isinstance(count, int) and count > 0 and isinstance(value, int | float):
                weighted, n = totals.get(prop, (0.0, 0))
                totals[prop] = (weighted + float(value) * count, n + count)
    return {
        prop: round(totals[prop][0] / totals[prop][1], 1) if prop in totals else None
        for prop in properties
    }


def _has(component: Component, fieldname: str) -> bool:
    if fieldname == "license":
        return bool(component.licenses)
    value = getattr(component, fieldname, None)
    return bool(value)


def sbom_values(components: list[Component], fields: list[str]) -> dict[str, float | None]:
    """Share (percent) of components that carry each SBOM field."""
    if not components:
        return dict.fromkeys(fields)
    return {
        name: round(100.0 * sum(_has(c, name) for c in components) / len(components), 1)
        for name in fields
    }


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known) / len(known), 1) if known else None


def _trend(rows: list[TrendRow], names: list[str]) -> Trend:
    latest_rows: dict[str, TrendRow] = {}
    for row in rows:
        latest_rows[row.product] = row  # rows are in release order per product
    latest: dict[str, float | None] = {
        name: _mean(r.values.get(name) for r in latest_rows.values()) for name in names
    }
    latest["mean"] = _mean(r.mean for r in latest_rows.values())
    return Trend(rows=rows, latest=latest)


def cadence(history: History, policy: Policy, as_of: date) -> ProductCadence:
    dates = [r.released for r in history.releases]
    intervals = [_days(b, a) for a, b in itertools.pairwise(dates)]
    last = dates[-1] if dates else None
    since = _days(as_of, last) if last else None
    support_end = history.support_end
    in_support = None if support_end is None else as_of <= support_end
    quiet = in_support is not False and since is not None and since > policy.max_quiet_days
    return ProductCadence(
        product=history.product,
        releases=len(dates),
        intervals_days=intervals,
        median_interval_days=_median(intervals),
        max_interval_days=max(intervals) if intervals else None,
        last_release=last,
        days_since_last_release=since,
        support_end=support_end,
        in_support=in_support,
        quiet_while_supported=quiet,
        releases_after_support_end=sum(1 for d in dates if support_end and d > support_end),
    )


def _latest_themes(histories: list[History]) -> dict[str, str | None]:
    """Worst verdict per baseline theme over the products' newest releases (None: no verdict)."""
    worst: dict[str, str | None] = dict.fromkeys(THEMES)
    for history in histories:
        if not history.releases:
            continue
        for verdict in history.releases[-1].themes:
            current = worst.get(verdict.theme)
            if current is None or _THEME_RANK[verdict.result] > _THEME_RANK[current]:
                worst[verdict.theme] = verdict.result
    return worst


def known_by(history: History, as_of: date) -> History:
    """The history as it could be known on ``as_of``: later releases, vulnerabilities published
    later and KEV entries added later are left out (a report "as of" a past date must not use
    what was learnt afterwards)."""

    def known(vuln: Vulnerability) -> Vulnerability | None:
        published = parse_day(vuln.published)
        if published is not None and published > as_of:
            return None
        added = parse_day(vuln.kev_date_added)
        if vuln.kev and added is not None and added > as_of:
            return vuln.model_copy(update={"kev": False, "kev_date_added": None})
        return vuln

    releases = [
        replace(r, vulnerabilities=[k for v in r.vulnerabilities if (k := known(v)) is not None])
        for r in history.releases
        if r.released <= as_of
    ]
    return replace(history, releases=releases)


def _trend_rows(
    histories: list[History], values_of: Callable[[Release], dict[str, float | None]]
) -> list[TrendRow]:
    """One row per release of every history: the per-property values and their mean."""
    rows = []
    for history in histories:
        for release in history.releases:
            values = values_of(release)
            rows.append(
                TrendRow(
                    product=history.product,
                    version=release.version,
                    released=release.released,
                    values=values,
                    mean=_mean(values.values()),
                )
            )
    return rows


def measure(histories: list[History], policy: Policy, as_of: date) -> Metrics:
    """All measured metrics over ``histories`` (one product line, or a supplier's lines pooled)."""
    histories = [known_by(h, as_of) for h in histories]
    items = [e for h in histories for e in exposures(h, policy, as_of)]
    debt_rows = [row for h in histories for row in release_debt(h, policy)]
    latest_debt = {row.product: row for row in debt_rows}
    kev = [d for h in histories for d in kev_days(h, policy, as_of)]
    hardening_rows = _trend_rows(
        histories, lambda r: hardening_values(r.findings, policy.hardening_properties)
    )
    sbom_rows = _trend_rows(histories, lambda r: sbom_values(r.components, policy.sbom_fields))
    cadences = [cadence(h, policy, as_of) for h in histories]
    max_intervals = [c.max_interval_days for c in cadences if c.max_interval_days is not None]
    return Metrics(
        products=[h.product for h in histories],
        as_of=as_of,
        releases=sum(len(h.releases) for h in histories),
        policy=policy,
        update_timeliness=update_timeliness(items),
        vulnerability_control=vulnerability_control(items, policy),
        debt=Debt(
            releases=debt_rows,
            latest_counted=sum(r.counted for r in latest_debt.values()),
            latest_kev=sum(r.kev for r in latest_debt.values()),
            shipped_known_critical=sum(shipped_known_critical(h, policy) for h in histories),
        ),
        kev_exposure=KevExposure(total_days=sum(d.days for d in kev), vulnerabilities=kev),
        hardening=_trend(hardening_rows, policy.hardening_properties),
        sbom=_trend(sbom_rows, policy.sbom_fields),
        cadence=Cadence(
            products=cadences,
            max_interval_days=max(max_intervals) if max_intervals else None,
            quiet_while_supported=sum(1 for c in cadences if c.quiet_while_supported),
        ),
        themes={"latest": _latest_themes(histories)},
    )
