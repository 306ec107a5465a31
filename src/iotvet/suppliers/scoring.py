"""Supplier scores and product risk, with every contribution explained.

Supplier score (0..100, higher is better) = questionnaire part and measured part weighted by
``supplier_score.parts`` of ``data/supplier_scoring.yaml``, minus a penalty per claim the
measurements contradict. The measured part is the weighted mean of linear sub-scores (one per
metric, 100 at ``best``, 0 at ``worst``); a metric with nothing measured is left out and its
weight shared by the others, and the explanation says so.

Product risk (0..100, higher is riskier) rolls up the latest release's counted vulnerabilities
(points per severity, extra for KEV, capped at 100), the risk of its suppliers (100 − score,
weighted by role; unscored suppliers count a configured default) and its binary-hardening gaps.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from .config import MeasuredPart, ScoringConfig, scoring
from .history import Release
from .metrics import Metrics, Policy, component_name, severity_class


class Contribution(BaseModel):
    part: str
    label: str
    value: Any = None
    sub_score: float | None = None  # 0..100
    weight: float
    points: float  # signed contribution to the final number
    explanation: str


class SupplierScore(BaseModel):
    supplier: str
    score: float | None
    coverage: str  # questionnaire+measured | questionnaire-only | measured-only | none
    questionnaire: float | None = None
    measured: float | None = None
    penalty: float = 0.0
    contradictions: int = 0
    contributions: list[Contribution] = Field(default_factory=list)


def linear(value: float, best: float, worst: float) -> float:
    """0..100: 100 at ``best``, 0 at ``worst``, linear in between and clamped."""
    if best == worst:
        return 100.0
    share = (value - worst) / (best - worst)
    return round(100.0 * min(1.0, max(0.0, share)), 1)


def _measured_part(part: MeasuredPart, metrics: Metrics) -> tuple[float | None, Any]:
    try:
        value = metrics.value(part.metric)
    except KeyError:
        return None, None
    if value is None:
        return None, None
    return linear(float(value), part.best, part.worst), value


def measured_score(
    metrics: Metrics, config: ScoringConfig | None = None
) -> tuple[float | None, list[Contribution]]:
    """The measured half (0..100) and one contribution per metric part."""
    config = config or scoring()
    scored: list[tuple[MeasuredPart, float, Any]] = []
    skipped: list[Contribution] = []
    for part in config.supplier_score.measured:
        sub, value = _measured_part(part, metrics)
        if sub is None:
            skipped.append(
                Contribution(
                    part=f"measured.{part.id}",
                    label=part.label,
                    weight=0.0,
                    points=0.0,
                    explanation=f"nothing measured for {part.metric}: left out, weight shared",
                )
            )
        else:
            scored.append((part, sub, value))
    total_weight = sum(p.weight for p, _, _ in scored)
    if not scored or total_weight == 0:
        return None, skipped
    contributions = [
        Contribution(
            part=f"measured.{part.id}",
            label=part.label,
            value=value,
            sub_score=sub,
            weight=round(part.weight / total_weight, 4),
            points=round(sub * part.weight / total_weight, 2),
            explanation=(
                f"{part.metric} = {value}: scores {sub:g} on a line from {part.worst:g} (0) to "
                f"{part.best:g} (100); weight {part.weight:g} of {total_weight:g}"
            ),
        )
        for part, sub, value in scored
    ]
    score = round(sum(c.points for c in contributions), 1)
    return score, contributions + skipped


def supplier_score(
    name: str,
    questionnaire: float | None,
    metrics: Metrics | None,
    contradictions: int = 0,
    config: ScoringConfig | None = None,
) -> SupplierScore:
    """Combine the questionnaire score, the measured score and contradiction penalties."""
    config = config or scoring()
    weights = config.supplier_score.parts
    measured, measured_parts = (
        measured_score(metrics, config) if metrics is not None else (None, [])
    )
    halves = {"questionnaire": questionnaire, "measured": measured}
    present = {k: v for k, v in halves.items() if v is not None}
    if not present:
        return SupplierScore(supplier=name, score=None, coverage="none")
    total_weight = sum(weights[k] for k in present)
    contributions = []
    for key, value in present.items():
        share = weights[key] / total_weight
        contributions.append(
            Contribution(
                part=key,
                label=f"{key} score",
                value=value,
                sub_score=value,
                weight=round(share, 4),
                points=round(value * share, 2),
                explanation=f"{key} {value:g} × weight {weights[key]:g}/{total_weight:g}",
            )
        )
    penalty = min(
        config.supplier_score.contradiction_penalty * contradictions,
        config.supplier_score.contradiction_penalty_cap,
    )
    if contradictions:
        contributions.append(
            Contribution(
                part="contradictions",
                label="claims contradicted by firmware history",
                value=contradictions,
                weight=0.0,
                points=-penalty,
                explanation=(
                    f"{contradictions} contradicted claim(s) × "
                    f"{config.supplier_score.contradiction_penalty:g} points "
                    f"(capped at {config.supplier_score.contradiction_penalty_cap:g})"
                ),
            )
        )
    score = max(0.0, round(sum(c.points for c in contributions), 1))
    coverage = "+".join(present) if len(present) == 2 else f"{next(iter(present))}-only"
    return SupplierScore(
        supplier=name,
        score=score,
        coverage=coverage,
        questionnaire=questionnaire,
        measured=measured,
        penalty=penalty,
        contradictions=contradictions,
        contributions=contributions + measured_parts,
    )


# -- product risk --------------------------------------------------------------------------------


class ComponentRisk(BaseModel):
    component: str
    points: float
    vulnerabilities: list[str]


class ProductRisk(BaseModel):
    product: str
    risk: float | None
    contributions: list[Contribution]
    components: list[ComponentRisk]


def component_risks(
    release: Release, policy: Policy, config: ScoringConfig | None = None
) -> list[ComponentRisk]:
    """Points per component of a release: severity points of its counted vulnerabilities."""
    config = config or scoring()
    points = config.product_risk.severity_points
    by_component: dict[str, ComponentRisk] = {}
    for vuln in release.vulnerabilities:
        if vuln.status not in policy.statuses:
            continue
        name = component_name(vuln.component)
        risk = by_component.setdefault(
            name, ComponentRisk(component=name, points=0, vulnerabilities=[])
        )
        risk.points += points.get(severity_class(vuln), 0) + (
            config.product_risk.kev_points if vuln.kev else 0
        )
        risk.vulnerabilities.append(vuln.id)
    return sorted(by_component.values(), key=lambda r: (-r.points, r.component))


def _supplier_risk(
    suppliers: list[tuple[str, str, float | None]], config: ScoringConfig
) -> tuple[float | None, str]:
    """Mean risk per role (100 − score; unscored: the default), then weighted across roles.

    Averaging within a role first keeps thirty open-source projects from outweighing the one
    device maker.
    """
    cfg = config.product_risk
    by_role: dict[str, list[tuple[str, float, bool]]] = {}
    for name, role, score in suppliers:
        risk = cfg.unscored_supplier_risk if score is None else 100.0 - score
        by_role.setdefault(role, []).append((name, risk, score is None))
    weighted = weight_sum = 0.0
    notes = []
    for role, members in sorted(by_role.items()):
        weight = cfg.role_weights.get(role, cfg.role_weights.get("unclassified", 0.0))
        mean = sum(r for _, r, _ in members) / len(members)
        weighted += weight * mean
        weight_sum += weight
        unscored = sum(1 for _, _, u in members if u)
        shown = ", ".join(f"{n} {r:g}" for n, r, u in members if not u)
        note = f"{role} (weight {weight:g}): mean {mean:.1f} over {len(members)}"
        if shown:
            note += f" [{shown}]"
        if unscored:
            note += f", {unscored} unscored at {cfg.unscored_supplier_risk:g}"
        notes.append(note)
    if not weight_sum:
        return None, "no supplier role carries weight"
    return round(weighted / weight_sum, 1), "; ".join(notes)


def product_risk(
    product: str,
    latest: Release | None,
    suppliers: list[tuple[str, str, float | None]],
    hardening_mean: float | None,
    policy: Policy,
    config: ScoringConfig | None = None,
) -> ProductRisk:
    """Roll up a product's risk; ``suppliers`` are (name, role, score or None) triples."""
    config = config or scoring()
    cfg = config.product_risk
    parts: dict[str, tuple[float | None, str]] = {}
    components = component_risks(latest, policy, config) if latest else []
    if latest is not None:
        total = sum(c.points for c in components)
        top = ", ".join(f"{c.component} {c.points:g}" for c in components[:5]) or "none"
        parts["components"] = (
            min(100.0, total),
            f"release {latest.version}: {total:g} vulnerability points (capped at 100); top: {top}",
        )
    if suppliers:
        parts["suppliers"] = _supplier_risk(suppliers, config)
    if hardening_mean is not None:
        parts["hardening"] = (
            round(100.0 - hardening_mean, 1),
            f"100 − mean hardening coverage {hardening_mean:g} %",
        )
    present = {k: v for k, v in parts.items() if v[0] is not None}
    total_weight = sum(cfg.parts[k] for k in present)
    if not present or total_weight == 0:
        return ProductRisk(product=product, risk=None, contributions=[], components=components)
    contributions = [
        Contribution(
            part=key,
            label=f"{key} risk",
            value=value,
            sub_score=value,
            weight=round(cfg.parts[key] / total_weight, 4),
            points=round((value or 0.0) * cfg.parts[key] / total_weight, 2),
            explanation=text,
        )
        for key, (value, text) in present.items()
    ]
    risk = round(sum(c.points for c in contributions), 1)
    return ProductRisk(
        product=product, risk=risk, contributions=contributions, components=components
    )
