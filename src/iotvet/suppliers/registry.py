"""Supplier registry operations on the project store.

Suppliers, products and their links are created or updated idempotently (importing the same
sourcing file twice changes nothing). Recording a firmware version stores its scan and derives
supplier links from its components; a supplier name or e-mail seen in a scan is attached to a
declared supplier when it matches that supplier's name or one of its alias patterns.
"""

from __future__ import annotations

import fnmatch
from datetime import date
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..model import Report
from ..store.models import (
    Answer,
    ComponentSupplier,
    FirmwareVersion,
    Product,
    ProductSupplier,
    Questionnaire,
    Supplier,
    UpstreamRelease,
    utcnow,
)
from ..store.scans import (
    components_of,
    replace_vulnerabilities,
    scan_from_report,
    vulnerabilities_of,
)
from .links import derive_links
from .questionnaire import Answer as CheckedAnswer
from .questionnaire import Answers
from .sourcing import Sourcing


class RegistryError(Exception):
    """A registry operation the user asked for cannot be done (unknown product …)."""


def find_supplier(session: Session, name: str) -> Supplier | None:
    return session.scalar(select(Supplier).where(func.lower(Supplier.name) == name.lower()))


def find_product(session: Session, name: str) -> Product | None:
    return session.scalar(select(Product).where(func.lower(Product.name) == name.lower()))


def resolve_supplier(session: Session, name: str, email: str | None = None) -> Supplier | None:
    """The supplier called ``name``, or whose alias patterns match ``name`` or ``email``."""
    exact = find_supplier(session, name)
    if exact is not None:
        return exact
    probes = [p.lower() for p in (name, email) if p]
    for supplier in session.scalars(select(Supplier).order_by(Supplier.id)):
        for pattern in supplier.aliases:
            if any(fnmatch.fnmatchcase(probe, pattern.lower()) for probe in probes):
                return supplier
    return None


def ensure_supplier(
    session: Session, name: str, role: str | None = None, origin: str = "declared"
) -> Supplier:
    """The supplier called ``name`` (created if new); ``role`` is added to its roles."""
    supplier = find_supplier(session, name)
    if supplier is None:
        supplier = Supplier(name=name, roles=[], aliases=[], origin=origin)
        session.add(supplier)
    elif origin == "declared":
        supplier.origin = "declared"
    if role and role not in supplier.roles:
        supplier.roles = [*supplier.roles, role]
    session.flush()
    return supplier


def ensure_product(session: Session, name: str) -> Product:
    product = find_product(session, name)
    if product is None:
        product = Product(name=name)
        session.add(product)
        session.flush()
    return product


def link_product(
    session: Session, product: Product, supplier: Supplier, role: str, source: str = "declared"
) -> None:
    exists = session.scalar(
        select(ProductSupplier).where(
            ProductSupplier.product_id == product.id,
            ProductSupplier.supplier_id == supplier.id,
            ProductSupplier.role == role,
        )
    )
    if exists is None:
        session.add(ProductSupplier(product=product, supplier=supplier, role=role, source=source))
    if role not in supplier.roles:
        supplier.roles = [*supplier.roles, role]
    session.flush()


def link_component(
    session: Session,
    supplier: Supplier,
    component: str,
    role: str,
    *,
    product: Product | None = None,
    source: str = "declared",
    detail: str | None = None,
) -> bool:
    """Add a supplier ↔ component link; False when it was already there."""
    query = select(ComponentSupplier).where(
        ComponentSupplier.supplier_id == supplier.id,
        ComponentSupplier.component == component,
        ComponentSupplier.role == role,
        ComponentSupplier.product_id.is_(None)
        if product is None
        else ComponentSupplier.product_id == product.id,
    )
    if session.scalar(query) is not None:
        return False
    session.add(
        ComponentSupplier(
            supplier=supplier,
            component=component,
            role=role,
            product=product,
            source=source,
            detail=detail,
        )
    )
    session.flush()
    return True


def apply_sourcing(session: Session, sourcing: Sourcing) -> dict[str, int]:
    """Load a declared sourcing file into the store; returns counts of what it declared."""
    for decl in sourcing.suppliers:
        supplier = ensure_supplier(session, decl.name)
        for role in decl.roles:
            if role not in supplier.roles:
                supplier.roles = [*supplier.roles, role]
        for attr in ("country", "website", "contact", "owner", "notes"):
            value = getattr(decl, attr)
            if value:
                setattr(supplier, attr, value)
        supplier.aliases = sorted({*supplier.aliases, *decl.aliases})
    for decl_p in sourcing.products:
        product = ensure_product(session, decl_p.name)
        product.line = decl_p.line or product.line
        product.description = decl_p.description or product.description
        product.support_end = decl_p.support_end or product.support_end
        for role, name in decl_p.links():
            link_product(session, product, ensure_supplier(session, name), role)
    for decl_c in sourcing.components:
        supplier = ensure_supplier(session, decl_c.supplier, decl_c.role)
        targets: list[Product | None] = [None]
        if decl_c.products:
            targets = []
            for name in decl_c.products:
                product_or_none = find_product(session, name)
                if product_or_none is None:
                    raise RegistryError(
                        f"component {decl_c.component}: product '{name}' is neither in the file "
                        "nor in the store — add it under 'products:' first"
                    )
                targets.append(product_or_none)
        for target in targets:
            link_component(
                session, supplier, decl_c.component, decl_c.role, product=target, detail=decl_c.note
            )
    for component, versions in sourcing.upstream_releases.items():
        for version, released in versions.items():
            row = session.scalar(
                select(UpstreamRelease).where(
                    UpstreamRelease.component == component, UpstreamRelease.version == version
                )
            )
            if row is None:
                session.add(
                    UpstreamRelease(component=component, version=version, released=released)
                )
            else:
                row.released = released
    session.flush()
    return {
        "suppliers": len(sourcing.suppliers),
        "products": len(sourcing.products),
        "component links": len(sourcing.components),
        "upstream releases": sum(len(v) for v in sourcing.upstream_releases.values()),
    }


