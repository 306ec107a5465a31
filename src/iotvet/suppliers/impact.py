"""Impact query: which products, firmware versions and suppliers are hit if component X ≤ Y is
vulnerable.

Every stored firmware version's latest scan is searched for the component (by upstream name or
distribution package name, case-insensitive); versions are compared with the project's embedded
version order (:func:`iotvet.vulns.versions.compare`: ``1.1.1w`` > ``1.1.1``, ``9.0p1`` > ``9.0``).
A component whose version is unknown cannot be ruled out and is listed apart.
"""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..store.models import ComponentRow, ComponentSupplier, FirmwareVersion, Product
from ..vulns.versions import compare


class ImpactHit(BaseModel):
    product: str
    firmware: str
    released: date | None
    component: str
    version: str | None
    newest_firmware: bool  # the product's newest release (still shipping)
    suppliers: list[str] = Field(default_factory=list)  # "name (role)"


class Impact(BaseModel):
    component: str
    max_version: str
    min_version: str | None
    hits: list[ImpactHit]
    unknown_version: list[ImpactHit]
    products: list[str]
    shipping: list[str]  # products whose newest firmware is hit
    suppliers: list[str]


def _matches(row: ComponentRow, wanted: str) -> bool:
    if row.name.lower() == wanted:
        return True
    packages = {p.strip().lower() for p in (row.package or "").split(",")}
    return wanted in packages


def in_range(version: str, max_version: str, min_version: str | None = None) -> bool:
    """``min_version ≤ version ≤ max_version`` in the embedded version order."""
    if compare(version, max_version) > 0:
        return False
    return min_version is None or compare(version, min_version) >= 0


def _newest(product: Product) -> FirmwareVersion | None:
    dated = [f for f in product.firmware if f.released is not None]
    pool = dated or product.firmware
    return max(pool, key=lambda f: (f.released or date.min, f.id)) if pool else None


def _suppliers(session: Session, product: Product, component: str) -> list[str]:
    names = {f"{link.supplier.name} ({link.role})" for link in product.suppliers}
    for link in session.scalars(
        select(ComponentSupplier).where(ComponentSupplier.component == component)
    ):
        if link.product_id in (None, product.id):
            names.add(f"{link.supplier.name} ({link.role}, {component})")
    return sorted(names)


def impact(
    session: Session, component: str, max_version: str, min_version: str | None = None
) -> Impact:
    """Firmware versions containing ``component`` in ``[min_version, max_version]``."""
    wanted = component.strip().lower()
    hits: list[ImpactHit] = []
    unknown: list[ImpactHit] = []
    for product in session.scalars(select(Product).order_by(Product.name)):
        newest = _newest(product)
        for firmware in sorted(product.firmware, key=lambda f: (f.released or date.min, f.id)):
            scan = firmware.latest_scan
            if scan is None:
                continue
            for row in scan.components:
                if not _matches(row, wanted):
                    continue
                hit = ImpactHit(
                    product=product.name,
                    firmware=firmware.version,
                    released=firmware.released,
                    component=row.name,
                    version=row.version,
                    newest_firmware=firmware is newest,
                    suppliers=_suppliers(session, product, row.name),
                )
                if not row.version:
                    unknown.append(hit)
                elif in_range(row.version, max_version, min_version):
                    hits.append(hit)
    return Impact(
        component=component,
        max_version=max_version,
        min_version=min_version,
        hits=hits,
        unknown_version=unknown,
        products=sorted({h.product for h in hits}),
        shipping=sorted({h.product for h in hits if h.newest_firmware}),
        suppliers=sorted({s for h in hits for s in h.suppliers}),
    )
