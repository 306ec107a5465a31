"""Questionnaire claims checked against measured firmware history.

A question's ``claims`` (in the template) say what an answer asserts about the firmware —
"critical fixes within 30 days" asserts that the measured median latency of critical
vulnerabilities is at most 30 days. Each asserted claim is compared with the metric and comes out
``consistent``, ``contradicted`` or ``not-measured``, with the facts behind the measured value
(vulnerability ids, release versions and dates) so a reader can check it by hand.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from .metrics import Metrics
from .questionnaire import Answers, Claim, Question, Template, template


class ClaimCheck(BaseModel):
    question: str
    says: str
    answer: Any
    metric: str
    op: str
    bound: Any
    measured: Any
    status: Literal["consistent", "contradicted", "not-measured"]
    detail: str
    facts: list[str] = Field(default_factory=list)


def _asserted(question: Question, claim: Claim, value: Any) -> bool:
    if value is None:
        return False
    if question.type == "yes-no":
        wanted = question.good if claim.when is None else claim.when
        return bool(value == wanted)
    return True


def _holds(measured: Any, op: str, bound: Any) -> bool:
    if op == "!=":
        return str(measured) != str(bound)
    if op == "<=":
        return float(measured) <= float(bound)
    return float(measured) >= float(bound)


def facts_for(metrics: Metrics, metric: str) -> list[str]:
    """The facts behind a metric value: which vulnerabilities, releases and dates made it."""
    parts = metric.split(".")
    if parts[0] == "update_timeliness" and len(parts) > 2:
        cls = parts[2]
        kev_clock = cls == "kev"
        rows = []
        for e in metrics.update_timeliness.exposures:
            if kev_clock and not e.kev:
                continue
            if not kev_clock and cls not in ("all", "critical_high") and e.severity != cls:
                continue
            if cls == "critical_high" and e.severity not in ("critical", "high"):
                continue
            start = e.kev_date_added if kev_clock else e.clock_start
            label = (
                "KEV since"
                if kev_clock
                else "published"
                if e.clock == "publication"
                else ("reintroduced")
            )
            if e.fixed_on is not None:
                days = e.kev_latency_days if kev_clock else e.latency_days
                rows.append(
                    f"{e.id} ({e.component}, {e.product}): {label} {start}, fixed by release "
                    f"{e.fixed_in_release} on {e.fixed_on} → {days} days"
                )
            else:
                age = e.kev_open_age_days if kev_clock else e.open_age_days
                rows.append(
                    f"{e.id} ({e.component}, {e.product}): {label} {start}, still open "
                    f"(shipped since {e.introduced_in}) → {age} days so far"
                )
        return rows
    if parts[0] == "debt":
        return [
            f"release {r.version} ({r.product}, {r.released}): {r.known_at_release} public "
            f"vulnerabilities shipped, {r.by_severity.get('critical', 0)} critical in total"
            for r in metrics.debt.releases
        ]
    if parts[0] == "cadence":
        return [
            f"{c.product}: {c.releases} releases, gaps {c.intervals_days} days"
            for c in metrics.cadence.products
        ]
    if parts[0] in ("hardening", "sbom"):
        trend = metrics.hardening if parts[0] == "hardening" else metrics.sbom
        return [
            f"{r.product} {r.version} ({r.released}): mean {r.mean} — "
            + ", ".join(f"{k} {v}" for k, v in r.values.items())
            for r in trend.rows
        ]
    if parts[0] == "themes":
        return [f"latest release verdict for {parts[-1]}: {metrics.value(metric)}"]
    return []


def check_claims(
    answers: Answers, metrics: Metrics, tmpl: Template | None = None
) -> list[ClaimCheck]:
    """Every claim the answers make, checked against ``metrics``."""
    tmpl = tmpl or template()
    checks: list[ClaimCheck] = []
    for question in tmpl.questions.values():
        value = answers.value(question.id)
        for claim in question.claims:
            if not _asserted(question, claim, value):
                continue
            bound = value if claim.bound == "answer" else claim.bound
            try:
                measured = metrics.value(claim.metric)
            except KeyError:
                measured = None
            facts = facts_for(metrics, claim.metric)
            if measured is None:
                status: Literal["consistent", "contradicted", "not-measured"] = "not-measured"
                detail = f"claims: {claim.says}; nothing measured yet for {claim.metric}"
            elif _holds(measured, claim.op, bound):
                status = "consistent"
                detail = f"claims: {claim.says}; measured {measured} (needs {claim.op} {bound})"
            else:
                status = "contradicted"
                detail = (
                    f"claims: {claim.says} ({claim.op} {bound}); measured {measured} "
                    f"from {metrics.releases} releases"
                )
            checks.append(
                ClaimCheck(
                    question=question.id,
                    says=claim.says,
                    answer=value,
                    metric=claim.metric,
                    op=claim.op,
                    bound=bound,
                    measured=measured,
                    status=status,
                    detail=detail,
                    facts=facts,
                )
            )
    return checks
