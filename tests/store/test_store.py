"""The project store: migrations from empty, schema = models, round trip, location rules."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, select

from iotvet.model import (
    Component,
    Cvss,
    Evidence,
    Finding,
    Report,
    Target,
    ThemeVerdict,
    Tool,
    Vulnerability,
)
from iotvet.store import database_url, open_store
from iotvet.store.db import alembic_config
from iotvet.store.models import (
    Base,
    ComponentRow,
    FirmwareVersion,
    Product,
    Scan,
    VulnerabilityRow,
)
from iotvet.store.scans import (
    components_of,
    findings_of,
    report_of,
    scan_from_report,
    vulnerabilities_of,
)


def sample_report() -> Report:
    return Report(
        tool=Tool(version="0.1.0"),
        target=Target(path="/fw/image.bin", sha256="ab" * 32, size=1234),
        components=[
            Component(
                name="busybox",
                version="1.35.0",
                purl="pkg:generic/busybox@1.35.0",
                cpe="cpe:2.3:a:busybox:busybox:1.35.0:*:*:*:*:*:*:*",
                supplier="Debian Install System Team <debian-boot@lists.debian.org>",
                evidence=[Evidence(path="/bin/busybox", method="binary-signature")],
            ),
            Component(name="zlib", version=None, licenses=["Zlib"]),
        ],
        vulnerabilities=[
            Vulnerability(
                id="CVE-2022-48174",
                component="busybox@1.35.0",
                severity="critical",
                cvss=Cvss(
                    version="3.1", score=9.8, vector="CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"
                ),
                kev=True,
                kev_date_added="2024-01-01",
                published="2023-08-22T19:16:00",
                fixed_in=["1.36.0"],
            )
        ],
        findings=[
            Finding(
                check="hardening.summary",
                severity="info",
                title="Binary hardening",
                data={"executables": {"count": 2, "nx": 50.0}},
            )
        ],
        themes=[ThemeVerdict(theme="logging", result="pass")],
        data_sources={"available": True, "db": "/x/vulndb.sqlite"},
    )


def test_migrations_create_every_model_table_from_empty(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'empty.sqlite'}"
    with open_store(url) as store:
        tables = set(inspect(store.engine).get_table_names())
        assert tables == set(Base.metadata.tables) | {"alembic_version"}
        with store.engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
        head = ScriptDirectory.from_config(alembic_config(url)).get_current_head()
        assert current == head


def test_migrations_match_the_models(tmp_path: Path) -> None:
    """Autogenerate finds nothing to do: the migration scripts build exactly the models."""
    url = f"sqlite:///{tmp_path / 'diff.sqlite'}"
    with open_store(url) as store, store.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []


def test_downgrade_to_empty_and_upgrade_again(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'cycle.sqlite'}"
    open_store(url).close()
    engine = create_engine(url)
    cfg = alembic_config(url)
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(engine).get_table_names()) == {"alembic_version"}
    with open_store(url) as store:
        assert set(Base.metadata.tables) <= set(inspect(store.engine).get_table_names())
    engine.dispose()


def test_opening_twice_keeps_the_data(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.sqlite'}"
    with open_store(url) as store, store.session() as session:
        session.add(Product(name="P1"))
    with open_store(url) as store, store.session() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 1


def test_report_round_trip(tmp_path: Path) -> None:
    report = sample_report()
    with open_store(f"sqlite:///{tmp_path / 'rt.sqlite'}") as store:
        with store.session() as session:
            product = Product(name="Router", support_end=date(2030, 1, 1))
            firmware = FirmwareVersion(product=product, version="1.0", released=date(2024, 5, 1))
            firmware.scans.append(scan_from_report(report))
            session.add(product)
        with store.session() as session:
            scan = session.scalars(select(Scan)).one()
            assert components_of(scan) == report.components
            assert vulnerabilities_of(scan) == report.vulnerabilities
            assert findings_of(scan) == report.findings
            assert report_of(scan) == report
            row = session.scalars(select(VulnerabilityRow)).one()
            assert (row.vuln_id, row.kev, row.cvss_score) == ("CVE-2022-48174", True, 9.8)
            assert scan.firmware is not None and scan.firmware.released == date(2024, 5, 1)
            assert scan.data_sources["db"] == "/x/vulndb.sqlite"
            names = session.scalars(select(ComponentRow.name).order_by(ComponentRow.name)).all()
            assert names == ["busybox", "zlib"]


def test_deleting_a_product_cascades(tmp_path: Path) -> None:
    with open_store(f"sqlite:///{tmp_path / 'cascade.sqlite'}") as store:
        with store.session() as session:
            product = Product(name="Router")
            firmware = FirmwareVersion(product=product, version="1.0")
            firmware.scans.append(scan_from_report(sample_report()))
            session.add(product)
        with store.session() as session:
            session.delete(session.scalars(select(Product)).one())
        with store.session() as session:
            for model in (FirmwareVersion, Scan, ComponentRow, VulnerabilityRow):
                assert session.scalar(select(func.count()).select_from(model)) == 0


def test_database_location(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("IOTVET_DATABASE_URL", raising=False)
    monkeypatch.setenv("IOTVET_HOME", str(tmp_path / "home"))
    assert database_url() == f"sqlite:///{tmp_path / 'home' / 'iotvet.sqlite'}"
    with open_store():
        pass
    assert (tmp_path / "home" / "iotvet.sqlite").exists()
    monkeypatch.setenv("IOTVET_DATABASE_URL", f"sqlite:///{tmp_path / 'other.sqlite'}")
    assert database_url() == f"sqlite:///{tmp_path / 'other.sqlite'}"


def test_migrations_render_for_postgresql() -> None:
    """Offline (--sql) mode renders the migrations as PostgreSQL DDL without a server."""
    import io

    buffer = io.StringIO()
    cfg = alembic_config("postgresql://iotvet@localhost/iotvet")
    cfg.output_buffer = buffer
    command.upgrade(cfg, "head", sql=True)
    ddl = buffer.getvalue()
    for table in Base.metadata.tables:
        assert f"CREATE TABLE {table} (" in ddl
    assert "JSON" in ddl and "TIMESTAMP WITH TIME ZONE" in ddl
