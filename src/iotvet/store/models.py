"""The project store's tables (SQLAlchemy 2.0 declarative models).

One class per stored concept. The supply-chain tables (suppliers, products and the links between
them, firmware versions, scans with their components, vulnerabilities and findings, questionnaires)
are what supplier assurance needs today; the platform adds users, API tokens, verdicts and
declarations as further tables in later migrations without changing these.

Every scan keeps the full report JSON (the contract of DESIGN.md) next to the queryable columns,
and every component / vulnerability / finding row keeps its model dump in ``data``: the columns
serve queries, the JSON keeps every field a later reader may want, so nothing is lost by storing.
The schema itself is created by the Alembic migrations in ``migrations/``, never by
``create_all``; a test checks that the migrations and these models agree.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

#: Deterministic constraint names, so migrations can refer to them on every database.
NAMING = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        dict[str, Any]: JSON,
        list[str]: JSON,
        list[Any]: JSON,
    }


class Supplier(Base):
    """An organisation or project that supplies a product, a component or a sub-component.

    ``origin`` says whether the user declared it (sourcing file, CLI) or iotvet derived it from a
    scan (a distribution from a package URL, an upstream project from a CPE vendor, an SBOM
    supplier field); derived suppliers are shown as such until the user declares them.
    ``aliases`` are shell-style patterns matched against names and e-mail addresses seen in
    scans, so ``*@debian.org`` attaches Debian maintainers to the Debian supplier.
    """

    __tablename__ = "suppliers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    roles: Mapped[list[str]] = mapped_column(default=list)
    origin: Mapped[str] = mapped_column(String(20), default="declared")
    country: Mapped[str | None] = mapped_column(String(100))
    website: Mapped[str | None] = mapped_column(String(500))
    contact: Mapped[str | None] = mapped_column(String(500))
    owner: Mapped[str | None] = mapped_column(String(200))
    aliases: Mapped[list[str]] = mapped_column(default=list)
    notes: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    products: Mapped[list[ProductSupplier]] = relationship(
        back_populates="supplier", cascade="all, delete-orphan"
    )
    component_links: Mapped[list[ComponentSupplier]] = relationship(
        back_populates="supplier", cascade="all, delete-orphan"
    )
    questionnaires: Mapped[list[Questionnaire]] = relationship(
        back_populates="supplier", cascade="all, delete-orphan"
    )


class Product(Base):
    """A product (one product line: its firmware versions form one release history)."""

    __tablename__ = "products"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    line: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    support_end: Mapped[date | None] = mapped_column(Date)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    suppliers: Mapped[list[ProductSupplier]] = relationship(
        back_populates="product", cascade="all, delete-orphan"
    )
    firmware: Mapped[list[FirmwareVersion]] = relationship(
        back_populates="product", cascade="all, delete-orphan"
    )


class ProductSupplier(Base):
    """Supplier ↔ product, with the role the supplier plays for that product."""

    __tablename__ = "product_suppliers"
    __table_args__ = (UniqueConstraint("product_id", "supplier_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    role: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40), default="declared")

    product: Mapped[Product] = relationship(back_populates="suppliers")
    supplier: Mapped[Supplier] = relationship(back_populates="products")


class ComponentSupplier(Base):
    """Supplier ↔ component (by upstream component name), for one product or for all.

    ``source`` is where the link comes from: ``declared`` (the sourcing file) or a derivation
    from scans (``purl-namespace``, ``package-maintainer``, ``sbom-supplier``, ``cpe-vendor``);
    ``detail`` keeps the raw fact (maintainer line, CPE, evidence method).
    """

    __tablename__ = "component_suppliers"
    __table_args__ = (UniqueConstraint("supplier_id", "component", "product_id", "role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    component: Mapped[str] = mapped_column(String(200), index=True)
    product_id: Mapped[int | None] = mapped_column(
        ForeignKey("products.id", ondelete="CASCADE"), nullable=True
    )
    role: Mapped[str] = mapped_column(String(40))
    source: Mapped[str] = mapped_column(String(40), default="declared")
    detail: Mapped[str | None] = mapped_column(Text)

    supplier: Mapped[Supplier] = relationship(back_populates="component_links")
    product: Mapped[Product | None] = relationship()


class UpstreamRelease(Base):
    """Release date of an upstream component version (starts the "from upstream fix" clock)."""

    __tablename__ = "upstream_releases"
    __table_args__ = (UniqueConstraint("component", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    component: Mapped[str] = mapped_column(String(200))
    version: Mapped[str] = mapped_column(String(100))
    released: Mapped[date] = mapped_column(Date)


class FirmwareVersion(Base):
    """One released firmware version of a product."""

    __tablename__ = "firmware_versions"
    __table_args__ = (UniqueConstraint("product_id", "version"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    product_id: Mapped[int] = mapped_column(ForeignKey("products.id", ondelete="CASCADE"))
    version: Mapped[str] = mapped_column(String(100))
    released: Mapped[date | None] = mapped_column(Date)
    image_name: Mapped[str | None] = mapped_column(String(500))
    image_sha256: Mapped[str | None] = mapped_column(String(64), index=True)
    image_size: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    product: Mapped[Product] = relationship(back_populates="firmware")
    scans: Mapped[list[Scan]] = relationship(
        back_populates="firmware", cascade="all, delete-orphan", order_by="Scan.id"
    )

    @property
    def latest_scan(self) -> Scan | None:
        return self.scans[-1] if self.scans else None


class Scan(Base):
    """One scan report of a firmware image (a firmware version may be scanned many times)."""

    __tablename__ = "scans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    firmware_id: Mapped[int | None] = mapped_column(
        ForeignKey("firmware_versions.id", ondelete="CASCADE"), nullable=True
    )
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    tool_version: Mapped[str | None] = mapped_column(String(50))
    target_sha256: Mapped[str | None] = mapped_column(String(64))
    report_json: Mapped[str] = mapped_column(Text)
    data_sources: Mapped[dict[str, Any]] = mapped_column(default=dict)
    matched_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    firmware: Mapped[FirmwareVersion | None] = relationship(back_populates="scans")
    components: Mapped[list[ComponentRow]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", order_by="ComponentRow.id"
    )
    vulnerabilities: Mapped[list[VulnerabilityRow]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", order_by="VulnerabilityRow.id"
    )
    findings: Mapped[list[FindingRow]] = relationship(
        back_populates="scan", cascade="all, delete-orphan", order_by="FindingRow.id"
    )


class ComponentRow(Base):
    """A component found by a scan."""

    __tablename__ = "components"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    version: Mapped[str | None] = mapped_column(String(100))
    purl: Mapped[str | None] = mapped_column(String(1000))
    cpe: Mapped[str | None] = mapped_column(String(500))
    supplier: Mapped[str | None] = mapped_column(String(500))
    package: Mapped[str | None] = mapped_column(String(500))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    scan: Mapped[Scan] = relationship(back_populates="components")


class VulnerabilityRow(Base):
    """A vulnerability matched to a component of a scan."""

    __tablename__ = "vulnerabilities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    vuln_id: Mapped[str] = mapped_column(String(100), index=True)
    component: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(30))
    severity: Mapped[str | None] = mapped_column(String(20))
    cvss_score: Mapped[float | None] = mapped_column(Float)
    kev: Mapped[bool] = mapped_column(Boolean, default=False)
    kev_date_added: Mapped[str | None] = mapped_column(String(32))
    published: Mapped[str | None] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    scan: Mapped[Scan] = relationship(back_populates="vulnerabilities")


class FindingRow(Base):
    """A finding of a scan's checks."""

    __tablename__ = "findings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    scan_id: Mapped[int] = mapped_column(ForeignKey("scans.id", ondelete="CASCADE"), index=True)
    check: Mapped[str] = mapped_column(String(200), index=True)
    severity: Mapped[str] = mapped_column(String(20))
    path: Mapped[str | None] = mapped_column(String(2000))
    title: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)

    scan: Mapped[Scan] = relationship(back_populates="findings")