def record_derived_links(session: Session, product: Product, report: Report) -> int:
    """Derive supplier links from a scan's components; returns how many links were new."""
    declared = {
        link.component
        for link in session.scalars(
            select(ComponentSupplier).where(ComponentSupplier.source == "declared")
        )
        if link.product_id in (None, product.id)
    }
    added = 0
    for link in derive_links(report.components):
        if link.component in declared:
            continue  # the user said who supplies it
        supplier = resolve_supplier(session, link.supplier, link.email)
        if supplier is None:
            supplier = ensure_supplier(session, link.supplier, link.role, origin="derived")
        added += link_component(
            session,
            supplier,
            link.component,
            link.role,
            product=product,
            source=link.source,
            detail=link.detail,
        )
    return added


def add_firmware(
    session: Session,
    product: Product,
    version: str,
    released: date | None,
    report: Report,
    image_name: str | None = None,
) -> FirmwareVersion:
    """Record a firmware version (or a new scan of an existing one) with its report."""
    firmware = session.scalar(
        select(FirmwareVersion).where(
            FirmwareVersion.product_id == product.id, FirmwareVersion.version == version
        )
    )
    if firmware is None:
        firmware = FirmwareVersion(product=product, version=version)
        session.add(firmware)
    if released is not None:
        firmware.released = released
    firmware.image_name = image_name or Path(report.target.path).name
    firmware.image_sha256 = report.target.sha256
    firmware.image_size = report.target.size or None
    firmware.scans.append(scan_from_report(report))
    session.flush()
    record_derived_links(session, product, report)
    return firmware


#: Justifications that rest on the firmware's own bytes (e.g. BusyBox applets missing from the
#: binary): a re-match from stored components cannot see those bytes, so it keeps the decision.
CONTENT_JUSTIFICATIONS = frozenset({"vulnerable_code_not_present", "component_not_present"})


def rematch(session: Session, db_path: Path) -> int:
    """Re-match every stored firmware's components against the vulnerability DB at ``db_path``.

    History metrics need today's knowledge about old releases: a CVE published after a scan
    still affected the release. A ``not_affected`` decision the scan took from the firmware's
    contents is carried over. Returns the number of scans updated.
    """
    from ..vulns import match_components

    count = 0
    when = utcnow()
    for firmware in session.scalars(select(FirmwareVersion)):
        scan = firmware.latest_scan
        if scan is None:
            continue
        vulns, meta = match_components(components_of(scan), db_path)
        if not meta.get("available", True):
            raise RegistryError(str(meta.get("note", f"no vulnerability database at {db_path}")))
        kept = {
            (v.id, v.component): v
            for v in vulnerabilities_of(scan)
            if v.status == "not_affected" and v.justification in CONTENT_JUSTIFICATIONS
        }
        for vuln in vulns:
            earlier = kept.get((vuln.id, vuln.component))
            if earlier is not None and vuln.status == "affected":
                vuln.status = earlier.status
                vuln.justification = earlier.justification
                vuln.reason = earlier.reason
        replace_vulnerabilities(scan, vulns, meta, when)
        count += 1
    session.flush()
    return count


def record_questionnaire(session: Session, answers: Answers) -> tuple[Questionnaire, bool]:
    """Store checked answers; returns the row and whether the supplier had to be created."""
    supplier = find_supplier(session, answers.supplier)
    created = supplier is None
    if supplier is None:
        supplier = ensure_supplier(session, answers.supplier)
    row = Questionnaire(
        supplier=supplier,
        template=answers.template,
        answered_on=answers.answered_on,
        answered_by=answers.answered_by,
        source=answers.source,
        answers=[
            Answer(
                question=a.question,
                value=a.value.isoformat() if isinstance(a.value, date) else a.value,
                evidence=a.evidence,
                comment=a.comment,
            )
            for a in answers.answers.values()
        ],
    )
    session.add(row)
    session.flush()
    return row, created


def latest_answers(supplier: Supplier) -> Answers | None:
    """The supplier's newest stored questionnaire as checked answers."""
    if not supplier.questionnaires:
        return None
    row = max(supplier.questionnaires, key=lambda q: (q.imported_at, q.id))
    return Answers(
        template=row.template,
        supplier=supplier.name,
        answered_by=row.answered_by,
        answered_on=row.answered_on,
        source=row.source,
        answers={
            a.question: CheckedAnswer(
                question=a.question, value=a.value, evidence=a.evidence, comment=a.comment
            )
            for a in row.answers
        },
    )
