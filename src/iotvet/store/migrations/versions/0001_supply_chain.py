"""Supply chain: suppliers, products, firmware versions, scans, questionnaires.

The first schema of the project store: what supplier assurance (issue 6) needs. Later revisions
add the platform's tables (users, API tokens, verdicts, declarations) on top of this one.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "products",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("line", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("support_end", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_products")),
        sa.UniqueConstraint("name", name=op.f("uq_products_name")),
    )
    op.create_table(
        "suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("origin", sa.String(length=20), nullable=False),
        sa.Column("country", sa.String(length=100), nullable=True),
        sa.Column("website", sa.String(length=500), nullable=True),
        sa.Column("contact", sa.String(length=500), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=True),
        sa.Column("aliases", sa.JSON(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_suppliers")),
        sa.UniqueConstraint("name", name=op.f("uq_suppliers_name")),
    )
    op.create_table(
        "upstream_releases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("released", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_upstream_releases")),
        sa.UniqueConstraint(
            "component", "version", name=op.f("uq_upstream_releases_component_version")
        ),
    )
    op.create_table(
        "component_suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("component", sa.String(length=200), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("detail", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_component_suppliers_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_component_suppliers_supplier_id_suppliers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_component_suppliers")),
        sa.UniqueConstraint(
            "supplier_id",
            "component",
            "product_id",
            "role",
            name=op.f("uq_component_suppliers_supplier_id_component_product_id_role"),
        ),
    )
    with op.batch_alter_table("component_suppliers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_component_suppliers_component"), ["component"], unique=False
        )

    op.create_table(
        "firmware_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=False),
        sa.Column("released", sa.Date(), nullable=True),
        sa.Column("image_name", sa.String(length=500), nullable=True),
        sa.Column("image_sha256", sa.String(length=64), nullable=True),
        sa.Column("image_size", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_firmware_versions_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_firmware_versions")),
        sa.UniqueConstraint(
            "product_id", "version", name=op.f("uq_firmware_versions_product_id_version")
        ),
    )
    with op.batch_alter_table("firmware_versions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_firmware_versions_image_sha256"), ["image_sha256"], unique=False
        )

    op.create_table(
        "product_suppliers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=40), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(
            ["product_id"],
            ["products.id"],
            name=op.f("fk_product_suppliers_product_id_products"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_product_suppliers_supplier_id_suppliers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_product_suppliers")),
        sa.UniqueConstraint(
            "product_id",
            "supplier_id",
            "role",
            name=op.f("uq_product_suppliers_product_id_supplier_id_role"),
        ),
    )
    op.create_table(
        "questionnaires",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("supplier_id", sa.Integer(), nullable=False),
        sa.Column("template", sa.String(length=100), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=True),
        sa.Column("answered_by", sa.String(length=200), nullable=True),
        sa.Column("source", sa.String(length=1000), nullable=True),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["supplier_id"],
            ["suppliers.id"],
            name=op.f("fk_questionnaires_supplier_id_suppliers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaires")),
    )
    op.create_table(
        "questionnaire_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("questionnaire_id", sa.Integer(), nullable=False),
        sa.Column("question", sa.String(length=100), nullable=False),
        sa.Column("value", sa.JSON(), nullable=True),
        sa.Column("evidence", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["questionnaire_id"],
            ["questionnaires.id"],
            name=op.f("fk_questionnaire_answers_questionnaire_id_questionnaires"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_questionnaire_answers")),
        sa.UniqueConstraint(
            "questionnaire_id",
            "question",
            name=op.f("uq_questionnaire_answers_questionnaire_id_question"),
        ),
    )
    op.create_table(
        "scans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("firmware_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tool_version", sa.String(length=50), nullable=True),
        sa.Column("target_sha256", sa.String(length=64), nullable=True),
        sa.Column("report_json", sa.Text(), nullable=False),
        sa.Column("data_sources", sa.JSON(), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["firmware_id"],
            ["firmware_versions.id"],
            name=op.f("fk_scans_firmware_id_firmware_versions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_scans")),
    )
    op.create_table(
        "components",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("version", sa.String(length=100), nullable=True),
        sa.Column("purl", sa.String(length=1000), nullable=True),
        sa.Column("cpe", sa.String(length=500), nullable=True),
        sa.Column("supplier", sa.String(length=500), nullable=True),
        sa.Column("package", sa.String(length=500), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_components_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_components")),
    )
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_components_name"), ["name"], unique=False)
        batch_op.create_index(batch_op.f("ix_components_scan_id"), ["scan_id"], unique=False)

    op.create_table(
        "findings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("check", sa.String(length=200), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=False),
        sa.Column("path", sa.String(length=2000), nullable=True),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"], ["scans.id"], name=op.f("fk_findings_scan_id_scans"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_findings")),
    )
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_findings_check"), ["check"], unique=False)
        batch_op.create_index(batch_op.f("ix_findings_scan_id"), ["scan_id"], unique=False)

    op.create_table(
        "vulnerabilities",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("scan_id", sa.Integer(), nullable=False),
        sa.Column("vuln_id", sa.String(length=100), nullable=False),
        sa.Column("component", sa.String(length=300), nullable=False),
        sa.Column("status", sa.String(length=30), nullable=False),
        sa.Column("severity", sa.String(length=20), nullable=True),
        sa.Column("cvss_score", sa.Float(), nullable=True),
        sa.Column("kev", sa.Boolean(), nullable=False),
        sa.Column("kev_date_added", sa.String(length=32), nullable=True),
        sa.Column("published", sa.String(length=32), nullable=True),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["scan_id"],
            ["scans.id"],
            name=op.f("fk_vulnerabilities_scan_id_scans"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_vulnerabilities")),
    )
    with op.batch_alter_table("vulnerabilities", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_vulnerabilities_scan_id"), ["scan_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_vulnerabilities_vuln_id"), ["vuln_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("vulnerabilities", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vulnerabilities_vuln_id"))
        batch_op.drop_index(batch_op.f("ix_vulnerabilities_scan_id"))

    op.drop_table("vulnerabilities")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_findings_scan_id"))
        batch_op.drop_index(batch_op.f("ix_findings_check"))

    op.drop_table("findings")
    with op.batch_alter_table("components", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_components_scan_id"))
        batch_op.drop_index(batch_op.f("ix_components_name"))

    op.drop_table("components")
    op.drop_table("scans")
    op.drop_table("questionnaire_answers")
    op.drop_table("questionnaires")
    op.drop_table("product_suppliers")
    with op.batch_alter_table("firmware_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_firmware_versions_image_sha256"))

    op.drop_table("firmware_versions")
    with op.batch_alter_table("component_suppliers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_component_suppliers_component"))

    op.drop_table("component_suppliers")
    op.drop_table("upstream_releases")
    op.drop_table("suppliers")
    op.drop_table("products")