class Questionnaire(Base):
    """A supplier's answered questionnaire (one row per submission; the newest one counts)."""

    __tablename__ = "questionnaires"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    supplier_id: Mapped[int] = mapped_column(ForeignKey("suppliers.id", ondelete="CASCADE"))
    template: Mapped[str] = mapped_column(String(100))
    answered_on: Mapped[date | None] = mapped_column(Date)
    answered_by: Mapped[str | None] = mapped_column(String(200))
    source: Mapped[str | None] = mapped_column(String(1000))
    imported_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    supplier: Mapped[Supplier] = relationship(back_populates="questionnaires")
    answers: Mapped[list[Answer]] = relationship(
        back_populates="questionnaire", cascade="all, delete-orphan", order_by="Answer.id"
    )


class Answer(Base):
    """One answer of a questionnaire: the value, the evidence offered and a comment."""

    __tablename__ = "questionnaire_answers"
    __table_args__ = (UniqueConstraint("questionnaire_id", "question"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    questionnaire_id: Mapped[int] = mapped_column(
        ForeignKey("questionnaires.id", ondelete="CASCADE")
    )
    question: Mapped[str] = mapped_column(String(100))
    value: Mapped[Any] = mapped_column(JSON, nullable=True)
    evidence: Mapped[list[str]] = mapped_column(default=list)
    comment: Mapped[str | None] = mapped_column(Text)

    questionnaire: Mapped[Questionnaire] = relationship(back_populates="answers")
