"""The supplier report: one scorecard per supplier and one risk card per product.

:func:`build_report` reads the store and assembles everything the JSON, HTML and PDF outputs
show: each supplier's links, questionnaire score, measured metrics (pooled over the product lines
it builds), claim checks, score with explained contributions; each product's releases, metrics
and risk. The document is a pydantic model so the JSON output is the model dump.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import __version__
from ..store.models import ComponentSupplier, Product, Supplier
from .claims import ClaimCheck, check_claims
from .config import ScoringConfig, scoring
from .history import History, from_store
from .metrics import Metrics, Policy, measure
from .questionnaire import QuestionnaireScore, score_answers, template
from .registry import latest_answers
from .scoring import ProductRisk, SupplierScore, product_risk, supplier_score

REPORT_SCHEMA = "iotvet/suppliers-report/1"

#: Plain-language definitions printed with every report (the metrics module has the details).
DEFINITIONS: dict[str, str] = {
    "exposure": (
        "a vulnerability in a component while consecutive releases ship it; it ends at the "
        "first later release without it (the fix release) or stays open"
    ),
    "update_timeliness": (
        "days from a vulnerability's publication (a regression: from the release that brought "
        "it back) to its fix release; median and 90th percentile (nearest rank); open ones "
        "counted apart, and at their current age in the *_incl_open figures"
    ),
    "upstream_fix": (
        "days from the earliest known upstream release of a fixed version to the fix release "
        "(only where the sourcing file gives upstream release dates)"
    ),
    "vulnerability_control": (
        "share of decided critical/high/KEV exposures fixed within the policy window; open "
        "ones older than the window count as missed, younger ones as pending"
    ),
    "debt": "vulnerabilities each release shipped, by severity, and how many were public then",
    "kev_exposure_days": (
        "days after a vulnerability's KEV date on which the newest available release shipped it"
    ),
    "cadence": "days between releases and since the last one, against the support period",
}


class LinkView(BaseModel):
    supplier: str
    role: str
    source: str
    product: str | None = None
    component: str | None = None
    detail: str | None = None


class SupplierCard(BaseModel):
    name: str
    roles: list[str]
    origin: str
    country: str | None = None
    website: str | None = None
    contact: str | None = None
    owner: str | None = None
    aliases: list[str] = Field(default_factory=list)
    products: list[LinkView] = Field(default_factory=list)
    components: list[LinkView] = Field(default_factory=list)
    questionnaire: QuestionnaireScore | None = None
    answered_on: date | None = None
    answered_by: str | None = None
    measured_products: list[str] = Field(default_factory=list)
    metrics: Metrics | None = None
    claims: list[ClaimCheck] = Field(default_factory=list)
    score: SupplierScore
    notes: list[str] = Field(default_factory=list)


class ReleaseView(BaseModel):
    version: str
    released: date | None
    image: str | None
    sha256: str | None
    scans: int
    components: int
    vulnerabilities: int


class ProductCard(BaseModel):
    name: str
    line: str | None = None
    support_end: date | None = None
    suppliers: list[LinkView]
    component_suppliers: list[LinkView]
    releases: list[ReleaseView]
    metrics: Metrics | None = None
    risk: ProductRisk
    notes: list[str] = Field(default_factory=list)


class SupplierReport(BaseModel):
    schema_: str = Field(default=REPORT_SCHEMA, alias="schema")
    tool: dict[str, str] = Field(default_factory=lambda: {"name": "iotvet", "version": __version__})
    generated_at: datetime
    as_of: date
    policy: Policy
    weights: dict[str, Any]
    definitions: dict[str, str] = Field(default_factory=lambda: dict(DEFINITIONS))
    suppliers: list[SupplierCard]
    products: list[ProductCard]

    def to_json(self) -> str:
        return self.model_dump_json(by_alias=True, indent=2)


def _link(row: ComponentSupplier) -> LinkView:
    return LinkView(
        supplier=row.supplier.name,
        role=row.role,
        source=row.source,
        product=row.product.name if row.product else None,
        component=row.component,
        detail=row.detail,
    )


def _component_links(session: Session, product: Product) -> list[LinkView]:
    rows = session.scalars(select(ComponentSupplier).order_by(ComponentSupplier.component))
    return [_link(r) for r in rows if r.product_id in (None, product.id)]


def _product_card(
    session: Session,
    product: Product,
    history: History,
    notes: list[str],
    metrics: Metrics | None,
    supplier_scores: dict[str, float | None],
    policy: Policy,
    config: ScoringConfig,
) -> ProductCard:
    suppliers = [
        LinkView(supplier=link.supplier.name, role=link.role, source=link.source)
        for link in product.suppliers
    ]
    components = _component_links(session, product)
    triples = [(s.supplier, s.role, supplier_scores.get(s.supplier)) for s in suppliers]
    seen = {(s.supplier, s.role) for s in suppliers}
    for c in components:
        if (c.supplier, c.role) not in seen:
            seen.add((c.supplier, c.role))
            triples.append((c.supplier, c.role, supplier_scores.get(c.supplier)))
    latest = history.releases[-1] if history.releases else None
    hardening = metrics.hardening.latest.get("mean") if metrics else None
    releases = [
        ReleaseView(
            version=fw.version,
            released=fw.released,
            image=fw.image_name,
            sha256=fw.image_sha256,
            scans=len(fw.scans),
            components=len(fw.latest_scan.components) if fw.latest_scan else 0,
            vulnerabilities=sum(
                1
                for v in (fw.latest_scan.vulnerabilities if fw.latest_scan else [])
                if v.status in policy.statuses
            ),
        )
        for fw in sorted(product.firmware, key=lambda f: (f.released or date.min, f.version))
    ]
    card_notes = list(notes)
    if len(history.releases) < 2:
        card_notes.append(
            f"{len(history.releases)} dated release(s): history metrics need two or more"
        )
    return ProductCard(
        name=product.name,
        line=product.line,
        support_end=product.support_end,
        suppliers=suppliers,
        component_suppliers=components,
        releases=releases,
        metrics=metrics,
        risk=product_risk(product.name, latest, triples, hardening, policy, config),
        notes=card_notes,
    )


def build_report(
    session: Session,
    as_of: date,
    policy: Policy | None = None,
    supplier_names: list[str] | None = None,
    config: ScoringConfig | None = None,
) -> SupplierReport:
    """Assemble the whole supplier report from the store."""
    config = config or scoring()
    policy = policy or config.policy
    measured_roles = set(config.supplier_score.measured_roles)
    products = list(session.scalars(select(Product).order_by(Product.name)))
    histories: dict[str, tuple[History, list[str]]] = {
        p.name: from_store(session, p) for p in products
    }
    product_metrics = {
        name: measure([h], policy, as_of) if h.releases else None
        for name, (h, _) in histories.items()
    }
    cards: list[SupplierCard] = []
    wanted = {n.lower() for n in supplier_names or []}
    for supplier in session.scalars(select(Supplier).order_by(Supplier.name)):
        if wanted and supplier.name.lower() not in wanted:
            continue
        cards.append(_supplier_card(supplier, histories, policy, as_of, measured_roles, config))
    scores = {c.name: c.score.score for c in cards}
    product_cards = [
        _product_card(
            session,
            p,
            histories[p.name][0],
            histories[p.name][1],
            product_metrics[p.name],
            scores,
            policy,
            config,
        )
        for p in products
    ]
    cards.sort(key=lambda c: (c.origin != "declared", -(c.score.score or -1), c.name))
    return SupplierReport(
        generated_at=datetime.now(UTC).replace(microsecond=0),
        as_of=as_of,
        policy=policy,
        weights={
            "supplier_score": config.supplier_score.model_dump(),
            "product_risk": config.product_risk.model_dump(),
            "questionnaire": config.questionnaire.model_dump(),
        },
        suppliers=cards,
        products=product_cards,
    )


def _supplier_card(
    supplier: Supplier,
    histories: dict[str, tuple[History, list[str]]],
    policy: Policy,
    as_of: date,
    measured_roles: set[str],
    config: ScoringConfig,
) -> SupplierCard:
    notes: list[str] = []
    measured = sorted(
        {
            link.product.name
            for link in supplier.products
            if link.role in measured_roles and len(histories[link.product.name][0].releases) >= 2
        }
    )
    metrics = (
        measure([histories[name][0] for name in measured], policy, as_of) if measured else None
    )
    if not measured and any(link.role in measured_roles for link in supplier.products):
        notes.append("no product line with two or more dated releases yet: nothing measured")
    answers = latest_answers(supplier)
    claims: list[ClaimCheck] = []
    questionnaire: QuestionnaireScore | None = None
    if answers is not None:
        if answers.template != template().key:
            notes.append(
                f"stored answers are for questionnaire {answers.template}, not "
                f"{template().key}: questions that changed score 0"
            )
        if metrics is not None:
            claims = check_claims(answers, metrics)
        contradicted = {c.question for c in claims if c.status == "contradicted"}
        questionnaire = score_answers(answers, contradicted=contradicted)
    contradictions = sum(1 for c in claims if c.status == "contradicted")
    score = supplier_score(
        supplier.name,
        questionnaire.score if questionnaire else None,
        metrics,
        contradictions,
        config,
    )
    return SupplierCard(
        name=supplier.name,
        roles=list(supplier.roles),
        origin=supplier.origin,
        country=supplier.country,
        website=supplier.website,
        contact=supplier.contact,
        owner=supplier.owner,
        aliases=list(supplier.aliases),
        products=[
            LinkView(
                supplier=supplier.name,
                role=link.role,
                source=link.source,
                product=link.product.name,
            )
            for link in supplier.products
        ],
        components=[_link(row) for row in supplier.component_links],
        questionnaire=questionnaire,
        answered_on=answers.answered_on if answers else None,
        answered_by=answers.answered_by if answers else None,
        measured_products=measured,
        metrics=metrics,
        claims=claims,
        score=score,
        notes=notes,
    )
